"""Staff upload PDFs and multi-page TIFFs in the admin; a document's view lists its pages
with their jobs and progress; pages and documents download in every export format; a
page's form imports its ground truth."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from recognition import services
from recognition.models import Document, GroundTruth, Job, Page
from tests.app.test_documents_api import finish
from tests.app.test_ground_truth_import import alto_for
from tests.helpers.bad_files import multipage_tiff, writing

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def pdf_bytes(pages: int) -> bytes:
    out = io.BytesIO()
    first, *rest = [Image.fromarray(writing()) for _ in range(pages)]
    first.save(out, format="PDF", save_all=True, append_images=rest, resolution=100)
    return out.getvalue()


def test_staff_upload_a_pdf_and_an_image_together(staff_client, small_page_png):
    files = [SimpleUploadedFile("letters.pdf", pdf_bytes(3)), SimpleUploadedFile("one.png", small_page_png)]
    response = staff_client.post("/admin/recognition/page/upload/",
                                 {"images": files, "layout": "page", "charset": "any"}, follow=True)
    assert "Uploaded 4 page(s)" in response.content.decode()
    assert Document.objects.get().pages.count() == 3 and Page.objects.count() == 4
    assert Job.objects.filter(status=Job.Status.QUEUED).count() == 4


def test_the_document_view_shows_progress_pages_and_downloads(staff_client, staff):
    page = services.create_page(owner=staff, upload=SimpleUploadedFile("two.tif", multipage_tiff()))
    document = page.document
    finish(page.jobs.get(), "AB")
    html = staff_client.get(f"/admin/recognition/document/{document.id}/change/").content.decode()
    assert "running: 1/2 pages done, 50%" in html
    for other in document.pages.all():
        assert f"/admin/recognition/page/{other.id}/change/" in html
    assert f"/admin/recognition/document/{document.id}/export/alto/" in html
    assert "AB" in html
    listing = staff_client.get("/admin/recognition/document/").content.decode()
    assert "two.tif" in listing


def test_downloads_from_the_admin(staff_client, staff):
    page = services.create_page(owner=staff, upload=SimpleUploadedFile("two.tif", multipage_tiff()))
    document = page.document
    response = staff_client.get(f"/admin/recognition/page/{page.id}/export/txt/", follow=True)
    assert "no finished recognition" in response.content.decode()  # sent back to the page, with the reason
    for job in Job.objects.filter(page__document=document):
        finish(job, "HI")
    response = staff_client.get(f"/admin/recognition/page/{page.id}/export/txt/")
    assert response.status_code == 200 and response.content == b"HI\n"
    assert response["Content-Disposition"] == 'attachment; filename="two-p001.txt"'
    response = staff_client.get(f"/admin/recognition/document/{document.id}/export/alto/")
    assert response["Content-Type"] == "application/zip"
    assert len(zipfile.ZipFile(io.BytesIO(response.content)).namelist()) == 2
    assert f"/admin/recognition/page/{page.id}/export/page/" in staff_client.get(
        f"/admin/recognition/page/{page.id}/change/").content.decode()
    assert staff_client.get(f"/admin/recognition/page/{page.id}/export/docx/").status_code == 404


def test_the_page_form_imports_ground_truth(staff_client, staff, upload, small_page_png):
    page = services.create_page(owner=staff, upload=upload())
    url = f"/admin/recognition/page/{page.id}/change/"
    form = {"layout": page.layout, "charset": page.charset, "lexicon": "",
            "jobs-TOTAL_FORMS": "1", "jobs-INITIAL_FORMS": "1", "jobs-MIN_NUM_FORMS": "0", "jobs-MAX_NUM_FORMS": "1000",
            "jobs-0-id": str(page.jobs.get().id), "jobs-0-page": str(page.id)}
    bad = staff_client.post(url, {**form, "ground_truth_file": SimpleUploadedFile("t.xml", b"<x/>")})
    assert bad.status_code == 200 and "ALTO or PAGE XML" in bad.content.decode()
    data = alto_for(page.width, page.height)
    response = staff_client.post(url, {**form, "ground_truth_file": SimpleUploadedFile("t.xml", data)})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert GroundTruth.objects.get(page=page).text == "HELLO WORLD\nFORM-"
    assert "HELLO WORLD" in staff_client.get(url).content.decode()
