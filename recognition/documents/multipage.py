"""Split a PDF or a multi-page TIFF into page images, one page at a time: 8-bit gray
PNGs, what the recogniser reads. PDFs are rasterised with PDFium (pypdfium2): a scanned
page at the resolution of its scan, any other page at a set resolution, both within a
pixel budget. No Django."""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from recognition.pipeline.preprocess import DECODE_ERRORS, exif_upright, pil_to_gray

# PDFium is not thread-safe; a threaded web server may render two uploads at once.
PDFIUM_LOCK = threading.Lock()
POINTS_PER_INCH = 72.0
# A page counts as a scan when one image covers at least this share of it.
SCAN_COVERAGE = 0.5

SizeCheck = Callable[[int, int], None]


class DocumentUnreadable(ValueError):
    """The PDF or TIFF cannot be opened or one of its pages cannot be decoded."""


@dataclass(frozen=True)
class PageImage:
    number: int  # 1-based
    png: bytes
    width: int
    height: int
    dpi: float | None = None  # the resolution a PDF page was rendered at


def encode_png(gray: np.ndarray) -> bytes:
    # Fast compression: on a 12-megapixel scan, level 1 takes a fifth of the time of the
    # default and the file is about 12% larger. Lossless, so the worker reads what we saw.
    ok, buf = cv2.imencode(".png", gray, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise DocumentUnreadable("a page could not be encoded as PNG")
    return buf.tobytes()


# PDF

def _open_pdf(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise DocumentUnreadable(f"the PDF cannot be opened ({exc}); is it damaged or password-protected?") from exc


def pdf_page_count(data: bytes) -> int:
    with PDFIUM_LOCK:
        pdf = _open_pdf(data)
        try:
            return len(pdf)
        finally:
            pdf.close()


def scan_dpi(page: pdfium.PdfPage) -> float | None:
    """The resolution of the image that makes up a scanned page, or None when no image
    covers most of the page (a page of born-digital text and drawings)."""
    width, height = page.get_size()
    best = None
    for obj in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        if (right - left) * (top - bottom) < SCAN_COVERAGE * width * height:
            continue
        px_w, px_h = obj.get_px_size()
        # Compare long sides, so an image rotated on the page still measures right.
        dpi = max(px_w, px_h) / (max(right - left, top - bottom) / POINTS_PER_INCH)
        best = max(best or 0.0, dpi)
    return best


def render_dpi(width_pt: float, height_pt: float, dpi: float, max_pixels: int) -> float:
    """`dpi`, lowered so that the page, its sides rounded up to whole pixels, fits in
    `max_pixels`."""
    def pixels(d: float) -> int:
        return math.ceil(width_pt * d / POINTS_PER_INCH) * math.ceil(height_pt * d / POINTS_PER_INCH)

    if pixels(dpi) > max_pixels:
        dpi *= math.sqrt(max_pixels / pixels(dpi))
        while pixels(dpi) > max_pixels and dpi > 1:
            dpi *= 0.998
    return dpi


def render_size(page: pdfium.PdfPage, dpi: float, max_pixels: int) -> tuple[float, int, int]:
    """(resolution, width, height) page `page` is rendered at: its scan's resolution when it
    is a scan, else `dpi`, lowered to fit `max_pixels`."""
    width_pt, height_pt = page.get_size()
    chosen = render_dpi(width_pt, height_pt, scan_dpi(page) or dpi, max_pixels)
    # Sides rounded up to whole pixels, as PDFium renders them (450.0000001 stays 450).
    return chosen, *(math.ceil(round(side * chosen / POINTS_PER_INCH, 6)) for side in (width_pt, height_pt))


def pdf_pages(data: bytes, *, dpi: float, max_pixels: int, check_size: SizeCheck | None = None) -> Iterator[PageImage]:
    """Each page rendered in gray: at its scan's resolution when it is a scan, else at
    `dpi`, and never above `max_pixels`."""
    with PDFIUM_LOCK:
        pdf = _open_pdf(data)
        count = len(pdf)
    try:
        for index in range(count):
            with PDFIUM_LOCK:
                try:
                    page = pdf[index]
                    chosen, w, h = render_size(page, dpi, max_pixels)
                    if check_size is not None:
                        check_size(w, h)
                    # PDFium rounds fractional pixels up: a hair less keeps 450.0000001 at 450.
                    bitmap = page.render(scale=chosen / POINTS_PER_INCH * (1 - 1e-9), grayscale=True)
                    gray = pil_to_gray(bitmap.to_pil())
                    page.close()
                except pdfium.PdfiumError as exc:
                    raise DocumentUnreadable(f"page {index + 1} of the PDF cannot be rendered: {exc}") from exc
            yield PageImage(index + 1, encode_png(gray), gray.shape[1], gray.shape[0], round(chosen, 1))
    finally:
        with PDFIUM_LOCK:
            pdf.close()


# TIFF

def tiff_frame_count(data: bytes) -> int:
    try:
        with Image.open(io.BytesIO(data), formats=["TIFF"]) as img:
            return getattr(img, "n_frames", 1)
    except DECODE_ERRORS as exc:
        raise DocumentUnreadable(f"the TIFF cannot be read: {exc or type(exc).__name__}") from exc


def tiff_pages(data: bytes, *, check_size: SizeCheck | None = None) -> Iterator[PageImage]:
    """Each frame, upright and in gray; its size is checked before it is decoded."""
    try:
        with Image.open(io.BytesIO(data), formats=["TIFF"]) as img:
            for index in range(getattr(img, "n_frames", 1)):
                img.seek(index)
                if check_size is not None:
                    check_size(*img.size)
                gray = pil_to_gray(exif_upright(img))
                yield PageImage(index + 1, encode_png(gray), gray.shape[1], gray.shape[0])
    except DECODE_ERRORS as exc:
        raise DocumentUnreadable(f"a page of the TIFF is damaged: {exc or type(exc).__name__}") from exc


def split_pages(data: bytes, kind: str, *, dpi: float, max_pixels: int,
                check_size: SizeCheck | None = None) -> Iterator[PageImage]:
    """Page images of a "PDF" or "TIFF" file, in order."""
    if kind == "PDF":
        return pdf_pages(data, dpi=dpi, max_pixels=max_pixels, check_size=check_size)
    if kind == "TIFF":
        return tiff_pages(data, check_size=check_size)
    raise ValueError(f"not a multi-page type: {kind}")


def pdf_first_page_size(data: bytes, *, dpi: float, max_pixels: int) -> tuple[int, int]:
    """The pixel size page 1 will be rendered at, without rendering it."""
    with PDFIUM_LOCK:
        pdf = _open_pdf(data)
        try:
            if len(pdf) == 0:
                raise DocumentUnreadable("the PDF has no pages")
            try:
                page = pdf[0]
                _dpi, width, height = render_size(page, dpi, max_pixels)
                page.close()
            except pdfium.PdfiumError as exc:
                raise DocumentUnreadable(f"page 1 of the PDF cannot be read: {exc}") from exc
        finally:
            pdf.close()
    return width, height
