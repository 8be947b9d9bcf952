"""Pages, recognition jobs, their results as rows, model versions, and a report of every
Celery task."""

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
    """A trained character classifier. Jobs record which one read them. A version made
    by retraining exists from the moment it is queued, so its progress can be followed."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        TRAINING = "training"
        READY = "ready"
        FAILED = "failed"

    name = models.CharField(max_length=100, unique=True)
    path = models.CharField(max_length=500, help_text="Model directory (model.keras + meta.json).")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    is_active = models.BooleanField(default=False)
    metrics = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # Retraining runs: state, progress (stage, epoch, loss, accuracy per epoch) and the
    # activation decision. Versions registered from a directory are simply `ready`.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY, db_index=True)
    progress = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    options = models.JSONField(default=dict, blank=True, help_text="Training options of a retraining run.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    activation_note = models.TextField(blank=True, help_text="Why the version was, or was not, made active.")

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True), name="one_active_model")
        ]

    def __str__(self) -> str:
        return self.name + (" (active)" if self.is_active else "")


class Document(models.Model):
    """A multi-page upload (a PDF or a multi-page TIFF). Each of its pages is a Page with
    its own jobs; the original file is not kept."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="documents")
    original_filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=50, blank=True)
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes of the uploaded file")
    page_count = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    callback_url = models.URLField(max_length=500, blank=True,
                                   help_text="Told (webhooks/) when every page has been read.")

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["owner", "-created"])]

    def __str__(self) -> str:
        return f"Document {self.pk}: {self.original_filename}"


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
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField(default=1, help_text="Page number within its document.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["owner", "-created"])]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], condition=models.Q(document__isnull=False),
                                    name="page_number_unique_in_document")
        ]

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
    callback_url = models.URLField(max_length=500, blank=True, help_text="Told (webhooks/) when the job ends.")

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"Job {self.pk} ({self.status})"

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class TaskReport(models.Model):
    """One Celery task as it ran, whatever it did: written only from Celery's signals and
    the progress callbacks in task_reports.py, so every task's state is recorded in one
    place, the same way. Linked to the job or training run it worked on, where there is
    one; the job and the model version keep the fields the API shows."""

    class State(models.TextChoices):
        QUEUED = "queued"
        STARTED = "started"
        RETRYING = "retrying"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    task_id = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=200, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="0-100")
    stage = models.CharField(max_length=100, blank=True, help_text="What the task is doing, when it says so.")
    attempt = models.PositiveSmallIntegerField(default=0, help_text="Retries before the latest attempt started.")
    worker = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="task_reports")
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="task_reports")
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.name} {self.task_id} ({self.state})"


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


class Correctable(models.Model):
    """What a reviewer changed on a line, word or character. `original_text` keeps what the
    recogniser read; `not_text` takes the box out of the text (a stroke, a stain)."""

    original_text = models.CharField(max_length=2000, blank=True)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    corrected_at = models.DateTimeField(null=True, blank=True)
    not_text = models.BooleanField(default=False)

    class Meta:
        abstract = True

    @property
    def is_corrected(self) -> bool:
        return self.corrected_at is not None


class Line(Region, Correctable):
    """A text line: its box, its region polygon and baseline in page pixels, and what
    kind of writing it holds once a reviewer says so (the reader does not tell yet)."""

    class Kind(models.TextChoices):
        HANDWRITTEN = "handwritten", "Handwritten"
        TYPEWRITTEN = "typewritten", "Typewritten"
        PRINT = "print", "Print"
        SIGNATURE = "signature", "Signature"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="lines")
    polygon = models.JSONField(null=True, blank=True)
    baseline = models.JSONField(null=True, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, blank=True,
                            help_text="Empty until known: the reader does not tell it yet.")

    class Meta(Region.Meta):
        constraints = [models.UniqueConstraint(fields=["job", "order"], name="line_order_unique")]


class Word(Region, Correctable):
    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="words")

    class Meta(Region.Meta):
        constraints = [models.UniqueConstraint(fields=["line", "order"], name="word_order_unique")]


class Glyph(Region, Correctable):
    """One character of a word. Named Glyph because `Char` reads like a data type."""

    word = models.ForeignKey(Word, on_delete=models.CASCADE, related_name="glyphs")
    alternatives = models.JSONField(default=list, blank=True)

    class Meta(Region.Meta):
        constraints = [models.UniqueConstraint(fields=["word", "order"], name="glyph_order_unique")]


