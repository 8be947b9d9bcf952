"""POST /api/pages/ stores the page, queues a job after commit, and answers with the
documented shape; pages and jobs read back as documented."""

import pytest

from recognition.models import Job, Page

pytestmark = pytest.mark.django_db


def test_upload_answers_201_with_page_and_queued_job(alice_client, upload, django_capture_on_commit_callbacks,
                                                     monkeypatch):
    sent = []
    monkeypatch.setattr("recognition.tasks.recognize_page.apply_async", lambda args, *_a, **_k: sent.append(list(args)))
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post("/api/pages/", {"image": upload()}, format="multipart")
    assert response.status_code == 201
    body = response.json()
    page = Page.objects.get()
    job = Job.objects.get()
    assert body == {"id": page.id, "job": {"id": job.id, "status": "queued", "url": f"/api/jobs/{job.id}/"}}
    assert sent == [[job.id]]  # queued only once the transaction committed


def test_upload_stores_charset_lexicon_and_layout(alice_client, upload):
    response = alice_client.post(
        "/api/pages/", {"image": upload(), "layout": "word", "charset": "A-Z -", "lexicon": "MARTIN\nDUPONT"},
        format="multipart",
    )
    assert response.status_code == 201
    page = Page.objects.get()
    assert (page.layout, page.charset, page.lexicon) == ("word", "A-Z -", "MARTIN\nDUPONT")


def test_a_lexicon_file_is_accepted(alice_client, upload):
    from django.core.files.uploadedfile import SimpleUploadedFile

    words = SimpleUploadedFile("names.txt", b"MARTIN\nDUPONT\n", content_type="text/plain")
    response = alice_client.post("/api/pages/", {"image": upload(), "lexicon": words}, format="multipart")
    assert response.status_code == 201
    assert Page.objects.get().lexicon.split() == ["MARTIN", "DUPONT"]


def test_an_invalid_charset_is_a_400(alice_client, upload):
    response = alice_client.post("/api/pages/", {"image": upload(), "charset": "Z-A"}, format="multipart")
    assert response.status_code == 400
    assert "charset" in response.json()


def test_page_and_job_read_back(alice_client, upload):
    page_id = alice_client.post("/api/pages/", {"image": upload("scan.png")}, format="multipart").json()["id"]
    page = alice_client.get(f"/api/pages/{page_id}/").json()
    assert page["original_filename"] == "scan.png"
    assert page["latest_job"]["status"] == "queued"
    job = alice_client.get(page["latest_job"]["url"]).json()
    assert set(job) == {"id", "page", "status", "progress", "error", "model_version", "created", "started",
                        "finished", "overlay_url", "result"}
    assert job["result"] is None and job["overlay_url"] is None
    assert alice_client.get(page["image_url"]).status_code == 200


def test_reprocess_queues_a_new_job(alice_client, upload):
    page_id = alice_client.post("/api/pages/", {"image": upload()}, format="multipart").json()["id"]
    response = alice_client.post(f"/api/pages/{page_id}/reprocess/")
    assert response.status_code == 202
    assert Job.objects.filter(page_id=page_id).count() == 2


def test_job_list_is_paginated(alice_client, upload):
    for _ in range(3):
        alice_client.post("/api/pages/", {"image": upload()}, format="multipart")
    first = alice_client.get("/api/jobs/?page_size=2").json()
    assert first["count"] == 3 and len(first["results"]) == 2
    second = alice_client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert all(job["result"] is None for job in first["results"])
