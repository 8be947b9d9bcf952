"""A job left `running` with no worker on it is marked failed with a reason once it is
past HWR_STALE_JOB_SECONDS, and a training run once past its hard time limit, by one
reaper (from beat, the task path, a request for a run, or the command); the owner can
queue a failed job again under the same id."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from recognition import services
from recognition.jobs import start_job
from recognition.models import Job, ModelVersion, TaskReport
from recognition.reaper import reap
from recognition.tasks import fail_stale_jobs as fail_stale_jobs_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_job(alice, upload):
    page = services.create_page(owner=alice, upload=upload())
    job = start_job(page.jobs.get().id)
    assert job.status == Job.Status.RUNNING
    return job


def started_ago(job, seconds):
    Job.objects.filter(pk=job.pk).update(started=timezone.now() - timedelta(seconds=seconds))


def test_the_stale_limit_outlasts_the_time_limit_and_the_redelivery(settings):
    assert settings.HWR_STALE_JOB_SECONDS > settings.HWR_BROKER_VISIBILITY_TIMEOUT > settings.CELERY_TASK_TIME_LIMIT


def test_a_job_running_past_the_limit_is_failed_with_a_reason(running_job, settings):
    started_ago(running_job, settings.HWR_STALE_JOB_SECONDS + 1)
    assert reap().jobs == [running_job.id]
    running_job.refresh_from_db()
    assert running_job.status == Job.Status.FAILED
    assert "no worker took it over" in running_job.error and "/retry/" in running_job.error
    assert running_job.finished is not None


def test_a_job_within_the_limit_and_finished_jobs_are_left_alone(running_job, alice, upload, settings):
    started_ago(running_job, settings.HWR_STALE_JOB_SECONDS - 30)
    done = services.create_page(owner=alice, upload=upload()).jobs.get()
    Job.objects.filter(pk=done.pk).update(status=Job.Status.SUCCEEDED,
                                          started=timezone.now() - timedelta(days=1))
    assert reap().jobs == []
    assert Job.objects.get(pk=running_job.pk).status == Job.Status.RUNNING
    assert Job.objects.get(pk=done.pk).status == Job.Status.SUCCEEDED


def test_the_command_and_the_periodic_task_reap_too(running_job, settings):
    started_ago(running_job, settings.HWR_STALE_JOB_SECONDS + 1)
    call_command("fail_stale_jobs")
    assert Job.objects.get(pk=running_job.pk).status == Job.Status.FAILED
    assert settings.CELERY_BEAT_SCHEDULE["fail-stale-jobs"]["task"] == fail_stale_jobs_task.name


def test_the_owner_retries_a_failed_job_under_the_same_id(running_job, alice_client, bob_client, settings,
                                                          django_capture_on_commit_callbacks, monkeypatch):
    started_ago(running_job, settings.HWR_STALE_JOB_SECONDS + 1)
    reap()
    sent = []
    monkeypatch.setattr("recognition.tasks.recognize_page.apply_async", lambda args, *_a, **_k: sent.append(list(args)))
    assert bob_client.post(f"/api/jobs/{running_job.id}/retry/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/api/jobs/{running_job.id}/retry/")
    assert response.status_code == 202
    assert response.json() == {"id": running_job.id, "status": "queued", "url": f"/api/jobs/{running_job.id}/"}
    assert sent == [[running_job.id]]
    job = Job.objects.get(pk=running_job.pk)
    assert (job.status, job.error, job.started, job.finished) == (Job.Status.QUEUED, "", None, None)


def test_only_a_failed_job_can_be_retried(running_job, alice_client):
    response = alice_client.post(f"/api/jobs/{running_job.id}/retry/")
    assert response.status_code == 409
    assert "Only a failed job" in response.json()["detail"]


def test_a_training_run_past_its_time_limit_is_failed_by_the_same_reaper(settings):
    lost = ModelVersion.objects.create(name="lost", path="/models/lost", status=ModelVersion.Status.TRAINING,
                                       started=timezone.now() - timedelta(seconds=settings.HWR_TRAINING_TIME_LIMIT + 1))
    busy = ModelVersion.objects.create(name="busy", path="/models/busy", status=ModelVersion.Status.TRAINING,
                                       started=timezone.now())
    assert reap().training_runs == [lost.id]
    lost.refresh_from_db()
    assert lost.status == ModelVersion.Status.FAILED and "stopped before the run finished" in lost.error
    assert ModelVersion.objects.get(pk=busy.pk).status == ModelVersion.Status.TRAINING


def test_the_report_of_a_task_that_lost_its_worker_is_failed_too(running_job, settings):
    report = TaskReport.objects.create(task_id="lost-task", name="recognition.recognize_page", job=running_job,
                                       state=TaskReport.State.STARTED,
                                       started=timezone.now() - timedelta(seconds=settings.HWR_STALE_JOB_SECONDS + 1))
    assert reap().task_reports == 1
    report.refresh_from_db()
    assert report.state == TaskReport.State.FAILED and report.finished is not None
