"""Every write: pages and their jobs, job state, results, model registration."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .documents.ground_truth import Transcription
from .models import Glyph, Job, Line, ModelVersion, Page, Word
from .pipeline import PageResult, parse_charset
from .pipeline.classify import read_model_info
from .review.services import reapply_corrections
from .uploads import UploadRejected, inspect_image

logger = logging.getLogger(__name__)


class QueueFull(Exception):
    """The user already has as many jobs queued or running as the settings allow (429)."""


class QueueUnavailable(Exception):
    """The broker did not take the job, even after retries; nothing was queued (503)."""


class JobNotRetryable(Exception):
    """Only a failed job can be queued again (409)."""


def create_page(*, owner, upload, layout: str = Page.Layout.PAGE, charset: str = "any", lexicon: str = "",
                ground_truth: Transcription | None = None, ground_truth_name: str = "") -> Page:
    """Store an uploaded image and queue its first recognition job, keeping the page's
    transcription as ground truth when one comes with it. A PDF or multi-page TIFF
    becomes a Document of pages, each with its own job: its first page is returned."""
    from .documents import services as documents

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
                                             charset=charset, lexicon=lexicon)
        return document.pages.order_by("number").first()
    if ground_truth is not None:
        documents.fit_ground_truth(ground_truth, info.width, info.height)  # refuse before storing anything
    try:
        with transaction.atomic():
            check_queue_room(owner)
            page = _store_page(owner, upload, info, layout, charset, lexicon)
            if ground_truth is not None:
                documents.store_ground_truth(page, ground_truth, user=owner, filename=ground_truth_name)
            queue_job(page)
    except QueueUnavailable:
        # Nothing was queued, so keep nothing: the client sends the page again later.
        page.image.delete(save=False)
        page.delete()
        raise
    return page


def _store_page(owner, upload, info, layout: str, charset: str, lexicon: str) -> Page:
    page = Page(
        owner=owner,
        original_filename=(getattr(upload, "name", "") or "")[:255],
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


def queue_job(page: Page) -> Job:
    """Create a queued job; the task is sent only once the row is committed."""
    job = Job.objects.create(page=page)
    transaction.on_commit(lambda: send_job(job.id))
    return job


def send_job(job_id: int) -> None:
    """Hand a job to the broker (Celery retries with backoff for a few seconds first)."""
    from .tasks import recognize_page

    try:
        recognize_page.apply_async(args=[job_id], queue=settings.HWR_RECOGNITION_QUEUE)
    except (BrokerError, ConnectionError, OSError) as exc:
        logger.error("job %s could not be queued: %s", job_id, exc)
        raise QueueUnavailable("The job queue is unavailable at the moment; try again shortly.") from exc


def check_queue_room(user, needed: int = 1) -> None:
    """Refuse more work for a user who already has HWR_MAX_ACTIVE_JOBS_PER_USER jobs
    queued or running, so one client cannot flood the queue; `needed` is the number of
    jobs about to be queued (one per page of a document). Call inside a transaction:
    the user's row is locked so parallel requests count one after another."""
    if user is None or user.is_staff:
        return
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
    limit = settings.HWR_MAX_ACTIVE_JOBS_PER_USER
    active = Job.objects.filter(page__owner=user, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).count()
    if active + needed > limit:
        adding = f" and this upload would add {needed}" if needed > 1 else ""
        raise QueueFull(f"You have {active} jobs queued or running{adding}; the limit is {limit}. "
                        "Send more when some have finished.")


def start_job(job_id: int) -> Job | None:
    """Claim a job for this worker. A job already finished is not run again (a
    redelivered message must not redo it); a job left `running` by a worker that
    died is taken over."""
    with transaction.atomic():
        claimed = Job.objects.filter(pk=job_id, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).update(
            status=Job.Status.RUNNING, started=timezone.now(), progress=0, attempts=F("attempts") + 1
        )
    if not claimed:
        return None
    return Job.objects.select_related("page").get(pk=job_id)


def record_progress(job_id: int, progress: int) -> None:
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(progress=max(0, min(99, int(progress))))


