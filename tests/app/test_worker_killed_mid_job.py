"""A worker killed with SIGKILL in the middle of a job loses nothing. Real processes: a
private Redis, the web server under gunicorn, Celery workers killed by their pids.

- The pool process running the job dies: the worker hands the message out again at
  once (acks_late + reject_on_worker_lost) and the job finishes.
- The whole worker dies: the message stays unacknowledged in Redis, comes back once
  the visibility timeout has passed, and a worker started later finishes the job.
"""

import time
import uuid

import pytest
from rest_framework.authtoken.models import Token

from recognition.models import Glyph, Job, Line, Word
from recognition.selectors import job_result
from tests.helpers.real_services import Api, children_of, kill, private_redis, running_web, wait_until
from tests.helpers.worker_process import running_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs_redis]

# Short limits so the test need not wait ten minutes; a job here takes about 5 s.
VISIBILITY_TIMEOUT = 20
LIMITS = {"HWR_TASK_SOFT_TIME_LIMIT": "12", "HWR_TASK_TIME_LIMIT": "15",
          "HWR_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}


def running(job_id):
    return Job.objects.get(pk=job_id).status == Job.Status.RUNNING


def test_a_killed_worker_loses_no_job_and_writes_each_result_once(alice, small_page_png, tmp_path, settings):
    api_token = Token.objects.create(user=alice).key
    queue = f"test-{uuid.uuid4().hex[:10]}"
    with private_redis(tmp_path / "redis") as redis:
        env = {"CELERY_BROKER_URL": redis.url, "HWR_RECOGNITION_QUEUE": queue, **LIMITS}
        worker_env = {**env, "HWR_TEST_JOB_DELAY": "4"}  # every job runs at least 4 s
        with running_web(tmp_path, env) as base:
            api = Api(base, api_token)
            with running_worker(tmp_path, queue=queue, app="tests.helpers.slow_worker_app", env=worker_env,
                                log_name="worker1.log") as worker:
                # 1. Kill the pool process in the middle of the job.
                first = api.upload(small_page_png).json()["job"]["id"]
                assert wait_for(lambda: running(first), timeout=180), (tmp_path / "worker1.log").read_text()[-3000:]
                time.sleep(1)
                children = children_of(worker.pid)
                assert len(children) == 1
                kill(children[0])
                jobs = api.wait_done([first], timeout=240)
                assert jobs and jobs[first]["status"] == "succeeded", (jobs, (tmp_path / "worker1.log").read_text())

                # 2. Kill the whole worker (main process first, so it cannot requeue).
                second = api.upload(small_page_png).json()["job"]["id"]
                assert wait_for(lambda: running(second), timeout=120)
                delivered = time.time()
                children = children_of(worker.pid)
                kill(worker.pid)
                for pid in children:
                    kill(pid)
                worker.wait(timeout=30)
            time.sleep(2)
            assert running(second)  # nobody is on it now; the message waits in Redis
            # Redis hands the unacknowledged message out again after the visibility timeout.
            wait_until(delivered + VISIBILITY_TIMEOUT + 2)
            with running_worker(tmp_path, queue=queue, env=worker_env, log_name="worker2.log"):
                jobs = api.wait_done([second], timeout=240)
            assert jobs and jobs[second]["status"] == "succeeded", (jobs, (tmp_path / "worker2.log").read_text())

    log = (tmp_path / "worker1.log").read_text()
    assert "WorkerLostError" in log or "signal 9" in log
    for job_id in (first, second):
        job = Job.objects.get(pk=job_id)
        assert job.attempts == 2
        # One set of rows: the two lines of the page, each word and character once.
        assert Line.objects.filter(job=job).count() == 2
        assert [len(line["words"]) for line in job_result(job)["lines"]] == [2, 2]
        assert Word.objects.filter(line__job=job).count() == 4
        assert Glyph.objects.filter(word__line__job=job).count() == len(job.text.replace(" ", "").replace("\n", ""))
