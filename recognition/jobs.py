"""A recognition job from queue to result: queue it (its task sent by name once the row
is committed), claim it in a worker, record its result or its failure, queue it again.
Page and document services both queue through here; the task's own state and progress
are task_reports.py's."""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .errors import Refusal
from .models import Glyph, Job, Line, ModelVersion, Page, Word
from .pipeline import PageResult
from .review.services import reapply_corrections
from .webhooks import services as webhooks

logger = logging.getLogger(__name__)

# Task names: the only thing a sender needs to know of a task (hwr_site/settings.py
# CELERY_TASK_ROUTES picks the queue by them).
RECOGNIZE_PAGE = "recognition.recognize_page"

LINE_TEXT_MAX = Line._meta.get_field("text").max_length
WORD_TEXT_MAX = Word._meta.get_field("text").max_length


class QueueFull(Refusal):
    """The user already has as many jobs queued or running as the settings allow."""

    status = 429


class QueueUnavailable(Refusal):
    """The broker did not take the task, even after retries; nothing was queued."""

    status = 503


class JobNotRetryable(Refusal):
    """Only a failed job can be queued again."""

    status = 409


def send_task(name: str, *args) -> None:
    """Send a task by its name with positional `args`; the queue comes from the routes in
    the settings alone. Where the task is registered (always, see apps.py) it is sent as
    the task itself, so CELERY_TASK_ALWAYS_EAGER runs it in place."""
    try:
        current_app.signature(name, args=args).apply_async()
    except (BrokerError, ConnectionError, OSError) as exc:
        logger.error("task %s%r could not be queued: %s", name, args, exc)
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


def queue_job(page: Page, model_version: ModelVersion | None = None, callback_url: str = "") -> Job:
    """Create a queued job; the task is sent only once the row is committed. A job
    given a model version is read with it, any other with the version active when it
    runs; a `callback_url` is told when it ends (webhooks/)."""
    job = Job.objects.create(page=page, model_version=model_version,
                             model_version_name=model_version.name if model_version else "",
                             callback_url=callback_url)
    transaction.on_commit(lambda: send_task(RECOGNIZE_PAGE, job.id))
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
            transaction.on_commit(lambda: send_task(RECOGNIZE_PAGE, job.pk))
    except QueueUnavailable:
        record_failure(job.pk, "The job could not be queued again: the job queue was unavailable. Retry it shortly.")
        raise
    job.refresh_from_db()
    return job


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
    return Job.objects.select_related("page", "model_version").get(pk=job_id)


@transaction.atomic
def record_result(job_id: int, result: PageResult, overlay_png: bytes, model_version: ModelVersion | None) -> Job:
    """Write all lines, words and characters of a finished job in one transaction.
    Earlier rows of the same job are replaced, so a second delivery writes nothing twice."""
    job = Job.objects.select_for_update().get(pk=job_id)
    Line.objects.filter(job=job).delete()
    lines = Line.objects.bulk_create(
        [
            Line(job=job, order=i, **_box(line.box), text=line.text[:LINE_TEXT_MAX], confidence=line.confidence,
                 polygon=_points(line.polygon), baseline=_points(line.baseline))
            for i, line in enumerate(result.lines)
        ]
    )
    word_rows, word_results = [], []
    for line_row, line in zip(lines, result.lines):
        for j, word in enumerate(line.words):
            word_rows.append(Word(line=line_row, order=j, **_box(word.box), text=word.text[:WORD_TEXT_MAX],
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
    webhooks.job_ended(job)
    return job


def record_failure(job_id: int, message: str) -> None:
    failed = Job.objects.filter(pk=job_id).exclude(status=Job.Status.SUCCEEDED).update(
        status=Job.Status.FAILED, error=message[:5000], finished=timezone.now()
    )
    if failed:
        webhooks.job_ended(Job.objects.select_related("page").get(pk=job_id))


def _box(box) -> dict:
    return {"x": box.x, "y": box.y, "w": box.w, "h": box.h}


def _points(points):
    return [list(p) for p in points] if points else None
