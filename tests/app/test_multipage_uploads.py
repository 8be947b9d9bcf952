"""A PDF or a multi-page TIFF sent to POST /api/pages/ becomes a document: each page is
stored as its own page image with its own queued job. The answer keeps the single-image
shape (the first page's id and job) and adds `document`. Past the page limit, the job
cap, or with a damaged file, nothing is stored and the JSON says why."""

from __future__ import annotations

import io

import numpy as np
import pypdfium2 as pdfium
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from recognition.documents import multipage
from recognition.models import Document, Job, Page
from recognition.pipeline import decode_image
from recognition.tasks import recognize_page
from tests.helpers.bad_files import writing

pytestmark = pytest.mark.django_db


def pdf_of(images: list[np.ndarray], dpi: int = 100) -> bytes:
    """A scanned-looking PDF: each page one image at `dpi`."""
    out = io.BytesIO()
    first, *rest = [Image.fromarray(img) for img in images]
    first.save(out, format="PDF", save_all=True, append_images=rest, resolution=dpi)
    return out.getvalue()


def tiff_of(images: list[np.ndarray]) -> bytes:
    out = io.BytesIO()
    first, *rest = [Image.fromarray(img) for img in images]
    first.save(out, format="TIFF", save_all=True, append_images=rest, compression="tiff_lzw")
    return out.getvalue()


def born_digital_pdf(pages: int = 1, size_pt=(595, 842)) -> bytes:
    """Pages with no image on them (as a word processor makes)."""
    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(*size_pt)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def post(client, name: str, data: bytes, **fields):
    return client.post("/api/pages/", {"image": SimpleUploadedFile(name, data), **fields}, format="multipart")


