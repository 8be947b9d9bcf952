"""A client chooses the model version a job is read with (`model` on upload, on batches and
on reprocess): an unknown or unusable version is a 400, the job records the version that
ran, and a document's pages can be read again with a layout of their own."""

from __future__ import annotations

import json
import shutil

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from recognition import services
from recognition.models import Job, ModelVersion, Page
from tests.app.test_documents_api import tiff_pages
from tests.helpers.worker_process import running_worker, wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_version(tmp_path) -> ModelVersion:
    """A ready, not active version: a copy of the shipped model under another name."""
    folder = tmp_path / "models" / "hwr-copy"
    shutil.copytree(settings.HWR_MODEL_DIR, folder)
    meta = json.loads((folder / "meta.json").read_text())
    meta["version"] = "hwr-copy"
    (folder / "meta.json").write_text(json.dumps(meta))
    services.ensure_active_model()
    return services.register_model_version(folder)


def test_an_upload_names_the_model_its_job_is_read_with(alice_client, upload, other_version):
    response = alice_client.post("/api/pages/", {"image": upload(), "model": "hwr-copy"}, format="multipart")
    assert response.status_code == 201
    job = Job.objects.get()
    assert job.model_version == other_version and not other_version.is_active
    assert alice_client.get(f"/api/jobs/{job.id}/").json()["model_version"] == "hwr-copy"


def test_an_upload_without_model_is_read_with_the_active_version(alice_client, upload):
    assert alice_client.post("/api/pages/", {"image": upload()}, format="multipart").status_code == 201
    assert Job.objects.get().model_version is None  # the worker takes the version active when it runs


def test_an_unknown_model_is_a_400_that_names_the_ready_ones(alice_client, upload, other_version):
    response = alice_client.post("/api/pages/", {"image": upload(), "model": "hwr-99"}, format="multipart")
    assert response.status_code == 400
    message = response.json()["model"][0]
    assert "Unknown model version 'hwr-99'" in message and "hwr-copy" in message
    assert Page.objects.count() == 0


@pytest.mark.parametrize("state, path", [("training", None), ("failed", None), ("ready", "/nonexistent/model")])
def test_a_model_that_cannot_read_pages_is_a_400(alice_client, upload, other_version, state, path):
    ModelVersion.objects.filter(pk=other_version.pk).update(status=state, path=path or other_version.path)
    response = alice_client.post("/api/pages/", {"image": upload(), "model": "hwr-copy"}, format="multipart")
    assert response.status_code == 400
    assert "hwr-copy" in response.json()["model"][0]
    assert Page.objects.count() == 0


def test_reprocess_takes_a_model_and_a_layout(alice_client, upload, other_version):
    page_id = alice_client.post("/api/pages/", {"image": upload()}, format="multipart").json()["id"]
    response = alice_client.post(f"/api/pages/{page_id}/reprocess/", {"model": "hwr-copy", "layout": "word"},
                                 format="json")
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert job.model_version == other_version and job.page.layout == "word"
    bad = alice_client.post(f"/api/pages/{page_id}/reprocess/", {"model": "nope"}, format="json")
    assert bad.status_code == 400 and Job.objects.count() == 2


def test_a_document_is_reprocessed_with_a_layout_per_page(alice, alice_client, other_version):
    page = services.create_page(owner=alice, upload=SimpleUploadedFile("letters.tif", tiff_pages(3)))
    document = page.document
    response = alice_client.post(f"/api/documents/{document.id}/reprocess/",
                                 {"model": "hwr-copy", "layouts": {"2": "word"}}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert [p["number"] for p in body["pages"]] == [1, 2, 3]
    layouts = dict(document.pages.values_list("number", "layout"))
    assert layouts == {1: "page", 2: "word", 3: "page"}
    new_jobs = Job.objects.filter(pk__in=[p["job"]["id"] for p in body["pages"]])
    assert {job.model_version_id for job in new_jobs} == {other_version.id}

    # A form works too (layouts.N), and a page the document does not have is a 400.
    response = alice_client.post(f"/api/documents/{document.id}/reprocess/", {"layout": "line", "layouts.3": "word"})
    assert response.status_code == 202
    assert dict(document.pages.values_list("number", "layout")) == {1: "line", 2: "line", 3: "word"}
    response = alice_client.post(f"/api/documents/{document.id}/reprocess/", {"layouts": {"7": "word"}},
                                 format="json")
    assert response.status_code == 400 and "no page 7" in response.json()["detail"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.needs_redis
def test_a_worker_reads_the_job_with_the_version_asked_for(alice_client, upload, other_version, settings, tmp_path):
    with running_worker(tmp_path) as worker:
        response = alice_client.post("/api/pages/", {"image": upload(), "model": "hwr-copy"}, format="multipart")
        assert response.status_code == 201
        url = response.json()["job"]["url"]
        job = wait_for(lambda: (j := alice_client.get(url).json())["status"] in ("succeeded", "failed") and j,
                       timeout=180)
        log = (tmp_path / "worker.log").read_text()
        assert worker.poll() is None, log[-3000:]
    assert job and job["status"] == "succeeded", (job, log[-3000:])
    assert job["model_version"] == "hwr-copy"
    assert Job.objects.get().model_version == other_version
    assert ModelVersion.objects.get(is_active=True).name != "hwr-copy"


def test_a_newly_shipped_model_is_recorded_beside_the_active_one(other_version):
    """After an upgrade, the database's active version stays active and the version
    shipped with the code is recorded, ready to be chosen per job or activated."""
    shipped = ModelVersion.objects.get(is_active=True)
    services.activate_model_version(other_version)
    shipped.delete()  # a database from before the shipped version existed

    assert services.ensure_active_model() == other_version
    recorded = ModelVersion.objects.get(name=shipped.name)
    assert not recorded.is_active and recorded.path == shipped.path
