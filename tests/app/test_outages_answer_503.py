"""When the database or the broker is away for a moment the API answers a JSON 503 with
Retry-After (no stack trace, nothing half-made), and a worker retries the job with
backoff. The same faults with real processes: test_faults_with_real_processes.py."""

import pytest
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerError

from recognition import jobs, services
from recognition.models import Job, Page
from recognition.tasks import recognize_page


def broker_down(*args, **kwargs):
    raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.mark.django_db
def test_a_database_error_is_a_json_503(alice_client, monkeypatch):
    def refuse(user):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    monkeypatch.setattr("recognition.selectors.pages_visible_to", refuse)
    response = alice_client.get("/api/pages/")
    assert response.status_code == 503
    assert response.json() == {"detail": "The database is unavailable at the moment; try again shortly."}
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db(transaction=True)
def test_an_upload_the_broker_refuses_is_a_503_and_leaves_nothing(alice_client, upload, monkeypatch, settings):
    monkeypatch.setattr("recognition.tasks.recognize_page.apply_async", broker_down)
    response = alice_client.post("/api/pages/", {"image": upload()}, format="multipart")
    assert response.status_code == 503
    assert "queue is unavailable" in response.json()["detail"]
    assert not Page.objects.exists() and not Job.objects.exists()
    assert not list((settings.MEDIA_ROOT / "pages").glob("*"))


@pytest.mark.django_db(transaction=True)
def test_a_retry_the_broker_refuses_is_a_503_and_the_job_stays_failed(alice, alice_client, upload, monkeypatch):
    monkeypatch.setattr("recognition.tasks.recognize_page.apply_async", lambda *a, **k: None)
    job = services.create_page(owner=alice, upload=upload()).jobs.get()
    jobs.record_failure(job.id, "lost")
    monkeypatch.setattr("recognition.tasks.recognize_page.apply_async", broker_down)
    response = alice_client.post(f"/api/jobs/{job.id}/retry/")
    assert response.status_code == 503
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "queue was unavailable" in job.error


@pytest.mark.django_db
def test_a_worker_retries_a_job_when_the_database_refuses_for_a_moment(alice, upload, monkeypatch):
    job = services.create_page(owner=alice, upload=upload()).jobs.get()
    real_start, calls = jobs.start_job, []

    def flaky_start(job_id):
        calls.append(job_id)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_start(job_id)

    monkeypatch.setattr("recognition.jobs.start_job", flaky_start)
    recognize_page.apply(args=[job.id])
    job.refresh_from_db()
    assert calls == [job.id, job.id]
    assert job.status == Job.Status.SUCCEEDED
    assert recognize_page.retry_backoff and recognize_page.max_retries >= 5
