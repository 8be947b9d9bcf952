"""What the admin shows and does for documents, exports and ground truth: a document's
pages with their jobs, download links in every export format, the download itself, and
the page form's ground-truth field."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header

from ..exports import FORMATS, export_document, export_page
from ..models import Document, Page
from ..uploads import UploadRejected
from . import selectors
from . import services as document_services

FORMAT_LABELS = {"page": "PAGE XML", "alto": "ALTO", "hocr": "hOCR", "txt": "text", "json": "JSON"}


def download_links(kind: str, pk: int) -> str:
    """Links to the admin download of a page or document (`kind`) in every format."""
    url_name = f"admin:recognition_{kind}_export"
    return format_html_join(
        " · ", '<a href="{}">{}</a>',
        ((reverse(url_name, args=[pk, name]), FORMAT_LABELS.get(name, name)) for name in FORMATS),
    )


def download(model_admin, request, pk: int, format_name: str):
    """The export of a page or a document (the admin's model says which) as a download."""
    if format_name not in FORMATS:
        return HttpResponse(status=404)
    try:
        if model_admin.model is Document:
            export = export_document(selectors.document_export(get_object_or_404(Document, pk=pk)), format_name)
        else:
            export = export_page(selectors.page_export(get_object_or_404(Page, pk=pk)), format_name)
    except selectors.NothingToExport as exc:
        model_admin.message_user(request, str(exc), messages.ERROR)
        opts = model_admin.model._meta
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]))
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    return response


def progress_summary(document: Document) -> str:
    state = selectors.document_progress([job for _, job in selectors.pages_with_latest_jobs(document)])
    return f"{state['status']}: {state['pages_done']}/{document.page_count} pages done, {state['progress']}%"


def pages_table(document: Document) -> str:
    rows = format_html_join(
        "", '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (reverse("admin:recognition_page_change", args=[page.pk]), page.number, f"{page.width} x {page.height}",
             job.status if job else "-", f"{job.progress}%" if job else "-",
             (job.text or "")[:80].replace("\n", " / ") if job else "")
            for page, job in selectors.pages_with_latest_jobs(document)
        ),
    )
    return format_html('<table><tr><th>Page</th><th>Size</th><th>Latest job</th><th>Progress</th><th>Text</th></tr>'
                       '{}</table>', rows)


def ground_truth_summary(page: Page) -> str:
    truth = selectors.ground_truth_of(page)
    if truth is None:
        return "-"
    lines = truth.lines.count()
    who = f" by {truth.imported_by}" if truth.imported_by else ""
    return format_html('{} from {}, {} lines, imported {}{}<pre style="white-space: pre-wrap">{}</pre>',
                       truth.get_format_display(), truth.original_filename or "-", lines,
                       truth.created.strftime("%Y-%m-%d %H:%M"), who, truth.text[:2000])


class PageAdminForm(forms.ModelForm):
    """The page form, plus a transcription to import as the page's ground truth."""

    ground_truth_file = forms.FileField(
        required=False, label="Import ground truth",
        help_text="ALTO or PAGE XML transcription of this page (eScriptorium, Transkribus, kraken); replaces any "
                  "earlier one.",
    )

    class Meta:
        model = Page
        fields = ["layout", "charset", "lexicon"]

    def clean_ground_truth_file(self):
        upload = self.cleaned_data.get("ground_truth_file")
        if not upload:
            return None
        try:
            transcription = document_services.read_ground_truth(upload)
            document_services.fit_ground_truth(transcription, self.instance.width, self.instance.height)
        except UploadRejected as exc:
            raise forms.ValidationError(exc.message) from exc
        return upload.name, transcription

    def save_ground_truth(self, user) -> None:
        if self.cleaned_data.get("ground_truth_file"):
            name, transcription = self.cleaned_data["ground_truth_file"]
            document_services.store_ground_truth(self.instance, transcription, user=user, filename=name)
