"""Strict input: a form field or query parameter an endpoint does not read is a 400 that
names it, so a client never believes it chose or filtered something it did not."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.request import Request

# DRF's renderer override (?format=json), read by every endpoint.
ALWAYS_ALLOWED_QUERY = frozenset({"format"})


class UnknownInput(APIException):
    """Fields or parameters the endpoint does not know: 400 with their names."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "unknown_input"

    def __init__(self, kind: str, unknown: list[str], known: list[str]):
        names = ", ".join(unknown)
        reads = ", ".join(known) if known else "none"
        key = "unknown_fields" if kind == "field" else "unknown_parameters"
        plural = "s" if len(unknown) > 1 else ""
        super().__init__({
            "detail": f"Unknown {kind}{plural}: {names}. This endpoint reads: {reads}.",
            key: unknown,
        })


class InputErrorSerializer(serializers.Serializer):
    """A 400: `detail`, and the names of the fields or parameters the endpoint does not
    read; a field that is there but wrong comes as {"<field>": ["<message>"]} instead."""

    detail = serializers.CharField()
    unknown_fields = serializers.ListField(child=serializers.CharField(), required=False)
    unknown_parameters = serializers.ListField(child=serializers.CharField(), required=False)


INPUT_ERROR = OpenApiResponse(InputErrorSerializer, description=(
    "Unknown fields or query parameters (named), or invalid values ({\"<field>\": [\"<message>\"]})"))
LIST_ERRORS = {400: INPUT_ERROR}


class StrictSerializer(serializers.Serializer):
    """An input serializer that refuses fields it has not declared."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            # A form's nested keys (layouts.2, layouts[2]) belong to their field.
            unknown = sorted({str(key) for key in data if str(key).split(".")[0].split("[")[0] not in self.fields})
            if unknown:
                raise UnknownInput("field", unknown, sorted(self.fields))
        return super().to_internal_value(data)


class StrictQueryMixin:
    """Viewset mixin: refuse query parameters the action does not read. A list reads its
    filters, ordering, search and pagination (the same parameters the schema shows); other
    actions read those named in `action_query_params`."""

    action_query_params: dict[str, tuple[str, ...]] = {}

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        known = self.known_query_params()
        unknown = sorted(set(request.query_params.keys()) - known)
        if unknown:
            raise UnknownInput("query parameter", unknown, sorted(known - ALWAYS_ALLOWED_QUERY))

    def known_query_params(self) -> set[str]:
        action = getattr(self, "action", None)  # a plain APIView has none
        known = set(ALWAYS_ALLOWED_QUERY) | set(self.action_query_params.get(action, ()))
        if action == "list":
            for backend_class in getattr(self, "filter_backends", ()):
                backend = backend_class()
                if hasattr(backend, "get_filterset_class"):  # django-filter
                    filterset = backend.get_filterset_class(self, self.get_queryset())
                    known |= set(filterset.base_filters) if filterset else set()
                else:
                    known |= {p["name"] for p in backend.get_schema_operation_parameters(self)}
            if getattr(self, "paginator", None) is not None:
                known |= {p["name"] for p in self.paginator.get_schema_operation_parameters(self)}
        return known
