"""The Celery app with every recognition slowed by HWR_TEST_JOB_DELAY seconds, so a
test can act (kill the worker, cut the database) while a job is surely running.
Start a worker with `celery -A tests.helpers.slow_worker_app worker`."""

import os
import time

from celery.signals import worker_process_init

from hwr_site.celery import app

__all__ = ["app"]


@worker_process_init.connect
def slow_down_recognition(**_kwargs):
    import recognition.tasks as tasks

    recognize = tasks.recognize_image

    def slow_recognize(*args, **kwargs):
        time.sleep(float(os.environ.get("HWR_TEST_JOB_DELAY", "0")))
        return recognize(*args, **kwargs)

    tasks.recognize_image = slow_recognize
