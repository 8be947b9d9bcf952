"""Settings, all read from the environment with safe development defaults.

Every variable is listed with its meaning in the README ("Settings").
"""

from __future__ import annotations

from pathlib import Path

import environ

from training import paths as training_paths

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The default key is for development only; `manage.py check --deploy` flags it.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="django-insecure-development-key-change-me")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS. DJANGO_HTTPS=1 in production turns on secure cookies, the redirect to HTTPS and
# HSTS, so `manage.py check --deploy` passes; each can still be set on its own.
HTTPS = env.bool("DJANGO_HTTPS", default=False)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=HTTPS)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=HTTPS)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=HTTPS)
if env.bool("DJANGO_BEHIND_HTTPS_PROXY", default=False):
    # Only behind a proxy that sets this header itself and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if HTTPS and "DJANGO_SECRET_KEY" not in env:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DJANGO_HTTPS is on: set DJANGO_SECRET_KEY to a long random value.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "recognition",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hwr_site.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hwr_site.urls"
WSGI_APPLICATION = "hwr_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

VAR_DIR = Path(env.str("HWR_VAR_DIR", default=str(BASE_DIR / "var")))
# The SQLite database, logs and models live here: a fresh checkout has no such folder.
VAR_DIR.mkdir(parents=True, exist_ok=True)

# SQLite by default so the quickstart needs no server; DATABASE_URL selects PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so a real worker process can read the test database too.
    DATABASES["default"]["TEST"]["NAME"] = str(VAR_DIR / "test-db.sqlite3")
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Take the write lock when a transaction begins: a transaction that reads first and
    # writes later fails at once with "database is locked" when another process writes,
    # whatever the timeout (seen with 20 clients uploading at once).
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Media is never served at a public URL: pages and overlays go through views that
# check ownership. MEDIA_URL exists only because Django requires it.
MEDIA_URL = "/media-not-served/"

