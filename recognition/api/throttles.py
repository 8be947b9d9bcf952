"""Request rates (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]): work queued per user,
token requests per client address."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class SettingsRateMixin:
    def get_rate(self):
        # DRF reads the rates once at import; read them per request so a changed
        # setting (tests, the load test's environment) applies.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class UploadRateThrottle(SettingsRateMixin, UserRateThrottle):
    """Requests that queue a job (upload, reprocess, retry), per user."""

    scope = "uploads"


class TokenRateThrottle(SettingsRateMixin, SimpleRateThrottle):
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
