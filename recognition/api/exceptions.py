"""Errors as clear JSON: service refusals get their status, a database or broker that
is away for a moment is a 503 with Retry-After, never a stack trace."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .. import services
from ..uploads import UploadRejected

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10

# (exception types, status, message or None to use the exception's own)
REFUSALS = [
    ((UploadRejected,), None, None),
    ((services.QueueFull,), 429, None),
    ((services.JobNotRetryable,), 409, None),
    ((services.QueueUnavailable,), 503, None),
    ((OperationalError, InterfaceError), 503, "The database is unavailable at the moment; try again shortly."),
    ((BrokerError, RedisConnectionError, RedisTimeoutError), 503,
     "The job queue is unavailable at the moment; try again shortly."),
]


def api_exception_handler(exc, context):
    """DRF's handler, plus the refusals above."""
    for types, status, message in REFUSALS:
        if isinstance(exc, types):
            status = status or exc.status
            if status == 503:
                logger.warning("answering 503 for %s: %s: %s", context["request"].path, type(exc).__name__, exc)
            response = Response({"detail": message or getattr(exc, "message", None) or str(exc)}, status=status)
            if status in (429, 503):
                response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
    return exception_handler(exc, context)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"detail": "Server error; it has been logged."}, status=500)
    from django.views.defaults import server_error as default

    return default(request)
