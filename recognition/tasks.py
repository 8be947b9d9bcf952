"""Thin Celery tasks: load by id, run the pipeline, hand the result to a service."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init

from . import selectors, services
from .pipeline import UnreadableImage, decode_image, encode_png, get_classifier, recognize_image, render_overlay

logger = logging.getLogger(__name__)


@worker_process_init.connect
def load_model_in_worker(**_kwargs) -> None:
    """Load the active model in each worker process, after the fork (TensorFlow
    hangs if it was started in the parent), so the first job is not slow."""
    try:
        version = services.ensure_active_model()
        get_classifier(version.path)._load()
    except Exception:  # the task will load it, or fail with a readable error
        logger.exception("could not preload the recognition model")


@shared_task(bind=True, name="recognition.recognize_page", acks_late=True, reject_on_worker_lost=True)
def recognize_page(self, job_id: int) -> None:
    job = services.start_job(job_id)
    if job is None:
        logger.info("job %s is already finished; nothing to do", job_id)
        return
    try:
        version = services.ensure_active_model()
        classifier = get_classifier(version.path)
        gray = decode_image(selectors.read_page_bytes(job.page))
        result = recognize_image(
            gray,
            classifier,
            selectors.recognition_options(job.page),
            progress=lambda p: services.record_progress(job_id, p),
        )
        overlay = encode_png(render_overlay(gray, result))
        services.record_result(job_id, result, overlay, version)
    except SoftTimeLimitExceeded:
        logger.warning("job %s hit its time limit", job_id)
        services.record_failure(job_id, "The job took longer than its time limit.")
    except UnreadableImage as exc:
        services.record_failure(job_id, f"The image could not be read: {exc}")
    except Exception as exc:
        logger.exception("job %s failed", job_id)
        services.record_failure(job_id, f"Recognition failed: {type(exc).__name__}: {exc}")
