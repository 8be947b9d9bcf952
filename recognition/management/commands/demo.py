"""The main job, end to end: start a worker and the web server, upload a page through
the REST API, wait for the queued job, print the text and where the overlay is.

    python manage.py demo                      # a sample page the project draws itself
    python manage.py demo --image my-scan.jpg  # your own scan
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from recognition.localnet import free_port, stop_processes, wait_for_port


class Command(BaseCommand):
    help = "Recognise a page through the queue and the API, with a worker and a web server started here."

    def add_arguments(self, parser):
        parser.add_argument("--image", help="your own scan (PNG, JPEG or TIFF); default: a generated sample page")
        parser.add_argument("--layout", default="page", choices=["page", "line", "word"])
        parser.add_argument("--charset", default="any")
        parser.add_argument("--timeout", type=float, default=300)

    def handle(self, *args, **opts):
        out_dir = settings.VAR_DIR / "demo"
        out_dir.mkdir(parents=True, exist_ok=True)
        image = Path(opts["image"]) if opts["image"] else self.sample_page(out_dir)
        user, _ = get_user_model().objects.get_or_create(username="demo")
        token, _ = Token.objects.get_or_create(user=user)

        logs = settings.VAR_DIR / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        port = free_port()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hwr_site.settings"}
        with open(logs / "demo-worker.log", "w") as worker_log, open(logs / "demo-web.log", "w") as web_log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "hwr_site", "worker", "--loglevel", "INFO",
                 "--concurrency", "1", "-Q", settings.HWR_RECOGNITION_QUEUE, "--hostname", f"demo-{port}@%h"],
                env=env, stdout=worker_log, stderr=subprocess.STDOUT,
            )
            web = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "hwr_site.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                env=env, stdout=web_log, stderr=subprocess.STDOUT,
            )
            try:
                try:
                    wait_for_port(port, 30)
                except TimeoutError as exc:
                    raise CommandError(f"the web server did not start ({exc}); see {logs / 'demo-web.log'}") from exc
                self.run_job(f"http://127.0.0.1:{port}", token.key, image, opts, out_dir)
            finally:
                stop_processes([web, worker])

    def sample_page(self, out_dir: Path) -> Path:
        import cv2

        from training.synthetic_pages import sample_page

        path = out_dir / "sample-page.png"
        cv2.imwrite(str(path), sample_page().image)
        self.stdout.write(f"generated a sample page: {path}")
        return path

    def run_job(self, base: str, token: str, image: Path, opts: dict, out_dir: Path) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        with image.open("rb") as fh:
            response = session.post(f"{base}/api/pages/", files={"image": (image.name, fh)},
                                    data={"layout": opts["layout"], "charset": opts["charset"]}, timeout=60)
        if response.status_code != 201:
            raise CommandError(f"upload refused ({response.status_code}): {response.text}")
        created = response.json()
        self.stdout.write(f"uploaded page {created['id']}; job {created['job']['id']} is {created['job']['status']}")
        started = time.time()
        last = None
        while True:
            job = session.get(base + created["job"]["url"], timeout=30).json()
            state = (job["status"], job["progress"])
            if state != last:
                self.stdout.write(f"  job {job['id']}: {job['status']} {job['progress']}%")
                last = state
            if job["status"] in ("succeeded", "failed"):
                break
            if time.time() - started > opts["timeout"]:
                raise CommandError("the job did not finish in time; see var/logs/demo-worker.log")
            time.sleep(0.5)
        if job["status"] == "failed":
            raise CommandError(f"the job failed: {job['error']}")
        overlay = out_dir / f"overlay-job-{job['id']}.png"
        overlay.write_bytes(session.get(base + job["overlay_url"], timeout=30).content)
        self.stdout.write(f"\nrecognised in {time.time() - started:.1f}s with model {job['model_version']}:\n")
        self.stdout.write(job["result"]["text"] or "(no text found)")
        words = [w for line in job["result"]["lines"] for w in line["words"]]
        self.stdout.write(f"\n{len(job['result']['lines'])} lines, {len(words)} words")
        self.stdout.write(f"overlay: {overlay}")
