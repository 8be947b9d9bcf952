"""The token endpoint, throttled per client address against password guessing."""

from rest_framework.authtoken.views import ObtainAuthToken

from .throttles import TokenRateThrottle


class ThrottledObtainAuthToken(ObtainAuthToken):
    throttle_classes = [TokenRateThrottle]


obtain_auth_token = ThrottledObtainAuthToken.as_view()
