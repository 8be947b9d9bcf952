"""Documents (multi-page uploads) with their progress, exports of pages and documents in
PAGE XML, ALTO, hOCR, text and JSON, and ground truth that users bring with a page."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from ..documents import batches
from ..documents import selectors as documents
from ..documents import services as document_services
from ..exports import FORMATS, Export, export_document, export_page
from ..models import Document
from .document_serializers import (
    DocumentJobsSerializer,
    DocumentSerializer,
    GroundTruthSerializer,
    GroundTruthUploadSerializer,
    document_created,
    document_jobs,
)
from .filters import DocumentFilter
from .serializers import (
    BatchCreatedSerializer,
    BatchRefusedSerializer,
    BatchUploadSerializer,
    DocumentReprocessSerializer,
)
from .strict import INPUT_ERROR, LIST_ERRORS, StrictQueryMixin
from .throttles import QueuesWorkMixin

FORMAT_PARAMETER = OpenApiParameter(
    "format", str, enum=list(FORMATS), default="json",
    description="page: PAGE XML 2019; alto: ALTO v4; hocr: hOCR (XHTML); txt: plain text; json: the result "
                "structure with page sizes. A document's PAGE and ALTO come as a ZIP of one file per page.",
)
EXPORT_RESPONSES = {
    (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The export, as a download"),
    400: OpenApiResponse(description="Unknown format"),
    409: OpenApiResponse(description="No finished recognition to export yet"),
}


class ExportNegotiation(DefaultContentNegotiation):
    """Here `?format=` names an export format, not one of DRF's renderers: errors are JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def export_response(request: Request, make) -> HttpResponse | Response:
    """Run `make(format_name)` -> Export and send it as a download, or a JSON error."""
    name = request.query_params.get("format", "json")
    if name not in FORMATS:
        return Response({"detail": f"Choose an export format: ?format={'|'.join(FORMATS)}."},
                        status=status.HTTP_400_BAD_REQUEST)
    export: Export = make(name)  # NothingToExport (409) is answered by api/exceptions.py
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    return response


@extend_schema_view(list=extend_schema(responses={200: DocumentSerializer(many=True), **LIST_ERRORS}))
class DocumentViewSet(StrictQueryMixin, QueuesWorkMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """Multi-page uploads: each page is a page with its own jobs (see POST /api/pages/)."""

    serializer_class = DocumentSerializer
    queueing_actions = ("create", "reprocess")
    filter_backends = [DjangoFilterBackend]
    filterset_class = DocumentFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema, built without a user
            return Document.objects.none()
        return documents.documents_visible_to(self.request.user)

    def get_serializer_context(self):
        # Lists stay light: pages come with a single document only.
        return {**super().get_serializer_context(), "with_pages": self.action != "list"}

    @extend_schema(parameters=[FORMAT_PARAMETER], responses=EXPORT_RESPONSES)
    @action(detail=True, methods=["get"], content_negotiation_class=ExportNegotiation)
    def export(self, request: Request, pk=None):
        document = self.get_object()
        return export_response(request, lambda name: export_document(documents.document_export(document), name))


    @extend_schema(request={"multipart/form-data": BatchUploadSerializer},
                   responses={201: BatchCreatedSerializer, 400: BatchRefusedSerializer, 413: None, 415: None,
                              429: None, 503: None})
    def create(self, request: Request) -> Response:
        """A batch: several files (repeated `file` parts) or one ZIP of them become one
        document, each page with its own job. Every file is checked as a single upload
        is; those refused are listed with the reason and the others are kept."""
        data = BatchUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        options = data.validated_data
        batch = batches.create_batch(owner=request.user, uploads=options["file"], layout=options["layout"],
                                     charset=options["charset"], lexicon=options.get("lexicon", ""),
                                     model_version=options.get("model"),
                                     callback_url=options.get("callback_url", ""))
        report = {"accepted": [vars(a) for a in batch.accepted], "rejected": [vars(r) for r in batch.rejected]}
        if batch.document is None:
            return Response({"detail": "No file of the batch could be read; nothing was stored.", **report},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response({**document_created(batch.document), **report}, status=status.HTTP_201_CREATED)

    @extend_schema(request=DocumentReprocessSerializer,
                   responses={202: DocumentJobsSerializer, 400: INPUT_ERROR, 429: None, 503: None})
    @action(detail=True, methods=["post"])
    def reprocess(self, request: Request, pk=None) -> Response:
        """Read every page again, with `model` if given; `layout` and `layouts` set the
        layout of all pages or of single ones."""
        document = self.get_object()
        data = DocumentReprocessSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queued = document_services.reprocess_document(
            document, requested_by=request.user, model_version=data.validated_data.get("model"),
            layout=data.validated_data.get("layout"), layouts=data.validated_data.get("layouts"),
        )
        return Response(document_jobs(document, queued), status=status.HTTP_202_ACCEPTED)


# Page actions: export the page's latest result; read or import its ground truth. (A
# comment, not a docstring: the schema would show it as every page endpoint's description.)
class PageExportMixin:
    @extend_schema(parameters=[FORMAT_PARAMETER], responses=EXPORT_RESPONSES)
    @action(detail=True, methods=["get"], content_negotiation_class=ExportNegotiation)
    def export(self, request: Request, pk=None):
        page = self.get_object()
        return export_response(request, lambda name: export_page(documents.page_export(page), name))

    @extend_schema(methods=["GET"], request=None, responses={200: GroundTruthSerializer, 404: None})
    @extend_schema(methods=["POST"], request=GroundTruthUploadSerializer,
                   responses={201: GroundTruthSerializer, 400: None, 413: None})
    @action(detail=True, methods=["get", "post"], url_path="ground-truth", url_name="ground-truth")
    def ground_truth(self, request: Request, pk=None) -> Response:
        """The page's transcription brought as ground truth (ALTO or PAGE XML, in the page
        image's pixels). POST replaces it."""
        page = self.get_object()
        if request.method == "POST":
            data = GroundTruthUploadSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            document_services.import_ground_truth(page, data.validated_data["file"], user=request.user)
        truth = documents.ground_truth_of(page)
        if truth is None:
            return Response({"detail": f"Page {page.pk} has no ground truth."}, status=status.HTTP_404_NOT_FOUND)
        code = status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK
        return Response(GroundTruthSerializer(documents.ground_truth_dict(truth)).data, status=code)