# Files go through Django's storage API; set HWR_FILE_STORAGE to an S3-compatible
# backend (django-storages) so web and workers on several machines share them.
STORAGES = {
    "default": {"BACKEND": env.str("HWR_FILE_STORAGE", default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if "s3" in STORAGES["default"]["BACKEND"].lower():
    STORAGES["default"]["OPTIONS"] = {
        "bucket_name": env.str("HWR_S3_BUCKET"),
        "endpoint_url": env.str("HWR_S3_ENDPOINT_URL", default=None),
        "querystring_auth": True,
        "default_acl": "private",
    }

# Uploads
HWR_MAX_UPLOAD_BYTES = env.int("HWR_MAX_UPLOAD_BYTES", default=40 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = HWR_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
HWR_MAX_PIXELS = env.int("HWR_MAX_PIXELS", default=60_000_000)
HWR_MIN_IMAGE_SIDE = env.int("HWR_MIN_IMAGE_SIDE", default=8)
HWR_MAX_ASPECT_RATIO = env.int("HWR_MAX_ASPECT_RATIO", default=100)
# Whole request bodies larger than the upload limit plus room for the form fields are
# refused with 413 before they are read.
HWR_MAX_REQUEST_BYTES = HWR_MAX_UPLOAD_BYTES + 4 * 1024 * 1024
# Jobs a user may have queued or running at once; more answer 429 (staff are exempt).
HWR_MAX_ACTIVE_JOBS_PER_USER = env.int("HWR_MAX_ACTIVE_JOBS_PER_USER", default=20)
# Multi-page uploads (PDF, multi-page TIFF): each page becomes a page with its own job.
# More pages answer 413. PDF pages are rendered at their scan's resolution, or at
# HWR_PDF_DPI when they are not scans, within HWR_PDF_MAX_PIXELS per page.
HWR_MAX_DOCUMENT_PAGES = env.int("HWR_MAX_DOCUMENT_PAGES", default=50)
HWR_PDF_DPI = env.int("HWR_PDF_DPI", default=300)
HWR_PDF_MAX_PIXELS = env.int("HWR_PDF_MAX_PIXELS", default=12_000_000)

# Recognition
# Both read HWR_MODEL_DIR / HWR_DATA_DIR from the environment, with the shipped model
# and ../shared/data as defaults.
HWR_MODEL_DIR = training_paths.DEFAULT_MODEL_DIR
HWR_DATA_DIR = training_paths.DATA_DIR

# Review and retraining
# Words read with less confidence than this count as doubtful on the review page and
# in the review queue.
HWR_REVIEW_CONFIDENCE = env.float("HWR_REVIEW_CONFIDENCE", default=0.6)
# Share of pages (percent) whose corrections are kept out of training to measure new versions.
HWR_FEEDBACK_HOLDOUT_PERCENT = env.int("HWR_FEEDBACK_HOLDOUT_PERCENT", default=10)
# Retrained model directories. Keras reads and writes local paths: with workers on
# several machines this folder must be shared storage (e.g. an NFS mount) on all of them.
HWR_MODELS_DIR = Path(env.str("HWR_MODELS_DIR", default=str(VAR_DIR / "models")))
# A retrained version becomes active by itself only if its held-out EMNIST accuracy is
# at most this much below its parent's, and it reads the held-out corrections no worse.
HWR_ACTIVATION_TOLERANCE = env.float("HWR_ACTIVATION_TOLERANCE", default=0.01)
HWR_TRAINING_SOFT_TIME_LIMIT = env.int("HWR_TRAINING_SOFT_TIME_LIMIT", default=4 * 3600)
HWR_TRAINING_TIME_LIMIT = env.int("HWR_TRAINING_TIME_LIMIT", default=4 * 3600 + 600)

# Webhooks (recognition/webhooks/): events POSTed to a job's or document's callback_url,
# signed with the owner's secret. Callback URLs resolving to loopback, private or
# link-local addresses are refused unless HWR_WEBHOOK_ALLOW_PRIVATE (tests, an intranet).
HWR_WEBHOOK_ALLOW_PRIVATE = env.bool("HWR_WEBHOOK_ALLOW_PRIVATE", default=False)
HWR_WEBHOOK_TIMEOUT = env.float("HWR_WEBHOOK_TIMEOUT", default=10.0)
# Attempts in all; the waits between them double from HWR_WEBHOOK_RETRY_DELAY seconds up
# to HWR_WEBHOOK_RETRY_DELAY_MAX (10 s, 20 s, 40 s ... by default).
HWR_WEBHOOK_MAX_ATTEMPTS = env.int("HWR_WEBHOOK_MAX_ATTEMPTS", default=6)
HWR_WEBHOOK_RETRY_DELAY = env.float("HWR_WEBHOOK_RETRY_DELAY", default=10.0)
HWR_WEBHOOK_RETRY_DELAY_MAX = env.float("HWR_WEBHOOK_RETRY_DELAY_MAX", default=600.0)
# The service's address as clients reach it, for the absolute URLs in webhook events
# (e.g. https://hwr.example.org); without it events carry paths.
HWR_PUBLIC_URL = env.str("HWR_PUBLIC_URL", default="")

# Celery: Redis is the broker; job state lives in the database, so no result backend.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("HWR_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("HWR_TASK_TIME_LIMIT", default=360)
# Redis redelivers an unacknowledged task after this long; it must exceed the hard
# time limit or a slow job would be handed to a second worker while still running.
HWR_BROKER_VISIBILITY_TIMEOUT = env.int("HWR_BROKER_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 300)
if HWR_BROKER_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("HWR_BROKER_VISIBILITY_TIMEOUT must exceed HWR_TASK_TIME_LIMIT.")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": HWR_BROKER_VISIBILITY_TIMEOUT, "socket_connect_timeout": 5}
# A job still `running` this long after it started has no worker left on it: the hard
# time limit has killed it, or its worker died and the broker's redelivery (after the
# visibility timeout) found no worker. It is marked failed, and its owner may retry it.
HWR_STALE_JOB_SECONDS = env.int("HWR_STALE_JOB_SECONDS", default=HWR_BROKER_VISIBILITY_TIMEOUT + 60)
HWR_REAP_INTERVAL = env.int("HWR_REAP_INTERVAL", default=60)
# Sending a task while Redis is away: retry with backoff for a few seconds, then the
# API answers 503. Workers reconnect for as long as it takes.
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 4, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2}
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A job running when the broker connection drops finishes and writes its result; its
# message, unacknowledged, comes back after the visibility timeout and finds it done.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_DEFAULT_QUEUE = env.str("HWR_RECOGNITION_QUEUE", default="recognition")
HWR_RECOGNITION_QUEUE = CELERY_TASK_DEFAULT_QUEUE
HWR_TRAINING_QUEUE = env.str("HWR_TRAINING_QUEUE", default="training")


def route_by_task_name(name: str, args, kwargs, options, task=None, **_kwargs) -> dict:
    """Retraining on its own queue, so a run never starves uploads; every other task on
    the recognition queue. The queue settings are read as each task is sent, so a queue
    set at run time applies (a test gives its worker a queue of its own)."""
    from django.conf import settings as current

    queues = {"recognition.train_from_feedback": current.HWR_TRAINING_QUEUE}
    return {"queue": queues.get(name, current.HWR_RECOGNITION_QUEUE)}


# Tasks are sent by their names and routed here alone, by name: no call site names a queue.
CELERY_TASK_ROUTES = [route_by_task_name]
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Each worker process loads TensorFlow and the model when it starts (after the fork):
# give it longer than Celery's default 4 s to report that it is up.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = 60
# `celery -A hwr_site beat` sends the reaper (recognition/reaper.py); workers also reap
# when they start a job, and a request for a training run does.
CELERY_BEAT_SCHEDULE = {
    "fail-stale-jobs": {
        "task": "recognition.fail_stale_jobs",
        "schedule": HWR_REAP_INTERVAL,
        "options": {"expires": HWR_REAP_INTERVAL},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Throttle state is per process unless CACHE_URL names a shared cache (redis://.../1).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Request rates (api/throttles.py) are counted here, in Redis by default, so every web
# process and machine shares one count. Keys carry the database's name, so deployments
# (and test runs) sharing a Redis keep their own counts.
CACHES["throttles"] = {
    **env.cache("HWR_THROTTLE_CACHE_URL", default=REDIS_URL),
    "KEY_PREFIX": f"hwr:{Path(str(DATABASES['default'].get('NAME', ''))).name}:throttle",
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "recognition.api.pagination.Pagination",
    "PAGE_SIZE": env.int("HWR_API_PAGE_SIZE", default=20),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "recognition.api.exceptions.api_exception_handler",
    # Uploads (and other requests that queue work) per user, token requests per client address.
    "DEFAULT_THROTTLE_RATES": {
        "uploads": env.str("HWR_UPLOAD_RATE", default="30/minute"),
        "token": env.str("HWR_TOKEN_RATE", default="10/minute"),
    },
    # Proxies in front of the web server, so the client address is read from X-Forwarded-For.
    "NUM_PROXIES": env.int("HWR_NUM_PROXIES", default=None),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Handwriting recognition API",
    "DESCRIPTION": "Upload scanned handwritten pages, poll recognition jobs, read text with boxes and confidences.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "recognition.models.Job.Status",
        "ModelVersionStatusEnum": "recognition.models.ModelVersion.Status",
        "LineKindEnum": "recognition.models.Line.Kind",
        "SampleKindEnum": "recognition.models.LabeledSample.Kind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("HWR_LOG_LEVEL", default="INFO")},
}
