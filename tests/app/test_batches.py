"""POST /api/documents/ takes a batch: repeated `file` parts or one ZIP of images, PDFs and
TIFFs, and makes one document whose pages each get a job. Every file is checked as a
single upload is; a bad one is reported by name and the good ones are kept."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recognition.models import Document, Job, Page
from tests.app.test_documents_api import tiff_pages
from tests.app.test_model_per_job import other_version  # noqa: F401 (a fixture)
from tests.app.test_multipage_uploads import born_digital_pdf
from tests.helpers.bad_files import gray_png

pytestmark = pytest.mark.django_db


def part(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_repeated_file_parts_make_one_document_and_bad_files_are_named(alice_client):
    files = [part("a.png", gray_png()), part("notes.png", b"not an image\n" * 20),
             part("letters.tif", tiff_pages(2)), part("b.png", gray_png())]
    response = alice_client.post("/api/documents/", {"file": files, "layout": "line"}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["accepted"] == [{"name": "a.png", "pages": [1]}, {"name": "letters.tif", "pages": [2, 3]},
                                {"name": "b.png", "pages": [4]}]
    assert [(r["name"], r["status"]) for r in body["rejected"]] == [("notes.png", 415)]
    assert "looks like text" in body["rejected"][0]["detail"]
    document = Document.objects.get(pk=body["id"])
    assert document.page_count == 4 and document.content_type == "multipart/form-data"
    pages = list(document.pages.order_by("number"))
    assert [p.original_filename for p in pages] == ["a.png", "letters-p001.png", "letters-p002.png", "b.png"]
    assert {p.layout for p in pages} == {"line"}
    assert [p["job"]["status"] for p in body["pages"]] == ["queued"] * 4
    assert Job.objects.filter(page__document=document).count() == 4
    assert alice_client.get(body["url"]).json()["page_count"] == 4


def test_a_zip_of_files_makes_one_document(alice_client):
    archive = zip_of({"scans/2.png": gray_png(), "scans/1.tif": tiff_pages(2), "__MACOSX/._1.tif": b"junk",
                      "scans/3.pdf": born_digital_pdf(2),
                      "scans/broken.jpg": b"\xff\xd8\xff" + b"\x00" * 40, "inner.zip": zip_of({"x.png": gray_png()})})
    response = alice_client.post("/api/documents/", {"file": part("box.zip", archive)}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["accepted"] == [{"name": "scans/1.tif", "pages": [1, 2]}, {"name": "scans/2.png", "pages": [3]},
                                {"name": "scans/3.pdf", "pages": [4, 5]}]
    assert sorted((r["name"], r["status"]) for r in body["rejected"]) == [("inner.zip", 415),
                                                                          ("scans/broken.jpg", 400)]
    document = Document.objects.get(pk=body["id"])
    assert (document.original_filename, document.content_type, document.page_count) == ("box.zip",
                                                                                        "application/zip", 5)


def test_a_batch_with_no_usable_file_stores_nothing(alice_client):
    files = [part("a.txt", b"hello\n" * 10), part("b.png", b"")]
    response = alice_client.post("/api/documents/", {"file": files}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["accepted"] == [] and [r["name"] for r in body["rejected"]] == ["a.txt", "b.png"]
    assert "nothing was stored" in body["detail"]
    assert Document.objects.count() == 0 and Page.objects.count() == 0


def test_a_damaged_zip_is_a_400(alice_client):
    response = alice_client.post("/api/documents/", {"file": part("x.zip", b"PK\x03\x04" + b"\x00" * 80)},
                                 format="multipart")
    assert response.status_code == 400 and "ZIP" in response.json()["detail"]


def test_a_batch_over_the_page_limit_keeps_what_fits(alice_client, settings):
    settings.HWR_MAX_DOCUMENT_PAGES = 3
    files = [part("a.png", gray_png()), part("letters.tif", tiff_pages(3)), part("b.png", gray_png())]
    body = alice_client.post("/api/documents/", {"file": files}, format="multipart").json()
    assert [a["name"] for a in body["accepted"]] == ["a.png", "b.png"]
    assert [(r["name"], r["status"]) for r in body["rejected"]] == [("letters.tif", 413)]
    many = [part(f"{i}.png", gray_png()) for i in range(4)]
    assert alice_client.post("/api/documents/", {"file": many}, format="multipart").status_code == 413


def test_a_batch_past_the_job_cap_is_429_and_stores_nothing(alice_client, settings):
    settings.HWR_MAX_ACTIVE_JOBS_PER_USER = 2
    files = [part(f"{i}.png", gray_png()) for i in range(3)]
    response = alice_client.post("/api/documents/", {"file": files}, format="multipart")
    assert response.status_code == 429
    assert Document.objects.count() == 0 and Page.objects.count() == 0


def test_a_batch_takes_a_model_and_refuses_unknown_fields(alice_client, other_version):  # noqa: F811
    files = [part("a.png", gray_png()), part("b.png", gray_png())]
    response = alice_client.post("/api/documents/", {"file": files, "model": "hwr-copy"}, format="multipart")
    assert response.status_code == 201
    assert {job.model_version_id for job in Job.objects.all()} == {other_version.id}
    response = alice_client.post("/api/documents/", {"file": files, "model": "nope"}, format="multipart")
    assert response.status_code == 400 and "model" in response.json()
    response = alice_client.post("/api/documents/", {"file": files, "image": files[0]}, format="multipart")
    assert response.status_code == 400 and response.json()["unknown_fields"] == ["image"]
    assert alice_client.post("/api/documents/", {}, format="multipart").status_code == 400


@pytest.mark.parametrize("as_zip", [False, True], ids=["parts", "zip"])
def test_the_bad_upload_corpus_as_one_batch_gets_each_files_own_answer(alice_client, settings, as_zip):
    """Every file of tests/helpers/bad_files.py in one batch: each refused one is named with
    the status a single upload of it gets, each accepted one becomes pages with jobs."""
    from tests.helpers.bad_files import ACCEPTED, REFUSED

    settings.HWR_MAX_ACTIVE_JOBS_PER_USER = 1000
    refused = [case for case in REFUSED if not case.settings]
    cases = refused + ACCEPTED
    named = {f"{case.id}-{case.filename}": case for case in cases}
    if as_zip:
        data = {"file": part("corpus.zip", zip_of({name: case.make() for name, case in named.items()}))}
    else:
        data = {"file": [part(name, case.make()) for name, case in named.items()]}
    response = alice_client.post("/api/documents/", data, format="multipart")
    assert response.status_code == 201, response.content[:500]
    body = response.json()
    assert {r["name"]: r["status"] for r in body["rejected"]} == {
        name: case.status for name, case in named.items() if case in refused}
    assert sorted(a["name"] for a in body["accepted"]) == sorted(
        name for name, case in named.items() if case in ACCEPTED)
    pages = sum(len(a["pages"]) for a in body["accepted"])
    assert pages == len(ACCEPTED) + 1  # the multi-page TIFF has two
    assert Job.objects.filter(page__document_id=body["id"]).count() == pages


def test_a_zip_that_expands_past_its_budget_keeps_what_fits(alice_client, settings):
    """A ZIP may expand to 4 times the upload limit; its other files are refused by name."""
    settings.HWR_MAX_UPLOAD_BYTES = 40_000
    png = gray_png(160, 320)
    big = png + b"\0" * (38_000 - len(png))  # trailing bytes after IEND: still a valid PNG
    archive = zip_of({f"{i}.png": big for i in range(6)})
    body = alice_client.post("/api/documents/", {"file": part("many.zip", archive)}, format="multipart").json()
    assert [a["name"] for a in body["accepted"]] == ["0.png", "1.png", "2.png", "3.png"]
    assert [(r["name"], r["status"]) for r in body["rejected"]] == [("4.png", 413), ("5.png", 413)]
    assert "expands to more than 160000 bytes" in body["rejected"][0]["detail"]
