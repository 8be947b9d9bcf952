"""Batches: several files sent at once (repeated `file` parts, or one ZIP of them) become
one document. Each file is checked as a single upload is; a bad one is reported by name
and the good ones are kept. A PDF or multi-page TIFF in a batch adds all its pages."""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from ..jobs import check_queue_room, queue_job
from ..models import Document, ModelVersion, Page
from ..uploads import UploadRejected, check_dimensions, inspect_image
from . import multipage

logger = logging.getLogger(__name__)

ZIP_SIGNATURE = b"PK\x03\x04"
NAME_MAX = Page._meta.get_field("original_filename").max_length
ZIP_EXPANSION_FACTOR = 4


@dataclass(frozen=True)
class Rejected:
    name: str
    status: int
    detail: str


@dataclass
class Accepted:
    name: str
    pages: list[int] = field(default_factory=list)


@dataclass
class BatchResult:
    document: Document | None
    accepted: list[Accepted]
    rejected: list[Rejected]


def is_zip(upload) -> bool:
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    return head == ZIP_SIGNATURE


def expand_zip(upload) -> tuple[list[ContentFile], list[Rejected]]:
    """The files inside a ZIP, in name order, as uploads; folders and the metadata that
    macOS adds are skipped; an entry too large, nested archives and encrypted entries
    are refused by name. Sizes are checked from the directory before anything is read,
    and reads are capped, so a ZIP bomb costs nothing."""
    limit = settings.HWR_MAX_UPLOAD_BYTES
    # What a ZIP may expand to in all, held in memory while its files are checked.
    budget, expanded = limit * ZIP_EXPANSION_FACTOR, 0
    files: list[ContentFile] = []
    rejected: list[Rejected] = []
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UploadRejected(f"The ZIP cannot be read: {exc}.", 400) from exc
    with archive:
        entries = sorted((e for e in archive.infolist() if not e.is_dir()), key=lambda e: e.filename)
        entries = [e for e in entries if not _is_clutter(e.filename)]
        if len(entries) > settings.HWR_MAX_DOCUMENT_PAGES:
            raise UploadRejected(f"The ZIP holds {len(entries)} files; the limit is "
                                 f"{settings.HWR_MAX_DOCUMENT_PAGES}. Send them in parts.", 413)
        for entry in entries:
            name = entry.filename
            if entry.flag_bits & 0x1:
                rejected.append(Rejected(name, 400, "The file is encrypted."))
                continue
            if entry.file_size > limit:
                rejected.append(Rejected(name, 413, f"The file is {entry.file_size} bytes; the limit is {limit}."))
                continue
            if expanded + entry.file_size > budget:
                rejected.append(Rejected(name, 413, f"The ZIP expands to more than {budget} bytes; send the rest "
                                                    "in another batch."))
                continue
            try:
                with archive.open(entry) as fh:
                    data = fh.read(limit + 1)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
                rejected.append(Rejected(name, 400, f"The file cannot be read from the ZIP: {exc}."))
                continue
            if len(data) > limit:
                rejected.append(Rejected(name, 413, f"The file is over the limit of {limit} bytes."))
                continue
            expanded += len(data)
            if data.startswith(ZIP_SIGNATURE):
                rejected.append(Rejected(name, 415, "A ZIP inside a ZIP is not read; put the images in one ZIP."))
                continue
            files.append(ContentFile(data, name=name))
    return files, rejected


def _is_clutter(name: str) -> bool:
    parts = PurePath(name).parts
    return any(part == "__MACOSX" or part.startswith(".") for part in parts)


@dataclass
class _Planned:
    """A page ready to be written: its image stored, its row not yet saved."""

    page: Page
    source: Accepted


