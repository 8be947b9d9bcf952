"""One client cannot flood the service: uploads and token requests are throttled (429
with Retry-After), and a user with HWR_MAX_ACTIVE_JOBS_PER_USER jobs waiting gets 429
until some finish. Staff are not capped."""

import pytest

from recognition import services
from recognition.models import Job, Page
from tests.conftest import token_client

pytestmark = pytest.mark.django_db


def rates(settings, **rates):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"uploads": "1000/min", "token": "1000/min", **rates}}


def test_uploads_past_the_rate_answer_429_with_retry_after(alice_client, bob_client, upload, settings):
    rates(settings, uploads="3/min")
    codes = [alice_client.post("/api/pages/", {"image": upload()}, format="multipart").status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    refused = alice_client.post("/api/pages/", {"image": upload()}, format="multipart")
    assert refused.status_code == 429 and "throttled" in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert Page.objects.count() == 3
    # Per user: someone else still gets through, and reading is not throttled.
    assert bob_client.post("/api/pages/", {"image": upload()}, format="multipart").status_code == 201
    assert alice_client.get("/api/jobs/").status_code == 200


def test_reprocess_counts_against_the_upload_rate(alice_client, upload, settings):
    rates(settings, uploads="2/min")
    page_id = alice_client.post("/api/pages/", {"image": upload()}, format="multipart").json()["id"]
    assert alice_client.post(f"/api/pages/{page_id}/reprocess/").status_code == 202
    assert alice_client.post(f"/api/pages/{page_id}/reprocess/").status_code == 429


def test_token_requests_past_the_rate_answer_429(alice, client, settings):
    rates(settings, token="2/min")
    codes = [client.post("/api/auth/token/", {"username": "alice", "password": "wrong"}).status_code
             for _ in range(3)]
    assert codes == [400, 400, 429]
    # The right password does not get around it either.
    assert client.post("/api/auth/token/", {"username": "alice", "password": "alice-pass-123"}).status_code == 429


def test_a_user_with_too_many_active_jobs_gets_429_until_one_finishes(alice_client, upload, settings):
    settings.HWR_MAX_ACTIVE_JOBS_PER_USER = 2
    assert [alice_client.post("/api/pages/", {"image": upload()}, format="multipart").status_code
            for _ in range(2)] == [201, 201]
    refused = alice_client.post("/api/pages/", {"image": upload()}, format="multipart")
    assert refused.status_code == 429
    assert "2 jobs queued or running; the limit is 2" in refused.json()["detail"]
    assert refused["Retry-After"]
    page_id = Page.objects.first().id
    assert alice_client.post(f"/api/pages/{page_id}/reprocess/").status_code == 429
    assert Page.objects.count() == 2 and Job.objects.count() == 2

    Job.objects.filter(pk=Job.objects.first().pk).update(status=Job.Status.SUCCEEDED)
    assert alice_client.post("/api/pages/", {"image": upload()}, format="multipart").status_code == 201


def test_the_cap_counts_each_users_jobs_and_spares_staff(alice_client, bob_client, staff, upload, settings):
    settings.HWR_MAX_ACTIVE_JOBS_PER_USER = 1
    assert alice_client.post("/api/pages/", {"image": upload()}, format="multipart").status_code == 201
    assert bob_client.post("/api/pages/", {"image": upload()}, format="multipart").status_code == 201
    staff_client = token_client(staff)
    assert [staff_client.post("/api/pages/", {"image": upload()}, format="multipart").status_code
            for _ in range(3)] == [201, 201, 201]


def test_the_admin_reprocessing_someone_elses_pages_is_not_capped(alice, upload, settings):
    settings.HWR_MAX_ACTIVE_JOBS_PER_USER = 1
    page = services.create_page(owner=alice, upload=upload())
    services.reprocess_page(page)
    assert page.jobs.count() == 2
