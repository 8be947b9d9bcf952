"""Jobs per minute through the real queue: Redis broker, one Celery worker process,
the configured database, pages uploaded through the service layer.

    python -m benchmarks.queue_throughput --jobs 30 [--image path]

Uses the development database (migrate first) and a queue of its own.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--image", type=Path, default=None, help="default: the demo's generated sample page")
    parser.add_argument("--layout", default="page")
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args(argv)

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ["HWR_RECOGNITION_QUEUE"] = queue
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwr_site.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db.models import Count

    from recognition import services
    from recognition.models import Job

    if args.image:
        data, name = args.image.read_bytes(), args.image.name
    else:
        import cv2

        from training.synthetic_pages import sample_page

        data, name = cv2.imencode(".png", sample_page().image)[1].tobytes(), "sample-page.png"
    user, _ = get_user_model().objects.get_or_create(username="benchmark")
    services.ensure_active_model()
    log = Path(tempfile.gettempdir()) / f"{queue}.log"
    with open(log, "w") as log_file:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hwr_site", "worker", "-Q", queue, "--concurrency",
             str(args.concurrency), "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
            env={**os.environ}, stdout=log_file, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR,
        )
        try:
            # Let the worker start and load its model before the clock starts.
            warm = services.create_page(owner=user, upload=SimpleUploadedFile(name, data), layout=args.layout)
            wait_done(Job.objects.filter(page=warm), 1, timeout=180)
            started = time.perf_counter()
            pages = [services.create_page(owner=user, upload=SimpleUploadedFile(name, data), layout=args.layout)
                     for _ in range(args.jobs)]
            jobs = Job.objects.filter(page__in=pages)
            wait_done(jobs, args.jobs, timeout=60 * args.jobs)
            elapsed = time.perf_counter() - started
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    states = dict(jobs.values_list("status").annotate(n=Count("id")))
    figures = {
        "jobs": args.jobs,
        "worker_processes": args.concurrency,
        "seconds": round(elapsed, 1),
        "jobs_per_minute": round(60 * args.jobs / elapsed, 1),
        "states": states,
        "image": name,
    }
    print(figures)
    return figures


def wait_done(jobs, count: int, timeout: float) -> None:
    from recognition.models import Job

    deadline = time.time() + timeout
    while time.time() < deadline:
        if jobs.filter(status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED]).count() >= count:
            return
        time.sleep(0.2)
    raise TimeoutError("jobs did not finish in time")


if __name__ == "__main__":
    main()
