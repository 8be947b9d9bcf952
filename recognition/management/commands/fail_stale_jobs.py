"""Mark work failed that is still in progress long after any worker could be on it."""

from django.core.management.base import BaseCommand

from recognition.reaper import reap


class Command(BaseCommand):
    help = ("Mark jobs failed that have been running longer than HWR_STALE_JOB_SECONDS, and training runs past "
            "their time limit (for cron).")

    def handle(self, *args, **options):
        reaped = reap()
        jobs, runs = reaped.jobs, reaped.training_runs
        self.stdout.write(f"{len(jobs)} stale job(s) marked failed" + (f": {jobs}" if jobs else ""))
        if runs:
            self.stdout.write(f"{len(runs)} stale training run(s) marked failed: {runs}")
