"""Every write: pages and their jobs, job state, results, model registration."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Glyph, Job, Line, ModelVersion, Page, Word
from .pipeline import PageResult, parse_charset
from .pipeline.classify import read_model_info
from .uploads import UploadRejected, inspect_image

logger = logging.getLogger(__name__)


def create_page(*, owner, upload, layout: str = Page.Layout.PAGE, charset: str = "any", lexicon: str = "") -> Page:
    """Store an uploaded image and queue its first recognition job."""
    info = inspect_image(upload)
    try:
        parse_charset(charset)
    except ValueError as exc:
        raise UploadRejected(f"Invalid charset: {exc}", 400) from exc
    with transaction.atomic():
        page = Page(
            owner=owner,
            original_filename=(getattr(upload, "name", "") or "")[:255],
            content_type=info.content_type,
            size=info.size,
            width=info.width,
            height=info.height,
            layout=layout,
            charset=charset or "any",
            lexicon=lexicon or "",
        )
        page.image.save(upload.name or "upload", upload, save=False)
        page.save()
        queue_job(page)
    return page


def queue_job(page: Page) -> Job:
    """Create a queued job; the task is sent only once the row is committed."""
    from .tasks import recognize_page

    job = Job.objects.create(page=page)
    transaction.on_commit(lambda: recognize_page.apply_async(args=[job.id], queue=settings.HWR_RECOGNITION_QUEUE))
    return job


def start_job(job_id: int) -> Job | None:
    """Claim a job for this worker. A job already finished is not run again (a
    redelivered message must not redo it); a job left `running` by a worker that
    died is taken over."""
    with transaction.atomic():
        claimed = Job.objects.filter(pk=job_id, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).update(
            status=Job.Status.RUNNING, started=timezone.now(), progress=0, attempts=F("attempts") + 1
        )
    if not claimed:
        return None
    return Job.objects.select_related("page").get(pk=job_id)


def record_progress(job_id: int, progress: int) -> None:
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(progress=max(0, min(99, int(progress))))


@transaction.atomic
def record_result(job_id: int, result: PageResult, overlay_png: bytes, model_version: ModelVersion | None) -> Job:
    """Write all lines, words and characters of a finished job in one transaction.
    Earlier rows of the same job are replaced, so a second delivery writes nothing twice."""
    job = Job.objects.select_for_update().get(pk=job_id)
    Line.objects.filter(job=job).delete()
    lines = Line.objects.bulk_create(
        [
            Line(job=job, order=i, **_box(line.box), text=line.text[:2000], confidence=line.confidence,
                 polygon=_points(line.polygon), baseline=_points(line.baseline))
            for i, line in enumerate(result.lines)
        ]
    )
    word_rows, word_results = [], []
    for line_row, line in zip(lines, result.lines):
        for j, word in enumerate(line.words):
            word_rows.append(Word(line=line_row, order=j, **_box(word.box), text=word.text[:2000],
                                  confidence=word.confidence))
            word_results.append(word)
    words = Word.objects.bulk_create(word_rows)
    Glyph.objects.bulk_create(
        [
            Glyph(word=word_row, order=k, **_box(ch.box), text=ch.text, confidence=ch.confidence,
                  alternatives=[[label, round(p, 4)] for label, p in ch.alternatives])
            for word_row, word in zip(words, word_results)
            for k, ch in enumerate(word.chars)
        ]
    )
    if job.overlay:
        job.overlay.delete(save=False)
    job.overlay.save(f"job-{job.pk}.png", ContentFile(overlay_png), save=False)
    job.status = Job.Status.SUCCEEDED
    job.progress = 100
    job.error = ""
    job.text = result.text
    job.confidence = result.confidence
    job.timings = result.timings
    job.model_version = model_version
    job.model_version_name = result.model_version
    job.finished = timezone.now()
    job.save()
    return job


def record_failure(job_id: int, message: str) -> None:
    Job.objects.filter(pk=job_id).exclude(status=Job.Status.SUCCEEDED).update(
        status=Job.Status.FAILED, error=message[:5000], finished=timezone.now()
    )


def reprocess_page(page: Page) -> Job:
    with transaction.atomic():
        return queue_job(page)


def register_model_version(path, *, activate: bool = False, parent: ModelVersion | None = None) -> ModelVersion:
    """Record a model directory as a version (idempotent by name)."""
    info = read_model_info(path)
    meta = json.loads((Path(path) / "meta.json").read_text())
    with transaction.atomic():
        version, _ = ModelVersion.objects.update_or_create(
            name=info.version,
            defaults={"path": str(path), "metrics": meta.get("metrics", {}), "data": meta.get("data", {}),
                      "parent": parent},
        )
        if activate:
            activate_model_version(version)
    return version


def activate_model_version(version: ModelVersion) -> None:
    with transaction.atomic():
        ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
        ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
    version.is_active = True


def ensure_active_model() -> ModelVersion:
    """The active model version; the model shipped with the code becomes active when
    there is none yet."""
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is not None:
        return active
    return register_model_version(settings.HWR_MODEL_DIR, activate=True)


def _box(box) -> dict:
    return {"x": box.x, "y": box.y, "w": box.w, "h": box.h}


def _points(points):
    return [list(p) for p in points] if points else None
