"""Start a real Celery worker process against the test database and a real Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def running_worker(log_dir: Path, concurrency: int = 1, *, queue: str | None = None, app: str = "hwr_site",
                   env: dict | None = None, log_name: str = "worker.log"):
    """A worker on a queue of its own, so nothing else on this Redis picks up our tasks.
    Sets settings.HWR_RECOGNITION_QUEUE for the caller (use the `settings` fixture).
    `env` adds to or overrides the worker's environment (e.g. CELERY_BROKER_URL)."""
    queue = queue or f"test-{uuid.uuid4().hex[:10]}"
    settings.HWR_RECOGNITION_QUEUE = queue
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hwr_site.settings",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "HWR_RECOGNITION_QUEUE": queue,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **(env or {}),
    }
    with open(log_dir / log_name, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", app, "worker", "-Q", queue, "--concurrency",
             str(concurrency), "--loglevel", "INFO", "--without-gossip", "--without-mingle",
             "--hostname", f"{queue}@%h"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR,
        )
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_for(predicate, timeout: float, interval: float = 0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