def create_batch(*, owner, uploads: list, layout: str, charset: str, lexicon: str,
                 model_version: ModelVersion | None = None, callback_url: str = "") -> BatchResult:
    """One document from several files, or from one ZIP of them; each page gets a job.
    Files that fail the checks a single upload gets are reported, the others kept. When
    none is usable no document is made. Images are stored before any row is written; on
    any failure nothing is kept."""
    rejected: list[Rejected] = []
    files = list(uploads)
    archive_name = ""
    if len(files) == 1 and is_zip(files[0]):
        archive_name = getattr(files[0], "name", "") or "batch.zip"
        files, rejected = expand_zip(files[0])
    elif len(files) > settings.HWR_MAX_DOCUMENT_PAGES:
        raise UploadRejected(f"The batch has {len(files)} files; the limit is {settings.HWR_MAX_DOCUMENT_PAGES}.", 413)

    planned: list[_Planned] = []
    accepted: list[Accepted] = []
    total_size = 0
    try:
        for upload in files:
            name = (getattr(upload, "name", "") or f"file-{len(accepted) + len(rejected) + 1}")[:NAME_MAX]
            try:
                pages = _pages_of(upload, name, room=settings.HWR_MAX_DOCUMENT_PAGES - len(planned),
                                  owner=owner, layout=layout, charset=charset, lexicon=lexicon)
            except UploadRejected as exc:
                rejected.append(Rejected(name, exc.status, exc.message))
                continue
            source = Accepted(name)
            accepted.append(source)
            planned.extend(_Planned(page, source) for page in pages)
            total_size += upload.size or 0
        if not planned:
            return BatchResult(None, [], rejected)
        with transaction.atomic():
            check_queue_room(owner, needed=len(planned))
            document = Document.objects.create(
                owner=owner, original_filename=(archive_name or _batch_name(accepted))[:NAME_MAX],
                content_type="application/zip" if archive_name else "multipart/form-data",
                size=total_size, page_count=len(planned), callback_url=callback_url,
            )
            for number, item in enumerate(planned, start=1):
                item.page.document = document
                item.page.number = number
                item.page.save()
                item.source.pages.append(number)
                queue_job(item.page, model_version)
    except BaseException:
        # QueueUnavailable comes after the commit: the rows go too, and the client sends again.
        _discard([item.page for item in planned])
        raise
    logger.info("document %s: batch of %d files, %d pages, %d refused", document.pk, len(accepted), len(planned),
                len(rejected))
    return BatchResult(document, accepted, rejected)


def _batch_name(accepted: list[Accepted]) -> str:
    first = PurePath(accepted[0].name).name
    return first if len(accepted) == 1 else f"{first} and {len(accepted) - 1} more"


def _pages_of(upload, name: str, *, room: int, owner, layout: str, charset: str, lexicon: str) -> list[Page]:
    """The pages one file of a batch makes, with their images stored; UploadRejected as
    for a single upload, or when the batch has no room left for them."""
    info = inspect_image(upload)
    if info.pages > room:
        raise UploadRejected(f"The file has {info.pages} pages and the batch has room for {max(room, 0)} more; "
                             f"a document holds at most {settings.HWR_MAX_DOCUMENT_PAGES} pages.", 413)
    common = {"owner": owner, "layout": layout, "charset": charset or "any", "lexicon": lexicon or ""}
    stem = PurePath(name).stem[:100] or "page"
    if info.content_type != "application/pdf" and info.pages == 1:
        page = Page(original_filename=PurePath(name).name[:NAME_MAX], content_type=info.content_type,
                    size=info.size, width=info.width, height=info.height, **common)
        upload.seek(0)
        page.image.save(PurePath(name).name or "upload", upload, save=False)
        return [page]
    upload.seek(0)
    data = upload.read()
    pages: list[Page] = []
    try:
        for image in multipage.split_pages(data, "PDF" if info.content_type == "application/pdf" else "TIFF",
                                           dpi=settings.HWR_PDF_DPI, max_pixels=settings.HWR_PDF_MAX_PIXELS,
                                           check_size=check_dimensions):
            page = Page(original_filename=f"{stem}-p{image.number:03d}.png", content_type="image/png",
                        size=len(image.png), width=image.width, height=image.height, **common)
            page.image.save(f"{stem}.png", ContentFile(image.png), save=False)
            pages.append(page)
    except (multipage.DocumentUnreadable, UploadRejected) as exc:
        _discard(pages)
        message = exc.message if isinstance(exc, UploadRejected) else f"The document cannot be read: {exc}."
        raise UploadRejected(message, getattr(exc, "status", 400)) from exc
    return pages


def _discard(pages: list[Page]) -> None:
    document_ids = {page.document_id for page in pages if page.document_id}
    Document.objects.filter(pk__in=document_ids).delete()
    for page in pages:
        if page.image.name:
            page.image.storage.delete(page.image.name)

