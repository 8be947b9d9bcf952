"""Every read the API, the admin and the tasks need."""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from .errors import Refusal
from .models import Glyph, Job, Line, ModelVersion, Page, Word
from .pipeline import Lexicon, RecognitionOptions, bundle, parse_charset


class UnusableModel(Refusal):
    """A model version asked for by name that does not exist or cannot read pages."""

    status = 400


def pages_visible_to(user) -> QuerySet[Page]:
    pages = Page.objects.all() if user.is_staff else Page.objects.filter(owner=user)
    return pages.select_related("owner")


def jobs_visible_to(user) -> QuerySet[Job]:
    jobs = Job.objects.all() if user.is_staff else Job.objects.filter(page__owner=user)
    return jobs.select_related("page", "model_version")


def pages_with_latest_status(pages: QuerySet[Page], status: str) -> QuerySet[Page]:
    """The pages whose latest job is in `status`."""
    latest = Job.objects.filter(page=OuterRef("pk")).order_by("-created", "-id").values("status")[:1]
    return pages.annotate(latest_status=Subquery(latest)).filter(latest_status=status)


# The expression of the full-text index on jobs' text (migration 0006_api_search): a
# search must use the same one for PostgreSQL to use the index.
TEXT_SEARCH_CONFIG = "simple"


def job_text_vector() -> SearchVector:
    return SearchVector("text", config=TEXT_SEARCH_CONFIG)


def pages_matching(pages: QuerySet[Page], query: str) -> QuerySet[Page]:
    """The pages with a job whose text (as read, with reviewers' corrections applied)
    matches `query`: PostgreSQL full-text search (web-search syntax, language-neutral
    so names match as written) on PostgreSQL, every word as a substring elsewhere."""
    if connection.vendor == "postgresql":
        jobs = Job.objects.annotate(text_vector=job_text_vector()).filter(
            text_vector=SearchQuery(query, config=TEXT_SEARCH_CONFIG, search_type="websearch"))
    else:
        jobs = Job.objects.all()
        for word in query.split():
            jobs = jobs.filter(text__icontains=word.strip('"'))
    return pages.filter(pk__in=jobs.values("page_id"))


def latest_job(page: Page) -> Job | None:
    return page.jobs.order_by("-created", "-id").first()


def active_model_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(is_active=True).first()


def usable_model_version(name: str) -> ModelVersion:
    """The ready model version called `name`, whose files are on disk; UnusableModel (400)
    naming the versions that can be chosen otherwise."""
    version = ModelVersion.objects.filter(name=name).first()
    if version is not None and version.status == ModelVersion.Status.READY and bundle.has_network(version.path):
        return version
    ready = ModelVersion.objects.filter(status=ModelVersion.Status.READY).values_list("name", flat=True)[:20]
    choices = f" Ready versions: {', '.join(ready)} (GET /api/models/)." if ready else ""
    if version is None:
        raise UnusableModel(f"Unknown model version {name!r}.{choices}")
    if version.status != ModelVersion.Status.READY:
        raise UnusableModel(f"Model version {name!r} is {version.status}, not ready to read pages.{choices}")
    raise UnusableModel(f"Model version {name!r} has no model files where it was registered.{choices}")


def recognition_options(page: Page) -> RecognitionOptions:
    lexicon = Lexicon.from_text(page.lexicon) if page.lexicon.strip() else None
    return RecognitionOptions(layout=page.layout, charset=parse_charset(page.charset), lexicon=lexicon)


def read_page_bytes(page: Page) -> bytes:
    with page.image.open("rb") as fh:
        return fh.read()


def job_result(job: Job) -> dict | None:
    """The API's `result` structure, or None until the job has succeeded."""
    if job.status != Job.Status.SUCCEEDED:
        return None
    lines = (
        Line.objects.filter(job=job)
        .order_by("order")
        .prefetch_related(
            Prefetch(
                "words",
                # Boxes a reviewer marked as not text are no part of the reading.
                queryset=Word.objects.filter(not_text=False).order_by("order").prefetch_related(
                    Prefetch("glyphs", queryset=Glyph.objects.filter(not_text=False).order_by("order"))
                ),
            )
        )
    )
    out_lines = []
    for line in lines:
        words = [
            {
                "id": word.id,
                "bbox": word.bbox,
                "text": word.text,
                "confidence": word.confidence,
                "chars": [
                    {"id": g.id, "bbox": g.bbox, "text": g.text, "confidence": g.confidence}
                    for g in word.glyphs.all()
                ],
            }
            for word in line.words.all()
        ]
        out_lines.append(
            {"id": line.id, "bbox": line.bbox, "text": line.text, "confidence": line.confidence, "words": words}
        )
    return {"text": "\n".join(line["text"] for line in out_lines), "lines": out_lines}
