"""Writes for pages and model versions: store an upload and queue its first job (a PDF or
multi-page TIFF through documents/services.py), queue a page again, register and
activate model versions. Jobs themselves are queued, claimed and recorded in jobs.py."""

from __future__ import annotations

import functools

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .documents import services as documents
from .documents.ground_truth import Transcription
from .jobs import QueueUnavailable, check_queue_room, queue_job
from .models import Job, ModelVersion, Page
from .pipeline import bundle, parse_charset
from .uploads import UploadRejected, inspect_image

FILENAME_MAX = Page._meta.get_field("original_filename").max_length


def create_page(*, owner, upload, layout: str = Page.Layout.PAGE, charset: str = "any", lexicon: str = "",
                ground_truth: Transcription | None = None, ground_truth_name: str = "",
                model_version: ModelVersion | None = None, callback_url: str = "") -> Page:
    """Store an uploaded image and queue its first recognition job, keeping the page's
    transcription as ground truth when one comes with it. A PDF or multi-page TIFF
    becomes a Document of pages, each with its own job: its first page is returned.
    `model_version` reads it instead of the active version; `callback_url` is told when
    the job (or, for a document, every page) has ended."""
    info = inspect_image(upload)
    try:
        parse_charset(charset)
    except ValueError as exc:
        raise UploadRejected(f"Invalid charset: {exc}", 400) from exc
    if documents.is_multipage(info):
        if ground_truth is not None:
            raise UploadRejected("Ground truth describes one page: send it for each page of the document to "
                                 "POST /api/pages/<id>/ground-truth/.", 400)
        document = documents.create_document(owner=owner, upload=upload, info=info, layout=layout,
                                             charset=charset, lexicon=lexicon, model_version=model_version,
                                             callback_url=callback_url)
        return document.pages.order_by("number").first()
    if ground_truth is not None:
        documents.fit_ground_truth(ground_truth, info.width, info.height)  # refuse before storing anything
    try:
        with transaction.atomic():
            check_queue_room(owner)
            page = _store_page(owner, upload, info, layout, charset, lexicon)
            if ground_truth is not None:
                documents.store_ground_truth(page, ground_truth, user=owner, filename=ground_truth_name)
            queue_job(page, model_version, callback_url)
    except QueueUnavailable:
        # Nothing was queued, so keep nothing: the client sends the page again later.
        page.image.delete(save=False)
        page.delete()
        raise
    return page


def _store_page(owner, upload, info, layout: str, charset: str, lexicon: str) -> Page:
    page = Page(
        owner=owner,
        original_filename=(getattr(upload, "name", "") or "")[:FILENAME_MAX],
        content_type=info.content_type,
        size=info.size,
        width=info.width,
        height=info.height,
        layout=layout,
        charset=charset or "any",
        lexicon=lexicon or "",
    )
    page.image.save(upload.name or "upload", upload, save=False)
    page.save()
    return page


def reprocess_page(page: Page, *, requested_by=None, model_version: ModelVersion | None = None,
                   layout: str | None = None) -> Job:
    """Queue a new job for the page with `model_version` (by default the active model),
    with a new `layout` when one is given; `requested_by` counts against that user's cap
    (the admin, reprocessing many pages, passes nobody)."""
    job = None
    try:
        with transaction.atomic():
            check_queue_room(requested_by)
            if layout and layout != page.layout:
                page.layout = layout
                page.save(update_fields=["layout"])
            job = queue_job(page, model_version)
    except QueueUnavailable:
        Job.objects.filter(pk=job.pk).delete()
        raise
    return job


def register_model_version(path, *, activate: bool = False, parent: ModelVersion | None = None) -> ModelVersion:
    """Record a model directory as a version (idempotent by name)."""
    info = bundle.read_model_info(path)
    meta = bundle.read_meta(path)
    with transaction.atomic():
        version, _ = ModelVersion.objects.update_or_create(
            name=info.version,
            defaults={"path": str(path), "metrics": meta.get("metrics", {}), "data": meta.get("data", {}),
                      "parent": parent},
        )
        if activate:
            activate_model_version(version)
    return version


def activate_model_version(version: ModelVersion) -> None:
    now = timezone.now()
    with transaction.atomic():
        ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
        ModelVersion.objects.filter(pk=version.pk).update(is_active=True, activated_at=now)
    version.is_active = True
    version.activated_at = now


def ensure_active_model() -> ModelVersion:
    """The active model version. The model shipped with the code becomes active when
    there is none yet; where an older version is active, the shipped one is recorded
    (so staff can choose it per job or activate it) and the active one stays."""
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is None:
        return register_model_version(settings.HWR_MODEL_DIR, activate=True)
    if not ModelVersion.objects.filter(name=_version_name(str(settings.HWR_MODEL_DIR))).exists():
        register_model_version(settings.HWR_MODEL_DIR)
    return active


@functools.lru_cache(maxsize=4)
def _version_name(path: str) -> str:
    return bundle.read_model_info(path).version
