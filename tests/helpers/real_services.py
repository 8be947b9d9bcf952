"""Real processes for fault tests: a private Redis (never the shared one on 6379), the
web server under gunicorn, and a TCP proxy in front of PostgreSQL that a test can cut."""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import requests
from django.conf import settings

from tests.helpers.worker_process import database_url, wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


class RedisServer:
    """redis-server on a free port with an append-only file, so a restart keeps what was
    queued (as production Redis must be configured)."""

    def __init__(self, workdir: Path):
        if not shutil.which("redis-server"):
            import pytest

            pytest.skip("needs redis-server")
        self.port = free_port()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        assert wait_for(lambda: port_open(self.port), timeout=20), "redis did not start"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: Redis flushes its append-only file and exits
            self.proc.wait(timeout=20)
        assert wait_for(lambda: not port_open(self.port), timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def private_redis(workdir: Path):
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def running_web(log_dir: Path, env: dict):
    """gunicorn serving the project against the test database; yields its base URL."""
    port = free_port()
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hwr_site.settings",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "HWR_UPLOAD_RATE": "100000/min",
        "HWR_MAX_ACTIVE_JOBS_PER_USER": "100000",
        **env,
    }
    with open(log_dir / "web.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "hwr_site.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "--timeout", "60"],
            env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            assert wait_for(lambda: port_open(port), timeout=60), (log_dir / "web.log").read_text()[-2000:]
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


class Api:
    """A client of the running web server, as one user."""

    def __init__(self, base: str, token: str):
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def upload(self, png: bytes) -> requests.Response:
        return self.session.post(self.base + "/api/pages/", files={"image": ("page.png", png, "image/png")}, timeout=60)

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, timeout=60)

    def job(self, job_id: int) -> dict:
        return self.get(f"/api/jobs/{job_id}/").json()

    def wait_done(self, job_ids, timeout: float) -> dict[int, dict]:
        def done():
            jobs = {i: self.job(i) for i in job_ids}
            return jobs if all(j["status"] in ("succeeded", "failed") for j in jobs.values()) else None

        return wait_for(done, timeout=timeout, interval=1.0)


class TcpProxy:
    """Forwards 127.0.0.1:port to a target; cut() drops every connection and refuses
    new ones, restore() listens again on the same port."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(50)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self.listener = self.listener, None
        listener.close()
        with self.lock:
            for conn in self.connections:
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self.connections.clear()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                if self.listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self.connections += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    def _pipe(self, a, b) -> None:
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1.0)
                for src in ready:
                    data = src.recv(65536)
                    if not data:
                        return
                    (b if src is a else a).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for s in (a, b):
                with suppress(OSError):
                    s.close()


def kill(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def wait_until(deadline: float) -> None:
    time.sleep(max(0.0, deadline - time.time()))
