"""Check an upload by its content before we store it: what it is, how big, readable."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from PIL import Image

from .documents import multipage
from .errors import Refusal
from .pipeline.preprocess import DECODE_ERRORS, exif_upright, pil_to_gray

logger = logging.getLogger(__name__)


class UploadRejected(Refusal):
    """A problem with the file the user sent: 400 unless a status says more (413, 415)."""


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int
    size: int
    # A PDF or a multi-page TIFF becomes a document of this many pages; width and height
    # are then those of its first page.
    pages: int = 1


@dataclass(frozen=True)
class AllowedType:
    """A file type we accept: how its bytes start and how to check the rest.

    `inspect(upload, allowed)` returns (width, height) of what the pipeline will see, or
    raises UploadRejected. To accept a new type, add an entry to ALLOWED_TYPES with its
    own inspector; the pipeline's decoder must read it too, unless, like PDF, it is split
    into page images first (`count_pages`, documents/multipage.py).
    """

    name: str
    content_type: str
    signatures: tuple[bytes, ...]
    inspect: Callable[[object, AllowedType], tuple[int, int]]
    pillow_format: str = ""
    count_pages: Callable[[object], int] | None = None


# Types we refuse, named so the message can say what the file was.
KNOWN_OTHER_TYPES: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"BM", "BMP"), (b"PK\x03\x04", "ZIP"),
    (b"\x1f\x8b", "gzip"), (b"\x00\x00\x01\x00", "ICO"), (b"8BPS", "Photoshop"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"), (b"\xffO\xffQ", "JPEG 2000"), (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
)


def inspect_raster(upload, allowed: AllowedType) -> tuple[int, int]:
    """Open with the one Pillow decoder the signature named, check the size before
    decoding, then decode every pixel so a damaged file fails here, not in the worker.
    The size returned is the upright one (EXIF rotation applied), as boxes use it."""
    try:
        with Image.open(upload, formats=[allowed.pillow_format]) as img:
            width, height = img.size
            check_dimensions(width, height)
            img.load()
            # Convert as the worker will, so whatever passes here the worker can read.
            gray = pil_to_gray(exif_upright(img))
            return gray.shape[1], gray.shape[0]
    except UploadRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise UploadRejected(f"The image is too large to decode safely: {exc}", 413) from exc
    except MemoryError as exc:
        raise UploadRejected("The image is too large to decode.", 413) from exc
    except DECODE_ERRORS as exc:
        logger.info("rejected a damaged %s upload: %s: %s", allowed.name, type(exc).__name__, exc)
        raise UploadRejected(f"The image is damaged or truncated: {exc or type(exc).__name__}", 400) from exc


def inspect_pdf(upload, allowed: AllowedType) -> tuple[int, int]:
    """Open the PDF and size its first page as it will be rendered (see documents/multipage.py)."""
    try:
        return multipage.pdf_first_page_size(upload.read(), dpi=settings.HWR_PDF_DPI,
                                             max_pixels=settings.HWR_PDF_MAX_PIXELS)
    except multipage.DocumentUnreadable as exc:
        raise UploadRejected(f"The PDF cannot be read: {exc}.", 400) from exc


def count_pdf_pages(upload) -> int:
    try:
        return multipage.pdf_page_count(upload.read())
    except multipage.DocumentUnreadable as exc:
        raise UploadRejected(f"The PDF cannot be read: {exc}.", 400) from exc


def count_tiff_pages(upload) -> int:
    try:
        return multipage.tiff_frame_count(upload.read())
    except multipage.DocumentUnreadable as exc:
        raise UploadRejected(f"The image is damaged or truncated: {exc}", 400) from exc


ALLOWED_TYPES: dict[str, AllowedType] = {
    "PNG": AllowedType("PNG", "image/png", (b"\x89PNG\r\n\x1a\n",), inspect_raster, "PNG"),
    "JPEG": AllowedType("JPEG", "image/jpeg", (b"\xff\xd8\xff",), inspect_raster, "JPEG"),
    "TIFF": AllowedType("TIFF", "image/tiff", (b"II*\x00", b"MM\x00*"), inspect_raster, "TIFF",
                        count_pages=count_tiff_pages),
    # Each page of a PDF (or of a multi-page TIFF) is split into its own page image.
    "PDF": AllowedType("PDF", "application/pdf", (b"%PDF-",), inspect_pdf, count_pages=count_pdf_pages),
}


def allowed_names() -> str:
    names = list(ALLOWED_TYPES)
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def check_dimensions(width: int, height: int) -> None:
    """Refuse sizes no page or field has, before any pixel is decoded."""
    if width * height > settings.HWR_MAX_PIXELS:
        raise UploadRejected(f"The image has {width * height} pixels; the limit is {settings.HWR_MAX_PIXELS}.", 413)
    if min(width, height) < settings.HWR_MIN_IMAGE_SIDE:
        raise UploadRejected(
            f"The image is {width} x {height} pixels; each side must be at least "
            f"{settings.HWR_MIN_IMAGE_SIDE} pixels to hold handwriting.", 400
        )
    if max(width, height) > settings.HWR_MAX_ASPECT_RATIO * min(width, height):
        raise UploadRejected(
            f"The image is {width} x {height} pixels; one side may be at most {settings.HWR_MAX_ASPECT_RATIO} "
            "times the other.", 400
        )


def sniff_type(head: bytes) -> AllowedType | None:
    for allowed in ALLOWED_TYPES.values():
        if head.startswith(allowed.signatures):
            return allowed
    return None


def describe_unknown(head: bytes) -> str:
    for signature, name in KNOWN_OTHER_TYPES:
        if head.startswith(signature):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[4:8] == b"ftyp":
        return "HEIC/AVIF/MP4"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return "text"
    return "unknown"


def inspect_image(upload) -> ImageInfo:
    """Identify the file from its bytes (never its name) and make sure it decodes."""
    size = upload.size or 0
    if size == 0:
        raise UploadRejected("The file is empty.", 400)
    if size > settings.HWR_MAX_UPLOAD_BYTES:
        raise UploadRejected(f"The file is {size} bytes; the limit is {settings.HWR_MAX_UPLOAD_BYTES} bytes.", 413)
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    allowed = sniff_type(head)
    if allowed is None:
        kind = describe_unknown(head)
        if kind in ("text", "unknown"):
            looks = "it looks like text" if kind == "text" else "its type is unknown"
            message = f"The file is not an image we can read ({looks}); send {allowed_names()}."
        else:
            message = f"Unsupported file type {kind}; send {allowed_names()}."
        raise UploadRejected(message, 415)
    try:
        width, height = allowed.inspect(upload, allowed)
        upload.seek(0)
        pages = allowed.count_pages(upload) if allowed.count_pages else 1
    finally:
        upload.seek(0)
    check_page_count(pages)
    return ImageInfo(allowed.content_type, width, height, size, pages)


def check_page_count(pages: int) -> None:
    if pages < 1:
        raise UploadRejected("The document has no pages.", 400)
    if pages > settings.HWR_MAX_DOCUMENT_PAGES:
        raise UploadRejected(
            f"The document has {pages} pages; the limit is {settings.HWR_MAX_DOCUMENT_PAGES}. Split it and send "
            "the parts one by one.", 413
        )
