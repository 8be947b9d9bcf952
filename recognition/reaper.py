"""The one reaper: mark work failed that is still in progress with no worker left on it
(recognition jobs, training runs, and the reports of their tasks), so none waits forever.

A job counts as stale once it started longer ago than HWR_STALE_JOB_SECONDS: by then
the hard time limit has ended any run, and the broker has redelivered the message of a
worker that died if any worker was there to take it. A training run is not redelivered
(a second worker must never start it): it is stale once past its hard time limit,
HWR_TRAINING_TIME_LIMIT. A task report still `started` past the limit of its kind of work
lost its worker too. Everything that sweeps calls `reap`: Celery beat
(`recognition.fail_stale_jobs`), every recognition task as it starts, a request for a
training run, and `manage.py fail_stale_jobs`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import Job, ModelVersion, TaskReport
from .webhooks import services as webhooks

logger = logging.getLogger(__name__)

STALE_MESSAGE = (
    "The job stopped without finishing: its worker was lost or it ran past its time limit, and no "
    "worker took it over within {seconds} s. Retry it with POST /api/jobs/{job_id}/retry/."
)
STALE_TRAINING_MESSAGE = "The training worker stopped before the run finished."
STALE_TASK_MESSAGE = "The task stopped without finishing: its worker was lost or it ran past its time limit."


@dataclass(frozen=True)
class Reaped:
    """What one sweep marked failed."""

    jobs: list[int]
    training_runs: list[int]
    task_reports: int

    def __bool__(self) -> bool:
        return bool(self.jobs or self.training_runs or self.task_reports)


def reap(now: datetime | None = None) -> Reaped:
    """Fail every stale job, training run and task report."""
    now = now or timezone.now()
    return Reaped(jobs=_fail_stale_jobs(now), training_runs=_fail_stale_training_runs(now),
                  task_reports=_fail_stale_task_reports(now))


def _fail_stale_jobs(now: datetime) -> list[int]:
    cutoff = now - timedelta(seconds=settings.HWR_STALE_JOB_SECONDS)
    stale = Job.objects.filter(status=Job.Status.RUNNING, started__lt=cutoff)
    failed = []
    for job_id in stale.values_list("id", flat=True):
        # Conditional update: a job taken over meanwhile has a new start and stays.
        message = STALE_MESSAGE.format(seconds=settings.HWR_STALE_JOB_SECONDS, job_id=job_id)
        if stale.filter(pk=job_id).update(status=Job.Status.FAILED, error=message, finished=now):
            logger.warning("job %s was stale (running since before %s); marked failed", job_id, cutoff)
            failed.append(job_id)
            webhooks.job_ended(Job.objects.select_related("page").get(pk=job_id))
    return failed


def _fail_stale_training_runs(now: datetime) -> list[int]:
    cutoff = now - timedelta(seconds=settings.HWR_TRAINING_TIME_LIMIT)
    stale = ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING, started__lt=cutoff)
    failed = list(stale.values_list("id", flat=True))
    if failed:
        stale.filter(pk__in=failed).update(status=ModelVersion.Status.FAILED, error=STALE_TRAINING_MESSAGE,
                                           finished=now)
        logger.warning("training runs %s were past their time limit; marked failed", failed)
    return failed


def _fail_stale_task_reports(now: datetime) -> int:
    job_cutoff = now - timedelta(seconds=settings.HWR_STALE_JOB_SECONDS)
    training_cutoff = now - timedelta(seconds=settings.HWR_TRAINING_TIME_LIMIT)
    stale = TaskReport.objects.filter(state=TaskReport.State.STARTED).filter(
        Q(model_version__isnull=True, started__lt=job_cutoff)
        | Q(model_version__isnull=False, started__lt=training_cutoff)
    )
    return stale.update(state=TaskReport.State.FAILED, error=STALE_TASK_MESSAGE, finished=now)
