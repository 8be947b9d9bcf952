"""Every Celery task leaves one report, written from Celery's signals in one place: queued
when sent, started, retrying, and succeeded or failed (failed too when it recorded its
job as failed), with the progress the pipeline or the trainer reported through the
callback the task handed it, linked to its job or training run."""

import pytest
from django.db import OperationalError

from recognition import jobs, services, task_reports
from recognition.models import Job, ModelVersion, TaskReport
from recognition.pipeline import PageResult
from recognition.tasks import fail_stale_jobs, recognize_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(alice, upload) -> Job:
    return services.create_page(owner=alice, upload=upload()).jobs.get()


def test_a_recognition_task_reports_its_progress_and_its_end(job, monkeypatch):
    seen = {}

    def fake_recognize(gray, classifier, options, progress):
        progress(40)
        seen["report"] = TaskReport.objects.values("state", "progress").get()
        seen["job"] = Job.objects.values_list("progress", flat=True).get(pk=job.pk)
        return PageResult(gray.shape[1], gray.shape[0], [], "test-model")

    monkeypatch.setattr("recognition.tasks.recognize_image", fake_recognize)
    result = recognize_page.apply(args=[job.id])
    assert seen == {"report": {"state": "started", "progress": 40}, "job": 40}
    report = TaskReport.objects.get()
    assert (report.task_id, report.name, report.job_id) == (result.id, "recognition.recognize_page", job.id)
    assert (report.state, report.progress, report.error) == ("succeeded", 100, "")
    assert report.started <= report.finished
    assert Job.objects.get(pk=job.pk).status == Job.Status.SUCCEEDED


def test_a_task_that_fails_its_job_is_reported_failed_with_the_jobs_error(job):
    with open(job.page.image.path, "wb") as fh:
        fh.write(b"not an image any more")
    recognize_page.apply(args=[job.id])
    job.refresh_from_db()
    report = TaskReport.objects.get()
    assert job.status == Job.Status.FAILED and "could not be read" in job.error
    assert (report.state, report.error) == ("failed", job.error)


def test_a_task_with_nothing_to_do_succeeds(job):
    jobs.record_failure(job.id, "failed long ago")
    recognize_page.apply(args=[job.id])
    assert TaskReport.objects.values_list("state", "error").get() == ("succeeded", "")


def test_a_retried_task_keeps_one_report_that_ends_with_its_last_attempt(job, monkeypatch):
    real_start, calls = jobs.start_job, []

    def flaky_start(job_id):
        calls.append(job_id)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_start(job_id)

    monkeypatch.setattr("recognition.jobs.start_job", flaky_start)
    monkeypatch.setattr("recognition.tasks.recognize_image",
                        lambda gray, *a, **k: PageResult(gray.shape[1], gray.shape[0], [], "test-model"))
    recognize_page.apply(args=[job.id])
    assert calls == [job.id, job.id]
    # Eagerly the second attempt runs inside the first, before the first's retry is
    # reported: the report stays with the attempt that ran last.
    assert TaskReport.objects.values_list("state", "attempt").get() == ("succeeded", 1)


def test_sending_reports_queued_and_a_worker_that_starts_first_is_not_overwritten(job):
    task_reports.report_queued(sender="recognition.recognize_page", headers={"id": "sent-1"},
                               body=((job.id,), {}, {}))
    report = TaskReport.objects.get(task_id="sent-1")
    assert (report.state, report.name, report.job_id) == ("queued", "recognition.recognize_page", job.id)

    TaskReport.objects.create(task_id="raced-1", name="recognition.recognize_page", state="started")
    task_reports.report_queued(sender="recognition.recognize_page", headers={"id": "raced-1"},
                               body=((job.id,), {}, {}))
    assert TaskReport.objects.get(task_id="raced-1").state == "started"


def test_training_progress_goes_to_the_run_and_its_report():
    run = ModelVersion.objects.create(name="run", path="/models/run", status=ModelVersion.Status.TRAINING)
    TaskReport.objects.create(task_id="train-1", name="recognition.train_from_feedback", model_version=run,
                              state="started")
    report = task_reports.training_progress("train-1", run.id)
    report({"stage": "preparing data"})
    report({"stage": "training", "epoch": 3, "epochs": 6, "loss": 0.5})
    run.refresh_from_db()
    assert run.progress == {"stage": "training", "epoch": 3, "epochs": 6, "loss": 0.5,
                            "history": [{"epoch": 3, "epochs": 6, "loss": 0.5}]}
    assert TaskReport.objects.values_list("stage", "progress").get() == ("training", 50)


def test_the_periodic_reaper_leaves_no_report():
    fail_stale_jobs.apply()
    assert not TaskReport.objects.exists()
