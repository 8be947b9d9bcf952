"""Mark jobs failed that are `running` with no worker left on them, so none waits forever.

A job counts as stale once it started longer ago than HWR_STALE_JOB_SECONDS: by then
the hard time limit has ended any run, and the broker has redelivered the message of a
worker that died if any worker was there to take it. Runs from Celery beat, whenever a
worker starts a job, and from `manage.py fail_stale_jobs`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import Job

logger = logging.getLogger(__name__)

STALE_MESSAGE = (
    "The job stopped without finishing: its worker was lost or it ran past its time limit, and no "
    "worker took it over within {seconds} s. Retry it with POST /api/jobs/{job_id}/retry/."
)


def fail_stale_jobs(now=None) -> list[int]:
    """Fail every stale running job; returns their ids."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.HWR_STALE_JOB_SECONDS)
    stale = Job.objects.filter(status=Job.Status.RUNNING, started__lt=cutoff)
    failed = []
    for job_id in stale.values_list("id", flat=True):
        # Conditional update: a job taken over meanwhile has a new start and stays.
        message = STALE_MESSAGE.format(seconds=settings.HWR_STALE_JOB_SECONDS, job_id=job_id)
        if stale.filter(pk=job_id).update(status=Job.Status.FAILED, error=message, finished=now):
            logger.warning("job %s was stale (running since before %s); marked failed", job_id, cutoff)
            failed.append(job_id)
    return failed
