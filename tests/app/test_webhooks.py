"""Webhooks: an upload or a batch may name a callback_url; when the job (or every page of
the document) has ended, a Celery task POSTs a JSON event signed with HMAC-SHA256 (the
owner's secret) to a real HTTP receiver on loopback, retrying with growing waits, and
every attempt shows in the API. URLs inside the network are refused unless allowed."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recognition.jobs import record_failure
from recognition.models import Document, Job, Page, WebhookDelivery
from recognition.tasks import deliver_webhook
from recognition.webhooks import services as webhooks
from tests.app.test_documents_api import finish
from tests.conftest import token_client
from tests.helpers.bad_files import gray_png
from tests.helpers.webhook_receiver import webhook_receiver
from tests.helpers.worker_process import running_worker, wait_for

pytestmark = pytest.mark.django_db


def verify(secret: str, body: bytes, header: str) -> bool:
    """How a receiver checks an event (as the README shows)."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


@pytest.fixture
def allow_loopback(settings):
    settings.HWR_WEBHOOK_ALLOW_PRIVATE = True
    settings.HWR_WEBHOOK_RETRY_DELAY = 0.1
    settings.HWR_WEBHOOK_TIMEOUT = 5.0


@pytest.fixture
def sent(monkeypatch) -> list[int]:
    """Deliveries queued once committed, not sent (the tests here deliver them themselves)."""
    queued: list[int] = []
    monkeypatch.setattr(webhooks, "send_delivery", lambda delivery_id, countdown=None: queued.append(delivery_id))
    return queued


@pytest.fixture
def fail(django_capture_on_commit_callbacks):
    """Fail a job as a worker would, running what waits for the commit."""
    def fail_job(job_id: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            record_failure(job_id, "unreadable")

    return fail_job


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "http://10.1.2.3/hook", "http://192.168.0.9/",
    "http://172.16.4.4/", "http://169.254.169.254/latest/meta-data", "http://[::1]/hook", "http://[fe80::1]/",
    "http://100.64.0.1/", "http://0.0.0.0/", "ftp://93.184.216.34/hook", "http://user:pw@93.184.216.34/hook",
])
def test_callback_urls_inside_the_network_are_refused(alice_client, upload, url):
    response = alice_client.post("/api/pages/", {"image": upload(), "callback_url": url}, format="multipart")
    assert response.status_code == 400, response.json()
    assert "callback_url" in response.json()
    assert Page.objects.count() == 0


def test_a_public_callback_url_is_kept_on_the_job(alice_client, upload):
    response = alice_client.post("/api/pages/", {"image": upload(), "callback_url": "http://93.184.216.34/hook"},
                                 format="multipart")
    assert response.status_code == 201
    assert Job.objects.get().callback_url == "http://93.184.216.34/hook"


def test_the_setting_allows_loopback_receivers(alice_client, upload, allow_loopback):
    response = alice_client.post("/api/pages/", {"image": upload(), "callback_url": "http://127.0.0.1:9/x"},
                                 format="multipart")
    assert response.status_code == 201


def test_a_failed_delivery_is_retried_until_it_passes(alice, alice_client, upload, allow_loopback, sent, fail):
    with webhook_receiver(statuses=[503, 500]) as receiver:
        page_id = alice_client.post("/api/pages/", {"image": upload(), "callback_url": receiver.url},
                                    format="multipart").json()["id"]
        job = Job.objects.get(page_id=page_id)
        fail(job.id)
        assert len(sent) == 1
        deliver_webhook.apply(args=[sent[0]])  # eager: its retries run in place
    assert len(receiver.requests) == 3
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and [a["status_code"] for a in delivery.attempts] == [503, 500, 200]
    body = alice_client.get(f"/api/webhook-deliveries/{delivery.id}/").json()
    assert [a["status_code"] for a in body["attempts"]] == [503, 500, 200]
    assert body["payload"]["status"] == "failed" and body["payload"]["job"]["error"] == "unreadable"
    assert [d["id"] for d in alice_client.get("/api/webhook-deliveries/", {"job": job.id}).json()["results"]] == [
        delivery.id]


