"""Output serializers for documents (multi-page uploads), exports and ground truth."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from ..documents.selectors import document_progress, pages_with_latest_jobs
from ..models import Document, Job, Page
from .strict import StrictSerializer


def job_link(job: Job | None, with_progress: bool = False) -> dict | None:
    if job is None:
        return None
    link = {"id": job.id, "status": job.status, "url": reverse("job-detail", args=[job.id])}
    if with_progress:
        link["progress"] = job.progress
    return link


class PageJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Job.Status.choices)
    progress = serializers.IntegerField(required=False)
    url = serializers.CharField()


class DocumentPageLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    url = serializers.CharField()
    job = PageJobSerializer(allow_null=True)


class DocumentCreatedSerializer(serializers.Serializer):
    """The `document` key of POST /api/pages/'s answer for a PDF or multi-page TIFF."""

    id = serializers.IntegerField()
    url = serializers.CharField()
    pages = DocumentPageLinkSerializer(many=True)


def document_created(document: Document) -> dict:
    return {
        "id": document.id,
        "url": reverse("document-detail", args=[document.id]),
        "pages": [
            {"id": page.id, "number": page.number, "url": reverse("page-detail", args=[page.id]), "job": job_link(job)}
            for page, job in pages_with_latest_jobs(document)
        ],
    }


class DocumentJobsSerializer(serializers.Serializer):
    """The jobs a request queued for a document's pages."""

    id = serializers.IntegerField()
    url = serializers.CharField()
    pages = DocumentPageLinkSerializer(many=True)


def document_jobs(document: Document, queued: list[Job]) -> dict:
    return {
        "id": document.id,
        "url": reverse("document-detail", args=[document.id]),
        "pages": [
            {"id": job.page.id, "number": job.page.number, "url": reverse("page-detail", args=[job.page.id]),
             "job": job_link(job)}
            for job in queued
        ],
    }


class DocumentPageSerializer(DocumentPageLinkSerializer):
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    image_url = serializers.CharField()


class JobCountsSerializer(serializers.Serializer):
    queued = serializers.IntegerField()
    running = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()


class DocumentSerializer(serializers.ModelSerializer):
    """A document with progress across its pages (from each page's latest job); `pages`
    only for a single document."""

    url = serializers.CharField()
    status = serializers.ChoiceField(choices=Job.Status.choices,
                                     help_text="succeeded: every page; failed: all finished, one or more failed")
    progress = serializers.IntegerField(help_text="0-100, the mean over pages (a finished page counts 100)")
    pages_done = serializers.IntegerField()
    jobs = JobCountsSerializer(help_text="Pages by the state of their latest job")
    pages = DocumentPageSerializer(many=True, required=False)

    class Meta:
        model = Document
        fields = ["id", "url", "original_filename", "content_type", "size", "page_count", "created", "status",
                  "progress", "pages_done", "jobs", "pages"]

    def to_representation(self, document: Document) -> dict:
        pages = pages_with_latest_jobs(document)
        body = {
            "id": document.id,
            "url": reverse("document-detail", args=[document.id]),
            "original_filename": document.original_filename,
            "content_type": document.content_type,
            "size": document.size,
            "page_count": document.page_count,
            "created": serializers.DateTimeField().to_representation(document.created),
            **document_progress([job for _, job in pages]),
        }
        if self.context.get("with_pages", True):
            body["pages"] = [page_entry(page, job) for page, job in pages]
        return body


def page_entry(page: Page, job: Job | None) -> dict:
    return {
        "id": page.id,
        "number": page.number,
        "url": reverse("page-detail", args=[page.id]),
        "image_url": reverse("page-image", args=[page.id]),
        "width": page.width,
        "height": page.height,
        "job": job_link(job, with_progress=True),
    }


class GroundTruthUploadSerializer(StrictSerializer):
    file = serializers.FileField(help_text="ALTO (v2-v4) or PAGE XML transcription of this page.")


class GroundTruthLineSerializer(serializers.Serializer):
    bbox = serializers.ListField(child=serializers.IntegerField(), min_length=4, max_length=4)
    text = serializers.CharField()
    polygon = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()), allow_null=True)
    baseline = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()), allow_null=True)
    kind = serializers.CharField()
    words = serializers.ListField(child=serializers.DictField())


class GroundTruthSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["alto", "page"])
    filename = serializers.CharField()
    created = serializers.DateTimeField()
    text = serializers.CharField()
    lines = GroundTruthLineSerializer(many=True)
