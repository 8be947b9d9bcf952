"""Errors as clear JSON, mapped here alone: a refusal a service raises (errors.Refusal)
is answered with its own status and message, a database or broker that is away for a
moment is a 503 with Retry-After, never a stack trace. Views catch none of them."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework.response import Response
from rest_framework.views import exception_handler

from ..errors import Refusal

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10

# Faults of ours that pass: (exception types, message); answered with 503.
OUTAGES = [
    ((OperationalError, InterfaceError), "The database is unavailable at the moment; try again shortly."),
    ((BrokerError, RedisConnectionError, RedisTimeoutError),
     "The job queue is unavailable at the moment; try again shortly."),
]


def api_exception_handler(exc, context):
    """DRF's handler, plus service refusals and short outages."""
    if isinstance(exc, Refusal):
        return _answer(exc.status, exc.message, exc, context)
    for types, message in OUTAGES:
        if isinstance(exc, types):
            return _answer(503, message, exc, context)
    return exception_handler(exc, context)


def _answer(status: int, message: str, exc: Exception, context) -> Response:
    if status == 503:
        logger.warning("answering 503 for %s: %s: %s", context["request"].path, type(exc).__name__, exc)
    response = Response({"detail": message}, status=status)
    if status in (429, 503):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


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
