"""Admin: upload one or many pages, see each page's latest job, its overlay and text."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from . import selectors, services
from .models import Job, ModelVersion, Page
from .pipeline import CharsetError, parse_charset
from .uploads import UploadRejected


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class UploadPagesForm(forms.Form):
    images = MultipleFileField(help_text="One or many PNG, JPEG or TIFF scans.")
    layout = forms.ChoiceField(choices=Page.Layout.choices, initial=Page.Layout.PAGE)
    charset = forms.CharField(initial="any", max_length=200, help_text=Page._meta.get_field("charset").help_text)
    lexicon = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                              help_text="Optional word list, one entry per line.")
    lexicon_file = forms.FileField(required=False, help_text="…or a word list file (UTF-8 text).")

    def clean_charset(self):
        try:
            parse_charset(self.cleaned_data["charset"])
        except CharsetError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return self.cleaned_data["charset"]

    def lexicon_text(self) -> str:
        upload = self.cleaned_data.get("lexicon_file")
        if upload:
            return upload.read(2 * 1024 * 1024).decode("utf-8", errors="replace")
        return self.cleaned_data.get("lexicon", "")


class JobInline(admin.TabularInline):
    model = Job
    extra = 0
    can_delete = False
    fields = ["id", "status", "progress", "model_version_name", "created", "finished", "error"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ["id", "original_filename", "owner", "layout", "latest_status", "latest_text", "created"]
    list_filter = ["layout", "created"]
    search_fields = ["original_filename", "owner__username"]
    readonly_fields = ["owner", "image", "original_filename", "content_type", "size", "width", "height",
                       "created", "overlay_preview", "recognised_text"]
    fields = ["owner", "original_filename", "layout", "charset", "lexicon", "content_type", "size", "width",
              "height", "created", "recognised_text", "overlay_preview"]
    inlines = [JobInline]
    actions = ["reprocess"]

    def get_queryset(self, request):
        latest = Job.objects.filter(page=OuterRef("pk")).order_by("-created", "-id")
        return super().get_queryset(request).select_related("owner").annotate(
            _latest_status=Subquery(latest.values("status")[:1]),
            _latest_text=Subquery(latest.values("text")[:1]),
        )

    @admin.display(description="Latest job")
    def latest_status(self, page):
        return page._latest_status or "-"

    @admin.display(description="Text")
    def latest_text(self, page):
        text = (page._latest_text or "").replace("\n", " / ")
        return text[:80] + ("…" if len(text) > 80 else "")

    @admin.display(description="Recognised text")
    def recognised_text(self, page):
        job = selectors.latest_job(page)
        if job is None or job.status != Job.Status.SUCCEEDED:
            return f"(job {job.status})" if job else "-"
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', job.text or "(no text found)")

    @admin.display(description="Overlay")
    def overlay_preview(self, page):
        job = selectors.latest_job(page)
        if job is None or not job.overlay:
            return "-"
        url = reverse("job-overlay", args=[job.id])
        return format_html('<a href="{0}"><img src="{0}" style="max-width: 100%; max-height: 900px"></a>', url)

    @admin.action(description="Recognise again with the active model")
    def reprocess(self, request, queryset):
        for page in queryset:
            services.reprocess_page(page)
        self.message_user(request, f"Queued {queryset.count()} job(s).", messages.SUCCESS)

    def get_urls(self):
        custom = [path("upload/", self.admin_site.admin_view(self.upload_view), name="recognition_page_upload")]
        return custom + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:recognition_page_upload"))

    def upload_view(self, request):
        form = UploadPagesForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            created, rejected = 0, []
            lexicon = form.lexicon_text()
            for upload in form.cleaned_data["images"]:
                try:
                    services.create_page(owner=request.user, upload=upload, layout=form.cleaned_data["layout"],
                                         charset=form.cleaned_data["charset"], lexicon=lexicon)
                    created += 1
                except UploadRejected as exc:
                    rejected.append(f"{upload.name}: {exc.message}")
            if created:
                self.message_user(request, f"Uploaded {created} page(s); recognition is queued.", messages.SUCCESS)
            for line in rejected:
                self.message_user(request, line, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:recognition_page_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
                   "title": "Upload pages"}
        return TemplateResponse(request, "admin/recognition/page/upload.html", context)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "page", "status", "progress", "model_version_name", "created", "finished"]
    list_filter = ["status", "model_version_name"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "parent", "created"]
    readonly_fields = ["name", "path", "parent", "metrics", "data", "created"]
