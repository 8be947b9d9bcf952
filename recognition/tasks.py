"""Thin Celery tasks: load by id, run the pipeline or the trainer, hand the result to a
service. Each is known by its name (sent by name, routed by name in the settings); its
state is reported from Celery's signals and its progress through the callback it hands
on, both in task_reports.py."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import jobs, reaper, selectors, services, task_reports
from .pipeline import UnreadableImage, decode_image, encode_png, load_bundle, recognize_image, render_overlay
from .retraining import services as retraining
from .webhooks import services as webhooks

logger = logging.getLogger(__name__)

# The database refusing a connection for a moment: the whole task is retried with
# backoff (2, 4, 8 ... 60 s), and the next delivery takes the job over.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


@worker_process_init.connect
def load_model_in_worker(**_kwargs) -> None:
    """Load the active model in each worker process, after the fork (TensorFlow
    hangs if it was started in the parent), so the first job is not slow."""
    try:
        version = services.ensure_active_model()
        load_bundle(version.path).preload()
    except Exception:  # the task will load it, or fail with a readable error
        logger.exception("could not preload the recognition model")


@shared_task(bind=True, name=jobs.RECOGNIZE_PAGE, report_link="job", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=TRANSIENT_ERRORS, retry_backoff=2, retry_backoff_max=60, retry_jitter=True, max_retries=10)
def recognize_page(self, job_id: int) -> None:
    job = jobs.start_job(job_id)
    if job is None:
        logger.info("job %s is already finished; nothing to do", job_id)
        return
    reaper.reap()
    try:
        # The version the job was queued with, else the one active now.
        version = job.model_version or services.ensure_active_model()
        model = load_bundle(version.path)
        gray = decode_image(selectors.read_page_bytes(job.page))
        result = recognize_image(
            gray,
            model,
            selectors.recognition_options(job.page),
            progress=task_reports.job_progress(self.request.id, job_id),
        )
        overlay = encode_png(render_overlay(gray, result))
        jobs.record_result(job_id, result, overlay, version)
    except TRANSIENT_ERRORS:
        logger.warning("job %s: the database is unavailable; retrying", job_id, exc_info=True)
        raise
    except SoftTimeLimitExceeded:
        logger.warning("job %s hit its time limit", job_id)
        jobs.record_failure(job_id, "The job took longer than its time limit.")
    except UnreadableImage as exc:
        jobs.record_failure(job_id, f"The image could not be read: {exc}")
    except Exception as exc:
        logger.exception("job %s failed", job_id)
        jobs.record_failure(job_id, f"Recognition failed: {type(exc).__name__}: {exc}")


@shared_task(bind=True, name=webhooks.DELIVER_WEBHOOK, acks_late=True, max_retries=None,
             soft_time_limit=settings.HWR_WEBHOOK_TIMEOUT + 20, time_limit=settings.HWR_WEBHOOK_TIMEOUT + 30)
def deliver_webhook(self, delivery_id: int) -> None:
    """POST one webhook event; while it may pass (network errors, timeouts, 5xx, 429),
    retry with doubling waits, HWR_WEBHOOK_MAX_ATTEMPTS attempts in all."""
    attempt = self.request.retries + 1
    if webhooks.attempt_delivery(delivery_id, last_chance=attempt >= settings.HWR_WEBHOOK_MAX_ATTEMPTS):
        delay = min(settings.HWR_WEBHOOK_RETRY_DELAY * 2 ** (attempt - 1), settings.HWR_WEBHOOK_RETRY_DELAY_MAX)
        raise self.retry(countdown=delay)


# Not reported: beat sends it every minute, and its rows would bury the others.
@shared_task(name="recognition.fail_stale_jobs", ignore_result=True, reported=False)
def fail_stale_jobs() -> None:
    """The periodic sweep (the name is historical: it fails stale training runs too)."""
    reaper.reap()


# Not acks_late: a run lasts far longer than the broker's redelivery timeout, and a
# second worker must never start the same run. A run whose worker died is marked failed
# by the reaper once it is past its hard time limit.
@shared_task(bind=True, name=retraining.TRAIN_FROM_FEEDBACK, report_link="model_version", acks_late=False,
             soft_time_limit=settings.HWR_TRAINING_SOFT_TIME_LIMIT, time_limit=settings.HWR_TRAINING_TIME_LIMIT)
def train_from_feedback(self, version_id: int) -> None:
    from pathlib import Path

    from training.finetune import FinetuneConfig, finetune

    from .retraining import samples

    version = retraining.start_training(version_id)
    if version is None:
        logger.info("training run %s was already taken; nothing to do", version_id)
        return
    try:
        feedback, holdout, counts = samples.feedback_sets()
        words, word_holdout, word_counts = samples.word_feedback_sets()
        lines, line_holdout, line_counts = samples.line_feedback_sets()
        meta = finetune(
            Path(version.parent.path), Path(version.path), version.name, feedback, holdout,
            Path(settings.HWR_DATA_DIR) / "emnist" / "emnist-byclass.npz", FinetuneConfig(**version.options),
            progress=task_reports.training_progress(self.request.id, version_id),
            words=words, word_holdout=word_holdout, lines=lines, line_holdout=line_holdout,
        )
        retraining.finish_training(version_id, meta, {**counts, **word_counts, **line_counts})
    except SoftTimeLimitExceeded:
        logger.warning("training run %s hit its time limit", version_id)
        retraining.fail_training(version_id, "The training run took longer than its time limit.")
    except Exception as exc:
        logger.exception("training run %s failed", version_id)
        retraining.fail_training(version_id, f"Training failed: {type(exc).__name__}: {exc}")
