"""Writes for webhooks: a user's signing secret; an event recorded when a job or a whole
document ends and its delivery task queued once that is committed; each attempt
recorded, and whether to try again."""

from __future__ import annotations

import json
import logging
import secrets

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from ..documents.selectors import document_progress, pages_with_latest_jobs
from ..models import Document, Job, WebhookDelivery, WebhookSecret
from . import delivery

logger = logging.getLogger(__name__)

DELIVER_WEBHOOK = "recognition.deliver_webhook"
DONE = (Job.Status.SUCCEEDED, Job.Status.FAILED)


def secret_for(user) -> WebhookSecret:
    """The user's signing secret, made the first time it is asked for."""
    found, _ = WebhookSecret.objects.get_or_create(user=user, defaults={"secret": secrets.token_hex(32)})
    return found


@transaction.atomic
def rotate_secret(user) -> WebhookSecret:
    found = secret_for(user)
    found.secret = secrets.token_hex(32)
    found.save()
    return found


def absolute(path: str) -> str:
    return settings.HWR_PUBLIC_URL.rstrip("/") + path


def job_ended(job: Job) -> None:
    """A job has ended: its own callback, and its document's once every page has."""
    if job.callback_url:
        _record(WebhookDelivery.Event.JOB_FINISHED, job.page.owner, job.callback_url, job_event(job), job=job)
    document_id = job.page.document_id
    if document_id:
        with transaction.atomic():
            # Locked, so two pages ending at once in two workers are counted one after
            # the other: the second sees the first's job ended, and the event goes once.
            document = Document.objects.select_for_update().filter(pk=document_id).exclude(callback_url="").first()
            if document is not None and _all_pages_done(document):
                _record(WebhookDelivery.Event.DOCUMENT_FINISHED, document.owner, document.callback_url,
                        document_event(document), document=document)


def job_event(job: Job) -> dict:
    return {
        "event": WebhookDelivery.Event.JOB_FINISHED.value,
        "status": job.status,
        "job": {"id": job.pk, "status": job.status, "error": job.error, "model_version": job.model_version_name,
                "url": absolute(reverse("job-detail", args=[job.pk]))},
        "page": {"id": job.page_id, "url": absolute(reverse("page-detail", args=[job.page_id]))},
        "document": None,
        "result_url": absolute(reverse("job-detail", args=[job.pk])),
    }


def document_event(document: Document) -> dict:
    progress = document_progress([job for _, job in pages_with_latest_jobs(document)])
    url = absolute(reverse("document-detail", args=[document.pk]))
    return {
        "event": WebhookDelivery.Event.DOCUMENT_FINISHED.value,
        "status": progress["status"],
        "job": None,
        "page": None,
        "document": {"id": document.pk, "url": url, "page_count": document.page_count, "jobs": progress["jobs"]},
        "result_url": url,
    }


def _all_pages_done(document: Document) -> bool:
    return all(job is not None and job.status in DONE for _, job in pages_with_latest_jobs(document))


def _record(event: str, owner, url: str, payload: dict, **about) -> WebhookDelivery:
    with transaction.atomic():
        found = WebhookDelivery.objects.create(owner=owner, event=event, url=url, payload=payload, **about)
        # The id and time go into the signed body, so a receiver can drop a repeat.
        found.payload = {**payload, "delivery": found.pk, "created": found.created.isoformat()}
        found.save(update_fields=["payload"])
        transaction.on_commit(lambda: send_delivery(found.pk))
    return found


def send_delivery(delivery_id: int, countdown: float | None = None) -> None:
    """Queue the delivery task by name. A broker that is away fails the delivery with the
    reason; the job's own result is not touched."""
    try:
        current_app.signature(DELIVER_WEBHOOK, args=(delivery_id,)).apply_async(countdown=countdown)
    except (BrokerError, ConnectionError, OSError) as exc:
        logger.error("webhook delivery %s could not be queued: %s", delivery_id, exc)
        _finish(delivery_id, WebhookDelivery.Status.FAILED,
                {"at": timezone.now().isoformat(), "status_code": None, "error": "The task queue was unavailable.",
                 "ms": 0})


def body_of(found: WebhookDelivery) -> bytes:
    return json.dumps(found.payload, separators=(",", ":"), sort_keys=True).encode()


def attempt_delivery(delivery_id: int, *, last_chance: bool) -> bool:
    """POST the event once and record the attempt; True when it is worth trying again
    (and this was not the last chance). A delivery already finished is not sent again."""
    found = WebhookDelivery.objects.select_related("owner").filter(pk=delivery_id).first()
    if found is None or found.status != WebhookDelivery.Status.PENDING:
        return False
    body = body_of(found)
    headers = {
        delivery.SIGNATURE_HEADER: delivery.signature(secret_for(found.owner).secret, body),
        delivery.EVENT_HEADER: found.event,
        delivery.DELIVERY_HEADER: str(found.pk),
    }
    attempt = delivery.post_event(found.url, body, headers, timeout=settings.HWR_WEBHOOK_TIMEOUT,
                                  allow_private=settings.HWR_WEBHOOK_ALLOW_PRIVATE)
    record = {"at": timezone.now().isoformat(), "status_code": attempt.status_code, "error": attempt.error,
              "ms": attempt.ms}
    if attempt.delivered:
        _finish(delivery_id, WebhookDelivery.Status.DELIVERED, record)
        return False
    again = attempt.worth_retrying and not last_chance
    _finish(delivery_id, WebhookDelivery.Status.PENDING if again else WebhookDelivery.Status.FAILED, record)
    logger.info("webhook delivery %s to %s: %s%s", delivery_id, found.url, attempt.error,
                "; will retry" if again else "")
    return again


@transaction.atomic
def _finish(delivery_id: int, status: str, attempt: dict) -> None:
    found = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if found is None:
        return
    found.attempts = [*found.attempts, attempt]
    found.status = status
    if status != WebhookDelivery.Status.PENDING:
        found.finished = timezone.now()
    found.save(update_fields=["attempts", "status", "finished"])
