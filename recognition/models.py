"""Pages, recognition jobs, their results as rows, and model versions."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models


def page_upload_path(page: Page, filename: str) -> str:
    # Never trust the uploaded name for paths: only its extension survives.
    suffix = PurePath(filename).suffix.lower()[:6]
    return f"pages/{uuid.uuid4().hex}{suffix}"


def overlay_upload_path(job: Job, filename: str) -> str:
    return f"overlays/{uuid.uuid4().hex}.png"


class ModelVersion(models.Model):
    """A trained character classifier. Jobs record which one read them."""

    name = models.CharField(max_length=100, unique=True)
    path = models.CharField(max_length=500, help_text="Model directory (model.keras + meta.json).")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    is_active = models.BooleanField(default=False)
    metrics = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True), name="one_active_model")
        ]

    def __str__(self) -> str:
        return self.name + (" (active)" if self.is_active else "")


class Page(models.Model):
    """An uploaded scan and what the user told us about it."""

    class Layout(models.TextChoices):
        PAGE = "page", "Whole page"
        LINE = "line", "One line"
        WORD = "word", "One word or short field"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pages")
    image = models.FileField(upload_to=page_upload_path)
    original_filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=50, blank=True)
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    layout = models.CharField(max_length=10, choices=Layout.choices, default=Layout.PAGE)
    charset = models.CharField(max_length=200, default="any", help_text="upper, digits, alnum, any, or e.g. A-Z -'")
    lexicon = models.TextField(blank=True, help_text="Optional word list, one entry per line.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["owner", "-created"])]

    def __str__(self) -> str:
        return f"Page {self.pk}: {self.original_filename or self.image.name}"


class Job(models.Model):
    """One recognition run over a page."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL)
    model_version_name = models.CharField(max_length=100, blank=True)
    text = models.TextField(blank=True)
    confidence = models.FloatField(null=True, blank=True)
    overlay = models.FileField(upload_to=overlay_upload_path, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"Job {self.pk} ({self.status})"

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class Region(models.Model):
    """Shared fields of lines, words and characters: a box in page pixels, the text
    read there, how sure we are, and its place in reading order."""

    x = models.IntegerField()
    y = models.IntegerField()
    w = models.IntegerField()
    h = models.IntegerField()
    text = models.CharField(max_length=2000, blank=True)
    confidence = models.FloatField(default=0.0)
    order = models.PositiveIntegerField()

    class Meta:
        abstract = True
        ordering = ["order"]

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}: {self.text!r}"

    @property
    def bbox(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]


class Line(Region):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="lines")
    polygon = models.JSONField(null=True, blank=True)
    baseline = models.JSONField(null=True, blank=True)

    class Meta(Region.Meta):
        constraints = [models.UniqueConstraint(fields=["job", "order"], name="line_order_unique")]


class Word(Region):
    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="words")

    class Meta(Region.Meta):
        constraints = [models.UniqueConstraint(fields=["line", "order"], name="word_order_unique")]


class Glyph(Region):
    """One character of a word. Named Glyph because `Char` reads like a data type."""

    word = models.ForeignKey(Word, on_delete=models.CASCADE, related_name="glyphs")
    alternatives = models.JSONField(default=list, blank=True)

    class Meta(Region.Meta):
        constraints = [models.UniqueConstraint(fields=["word", "order"], name="glyph_order_unique")]