def test_a_delivery_gives_up_after_its_attempts_and_times_out(alice, alice_client, upload, allow_loopback, sent,
                                                              settings, fail):
    settings.HWR_WEBHOOK_MAX_ATTEMPTS = 3
    settings.HWR_WEBHOOK_TIMEOUT = 0.5
    with webhook_receiver(statuses=[500, 500, 500, 500], delay=0.0) as receiver:
        alice_client.post("/api/pages/", {"image": upload(), "callback_url": receiver.url}, format="multipart")
        fail(Job.objects.get().id)
        deliver_webhook.apply(args=[sent[0]])
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and len(delivery.attempts) == 3 == len(receiver.requests)
    with webhook_receiver(delay=2.0) as slow:
        alice_client.post("/api/pages/", {"image": upload(), "callback_url": slow.url}, format="multipart")
        fail(Job.objects.latest("id").id)
        deliver_webhook.apply(args=[sent[1]])
    slow_delivery = WebhookDelivery.objects.get(pk=sent[1])
    assert slow_delivery.status == "failed"
    assert {a["error"] for a in slow_delivery.attempts} == {"No answer within 0.5 s."}
    assert all(a["ms"] < 1900 for a in slow_delivery.attempts)


def test_a_receiver_that_answers_400_is_not_retried(alice_client, upload, allow_loopback, sent, fail):
    with webhook_receiver(statuses=[400]) as receiver:
        alice_client.post("/api/pages/", {"image": upload(), "callback_url": receiver.url}, format="multipart")
        fail(Job.objects.get().id)
        deliver_webhook.apply(args=[sent[0]])
    assert len(receiver.requests) == 1 and WebhookDelivery.objects.get().status == "failed"


def test_an_address_that_became_private_is_refused_when_delivering(alice_client, upload, allow_loopback, sent,
                                                                    settings, fail):
    with webhook_receiver() as receiver:
        alice_client.post("/api/pages/", {"image": upload(), "callback_url": receiver.url}, format="multipart")
        settings.HWR_WEBHOOK_ALLOW_PRIVATE = False
        fail(Job.objects.get().id)
        deliver_webhook.apply(args=[sent[0]])
    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == [] and delivery.status == "failed" and len(delivery.attempts) == 1
    assert "loopback, private or link-local" in delivery.attempts[0]["error"]


def test_a_document_is_announced_once_every_page_has_ended(alice, alice_client, allow_loopback, sent,
                                                           django_capture_on_commit_callbacks):
    with webhook_receiver() as receiver:
        files = [SimpleUploadedFile("a.png", gray_png()), SimpleUploadedFile("b.png", gray_png())]
        with django_capture_on_commit_callbacks(execute=True):
            body = alice_client.post("/api/documents/", {"file": files, "callback_url": receiver.url},
                                     format="multipart").json()
        document = Document.objects.get(pk=body["id"])
        first, second = [Job.objects.get(page__document=document, page__number=n) for n in (1, 2)]
        assert not first.callback_url  # the document is told, not each page
        with django_capture_on_commit_callbacks(execute=True):
            finish(first, "AB")
        assert sent == []
        with django_capture_on_commit_callbacks(execute=True):
            record_failure(second.id, "unreadable")
        assert len(sent) == 1
        deliver_webhook.apply(args=[sent[0]])
    [request] = receiver.requests
    event = json.loads(request.body)
    assert event["event"] == "document.finished" and event["status"] == "failed"
    assert event["document"]["id"] == document.id and event["document"]["jobs"]["succeeded"] == 1
    assert event["result_url"] == f"/api/documents/{document.id}/"
    assert request.headers["X-HWR-Event"] == "document.finished"
    secret = alice_client.get("/api/webhooks/secret/").json()["secret"]
    assert verify(secret, request.body, request.headers["X-HWR-Signature"])


def test_the_secret_rotates_and_deliveries_are_private(alice, bob, alice_client, upload, allow_loopback, sent,
                                                       fail):
    first = alice_client.get("/api/webhooks/secret/").json()
    assert first["header"] == "X-HWR-Signature" and len(first["secret"]) == 64
    assert alice_client.get("/api/webhooks/secret/").json()["secret"] == first["secret"]
    rotated = alice_client.post("/api/webhooks/secret/")
    assert rotated.status_code == 201 and rotated.json()["secret"] != first["secret"]
    assert token_client(bob).get("/api/webhooks/secret/").json()["secret"] != rotated.json()["secret"]
    alice_client.post("/api/pages/", {"image": upload(), "callback_url": "http://127.0.0.1:9/"}, format="multipart")
    fail(Job.objects.get().id)
    delivery = WebhookDelivery.objects.get()
    assert token_client(bob).get(f"/api/webhook-deliveries/{delivery.id}/").status_code == 404
    assert token_client(bob).get("/api/webhook-deliveries/").json()["results"] == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.needs_redis
