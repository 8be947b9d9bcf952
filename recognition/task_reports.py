"""Task state in one place. Every Celery task gets one TaskReport row, written only here,
from Celery's signals: queued when sent, started, retrying, and succeeded or failed when
it ends. Progress goes through here too: a task hands the pipeline or the trainer a
callback made here, which writes the task's report and the job or training run it works
on (the fields the API shows).

A task says what its first argument is with `report_link` ("job": a Job id;
"model_version": a ModelVersion id), so its report links to that row; one with
`reported = False` (the periodic reaper, a row a minute) has none. Tasks catch their own
errors and record them as a failed job or run rather than raise; a task that ended so is
reported failed with that row's error.
"""

from __future__ import annotations

from collections.abc import Callable

from celery import current_app
from celery.signals import after_task_publish, task_failure, task_postrun, task_prerun, task_retry
from celery.states import SUCCESS
from django.db import transaction
from django.utils import timezone

from .models import Job, ModelVersion, TaskReport

LINKS = {"job": "job_id", "model_version": "model_version_id"}
STAGE_MAX = TaskReport._meta.get_field("stage").max_length
WORKER_MAX = TaskReport._meta.get_field("worker").max_length


def record_job_progress(job_id: int, percent: int, task_id: str | None = None) -> None:
    """The pipeline's percentage, on the job while it runs (held below 100 until its
    result is written) and on its task's report."""
    percent = max(0, min(99, int(percent)))
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(progress=percent)
    _record_progress(task_id, percent)


def record_training_progress(version_id: int, progress: dict, task_id: str | None = None) -> None:
    """The trainer's report ({"stage", "epoch", "epochs", figures}) on the training run:
    the latest stage and figures, and every finished epoch of the classifier as history;
    on the task's report, the stage and the share of epochs done."""
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version_id)
        history = list(version.progress.get("history", []))
        if progress.get("stage") == "training" and progress.get("epoch"):
            history.append({k: v for k, v in progress.items() if k != "stage"})
        version.progress = {**progress, "history": history}
        version.save(update_fields=["progress"])
    epoch, epochs = progress.get("epoch"), progress.get("epochs")
    percent = min(99, round(100 * epoch / epochs)) if epoch is not None and epochs else None
    _record_progress(task_id, percent, stage=str(progress.get("stage", "")))


def job_progress(task_id: str | None, job_id: int) -> Callable[[int], None]:
    """The `progress` callback recognize_image is handed."""
    return lambda percent: record_job_progress(job_id, percent, task_id)


def training_progress(task_id: str | None, version_id: int) -> Callable[[dict], None]:
    """The `progress` callback the trainer is handed."""
    return lambda progress: record_training_progress(version_id, progress, task_id)


def _record_progress(task_id: str | None, percent: int | None, stage: str | None = None) -> None:
    if task_id is None:  # the task's body called in process (manage.py train --here): no report
        return
    fields = {} if percent is None else {"progress": percent}
    if stage is not None:
        fields["stage"] = stage[:STAGE_MAX]
    if fields:
        TaskReport.objects.filter(task_id=task_id, state=TaskReport.State.STARTED).update(**fields)


def _reported(task) -> bool:
    return task is None or getattr(task, "reported", True)


def _links(task, args) -> dict:
    """{"job_id": ...} or {"model_version_id": ...} from the task's first argument."""
    field = LINKS.get(getattr(task, "report_link", None) or "")
    if field is None or not args:
        return {}
    return {field: int(args[0])}


def _ensure_report(task_id: str, name: str, task, args) -> None:
    """The task's row, created once: whichever signal comes first (the sender's publish or
    the worker's start, which may win the race) creates it; the other finds it."""
    TaskReport.objects.bulk_create([TaskReport(task_id=task_id, name=name, **_links(task, args))],
                                   ignore_conflicts=True)


def _attempt(task) -> int:
    return int(getattr(task.request, "retries", 0) or 0)


@after_task_publish.connect
def report_queued(sender: str | None = None, headers: dict | None = None, body=None, **_kwargs) -> None:
    task_id, task = (headers or {}).get("id"), current_app.tasks.get(sender or "")
    if not task_id or not sender or not _reported(task):
        return
    args = body[0] if isinstance(body, tuple) and body else ()
    _ensure_report(task_id, sender, task, args)


@task_prerun.connect
def report_started(sender=None, task_id: str | None = None, task=None, args=None, **_kwargs) -> None:
    if not task_id or not _reported(task):
        return
    _ensure_report(task_id, task.name, task, args)
    TaskReport.objects.filter(task_id=task_id).update(
        state=TaskReport.State.STARTED, started=timezone.now(), finished=None, progress=0, error="",
        attempt=_attempt(task), worker=(task.request.hostname or "")[:WORKER_MAX],
    )


@task_retry.connect
def report_retrying(sender=None, request=None, reason=None, **_kwargs) -> None:
    if not _reported(sender):
        return
    # Only the attempt that asked for the retry: an eager retry has already run the next
    # attempt, under the same id, before this signal comes.
    TaskReport.objects.filter(task_id=request.id, attempt=int(request.retries or 0)).update(
        state=TaskReport.State.RETRYING, error=str(reason))


@task_failure.connect
def report_failed(sender=None, task_id: str | None = None, exception=None, **_kwargs) -> None:
    # Sent by the worker's main process too, for a task it killed at its hard time limit
    # or lost with its process; there it knows no attempt number.
    if not _reported(sender):
        return
    TaskReport.objects.filter(task_id=task_id).update(
        state=TaskReport.State.FAILED, error=f"{type(exception).__name__}: {exception}", finished=timezone.now())


@task_postrun.connect
def report_finished(sender=None, task_id: str | None = None, task=None, state: str | None = None,
                    **_kwargs) -> None:
    if state != SUCCESS or not _reported(task):  # a failure or a retry has its own signal
        return
    report = TaskReport.objects.select_related("job", "model_version").filter(
        task_id=task_id, attempt=_attempt(task)).first()
    if report is None:
        return
    failed, error = _failed_its_work(report)
    TaskReport.objects.filter(pk=report.pk).update(
        state=TaskReport.State.FAILED if failed else TaskReport.State.SUCCEEDED, error=error,
        finished=timezone.now(), **({} if failed else {"progress": 100}))


def _failed_its_work(report: TaskReport) -> tuple[bool, str]:
    """Did this run of the task record its job or training run as failed? Only a failure
    recorded since it started counts: a task that found its job failed long ago did
    nothing, and succeeded at it."""
    work = report.job or report.model_version
    failed = (work is not None and work.status == type(work).Status.FAILED and work.finished is not None
              and report.started is not None and work.finished >= report.started)
    return failed, work.error if failed else ""
