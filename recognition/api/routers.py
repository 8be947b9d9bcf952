"""Every object id in our URLs is an integer: say so in the routes, so the OpenAPI
schema types ids as integers and /api/pages/abc/ is a 404 before any view runs."""

from rest_framework.routers import DefaultRouter


class IntegerIdRouter(DefaultRouter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._default_value_pattern = "[0-9]+"  # for viewsets that set no lookup_value_regex
