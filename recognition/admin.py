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
from .documents import admin_views as document_views
from .errors import Refusal
from .models import Document, Job, LabeledSample, ModelVersion, Page, TaskReport
from .pipeline import CharsetError, parse_charset
from .retraining import admin_views as retraining_views


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
    images = MultipleFileField(help_text="One or many PNG, JPEG or TIFF scans, or PDFs: each page of a PDF or of a "
                                         "multi-page TIFF becomes a page, grouped in a document.")
    layout = forms.ChoiceField(choices=Page.Layout.choices, initial=Page.Layout.PAGE)
    charset = forms.CharField(initial="any", max_length=Page._meta.get_field("charset").max_length,
                              help_text=Page._meta.get_field("charset").help_text)
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
    list_display = ["id", "original_filename", "owner", "layout", "latest_status", "latest_text", "created",
                    "review_link"]
    list_filter = ["layout", "created"]
    search_fields = ["original_filename", "owner__username"]
    readonly_fields = ["owner", "image", "original_filename", "content_type", "size", "width", "height",
                       "created", "overlay_preview", "recognised_text", "review_link", "document_link", "downloads",
                       "ground_truth_summary"]
    fields = ["owner", "original_filename", "document_link", "layout", "charset", "lexicon", "content_type", "size",
              "width", "height", "created", "review_link", "downloads", "recognised_text", "overlay_preview",
              "ground_truth_summary", "ground_truth_file"]
    form = document_views.PageAdminForm
    inlines = [JobInline]
    actions = ["reprocess"]

    def get_search_results(self, request, queryset, search_term):
        """File name and owner as usual, or the pages' text by the API's full-text search."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            found = found | selectors.pages_matching(queryset, search_term)
        return found, may_have_duplicates

    @admin.display(description="Document")
    def document_link(self, page):
        if page.document_id is None:
            return "-"
        url = reverse("admin:recognition_document_change", args=[page.document_id])
        return format_html('<a href="{}">{}</a>, page {}', url, page.document, page.number)

    @admin.display(description="Download the result")
    def downloads(self, page):
        return document_views.download_links("page", page.pk) if page.pk else "-"

    @admin.display(description="Ground truth")
    def ground_truth_summary(self, page):
        return document_views.ground_truth_summary(page)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        form.save_ground_truth(request.user)

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

    @admin.display(description="Review")
    def review_link(self, page):
        return format_html('<a href="{}">Review and correct</a>', reverse("review-page", args=[page.pk]))

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
        export = self.admin_site.admin_view(lambda r, pk, format_name: document_views.download(self, r, pk,
                                                                                                   format_name))
        custom = [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="recognition_page_upload"),
            path("<int:pk>/export/<str:format_name>/", export, name="recognition_page_export"),
        ]
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
                    page = services.create_page(owner=request.user, upload=upload,
                                                layout=form.cleaned_data["layout"],
                                                charset=form.cleaned_data["charset"], lexicon=lexicon)
                    created += page.document.page_count if page.document_id else 1
                except Refusal as exc:  # a bad file, or a queue away for a moment
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


@admin.register(TaskReport)
class TaskReportAdmin(admin.ModelAdmin):
    """Every Celery task as it ran (read only: Celery's signals write these)."""

    list_display = ["task_id", "name", "state", "progress", "stage", "attempt", "job", "model_version", "started",
                    "finished"]
    list_filter = ["state", "name"]
    search_fields = ["task_id"]
    readonly_fields = [f.name for f in TaskReport._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    """Versions with their training progress and figures; retrain from the corrections,
    activate a version by hand, or roll back to the one active before."""

    list_display = ["name", "status", "is_active", "parent", "training_progress", "emnist_accuracy",
                    "feedback_accuracy", "created"]
    list_filter = ["status", "is_active"]
    readonly_fields = ["name", "path", "parent", "status", "is_active", "training_progress", "activation_note",
                       "error", "figures", "metrics", "data", "options", "progress", "requested_by", "created",
                       "started", "finished", "activated_at"]
    actions = ["retrain_from_feedback", "activate_version"]
    change_list_template = "admin/recognition/modelversion/change_list.html"

    def has_add_permission(self, request):
        return False

    @admin.display(description="Progress")
    def training_progress(self, version):
        return retraining_views.progress_summary(version)

    @admin.display(description="EMNIST held-out (62)")
    def emnist_accuracy(self, version):
        value = (version.metrics or {}).get("test_accuracy_62")
        return f"{value:.2%}" if isinstance(value, float) else "-"

    @admin.display(description="Held-out corrections")
    def feedback_accuracy(self, version):
        value = (version.metrics or {}).get("feedback_holdout", {}).get("accuracy")
        return f"{value:.2%}" if isinstance(value, float) else "-"

    @admin.display(description="Training curves and confusion")
    def figures(self, version):
        return retraining_views.figures_html(version)

    @admin.action(description="Retrain the active model from all corrections (any selection)")
    def retrain_from_feedback(self, request, queryset):
        retraining_views.queue_from_admin(self, request)

    @admin.action(description="Activate the selected version")
    def activate_version(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to activate.", messages.ERROR)
            return
        retraining_views.activate_from_admin(self, request, queryset.get())

    def get_urls(self):
        view = self.admin_site.admin_view
        custom = [
            path("retrain/", view(lambda r: retraining_views.post_only(r, self, retraining_views.queue_from_admin)),
                 name="recognition_modelversion_retrain"),
            path("rollback/", view(lambda r: retraining_views.post_only(r, self, retraining_views.rollback_from_admin)),
                 name="recognition_modelversion_rollback"),
        ]
        return custom + super().get_urls()


@admin.register(LabeledSample)
class LabeledSampleAdmin(admin.ModelAdmin):
    """Reviewers' corrections with their provenance; read-only (they are made on the review page)."""

    list_display = ["id", "kind", "source", "old_text", "new_text", "page", "job", "model_version_name",
                    "created_by", "created", "superseded", "holdout"]
    list_filter = ["kind", "source", "superseded", "holdout", "model_version_name"]
    search_fields = ["old_text", "new_text", "created_by__username"]
    readonly_fields = [f.name for f in LabeledSample._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Multi-page uploads (PDF, multi-page TIFF): progress across their pages, each page's
    latest job, and the whole document's results as a download. Upload them with pages."""

    list_display = ["id", "original_filename", "owner", "page_count", "progress", "created"]
    search_fields = ["original_filename", "owner__username"]
    readonly_fields = ["owner", "original_filename", "content_type", "size", "page_count", "created", "progress",
                       "downloads", "pages_table"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    @admin.display(description="Progress")
    def progress(self, document):
        return document_views.progress_summary(document)

    @admin.display(description="Download the results")
    def downloads(self, document):
        return document_views.download_links("document", document.pk)

    @admin.display(description="Pages")
    def pages_table(self, document):
        return document_views.pages_table(document)

    def get_urls(self):
        view = self.admin_site.admin_view(lambda r, pk, format_name: document_views.download(self, r, pk, format_name))
        return [path("<int:pk>/export/<str:format_name>/", view, name="recognition_document_export"),
                *super().get_urls()]
