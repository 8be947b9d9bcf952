"""Thin API views: parse input, call a service or selector, serialize output."""

from __future__ import annotations

from django.http import FileResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from .. import jobs, selectors, services
from ..documents.services import read_ground_truth
from ..models import Job, Page
from .document_serializers import document_created
from .document_views import PageExportMixin
from .filters import JobFilter, PageFilter, PageTextSearch
from .serializers import (
    JobLinkSerializer,
    JobSerializer,
    PageCreatedSerializer,
    PageReprocessSerializer,
    PageSerializer,
    PageUploadSerializer,
)
from .strict import INPUT_ERROR, LIST_ERRORS, StrictQueryMixin
from .throttles import QueuesWorkMixin


@extend_schema_view(list=extend_schema(responses={200: PageSerializer(many=True), **LIST_ERRORS}))
class PageViewSet(StrictQueryMixin, PageExportMixin, QueuesWorkMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  viewsets.GenericViewSet):
    serializer_class = PageSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends = [DjangoFilterBackend, PageTextSearch]
    filterset_class = PageFilter
    queueing_actions = ("create", "reprocess")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema, built without a user
            return Page.objects.none()
        return selectors.pages_visible_to(self.request.user)

    @extend_schema(request=PageUploadSerializer,
                   responses={201: PageCreatedSerializer, 400: INPUT_ERROR, 413: None, 415: None, 429: None,
                              503: None})
    def create(self, request: Request) -> Response:
        data = PageUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ground_truth = data.validated_data.get("ground_truth")
        transcription = read_ground_truth(ground_truth) if ground_truth else None
        page = services.create_page(owner=request.user, upload=data.validated_data["image"],
                                    layout=data.validated_data["layout"],
                                    charset=data.validated_data["charset"],
                                    lexicon=data.validated_data.get("lexicon", ""),
                                    ground_truth=transcription,
                                    ground_truth_name=getattr(ground_truth, "name", "") or "",
                                    model_version=data.validated_data.get("model"),
                                    callback_url=data.validated_data.get("callback_url", ""))
        body = {"id": page.id, "job": JobLinkSerializer(selectors.latest_job(page)).data}
        if page.document_id:
            # A PDF or multi-page TIFF: `id` and `job` are its first page's, as for one image.
            body["document"] = document_created(page.document)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=PageReprocessSerializer,
                   responses={202: JobLinkSerializer, 400: INPUT_ERROR, 429: None, 503: None})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser, MultiPartParser])
    def reprocess(self, request: Request, pk=None) -> Response:
        page = self.get_object()
        data = PageReprocessSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.reprocess_page(page, requested_by=request.user,
                                      model_version=data.validated_data.get("model"),
                                      layout=data.validated_data.get("layout"))
        return Response(JobLinkSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "image/*"): OpenApiResponse(description="The uploaded image")})
    @action(detail=True, methods=["get"])
    def image(self, request: Request, pk=None) -> FileResponse:
        page = self.get_object()
        return FileResponse(page.image.open("rb"), content_type=page.content_type or "application/octet-stream")


@extend_schema_view(list=extend_schema(responses={200: JobSerializer(many=True), **LIST_ERRORS}))
class JobViewSet(StrictQueryMixin, QueuesWorkMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = JobSerializer
    queueing_actions = ("retry",)
    filter_backends = [DjangoFilterBackend]
    filterset_class = JobFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Job.objects.none()
        return selectors.jobs_visible_to(self.request.user)

    def get_serializer_context(self):
        # Lists stay light: results come with a single job only.
        return {**super().get_serializer_context(), "with_result": self.action != "list"}

    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="Boxes drawn over the page")})
    @action(detail=True, methods=["get"])
    def overlay(self, request: Request, pk=None) -> FileResponse | Response:
        job = self.get_object()
        if not job.overlay:
            return Response({"detail": "This job has no overlay yet."}, status=status.HTTP_404_NOT_FOUND)
        return FileResponse(job.overlay.open("rb"), content_type="image/png")

    @extend_schema(request=None, responses={202: JobLinkSerializer, 409: None, 429: None, 503: None})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk=None) -> Response:
        """Queue a failed job again under the same id (e.g. one whose worker was lost)."""
        job = jobs.retry_job(self.get_object(), requested_by=request.user)
        return Response(JobLinkSerializer(job).data, status=status.HTTP_202_ACCEPTED)
