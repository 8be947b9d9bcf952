"""The Celery app. Workers import this; the model loads inside each worker process."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwr_site.settings")

app = Celery("hwr_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
