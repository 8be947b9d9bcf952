"""Mark jobs failed that are still `running` long after any worker could be on them."""

from django.core.management.base import BaseCommand

from recognition.reaper import fail_stale_jobs


class Command(BaseCommand):
    help = "Mark jobs failed that have been running longer than HWR_STALE_JOB_SECONDS (for cron)."

    def handle(self, *args, **options):
        failed = fail_stale_jobs()
        self.stdout.write(f"{len(failed)} stale job(s) marked failed" + (f": {failed}" if failed else ""))
