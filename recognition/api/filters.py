"""Filters, ordering and full-text search on the list endpoints (django-filter): what a
client may ask for, declared once, so the OpenAPI schema and the strict query check
(strict.py) read the same names."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from .. import selectors
from ..models import Document, Job, Page


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, in UTC before it reaches the database: PostgreSQL refuses
    offsets past ±15:59 that Python accepts (a 500 schemathesis found)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise forms.ValidationError("Enter a time between the years 1 and 9999.") from exc


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class CreatedFilterSet(django_filters.FilterSet):
    created_after = UtcDateTimeFilter(
        field_name="created", lookup_expr="gte", help_text="Created at or after this time (ISO 8601).")
    created_before = UtcDateTimeFilter(
        field_name="created", lookup_expr="lt", help_text="Created before this time (ISO 8601).")


class PageFilter(CreatedFilterSet):
    status = django_filters.ChoiceFilter(choices=Job.Status.choices, method="filter_status",
                                         help_text="Pages whose latest job is in this state.")
    document = django_filters.NumberFilter(field_name="document", help_text="Pages of this document.")
    model = django_filters.CharFilter(method="filter_model",
                                      help_text="Pages with a job read by (or queued for) this model version.")
    ordering = django_filters.OrderingFilter(
        fields=(("created", "created"), ("id", "id"), ("original_filename", "filename"), ("number", "number")),
        help_text="Sort by created, id, filename or number; a leading - reverses. Default: newest first.",
    )

    class Meta:
        model = Page
        fields = []

    def filter_status(self, queryset, name, value):
        return selectors.pages_with_latest_status(queryset, value)

    def filter_model(self, queryset, name, value):
        return queryset.filter(jobs__model_version_name=value).distinct()


class JobFilter(CreatedFilterSet):
    status = django_filters.ChoiceFilter(choices=Job.Status.choices)
    page_id = django_filters.NumberFilter(field_name="page",
                                          help_text="Jobs of this page (`page` is the page of results).")
    document = django_filters.NumberFilter(field_name="page__document", help_text="Jobs of this document's pages.")
    model = django_filters.CharFilter(field_name="model_version_name",
                                      help_text="Jobs read by (or queued for) this model version.")
    ordering = django_filters.OrderingFilter(
        fields=(("created", "created"), ("id", "id"), ("finished", "finished"), ("status", "status")),
        help_text="Sort by created, id, finished or status; a leading - reverses. Default: newest first.",
    )

    class Meta:
        model = Job
        fields = []


class DocumentFilter(CreatedFilterSet):
    ordering = django_filters.OrderingFilter(
        fields=(("created", "created"), ("id", "id"), ("original_filename", "filename"),
                ("page_count", "page_count")),
        help_text="Sort by created, id, filename or page_count; a leading - reverses. Default: newest first.",
    )

    class Meta:
        model = Document
        fields = []


SEARCH_MAX = 500


class PageTextSearch(BaseFilterBackend):
    """?search=: pages whose recognised or corrected text matches (PostgreSQL full-text
    search where the database is PostgreSQL, every word as a substring on SQLite)."""

    param = "search"

    def filter_queryset(self, request, queryset, view):
        query = request.query_params.get(self.param, "").strip()
        if "\x00" in query:  # PostgreSQL text cannot hold it (a 500 schemathesis found)
            raise ValidationError({self.param: ["Null characters are not allowed."]})
        if len(query) > SEARCH_MAX:
            raise ValidationError({self.param: [f"Search for at most {SEARCH_MAX} characters."]})
        return selectors.pages_matching(queryset, query) if query else queryset

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [{"name": self.param, "in": "query", "required": False, "schema": {"type": "string"},
                 "description": SEARCH_HELP}]


SEARCH_HELP = ("Full-text search over the pages' recognised and corrected text: words, \"a phrase\", -excluded, "
               "or. Every word must match.")
