"""Writes for documents and ground truth: split a multi-page upload into pages, each with
its own queued job; store the transcription a user brings with a page."""

from __future__ import annotations

import logging
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from ..jobs import QueueUnavailable, check_queue_room, queue_job
from ..models import Document, GroundTruth, GroundTruthLine, Job, ModelVersion, Page
from ..uploads import ImageInfo, UploadRejected, check_dimensions
from . import multipage
from .ground_truth import GroundTruthError, Transcription, parse_transcription

logger = logging.getLogger(__name__)

PDF = "application/pdf"

DOCUMENT_NAME_MAX = Document._meta.get_field("original_filename").max_length
TRUTH_NAME_MAX = GroundTruth._meta.get_field("original_filename").max_length
LINE_KIND_MAX = GroundTruthLine._meta.get_field("kind").max_length


def is_multipage(info: ImageInfo) -> bool:
    """A PDF (of any length) or a TIFF of several pages becomes a document."""
    return info.content_type == PDF or info.pages > 1


def create_document(*, owner, upload, info: ImageInfo, layout: str, charset: str, lexicon: str,
                    model_version: ModelVersion | None = None, callback_url: str = "") -> Document:
    """Split a PDF or multi-page TIFF into pages, each stored as a gray PNG with its own
    queued job, grouped in one document. Pages are rendered and stored before any row is
    written, so the database is held only for the short insert; on any failure nothing is
    kept."""
    name = (getattr(upload, "name", "") or "")[:DOCUMENT_NAME_MAX]
    stem = PurePath(name).stem[:100] or "document"
    with transaction.atomic():
        check_queue_room(owner, needed=info.pages)  # before the work of rendering
    upload.seek(0)
    data = upload.read()
    pages: list[Page] = []
    document = None
    try:
        for image in multipage.split_pages(data, "PDF" if info.content_type == PDF else "TIFF",
                                           dpi=settings.HWR_PDF_DPI, max_pixels=settings.HWR_PDF_MAX_PIXELS,
                                           check_size=check_dimensions):
            page = Page(owner=owner, number=image.number, original_filename=f"{stem}-p{image.number:03d}.png",
                        content_type="image/png", size=len(image.png), width=image.width, height=image.height,
                        layout=layout, charset=charset or "any", lexicon=lexicon or "")
            page.image.save(f"{stem}.png", ContentFile(image.png), save=False)
            pages.append(page)
        with transaction.atomic():
            check_queue_room(owner, needed=len(pages))
            document = Document.objects.create(owner=owner, original_filename=name, content_type=info.content_type,
                                               size=info.size, page_count=len(pages), callback_url=callback_url)
            for page in pages:
                page.document = document
                page.save()
                queue_job(page, model_version)
    except multipage.DocumentUnreadable as exc:
        _discard(pages, document)
        raise UploadRejected(f"The document cannot be read: {exc}.", 400) from exc
    except BaseException:
        # QueueUnavailable comes after the commit: the rows go too, and the client sends
        # the document again later.
        _discard(pages, document)
        raise
    return document


def reprocess_document(document: Document, *, requested_by=None, model_version: ModelVersion | None = None,
                       layout: str | None = None, layouts: dict[int, str] | None = None) -> list[Job]:
    """Queue a new job for every page of the document, with `model_version` (by default
    the active one). `layout` applies to every page, `layouts` ({page number: layout})
    to single pages over it (a form on page 2 of a PDF of letters); pages keep their own
    layout otherwise."""
    layouts = layouts or {}
    pages = list(document.pages.order_by("number"))
    missing = sorted(set(layouts) - {page.number for page in pages})
    if missing:
        raise UploadRejected(f"Document {document.pk} has pages 1-{len(pages)}; it has no page "
                             f"{', '.join(map(str, missing))}.", 400)
    queued: list[Job] = []
    try:
        with transaction.atomic():
            check_queue_room(requested_by, needed=len(pages))
            for page in pages:
                wanted = layouts.get(page.number) or layout
                if wanted and wanted != page.layout:
                    page.layout = wanted
                    page.save(update_fields=["layout"])
                queued.append(queue_job(page, model_version))
    except QueueUnavailable:
        Job.objects.filter(pk__in=[job.pk for job in queued]).delete()
        raise
    return queued


def _discard(pages: list[Page], document: Document | None) -> None:
    if document is not None and document.pk:
        Document.objects.filter(pk=document.pk).delete()
    for page in pages:
        if page.image.name:
            page.image.storage.delete(page.image.name)


def read_ground_truth(upload) -> Transcription:
    """Parse an uploaded ALTO or PAGE XML file; UploadRejected (400, 413) when it is not one."""
    size = getattr(upload, "size", None) or 0
    if size > settings.HWR_MAX_UPLOAD_BYTES:
        raise UploadRejected(f"The ground truth file is {size} bytes; the limit is {settings.HWR_MAX_UPLOAD_BYTES}.",
                             413)
    upload.seek(0)
    try:
        return parse_transcription(upload.read())
    except GroundTruthError as exc:
        raise UploadRejected(str(exc), 400) from exc


def fit_ground_truth(transcription: Transcription, width: int, height: int) -> Transcription:
    """The transcription in the pixels of a `width` x `height` page; 400 when it cannot fit."""
    try:
        return transcription.scaled_to(width, height)
    except GroundTruthError as exc:
        raise UploadRejected(str(exc), 400) from exc


@transaction.atomic
def store_ground_truth(page: Page, transcription: Transcription, *, user=None, filename: str = "") -> GroundTruth:
    """Keep a transcription as the page's ground truth, replacing any earlier one."""
    fitted = fit_ground_truth(transcription, page.width, page.height)
    GroundTruth.objects.filter(page=page).delete()
    truth = GroundTruth.objects.create(page=page, format=fitted.format, original_filename=filename[:TRUTH_NAME_MAX],
                                       text=fitted.text, imported_by=user)
    GroundTruthLine.objects.bulk_create([
        GroundTruthLine(ground_truth=truth, order=i, x=line.bbox[0], y=line.bbox[1], w=line.bbox[2], h=line.bbox[3],
                        text=line.text, polygon=line.polygon, baseline=line.baseline, kind=line.kind[:LINE_KIND_MAX],
                        words=[{"bbox": w.bbox, "text": w.text} for w in line.words])
        for i, line in enumerate(fitted.lines)
    ])
    logger.info("page %s: ground truth imported (%s, %d lines)", page.pk, fitted.format, len(fitted.lines))
    return truth


def import_ground_truth(page: Page, upload, *, user=None) -> GroundTruth:
    transcription = read_ground_truth(upload)
    return store_ground_truth(page, transcription, user=user, filename=getattr(upload, "name", "") or "")

