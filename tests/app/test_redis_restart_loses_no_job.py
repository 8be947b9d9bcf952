"""Redis restarting loses no queued job, and while it is down an upload is a clear JSON
503 that leaves nothing behind; workers and the web server reconnect by themselves.
Real processes: a private Redis (append-only file, as production must run it), the
web server under gunicorn, a Celery worker."""

import time
import uuid

import pytest
from rest_framework.authtoken.models import Token

from recognition.models import Page
from tests.helpers.real_services import Api, private_redis, running_web
from tests.helpers.worker_process import running_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs_redis]


def test_queued_jobs_survive_a_redis_restart_and_uploads_meanwhile_get_503(alice, small_page_png, tmp_path,
                                                                           settings):
    token = Token.objects.create(user=alice).key
    queue = f"test-{uuid.uuid4().hex[:10]}"
    with private_redis(tmp_path / "redis") as redis:
        env = {"CELERY_BROKER_URL": redis.url, "HWR_RECOGNITION_QUEUE": queue}
        with running_web(tmp_path, env) as base:
            api = Api(base, token)
            # No worker yet: three jobs wait in Redis while it restarts.
            queued = [api.upload(small_page_png).json()["job"]["id"] for _ in range(3)]
            redis.restart()
            with running_worker(tmp_path, queue=queue, env=env) as worker:
                jobs = api.wait_done(queued, timeout=240)
                assert jobs and all(j["status"] == "succeeded" for j in jobs.values()), jobs

                redis.stop()
                started = time.time()
                refused = api.upload(small_page_png)
                assert refused.status_code == 503
                assert refused.headers["Content-Type"] == "application/json"
                assert "queue is unavailable" in refused.json()["detail"]
                assert int(refused.headers["Retry-After"]) > 0
                assert time.time() - started < 30  # retried with backoff for a few seconds, not forever
                assert api.get("/api/jobs/").status_code == 200  # reading needs no broker
                assert Page.objects.count() == 3  # the refused upload left nothing

                redis.start()
                again = api.upload(small_page_png)
                assert again.status_code == 201, again.text
                later = again.json()["job"]["id"]
                jobs = api.wait_done([later], timeout=240)
                assert jobs and jobs[later]["status"] == "succeeded", (tmp_path / "worker.log").read_text()[-3000:]
                assert worker.poll() is None
    log = (tmp_path / "worker.log").read_text()
    assert "Connection to broker lost" in log or "Cannot connect to redis" in log
