"""Load test: the web server under gunicorn and two Celery worker processes on this
machine, many clients uploading at once, then every job polled to its end.

    python -m benchmarks.load_test --uploads 200 --clients 20 [--postgres postgres://postgres@127.0.0.1:5432/postgres]

Everything is its own: a fresh database (a temporary SQLite file, or with --postgres a
database created on that server and dropped afterwards), a private redis-server on a
free port, a temporary media folder. Each client is a user of its own with a token.
Throttles and the per-user job cap are raised through the environment
(HWR_UPLOAD_RATE, HWR_MAX_ACTIVE_JOBS_PER_USER) so they do not shape the figures.

Checks (exit status 1 if any fails): no 5xx answer, every upload 201, as many distinct
jobs as uploads and no other, one job per page, every job succeeded. Prints the upload
latency p50/p99 and the job throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from recognition.localnet import free_port, stop_processes, wait_for_port

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered))) - 1))]


def sample_image() -> bytes:
    import cv2
    import numpy as np

    from training.synthetic_pages import FontGlyphs, compose_page

    page = compose_page(["FORM 42"], FontGlyphs(), np.random.default_rng(3), char_height=32)
    return cv2.imencode(".png", page.image)[1].tobytes()


class Database:
    """A fresh database for the run: SQLite in the work folder, or PostgreSQL."""

    def __init__(self, workdir: Path, postgres: str | None):
        self.postgres = postgres
        if postgres:
            import psycopg

            self.name = f"hwr_load_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(postgres, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = postgres.rsplit("/", 1)[0] + "/" + self.name
        else:
            self.url = f"sqlite:///{workdir / 'load.sqlite3'}"

    def drop(self) -> None:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.postgres, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Client:
    """One user sending uploads one after another; records every answer's status."""

    def __init__(self, base: str, token: str, statuses: Counter, lock: threading.Lock):
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"
        self.statuses, self.lock = statuses, lock

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.session.request(method, self.base + path, timeout=300, **kwargs)
        with self.lock:
            self.statuses[response.status_code] += 1
        return response

    def upload_all(self, image: bytes, count: int) -> list[tuple[float, int, int | None]]:
        sent = []
        for k in range(count):
            started = time.perf_counter()
            response = self.request("POST", "/api/pages/", files={"image": (f"page-{k}.png", image, "image/png")})
            latency = time.perf_counter() - started
            job_id = response.json()["job"]["id"] if response.status_code == 201 else None
            sent.append((latency, response.status_code, job_id))
        return sent

    def job_states(self) -> dict[int, str]:
        states, path = {}, "/api/jobs/?page_size=100"
        while path:
            response = self.request("GET", path)
            response.raise_for_status()
            body = response.json()
            states.update({job["id"]: job["status"] for job in body["results"]})
            path = body["next"].replace(self.base, "") if body["next"] else None
        return states


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn worker processes (4 threads each)")
    parser.add_argument("--celery-workers", type=int, default=2, help="Celery worker processes (1 job at a time each)")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL to create the run's database on")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for all jobs")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="hwr-load-"))
    db = Database(workdir, args.postgres)
    redis_port, web_port = free_port(), free_port()
    queue = f"load-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hwr_site.settings",
        "DATABASE_URL": db.url,
        "MEDIA_ROOT": str(workdir / "media"),
        "HWR_VAR_DIR": str(workdir),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",  # request rates are counted there too
        "HWR_RECOGNITION_QUEUE": queue,
        "HWR_UPLOAD_RATE": "1000000/min",
        "HWR_MAX_ACTIVE_JOBS_PER_USER": "1000000",
        "HWR_TF_THREADS": "1",
        "HWR_LOG_LEVEL": "WARNING",
    }
    procs: list[subprocess.Popen] = []
    code = 1

    def start(name: str, command: list[str]) -> subprocess.Popen:
        log = open(workdir / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    try:
        start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no"])
        wait_for_port(redis_port, 20)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)

        os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "MEDIA_ROOT", "HWR_VAR_DIR")})
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.db.models import Count
        from rest_framework.authtoken.models import Token

        from recognition import services
        from recognition.models import Job, Page

        services.ensure_active_model()
        tokens = []
        for k in range(args.clients):
            user = get_user_model().objects.create_user(f"load-{k}", password=uuid.uuid4().hex)
            tokens.append(Token.objects.create(user=user).key)

        start("web", [sys.executable, "-m", "gunicorn", "hwr_site.wsgi", "--bind", f"127.0.0.1:{web_port}",
                      "--workers", str(args.web_workers), "--threads", "4", "--timeout", "120"])
        for k in range(args.celery_workers):
            start(f"worker-{k}", [sys.executable, "-m", "celery", "-A", "hwr_site", "worker", "-Q", queue,
                                  "--concurrency", "1", "--hostname", f"load{k}@%h", "--loglevel", "INFO",
                                  "--without-gossip", "--without-mingle"])
        wait_for_port(web_port, 60)
        base = f"http://127.0.0.1:{web_port}"
        image = sample_image()
        statuses, lock = Counter(), threading.Lock()
        clients = [Client(base, token, statuses, lock) for token in tokens]

        # Warm up: each worker process has loaded the model before the clock starts.
        warm = [clients[0].upload_all(image, 1)[0][2] for _ in range(args.celery_workers)]
        deadline = time.time() + 300
        while Job.objects.filter(pk__in=warm, status="succeeded").count() < len(warm):
            if time.time() > deadline:
                raise TimeoutError("the workers did not start")
            time.sleep(0.5)
        statuses.clear()

        per_client = [args.uploads // args.clients + (k < args.uploads % args.clients) for k in range(args.clients)]
        started = time.time()
        with ThreadPoolExecutor(args.clients) as pool:
            sent = [row for rows in pool.map(lambda c: c[0].upload_all(image, c[1]), zip(clients, per_client))
                    for row in rows]
        uploaded = time.time()

        job_ids = [job_id for _, _, job_id in sent if job_id is not None]
        states: dict[int, str] = {}
        deadline = started + args.timeout
        while time.time() < deadline:
            states = {}
            for client in clients:
                states.update(client.job_states())
            if all(states.get(j) in ("succeeded", "failed") for j in job_ids):
                break
            time.sleep(2)
        finished = Job.objects.filter(pk__in=job_ids).order_by("-finished").values_list("finished", flat=True).first()

        jobs = Job.objects.filter(pk__in=job_ids)
        run_seconds = [(j.finished - j.started).total_seconds() for j in jobs if j.finished and j.started]
        latencies = [latency for latency, _, _ in sent]
        end = finished.timestamp() if finished else time.time()
        figures = {
            "uploads": len(sent),
            "clients": args.clients,
            "web": f"gunicorn, {args.web_workers} workers x 4 threads",
            "celery_worker_processes": args.celery_workers,
            "database": "postgresql" if args.postgres else "sqlite",
            "image": f"{len(image)} bytes PNG, one line",
            "upload_status": dict(Counter(status for _, status, _ in sent)),
            "all_answers": dict(statuses),
            "upload_latency_p50_ms": round(1000 * percentile(latencies, 50), 1),
            "upload_latency_p99_ms": round(1000 * percentile(latencies, 99), 1),
            "upload_seconds": round(uploaded - started, 1),
            "seconds_to_last_job": round(end - started, 1),
            "jobs_per_minute": round(60 * len(job_ids) / max(end - started, 1e-9), 1),
            "job_run_seconds_mean": round(statistics.mean(run_seconds), 2) if run_seconds else None,
            "job_states": dict(Counter(states.get(j, "missing") for j in job_ids)),
            "attempts": dict(Counter(jobs.values_list("attempts", flat=True))),
        }
        checks = {
            "no 5xx answer": not any(code >= 500 for code in statuses),
            "every upload answered 201": figures["upload_status"] == {201: args.uploads},
            "one distinct job per upload": len(set(job_ids)) == len(job_ids) == args.uploads,
            "no job lost or added": Job.objects.exclude(pk__in=warm).count() == args.uploads
            and Page.objects.count() == args.uploads + len(warm),
            "one job per page": not Page.objects.annotate(n=Count("jobs")).exclude(n=1).exists(),
            "every job succeeded": figures["job_states"] == {"succeeded": args.uploads},
        }
        figures["checks"] = checks
        print(json.dumps(figures, indent=2))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
        code = 0 if all(checks.values()) else 1
        return code
    finally:
        stop_processes(list(reversed(procs)), timeout=30)
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        db.drop()
        if code == 0:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"logs kept in {workdir}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