def nothing_stored(media_root) -> bool:
    files = [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []
    return not files and not Page.objects.exists() and not Document.objects.exists() and not Job.objects.exists()


@pytest.fixture
def pages_of_writing() -> list[np.ndarray]:
    return [writing(160, 320), writing(200, 300), 255 - writing(160, 320) // 2]


def test_a_pdf_becomes_a_document_with_one_page_and_job_per_page(alice_client, pages_of_writing):
    response = post(alice_client, "letters.pdf", pdf_of(pages_of_writing), layout="line", charset="upper")
    assert response.status_code == 201, response.content
    body = response.json()
    document = Document.objects.get()
    pages = list(document.pages.order_by("number"))
    assert [p.number for p in pages] == [1, 2, 3]
    # The single-image contract: the first page's id and job ...
    first_job = pages[0].jobs.get()
    assert body["id"] == pages[0].id
    assert body["job"] == {"id": first_job.id, "status": "queued", "url": f"/api/jobs/{first_job.id}/"}
    # ... and the document with every page and its job.
    assert body["document"]["id"] == document.id and body["document"]["url"] == f"/api/documents/{document.id}/"
    assert [(p["id"], p["number"], p["job"]["status"]) for p in body["document"]["pages"]] == [
        (page.id, page.number, "queued") for page in pages]
    assert (document.original_filename, document.content_type, document.page_count) == (
        "letters.pdf", "application/pdf", 3)
    # A scan is rendered at its own resolution: the page images have the scans' sizes.
    assert [(p.width, p.height) for p in pages] == [(img.shape[1], img.shape[0]) for img in pages_of_writing]
    for page, original in zip(pages, pages_of_writing):
        assert (page.content_type, page.layout, page.charset, page.owner.username) == (
            "image/png", "line", "upper", "alice")
        gray = decode_image(page.image.open("rb").read())
        assert np.abs(gray.astype(int) - original.astype(int)).mean() < 3  # the PDF holds them as JPEG
    assert Job.objects.filter(status=Job.Status.QUEUED).count() == 3


def test_a_multipage_tiff_becomes_a_document_of_exact_page_images(alice_client, pages_of_writing):
    response = post(alice_client, "scans.tif", tiff_of(pages_of_writing))
    assert response.status_code == 201, response.content
    assert len(response.json()["document"]["pages"]) == 3
    pages = Page.objects.order_by("number")
    for page, original in zip(pages, pages_of_writing):
        assert np.array_equal(decode_image(page.image.open("rb").read()), original)


def test_a_one_page_pdf_is_a_document_and_a_one_page_tiff_is_a_page(alice_client):
    assert "document" in post(alice_client, "one.pdf", pdf_of([writing()])).json()
    body = post(alice_client, "one.tif", tiff_of([writing()])).json()
    assert set(body) == {"id", "job"}
    assert Page.objects.get(pk=body["id"]).content_type == "image/tiff"


def test_past_the_page_limit_the_document_is_refused_with_413(alice_client, settings, pages_of_writing):
    settings.HWR_MAX_DOCUMENT_PAGES = 2
    for name, data in [("letters.pdf", pdf_of(pages_of_writing)), ("scans.tif", tiff_of(pages_of_writing))]:
        response = post(alice_client, name, data)
        assert response.status_code == 413
        assert response.json()["detail"].startswith("The document has 3 pages; the limit is 2.")
    assert nothing_stored(settings.MEDIA_ROOT)


def test_a_document_that_would_pass_the_job_cap_is_refused_with_429(alice_client, settings, pages_of_writing):
    settings.HWR_MAX_ACTIVE_JOBS_PER_USER = 2
    response = post(alice_client, "letters.pdf", pdf_of(pages_of_writing))
    assert response.status_code == 429
    assert "this upload would add 3" in response.json()["detail"]
    assert nothing_stored(settings.MEDIA_ROOT)


def test_a_damaged_pdf_is_refused_with_400(alice_client, settings, pages_of_writing):
    data = pdf_of(pages_of_writing)
    response = post(alice_client, "cut.pdf", data[: len(data) // 2])
    assert response.status_code == 400
    assert "PDF cannot be read" in response.json()["detail"]
    assert nothing_stored(settings.MEDIA_ROOT)


def test_a_page_too_small_inside_a_tiff_refuses_the_whole_document(alice_client, settings):
    response = post(alice_client, "scans.tif", tiff_of([writing(), np.full((4, 4), 255, np.uint8)]))
    assert response.status_code == 400 and "at least" in response.json()["detail"]
    assert nothing_stored(settings.MEDIA_ROOT)


def test_pages_that_are_not_scans_render_at_the_set_resolution_within_the_pixel_budget():
    a4 = born_digital_pdf()
    [page] = multipage.pdf_pages(a4, dpi=300, max_pixels=50_000_000)
    assert (page.width, page.height, page.dpi) == (2480, 3509, 300.0)  # 595 x 842 points, rounded up
    assert multipage.pdf_first_page_size(a4, dpi=300, max_pixels=50_000_000) == (2480, 3509)
    [page] = multipage.pdf_pages(a4, dpi=300, max_pixels=1_000_000)
    assert page.width * page.height <= 1_000_000 and abs(page.width / page.height - 595 / 842) < 0.01
    scan = pdf_of([writing(600, 450)], dpi=150)
    [page] = multipage.pdf_pages(scan, dpi=300, max_pixels=50_000_000)
    assert (page.width, page.height, page.dpi) == (450, 600, 150.0)
    assert multipage.pdf_first_page_size(scan, dpi=300, max_pixels=50_000_000) == (450, 600)


def read(client, name: str, data: bytes) -> list[str]:
    """Upload, run every page's job as a worker would, and return the pages' texts."""
    body = post(client, name, data, layout="line").json()
    texts = []
    for entry in body.get("document", {}).get("pages", [{"job": body["job"]}]):
        recognize_page.apply(args=[entry["job"]["id"]])
        job = Job.objects.get(pk=entry["job"]["id"])
        assert job.status == Job.Status.SUCCEEDED, job.error
        texts.append(job.text)
    return texts


def test_each_page_of_a_document_is_read_as_the_same_image_sent_alone(alice_client, font_glyphs):
    from tests.conftest import png_bytes
    from training.synthetic_pages import compose_page

    image = compose_page(["HELLO WORLD"], font_glyphs, np.random.default_rng(3), char_height=40).image
    [alone] = read(alice_client, "line.png", png_bytes(image))
    assert alone.strip()
    # TIFF pages are the exact pixels, so they read exactly as the image alone.
    assert read(alice_client, "scans.tif", tiff_of([image, image])) == [alone, alone]
    # Pillow writes PDF pages as JPEG: each page must come back as the image at its size,
    # up to JPEG's error, and be read. (How far JPEG moves a reading is the line reader's
    # robustness, not the document split's: a line of EMNIST glyphs is far from what it
    # was trained on, and its readings of it move by a few letters under JPEG.)
    texts = read(alice_client, "lines.pdf", pdf_of([image] * 2))
    assert len(texts) == 2 and texts[0].strip() and texts[0] == texts[1]
    pdf_pages = Document.objects.latest("id").pages.order_by("number")
    assert pdf_pages.count() == 2
    for page in pdf_pages:
        stored = decode_image(page.image.open("rb").read()).astype(np.float64)
        # Rasterising the PDF page may round its size by a pixel.
        assert all(abs(a - b) <= 1 for a, b in zip(stored.shape, image.shape))
        h, w = min(stored.shape[0], image.shape[0]), min(stored.shape[1], image.shape[1])
        difference = np.abs(stored[:h, :w] - image[:h, :w]).mean()
        assert difference < 3.0  # a blank page would differ by 23
