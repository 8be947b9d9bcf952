"""Input and output serializers for corrections, labelled samples and model versions."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Glyph, LabeledSample, Line, ModelVersion, Word
from .strict import StrictSerializer


class CorrectionSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=False, max_length=Word._meta.get_field("text").max_length,
                                 trim_whitespace=False, help_text="The right text (a word) or label (one character).")
    not_text = serializers.BooleanField(required=False, help_text="true: the box is not text; false: it is again.")

    def validate(self, attrs):
        if ("text" in attrs) == ("not_text" in attrs):
            raise serializers.ValidationError("Send either `text` or `not_text`.")
        return attrs


LINE_TEXT_MAX = Line._meta.get_field("text").max_length
WORD_TEXT_MAX = Word._meta.get_field("text").max_length


class LineCorrectionSerializer(StrictSerializer):
    """One change of a line at a time, each stored as its own line sample."""

    text = serializers.CharField(required=False, allow_blank=False, max_length=LINE_TEXT_MAX, trim_whitespace=False,
                                 help_text="The line's whole text; its words are made again, split at spaces.")
    kind = serializers.ChoiceField(required=False, choices=Line.Kind.choices, help_text="The line's type.")
    order = serializers.IntegerField(required=False, min_value=0,
                                     help_text="The line's place in the page's reading order, from 0.")

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError("Send one of `text`, `kind` or `order`.")
        return attrs


class NewLineSerializer(StrictSerializer):
    job = serializers.IntegerField(help_text="id of the finished job whose reading gets the line")
    bbox = serializers.ListField(child=serializers.IntegerField(), min_length=4, max_length=4,
                                 help_text="[x, y, w, h] in page pixels")
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=LINE_TEXT_MAX,
                                 help_text="the line's text, when already known")


class WordSplitSerializer(StrictSerializer):
    texts = serializers.ListField(child=serializers.CharField(max_length=WORD_TEXT_MAX), min_length=2, max_length=2,
                                  help_text="texts of the left and the right part")
    at = serializers.IntegerField(required=False, help_text="page column of the cut (default: by the letters)")


class WordMergeSerializer(StrictSerializer):
    other = serializers.IntegerField(help_text="id of the neighbouring word of the same line")
    text = serializers.CharField(required=False, max_length=WORD_TEXT_MAX,
                                 help_text="text of the merged word (default: the two texts joined)")


class MergeSerializer(serializers.Serializer):
    other = serializers.IntegerField(help_text="id of the neighbouring character to merge with")
    text = serializers.CharField(max_length=1, help_text="label of the merged character")


class SplitSerializer(serializers.Serializer):
    texts = serializers.ListField(child=serializers.CharField(max_length=1), min_length=2, max_length=2,
                                  help_text="labels of the left and the right part")
    at = serializers.IntegerField(required=False, help_text="page column of the cut (default: the middle)")


class ReviewedCharSerializer(serializers.ModelSerializer):
    bbox = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    corrected = serializers.BooleanField(source="is_corrected", read_only=True)

    class Meta:
        model = Glyph
        fields = ["id", "word", "bbox", "text", "confidence", "not_text", "corrected", "original_text"]


class ReviewedWordSerializer(serializers.ModelSerializer):
    bbox = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    corrected = serializers.BooleanField(source="is_corrected", read_only=True)
    chars = serializers.SerializerMethodField()
    job = serializers.IntegerField(source="line.job_id", read_only=True)
    page_text = serializers.CharField(source="line.job.text", read_only=True,
                                      help_text="the whole page's text after this correction")

    class Meta:
        model = Word
        fields = ["id", "job", "bbox", "text", "confidence", "not_text", "corrected", "original_text", "chars",
                  "page_text"]

    @extend_schema_field(ReviewedCharSerializer(many=True))
    def get_chars(self, word: Word) -> list[dict]:
        return ReviewedCharSerializer(word.glyphs.order_by("order"), many=True).data


class LineWordSerializer(serializers.ModelSerializer):
    bbox = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    corrected = serializers.BooleanField(source="is_corrected", read_only=True)
    chars = serializers.SerializerMethodField()

    class Meta:
        model = Word
        fields = ["id", "bbox", "text", "confidence", "not_text", "corrected", "original_text", "chars"]

    @extend_schema_field(ReviewedCharSerializer(many=True))
    def get_chars(self, word: Word) -> list[dict]:
        return ReviewedCharSerializer(word.glyphs.order_by("order"), many=True).data


class ReviewedLineSerializer(serializers.ModelSerializer):
    bbox = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    corrected = serializers.BooleanField(source="is_corrected", read_only=True)
    words = serializers.SerializerMethodField()
    page_text = serializers.CharField(source="job.text", read_only=True,
                                      help_text="the whole page's text after this correction")

    class Meta:
        model = Line
        fields = ["id", "job", "order", "kind", "bbox", "polygon", "baseline", "text", "confidence", "corrected",
                  "original_text", "words", "page_text"]

    @extend_schema_field(LineWordSerializer(many=True))
    def get_words(self, line: Line) -> list[dict]:
        return LineWordSerializer(line.words.order_by("order"), many=True).data


class SampleSerializer(serializers.ModelSerializer):
    bbox = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    char = serializers.IntegerField(source="glyph_id", read_only=True, allow_null=True)
    model_version = serializers.CharField(source="model_version_name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = LabeledSample
        fields = ["id", "kind", "source", "page", "job", "line", "word", "char", "model_version", "bbox", "polygon",
                  "old_text", "new_text", "created_by", "created", "superseded", "holdout", "derived_from"]


class TrainSerializer(serializers.Serializer):
    """Optional overrides of the fine-tuning defaults (training/finetune.py FinetuneConfig)."""

    epochs = serializers.IntegerField(required=False, min_value=1, max_value=50)
    base_samples = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    segmenter_words = serializers.IntegerField(required=False, min_value=0, max_value=100_000)
    feedback_copies = serializers.IntegerField(required=False, min_value=0, max_value=100)
    feedback_share = serializers.FloatField(required=False, min_value=0.0, max_value=0.9)
    learning_rate = serializers.FloatField(required=False, min_value=1e-6, max_value=1e-2)


class ModelVersionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent.name", read_only=True, allow_null=True, default=None)
    curves_url = serializers.SerializerMethodField()
    confusion_url = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersion
        fields = ["id", "name", "status", "is_active", "parent", "created", "started", "finished", "activated_at",
                  "progress", "metrics", "data", "options", "error", "activation_note", "curves_url",
                  "confusion_url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_curves_url(self, version: ModelVersion) -> str | None:
        return reverse("model-figure", args=[version.id, "curves"]) if version.status == "ready" else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_confusion_url(self, version: ModelVersion) -> str | None:
        return reverse("model-figure", args=[version.id, "confusion"]) if version.status == "ready" else None
