"""The database refusing connections for a moment: the API answers a clear JSON 503,
and a job whose writes failed meanwhile is retried with backoff and finishes. Real
processes: the web server and a worker reach PostgreSQL through a proxy the test cuts.
(PostgreSQL only: SQLite has no connection to refuse.)"""

import time
import uuid

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from recognition.models import Job
from tests.helpers.real_services import Api, TcpProxy, private_redis, running_web
from tests.helpers.worker_process import database_url, running_worker, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.needs_redis,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"),
]


def test_an_outage_is_a_503_and_the_job_finishes_once_the_database_is_back(alice, small_page_png, tmp_path,
                                                                           settings):
    token = Token.objects.create(user=alice).key
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    through_proxy = database_url().replace(f":{db['PORT'] or 5432}/", f":{proxy.port}/")
    queue = f"test-{uuid.uuid4().hex[:10]}"
    with private_redis(tmp_path / "redis") as redis:
        env = {"CELERY_BROKER_URL": redis.url, "HWR_RECOGNITION_QUEUE": queue, "DATABASE_URL": through_proxy}
        with running_web(tmp_path, env) as base, running_worker(
            tmp_path, queue=queue, app="tests.helpers.slow_worker_app", env={**env, "HWR_TEST_JOB_DELAY": "4"}
        ):
            api = Api(base, token)
            job_id = api.upload(small_page_png).json()["job"]["id"]
            assert wait_for(lambda: Job.objects.get(pk=job_id).status == Job.Status.RUNNING, timeout=180)

            proxy.cut()
            refused = api.get(f"/api/jobs/{job_id}/")
            assert refused.status_code == 503
            assert refused.json() == {"detail": "The database is unavailable at the moment; try again shortly."}
            assert int(refused.headers["Retry-After"]) > 0
            time.sleep(8)  # the job's writes fail meanwhile
            proxy.restore()

            jobs = api.wait_done([job_id], timeout=240)
    log = (tmp_path / "worker.log").read_text()
    assert jobs and jobs[job_id]["status"] == "succeeded", (jobs, log[-3000:])
    assert "retry: Retry in" in log  # Celery's backoff, not a failed job
    assert Job.objects.get(pk=job_id).attempts >= 2
