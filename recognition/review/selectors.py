"""Every read the review page, the review queue and the correction API need."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, F, FloatField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast

from ..models import Glyph, Job, LabeledSample, Line, ModelVersion, Page, Word


def jobs_visible_to(user) -> QuerySet[Job]:
    jobs = Job.objects.all() if user.is_staff else Job.objects.filter(page__owner=user)
    return jobs.select_related("page")


def lines_visible_to(user) -> QuerySet[Line]:
    lines = Line.objects.all() if user.is_staff else Line.objects.filter(job__page__owner=user)
    return lines.select_related("job")


def words_visible_to(user) -> QuerySet[Word]:
    words = Word.objects.all() if user.is_staff else Word.objects.filter(line__job__page__owner=user)
    return words.select_related("line__job")


def glyphs_visible_to(user) -> QuerySet[Glyph]:
    glyphs = Glyph.objects.all() if user.is_staff else Glyph.objects.filter(word__line__job__page__owner=user)
    return glyphs.select_related("word__line__job")


def samples_visible_to(user) -> QuerySet[LabeledSample]:
    """A user's own samples are those of their pages; staff see every sample."""
    samples = LabeledSample.objects.all() if user.is_staff else LabeledSample.objects.filter(page__owner=user)
    return samples.select_related("created_by").order_by("-created", "-id")


def corrected_line_samples() -> QuerySet[LabeledSample]:
    """Lines whose whole text a person typed or confirmed (`line_edit`), latest label of
    each: the line reader's training data from review. Split and merged words leave
    `word_split`/`word_merge` line samples too, but their text holds the line's other
    words as the reader read them, unconfirmed, so they are left out here."""
    return (LabeledSample.objects.filter(superseded=False, kind=LabeledSample.Kind.LINE,
                                         source=LabeledSample.Source.LINE_EDIT)
            .exclude(new_text="").select_related("page").order_by("page_id", "id"))


def model_versions() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("parent").order_by("-created", "-id")


def latest_succeeded_job(page: Page) -> Job | None:
    return page.jobs.filter(status=Job.Status.SUCCEEDED).order_by("-created", "-id").first()


def is_doubtful(confidence: float) -> bool:
    return confidence < settings.HWR_REVIEW_CONFIDENCE


def review_data(job: Job) -> dict:
    """Everything the review page draws: lines (with their polygons, types and whether
    they still need a look), words (with characters and their alternatives),
    corrections, and the words in the order a reviewer should see them."""
    lines = list(Line.objects.filter(job=job).order_by("order"))
    words = list(Word.objects.filter(line__job=job).order_by("line__order", "order"))
    glyphs_by_word: dict[int, list[Glyph]] = {}
    for glyph in Glyph.objects.filter(word__line__job=job).order_by("order"):
        glyphs_by_word.setdefault(glyph.word_id, []).append(glyph)

    def region(obj) -> dict:
        return {"id": obj.id, "bbox": obj.bbox, "text": obj.text, "confidence": round(obj.confidence, 4)}

    def corrected(obj) -> dict:
        return {"not_text": obj.not_text, "corrected": obj.is_corrected,
                "original_text": obj.original_text if obj.is_corrected else ""}

    out_words = []
    for word in words:
        chars = [{**region(g), **corrected(g), "alternatives": g.alternatives}
                 for g in glyphs_by_word.get(word.id, [])]
        out_words.append({**region(word), **corrected(word), "line": word.line_id, "chars": chars,
                          "doubtful": not word.not_text and not word.is_corrected and is_doubtful(word.confidence)})
    order = sorted((w for w in out_words if not w["not_text"]),
                   key=lambda w: (w["corrected"], w["confidence"]))
    doubtful_lines = {w["line"] for w in out_words if w["doubtful"]}

    def line_data(line: Line) -> dict:
        # A line is doubtful until a person confirms it, when it or one of its words is.
        doubtful = not line.is_corrected and (line.id in doubtful_lines or is_doubtful(line.confidence))
        return {**region(line), **corrected(line), "order": line.order, "kind": line.kind, "polygon": line.polygon,
                "baseline": line.baseline, "doubtful": doubtful,
                "words": [w["id"] for w in out_words if w["line"] == line.id]}

    return {
        "job": job.id,
        "page": job.page_id,
        "layout": job.page.layout,
        "width": job.page.width,
        "height": job.page.height,
        "model_version": job.model_version_name,
        "text": job.text,
        "threshold": settings.HWR_REVIEW_CONFIDENCE,
        "line_kinds": [{"value": value, "label": label} for value, label in Line.Kind.choices],
        "lines": [line_data(line) for line in lines],
        "words": out_words,
        "review_order": [w["id"] for w in order],
    }


def review_queue(user) -> QuerySet[Page]:
    """Pages whose latest job succeeded and still has doubtful words (unconfirmed, under
    the confidence threshold), the largest share of doubtful words first."""
    latest = Job.objects.filter(page=OuterRef("pk")).order_by("-created", "-id")
    pages = Page.objects.all() if user.is_staff else Page.objects.filter(owner=user)
    words = Word.objects.filter(line__job=OuterRef("review_job"), not_text=False)
    doubtful = words.filter(corrected_at__isnull=True, confidence__lt=settings.HWR_REVIEW_CONFIDENCE)

    def count(qs):
        return Subquery(qs.order_by().values("line__job").annotate(n=Count("pk")).values("n")[:1])

    return (
        pages.annotate(review_job=Subquery(latest.values("pk")[:1]),
                       review_status=Subquery(latest.values("status")[:1]))
        .filter(review_status=Job.Status.SUCCEEDED)
        .annotate(words=count(words), doubtful=count(doubtful))
        .filter(doubtful__gt=0)
        .annotate(doubtful_share=Cast(F("doubtful"), FloatField()) / Cast(F("words"), FloatField()))
        .order_by("-doubtful_share", "-doubtful", "created", "id")
        .select_related("owner")
    )