def test_a_worker_reads_the_page_and_the_receiver_gets_a_signed_event(alice_client, upload, settings, tmp_path):
    settings.HWR_WEBHOOK_ALLOW_PRIVATE = True
    env = {"HWR_WEBHOOK_ALLOW_PRIVATE": "1", "HWR_WEBHOOK_RETRY_DELAY": "0.2"}
    with webhook_receiver(statuses=[502]) as receiver, running_worker(tmp_path, env=env) as worker:
        response = alice_client.post("/api/pages/", {"image": upload(), "callback_url": receiver.url},
                                     format="multipart")
        assert response.status_code == 201, response.json()
        job_id = response.json()["job"]["id"]
        delivered = wait_for(lambda: WebhookDelivery.objects.filter(job_id=job_id, status="delivered").first(),
                             timeout=180)
        log = (tmp_path / "worker.log").read_text()
        assert worker.poll() is None, log[-3000:]
    assert delivered, log[-3000:]
    assert len(receiver.requests) == 2  # a 502 first, then delivered on the retry
    request = receiver.requests[-1]
    event = json.loads(request.body)
    assert (event["event"], event["status"], event["job"]["id"]) == ("job.finished", "succeeded", job_id)
    assert event["result_url"] == f"/api/jobs/{job_id}/" and event["delivery"] == delivered.id
    assert request.headers["X-HWR-Delivery"] == str(delivered.id)
    secret = alice_client.get("/api/webhooks/secret/").json()["secret"]
    assert verify(secret, request.body, request.headers["X-HWR-Signature"])
    assert not verify(secret, request.body + b" ", request.headers["X-HWR-Signature"])
    attempts = alice_client.get("/api/webhook-deliveries/", {"job": job_id}).json()["results"][0]["attempts"]
    assert [a["status_code"] for a in attempts] == [502, 200]
    assert alice_client.get(f"/api/jobs/{job_id}/").json()["status"] == "succeeded"


def test_a_job_failed_as_stale_is_announced_too(alice_client, upload, allow_loopback, sent,
                                                 django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from recognition import reaper

    alice_client.post("/api/pages/", {"image": upload(), "callback_url": "http://127.0.0.1:9/"}, format="multipart")
    Job.objects.update(status="running", started=timezone.now() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        reaper.reap()
    assert len(sent) == 1
    assert WebhookDelivery.objects.get(pk=sent[0]).payload["status"] == "failed"


@pytest.mark.django_db(transaction=True)
def test_two_pages_ending_at_once_announce_their_document_once(alice, alice_client, allow_loopback, sent,
                                                               monkeypatch):
    """Two workers record the last two pages at the same moment: each waits (up to 2 s)
    for the other before it counts the pages, as an unlucky schedule would have it."""
    import threading
    from contextlib import suppress

    from django.db import connection

    files = [SimpleUploadedFile("a.png", gray_png()), SimpleUploadedFile("b.png", gray_png())]
    body = alice_client.post("/api/documents/", {"file": files, "callback_url": "http://127.0.0.1:9/"},
                             format="multipart").json()
    jobs = list(Job.objects.filter(page__document_id=body["id"]).order_by("page__number"))
    barrier = threading.Barrier(2, timeout=2)
    counted = webhooks._all_pages_done

    def unlucky(document):
        with suppress(threading.BrokenBarrierError):
            barrier.wait()
        return counted(document)

    monkeypatch.setattr(webhooks, "_all_pages_done", unlucky)
    errors = []

    def worker(job):
        try:
            finish(job, "AB")
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    events = WebhookDelivery.objects.filter(document_id=body["id"])
    assert [e.event for e in events] == ["document.finished"] and len(sent) == 1
    assert events[0].payload["status"] == "succeeded"