@transaction.atomic
def record_result(job_id: int, result: PageResult, overlay_png: bytes, model_version: ModelVersion | None) -> Job:
    """Write all lines, words and characters of a finished job in one transaction.
    Earlier rows of the same job are replaced, so a second delivery writes nothing twice."""
    job = Job.objects.select_for_update().get(pk=job_id)
    Line.objects.filter(job=job).delete()
    lines = Line.objects.bulk_create(
        [
            Line(job=job, order=i, **_box(line.box), text=line.text[:2000], confidence=line.confidence,
                 polygon=_points(line.polygon), baseline=_points(line.baseline))
            for i, line in enumerate(result.lines)
        ]
    )
    word_rows, word_results = [], []
    for line_row, line in zip(lines, result.lines):
        for j, word in enumerate(line.words):
            word_rows.append(Word(line=line_row, order=j, **_box(word.box), text=word.text[:2000],
                                  confidence=word.confidence))
            word_results.append(word)
    words = Word.objects.bulk_create(word_rows)
    Glyph.objects.bulk_create(
        [
            Glyph(word=word_row, order=k, **_box(ch.box), text=ch.text, confidence=ch.confidence,
                  alternatives=[[label, round(p, 4)] for label, p in ch.alternatives])
            for word_row, word in zip(words, word_results)
            for k, ch in enumerate(word.chars)
        ]
    )
    if job.overlay:
        job.overlay.delete(save=False)
    job.overlay.save(f"job-{job.pk}.png", ContentFile(overlay_png), save=False)
    job.status = Job.Status.SUCCEEDED
    job.progress = 100
    job.error = ""
    job.text = result.text
    job.confidence = result.confidence
    job.timings = result.timings
    job.model_version = model_version
    job.model_version_name = result.model_version
    job.finished = timezone.now()
    job.save()
    # A page read again keeps its reviewers' corrections (see review/services.py).
    if reapply_corrections(job):
        job.refresh_from_db(fields=["text"])
    return job


def record_failure(job_id: int, message: str) -> None:
    Job.objects.filter(pk=job_id).exclude(status=Job.Status.SUCCEEDED).update(
        status=Job.Status.FAILED, error=message[:5000], finished=timezone.now()
    )


def reprocess_page(page: Page, *, requested_by=None) -> Job:
    """Queue a new job for the page with the active model; `requested_by` counts
    against that user's cap (the admin, reprocessing many pages, passes nobody)."""
    job = None
    try:
        with transaction.atomic():
            check_queue_room(requested_by)
            job = queue_job(page)
    except QueueUnavailable:
        Job.objects.filter(pk=job.pk).delete()
        raise
    return job


def retry_job(job: Job, *, requested_by=None) -> Job:
    """Queue a failed job again, under the same id."""
    try:
        with transaction.atomic():
            check_queue_room(requested_by)
            reset = Job.objects.filter(pk=job.pk, status=Job.Status.FAILED).update(
                status=Job.Status.QUEUED, progress=0, error="", started=None, finished=None
            )
            if not reset:
                raise JobNotRetryable(f"Only a failed job can be retried; job {job.pk} is {job.status}.")
            transaction.on_commit(lambda: send_job(job.pk))
    except QueueUnavailable:
        record_failure(job.pk, "The job could not be queued again: the job queue was unavailable. Retry it shortly.")
        raise
    job.refresh_from_db()
    return job


def register_model_version(path, *, activate: bool = False, parent: ModelVersion | None = None) -> ModelVersion:
    """Record a model directory as a version (idempotent by name)."""
    info = read_model_info(path)
    meta = json.loads((Path(path) / "meta.json").read_text())
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
    """The active model version; the model shipped with the code becomes active when
    there is none yet."""
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is not None:
        return active
    return register_model_version(settings.HWR_MODEL_DIR, activate=True)


def _box(box) -> dict:
    return {"x": box.x, "y": box.y, "w": box.w, "h": box.h}


def _points(points):
    return [list(p) for p in points] if points else None