class LabeledSample(models.Model):
    """A reviewer's label for a box on a page: training data with its provenance.

    Character samples teach the classifier directly; word samples keep corrections whose
    segmentation does not match the new text; line samples (a line's box, polygon and
    whole text) teach the line reader and record a reviewer's edits of the line's
    structure (a line drawn, deleted, retyped, reordered; words split or merged).
    `new_text` is empty for "not text" and for a deleted line. A later correction of the
    same box supersedes the earlier sample, which is kept as history.
    """

    class Kind(models.TextChoices):
        CHAR = "char"
        WORD = "word"
        LINE = "line"

    class Source(models.TextChoices):
        WORD_EDIT = "word_edit", "Word text edited"
        CHAR_EDIT = "char_edit", "Character edited"
        MERGE = "merge", "Two characters merged"
        SPLIT = "split", "A character split in two"
        NOT_TEXT = "not_text", "Marked as not text"
        LINE_EDIT = "line_edit", "Line text edited"
        LINE_ADDED = "line_added", "Line drawn by a reviewer"
        LINE_DELETED = "line_deleted", "Line deleted"
        WORD_SPLIT = "word_split", "A word split in two"
        WORD_MERGE = "word_merge", "Two words merged"
        LINE_TYPE = "line_type", "Line type changed"
        READING_ORDER = "reading_order", "Reading order changed"

    # Line samples whose `new_text` is the line's whole text. The other line samples
    # record a drawn or deleted line, a line's type (`new_text` is the type) or its place
    # in reading order (`new_text` is the place): they are not texts to learn from.
    LINE_TEXT_SOURCES = (Source.LINE_EDIT, Source.WORD_SPLIT, Source.WORD_MERGE)

    kind = models.CharField(max_length=4, choices=Kind.choices)
    source = models.CharField(max_length=20, choices=Source.choices)
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="samples")
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="samples")
    line = models.ForeignKey(Line, null=True, blank=True, on_delete=models.SET_NULL, related_name="samples")
    word = models.ForeignKey(Word, null=True, blank=True, on_delete=models.SET_NULL, related_name="samples")
    glyph = models.ForeignKey(Glyph, null=True, blank=True, on_delete=models.SET_NULL, related_name="samples")
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="samples")
    model_version_name = models.CharField(max_length=100, blank=True)
    x = models.IntegerField()
    y = models.IntegerField()
    w = models.IntegerField()
    h = models.IntegerField()
    polygon = models.JSONField(null=True, blank=True,
                                help_text="A line sample's region in page pixels, [[x, y], ...]; the box encloses it.")
    old_text = models.CharField(max_length=2000, blank=True)
    new_text = models.CharField(max_length=2000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="labeled_samples")
    created = models.DateTimeField(auto_now_add=True)
    derived_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="derived",
                                     help_text="The word correction this character sample was taken from.")
    superseded = models.BooleanField(default=False, help_text="A later correction of the same box replaced it.")
    holdout = models.BooleanField(default=False, help_text="Kept out of training to measure new model versions.")

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["kind", "superseded"]), models.Index(fields=["page", "created"])]

    def __str__(self) -> str:
        return f"{self.kind} sample {self.pk}: {self.old_text!r} -> {self.new_text!r}"

    @property
    def bbox(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]


class GroundTruth(models.Model):
    """A transcription of a page that its owner brought (ALTO or PAGE XML, as eScriptorium
    and Transkribus export them), kept as evaluation and training data. Importing again
    replaces it."""

    class Format(models.TextChoices):
        ALTO = "alto", "ALTO"
        PAGE = "page", "PAGE XML"

    page = models.OneToOneField(Page, on_delete=models.CASCADE, related_name="ground_truth")
    format = models.CharField(max_length=4, choices=Format.choices)
    original_filename = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Ground truth of page {self.page_id} ({self.format})"


class GroundTruthLine(models.Model):
    """One transcribed line, in the page image's pixels; `words` holds the file's word
    boxes and texts when it had them ([{"bbox": [x, y, w, h], "text": ...}])."""

    ground_truth = models.ForeignKey(GroundTruth, on_delete=models.CASCADE, related_name="lines")
    order = models.PositiveIntegerField()
    x = models.IntegerField()
    y = models.IntegerField()
    w = models.IntegerField()
    h = models.IntegerField()
    text = models.TextField(blank=True)
    polygon = models.JSONField(null=True, blank=True)
    baseline = models.JSONField(null=True, blank=True)
    kind = models.CharField(max_length=100, blank=True, help_text="The line's type in the file, e.g. DefaultLine.")
    words = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["ground_truth", "order"], name="ground_truth_line_order_unique")]

    def __str__(self) -> str:
        return f"Ground truth line {self.pk}: {self.text[:40]!r}"

    @property
    def bbox(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]


class WebhookSecret(models.Model):
    """The key a user's webhook events are signed with (HMAC-SHA256 over the body)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_secret")
    secret = models.CharField(max_length=100)
    created = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Webhook secret of {self.user}"


class WebhookDelivery(models.Model):
    """One event POSTed to a callback URL, with every attempt at it: when, the HTTP status
    or the error, how long it took."""

    class Event(models.TextChoices):
        JOB_FINISHED = "job.finished"
        DOCUMENT_FINISHED = "document.finished"

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_deliveries")
    event = models.CharField(max_length=20, choices=Event.choices)
    url = models.URLField(max_length=500)
    payload = models.JSONField()
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.CASCADE, related_name="webhook_deliveries")
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="webhook_deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.JSONField(default=list, blank=True,
                                help_text='[{"at": ISO time, "status_code": int | null, "error": str, "ms": int}]')
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["owner", "-created"])]

    def __str__(self) -> str:
        return f"{self.event} delivery {self.pk} ({self.status})"
