"""Explicit input and output serializers for the REST API."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import selectors
from ..models import Job, Page
from ..pipeline import CharsetError, parse_charset
from ..webhooks.delivery import CallbackRefused, check_callback_url
from .document_serializers import DocumentCreatedSerializer
from .strict import StrictSerializer

BATCH_HINT = ("Send one image (or one PDF or TIFF) per request here; for several files use POST /api/documents/ "
              "with repeated `file` parts or one ZIP.")



class ModelChoiceMixin(serializers.Serializer):
    """`model`: a ready model version by name, for the jobs this request queues."""

    model = serializers.CharField(
        required=False, max_length=100,
        help_text="Name of a ready model version (GET /api/models/) to read with; by default the active one. "
                  "An unknown or unusable version is a 400.",
    )

    def validate_model(self, value: str):
        try:
            return selectors.usable_model_version(value)
        except selectors.UnusableModel as exc:
            raise serializers.ValidationError(exc.message) from exc


class CallbackMixin(serializers.Serializer):
    """`callback_url`: where to POST a signed event when the work ends (webhooks/)."""

    callback_url = serializers.URLField(
        required=False, max_length=500,
        help_text="http(s) URL to POST a signed JSON event to when the job ends (for a document: when every page "
                  "has). Loopback, private and link-local addresses are refused. See the WebhookEvent schema.",
    )

    def validate_callback_url(self, value: str) -> str:
        try:
            check_callback_url(value, allow_private=settings.HWR_WEBHOOK_ALLOW_PRIVATE)
        except CallbackRefused as exc:
            raise serializers.ValidationError(exc.message) from exc
        return value


class PageUploadSerializer(CallbackMixin, ModelChoiceMixin, StrictSerializer):
    image = serializers.FileField(help_text="PNG, JPEG or TIFF scan; a PDF or a multi-page TIFF becomes a document "
                                            "with one page (and job) per page.")
    layout = serializers.ChoiceField(choices=Page.Layout.choices, default=Page.Layout.PAGE)
    charset = serializers.CharField(
        default="any", max_length=Page._meta.get_field("charset").max_length,
        help_text="upper, lower, digits, alpha, alnum, any, or a list such as A-Z -'",
    )
    lexicon = serializers.CharField(
        required=False, allow_blank=True, default="",
        help_text="Word list, one entry per line (or comma separated). A file upload is accepted too.",
    )
    ground_truth = serializers.FileField(
        required=False, help_text="ALTO or PAGE XML transcription of the page, kept as its ground truth (one image "
                                  "only; for a document's pages use POST /api/pages/<id>/ground-truth/).",
    )

    def validate_charset(self, value: str) -> str:
        try:
            parse_charset(value)
        except CharsetError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value

    def to_internal_value(self, data):
        # `lexicon` may arrive as an uploaded file: read it as text.
        if hasattr(data, "getlist") and len(data.getlist("image")) > 1:
            raise serializers.ValidationError({"image": [BATCH_HINT]})
        lexicon = data.get("lexicon") if hasattr(data, "get") else None
        if hasattr(lexicon, "read"):
            data = data.copy()
            data["lexicon"] = lexicon.read(2 * 1024 * 1024).decode("utf-8", errors="replace")
        return super().to_internal_value(data)


class BatchUploadSerializer(PageUploadSerializer):
    """The same options as one upload, for every page of the batch."""

    image = None
    ground_truth = None
    file = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), min_length=1,
        help_text="Repeat the part for each file (PNG, JPEG, TIFF, PDF; a PDF or multi-page TIFF adds all its "
                  "pages), or send one ZIP of such files. Pages follow the order of the parts (of names in a ZIP).",
    )


class AcceptedFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    pages = serializers.ListField(child=serializers.IntegerField(), help_text="Its page numbers in the document")


class RejectedFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.IntegerField(help_text="The status a single upload of this file would get")
    detail = serializers.CharField()


class BatchCreatedSerializer(DocumentCreatedSerializer):
    accepted = AcceptedFileSerializer(many=True)
    rejected = RejectedFileSerializer(many=True)


class BatchRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    accepted = AcceptedFileSerializer(many=True)
    rejected = RejectedFileSerializer(many=True)


class PageReprocessSerializer(ModelChoiceMixin, StrictSerializer):
    layout = serializers.ChoiceField(choices=Page.Layout.choices, required=False,
                                     help_text="Read the page with this layout from now on; by default its own.")


class DocumentReprocessSerializer(ModelChoiceMixin, StrictSerializer):
    layout = serializers.ChoiceField(choices=Page.Layout.choices, required=False,
                                     help_text="Layout for every page; by default each page keeps its own.")
    layouts = serializers.DictField(
        child=serializers.ChoiceField(choices=Page.Layout.choices), required=False,
        help_text='Layouts of single pages by page number, over `layout`: {"2": "word"} reads page 2 as a form field '
                  "(in a form: layouts.2=word).",
    )

    def to_internal_value(self, data):
        # A form sends layouts.2=word; DRF's DictField reads no nested form keys, so nest them here.
        if hasattr(data, "getlist"):
            nested = {key.split(".", 1)[1]: data.get(key) for key in data if key.startswith("layouts.")}
            data = {key: data.get(key) for key in data if not key.startswith("layouts.")}
            if nested:
                data["layouts"] = nested
        return super().to_internal_value(data)

    def validate_layouts(self, value: dict) -> dict[int, str]:
        bad = [key for key in value if not str(key).isdigit() or int(key) < 1]
        if bad:
            raise serializers.ValidationError(f"Page numbers are whole numbers from 1: not {', '.join(map(str, bad))}.")
        return {int(key): layout for key, layout in value.items()}


class JobLinkSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "status", "url"]

    def get_url(self, job: Job) -> str:
        return reverse("job-detail", args=[job.id])


class PageCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    job = JobLinkSerializer()
    document = DocumentCreatedSerializer(required=False, help_text="Only for a PDF or multi-page TIFF: `id` and "
                                         "`job` are then those of its first page.")


class PageSerializer(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()
    latest_job = serializers.SerializerMethodField()

    class Meta:
        model = Page
        fields = [
            "id", "original_filename", "content_type", "size", "width", "height", "layout", "charset",
            "created", "image_url", "latest_job", "document", "number",
        ]

    def get_image_url(self, page: Page) -> str:
        return reverse("page-image", args=[page.id])

    @extend_schema_field(JobLinkSerializer(allow_null=True))
    def get_latest_job(self, page: Page) -> dict | None:
        job = selectors.latest_job(page)
        return JobLinkSerializer(job).data if job else None


class CharSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    bbox = serializers.ListField(child=serializers.IntegerField(), min_length=4, max_length=4)
    text = serializers.CharField()
    confidence = serializers.FloatField()


class WordSerializer(CharSerializer):
    chars = CharSerializer(many=True)


class LineSerializer(CharSerializer):
    words = WordSerializer(many=True)


class ResultSerializer(serializers.Serializer):
    text = serializers.CharField()
    lines = LineSerializer(many=True)


class JobSerializer(serializers.ModelSerializer):
    model_version = serializers.CharField(source="model_version_name")
    overlay_url = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id", "page", "status", "progress", "error", "model_version", "created", "started", "finished",
            "overlay_url", "result",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_overlay_url(self, job: Job) -> str | None:
        return reverse("job-overlay", args=[job.id]) if job.overlay else None

    @extend_schema_field(ResultSerializer(allow_null=True))
    def get_result(self, job: Job) -> dict | None:
        return selectors.job_result(job) if self.context.get("with_result", True) else None
