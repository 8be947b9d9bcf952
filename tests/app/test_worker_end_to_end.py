"""A page uploaded through the API is read by a real worker process through a real
Redis broker (not eager mode), and its result comes back through the API; the task's
report, written from the worker's signals, says so too."""

import pytest

from recognition.models import Job, TaskReport
from tests.helpers.worker_process import running_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs_redis]


def test_an_uploaded_page_is_recognised_by_a_worker(alice_client, upload, settings, tmp_path):
    with running_worker(tmp_path) as worker:
        response = alice_client.post("/api/pages/", {"image": upload()}, format="multipart")
        assert response.status_code == 201
        job_url = response.json()["job"]["url"]
        job = wait_for(lambda: (j := alice_client.get(job_url).json())["status"] in ("succeeded", "failed") and j,
                       timeout=180)
        log = (tmp_path / "worker.log").read_text()
        assert worker.poll() is None, log
    assert job and job["status"] == "succeeded", (job, log[-3000:])
    assert job["progress"] == 100
    assert job["model_version"] == Job.objects.get().model_version_name != ""
    result = job["result"]
    assert len(result["lines"]) == 2
    assert [len(line["words"]) for line in result["lines"]] == [2, 2]
    assert result["text"] == "\n".join(line["text"] for line in result["lines"])
    assert alice_client.get(job["overlay_url"]).status_code == 200
    report = TaskReport.objects.get(job_id=job["id"])
    assert (report.name, report.state, report.progress) == ("recognition.recognize_page", "succeeded", 100)
    assert report.worker and report.started <= report.finished
