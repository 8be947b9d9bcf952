"""Refuse request bodies over the upload limit before Django reads them."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse


class RequestBodyLimitMiddleware:
    """Django streams file uploads to disk whatever their size; a body announced larger
    than the limit is answered 413 at once instead. (Bodies without a Content-Length
    are read as empty by Django, so they cannot get around it.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.HWR_MAX_REQUEST_BYTES
        if length > limit:
            return JsonResponse(
                {"detail": f"The request is {length} bytes; uploads may be at most "
                           f"{settings.HWR_MAX_UPLOAD_BYTES} bytes."},
                status=413,
            )
        return self.get_response(request)
