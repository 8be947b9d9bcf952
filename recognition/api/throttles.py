"""Request rates (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]): work queued per user,
token requests per client address. Counted in the "throttles" cache (Redis), one count
for every web process: a fixed window per rate period, counted with Redis's atomic
increment, so parallel requests on several processes cannot all pass."""

from __future__ import annotations

import time

from django.core.cache import caches
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

THROTTLE_CACHE = "throttles"


def forget_counts() -> None:
    """Drop every request count of this deployment (tests start each with none)."""
    cache = caches[THROTTLE_CACHE]
    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_of is None:  # a cache of this process only
        cache.clear()
        return
    client = client_of(write=True)
    pattern = cache.make_key("*")
    for key in client.scan_iter(match=pattern, count=500):
        client.delete(key)


class SettingsRateMixin:
    def get_rate(self):
        # DRF reads the rates once at import; read them per request so a changed
        # setting (tests, the load test's environment) applies.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class SharedCountMixin:
    """Count requests in the shared cache: `num_requests` per window of `duration`
    seconds. (DRF's own throttle reads a history, then writes it back: two processes
    reading at once would both pass.)"""

    window_end: float = 0.0

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        cache = caches[THROTTLE_CACHE]
        now = time.time()
        window = int(now // self.duration)
        key = f"{self.key}:{window}"
        cache.add(key, 0, timeout=self.duration + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=self.duration + 5)
            count = 1
        self.window_end = (window + 1) * self.duration
        return count <= self.num_requests

    def wait(self) -> float:
        return max(1.0, self.window_end - time.time())


class UploadRateThrottle(SharedCountMixin, SettingsRateMixin, UserRateThrottle):
    """Requests that queue a job (upload, reprocess, retry), per user."""

    scope = "uploads"


class TokenRateThrottle(SharedCountMixin, SettingsRateMixin, SimpleRateThrottle):
    """Password guesses at the token endpoint, per client address whoever is logged in."""

    scope = "token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class QueuesWorkMixin:
    """Viewset mixin: actions that queue a job are throttled per user (HWR_UPLOAD_RATE)."""

    queueing_actions: tuple[str, ...] = ()

    def get_throttles(self):
        if self.action in self.queueing_actions:
            return [UploadRateThrottle()]
        return super().get_throttles()
