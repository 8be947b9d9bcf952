"""Reads for documents, exports and ground truth: what the API, the admin and the
export command show."""

from __future__ import annotations

from pathlib import PurePath

from django.db.models import QuerySet

from ..errors import Refusal
from ..exports import ExportDocument, ExportPage
from ..models import Document, GroundTruth, Job, Line, Page
from ..selectors import job_result

DONE = (Job.Status.SUCCEEDED, Job.Status.FAILED)


class NothingToExport(Refusal):
    """The page or document has no recognition result to export yet."""

    status = 409


def documents_visible_to(user) -> QuerySet[Document]:
    documents = Document.objects.all() if user.is_staff else Document.objects.filter(owner=user)
    return documents.select_related("owner")


def pages_with_latest_jobs(document: Document) -> list[tuple[Page, Job | None]]:
    """The document's pages in order, each with its latest job, in two queries."""
    pages = list(document.pages.order_by("number"))
    latest: dict[int, Job] = {}
    for job in Job.objects.filter(page__document=document).order_by("page_id", "-created", "-id"):
        latest.setdefault(job.page_id, job)
    return [(page, latest.get(page.id)) for page in pages]


def document_progress(jobs: list[Job | None]) -> dict:
    """Progress across a document from its pages' latest jobs: `status` is succeeded when
    every page succeeded, failed when all have finished and one or more failed, running
    once any has started or finished, else queued; `progress` is the mean of the pages'
    (a finished page counts 100)."""
    counts = {status: 0 for status in Job.Status.values}
    for job in jobs:
        if job is not None:
            counts[job.status] += 1
    total = len(jobs)
    done = counts[Job.Status.SUCCEEDED] + counts[Job.Status.FAILED]
    if total and counts[Job.Status.SUCCEEDED] == total:
        status = Job.Status.SUCCEEDED
    elif total and done == total:
        status = Job.Status.FAILED
    elif done or counts[Job.Status.RUNNING]:
        status = Job.Status.RUNNING
    else:
        status = Job.Status.QUEUED
    per_page = [100 if job is not None and job.status in DONE else (job.progress if job else 0) for job in jobs]
    progress = round(sum(per_page) / total) if total else 0
    return {"status": str(status), "progress": progress, "pages_done": done, "jobs": counts}


# Exports

def latest_succeeded_job(page: Page) -> Job | None:
    return page.jobs.filter(status=Job.Status.SUCCEEDED).order_by("-created", "-id").first()


def export_result(job: Job) -> dict:
    """The API's result structure, with each line's polygon and baseline."""
    result = job_result(job)
    shapes = {pk: (polygon, baseline) for pk, polygon, baseline in
              Line.objects.filter(job=job).values_list("id", "polygon", "baseline")}
    for line in result["lines"]:
        line["polygon"], line["baseline"] = shapes.get(line["id"], (None, None))
    return result


def image_name(page: Page) -> str:
    return PurePath(page.original_filename).name or PurePath(page.image.name).name or f"page-{page.pk}.png"


def _export_page(page: Page, job: Job | None, latest: Job | None) -> ExportPage:
    return ExportPage(
        image_name=image_name(page), width=page.width, height=page.height,
        result=export_result(job) if job is not None else None, number=page.number, page_id=page.pk,
        job_id=job.pk if job else None, model_version=job.model_version_name if job else "",
        status=str(job.status if job is not None else (latest.status if latest else "none")),
    )


def page_export(page: Page) -> ExportPage:
    """The page with the result of its latest successful job; NothingToExport without one."""
    job = latest_succeeded_job(page)
    if job is None:
        latest = page.jobs.order_by("-created", "-id").first()
        state = f"its latest job is {latest.status}" if latest else "it has no job"
        raise NothingToExport(f"Page {page.pk} has no finished recognition yet ({state}).")
    return _export_page(page, job, job)


def document_export(document: Document) -> ExportDocument:
    """Every page with its latest successful result. A page whose jobs all failed is
    exported empty (its status says so); while a page without a result is still queued
    or running, NothingToExport."""
    pages = []
    for page, latest in pages_with_latest_jobs(document):
        job = latest if latest is not None and latest.status == Job.Status.SUCCEEDED else latest_succeeded_job(page)
        if job is None and latest is not None and latest.status not in DONE:
            raise NothingToExport(f"Page {page.number} of document {document.pk} is still being read "
                                  f"(job {latest.pk} is {latest.status}); export it when it has finished.")
        pages.append(_export_page(page, job, latest))
    return ExportDocument(document.original_filename or f"document-{document.pk}", pages, document.pk)


# Ground truth

def ground_truth_dict(truth: GroundTruth) -> dict:
    return {
        "format": truth.format,
        "filename": truth.original_filename,
        "created": truth.created,
        "text": truth.text,
        "lines": [
            {"bbox": line.bbox, "text": line.text, "polygon": line.polygon, "baseline": line.baseline,
             "kind": line.kind, "words": line.words}
            for line in truth.lines.all()
        ],
    }


def ground_truth_of(page: Page) -> GroundTruth | None:
    return GroundTruth.objects.filter(page=page).prefetch_related("lines").first()
