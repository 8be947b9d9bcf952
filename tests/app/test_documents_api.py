"""GET /api/documents/ and /api/documents/<id>/ show a document's pages with their latest
jobs and the progress across them; /export gives a page's or a document's results in
every format. Owners only (others get 404), staff see all."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from recognition import services
from recognition.jobs import record_failure, record_result
from recognition.models import Document, Job
from recognition.pipeline.types import Box, CharResult, LineResult, PageResult, WordResult
from recognition.tasks import recognize_page
from tests.conftest import token_client
from tests.helpers.bad_files import writing

pytestmark = pytest.mark.django_db

ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
PAGE = "{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}"


def tiff_pages(count: int) -> bytes:
    out = io.BytesIO()
    first, *rest = [Image.fromarray(writing(160 + 20 * i, 320)) for i in range(count)]
    first.save(out, format="TIFF", save_all=True, append_images=rest)
    return out.getvalue()


@pytest.fixture
def document(alice) -> Document:
    page = services.create_page(owner=alice, upload=SimpleUploadedFile("letters.tif", tiff_pages(3)))
    return page.document


def finish(job: Job, word_text: str = "AB", x: int = 10) -> None:
    """Record a small known result for a job, as a worker would."""
    chars = [CharResult(Box(x + 12 * i, 20, 10, 16), ch, 0.8) for i, ch in enumerate(word_text)]
    words = [WordResult(Box(x, 20, 12 * len(word_text), 16), word_text, 0.75, chars)]
    line = LineResult(Box(x - 2, 16, 12 * len(word_text) + 4, 24), words,
                      polygon=[(x - 2, 16), (x + 40, 16), (x + 40, 40), (x - 2, 40)],
                      baseline=[(x - 2, 36), (x + 40, 36)])
    record_result(job.id, PageResult(320, 160, [line]), b"png", None)


def latest_jobs(document: Document) -> list[Job]:
    return [page.jobs.latest("created", "id") for page in document.pages.order_by("number")]


def test_a_document_lists_its_pages_with_their_jobs_and_progress(alice_client, document):
    body = alice_client.get(f"/api/documents/{document.id}/").json()
    jobs = latest_jobs(document)
    assert (body["page_count"], body["original_filename"], body["content_type"]) == (3, "letters.tif", "image/tiff")
    assert (body["status"], body["progress"], body["pages_done"]) == ("queued", 0, 0)
    assert body["jobs"] == {"queued": 3, "running": 0, "succeeded": 0, "failed": 0}
    assert [(p["number"], p["job"]["id"], p["job"]["status"]) for p in body["pages"]] == [
        (i + 1, job.id, "queued") for i, job in enumerate(jobs)]
    assert body["pages"][0]["image_url"] == f"/api/pages/{body['pages'][0]['id']}/image/"

    Job.objects.filter(pk=jobs[0].pk).update(status=Job.Status.RUNNING, progress=60)
    finish(jobs[1])
    body = alice_client.get(f"/api/documents/{document.id}/").json()
    assert (body["status"], body["progress"], body["pages_done"]) == ("running", round((60 + 100 + 0) / 3), 1)
    assert [p["job"]["status"] for p in body["pages"]] == ["running", "succeeded", "queued"]

    finish(jobs[0])
    record_failure(jobs[2].id, "boom")
    body = alice_client.get(f"/api/documents/{document.id}/").json()
    assert (body["status"], body["progress"]) == ("failed", 100)  # all finished, one failed
    assert body["jobs"] == {"queued": 0, "running": 0, "succeeded": 2, "failed": 1}


def test_pages_know_their_document_and_number(alice_client, document):
    first = document.pages.get(number=1)
    body = alice_client.get(f"/api/pages/{first.id}/").json()
    assert (body["document"], body["number"]) == (document.id, 1)


def test_documents_are_private_to_their_owner_and_visible_to_staff(alice_client, bob_client, staff, document):
    assert bob_client.get(f"/api/documents/{document.id}/").status_code == 404
    assert bob_client.get(f"/api/documents/{document.id}/export/?format=txt").status_code == 404
    page = document.pages.first()
    assert bob_client.get(f"/api/pages/{page.id}/export/?format=txt").status_code == 404
    assert bob_client.get("/api/documents/").json()["results"] == []
    listed = alice_client.get("/api/documents/").json()["results"]
    assert [d["id"] for d in listed] == [document.id] and "pages" not in listed[0]
    assert token_client(staff).get(f"/api/documents/{document.id}/").status_code == 200


def test_a_page_exports_in_every_format_once_read(alice_client, document):
    page = document.pages.get(number=2)
    response = alice_client.get(f"/api/pages/{page.id}/export/?format=alto")
    assert response.status_code == 409 and "no finished recognition" in response.json()["detail"]
    finish(latest_jobs(document)[1], "HI")
    for fmt, content_type, suffix in [("page", "application/vnd.prima.page+xml", ".page.xml"),
                                      ("alto", "application/alto+xml", ".alto.xml"),
                                      ("hocr", "text/html; charset=utf-8", ".hocr.html"),
                                      ("txt", "text/plain; charset=utf-8", ".txt"),
                                      ("json", "application/json", ".json")]:
        response = alice_client.get(f"/api/pages/{page.id}/export/?format={fmt}")
        assert response.status_code == 200, (fmt, response.content)
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == f'attachment; filename="letters-p002{suffix}"'
    alto = ET.fromstring(alice_client.get(f"/api/pages/{page.id}/export/?format=alto").content)
    line = alto.find(f".//{ALTO}TextLine")
    assert line.find(f"{ALTO}Shape/{ALTO}Polygon").get("POINTS") == "8 16 50 16 50 40 8 40"
    assert [s.get("CONTENT") for s in alto.iter(f"{ALTO}String")] == ["HI"]
    assert alice_client.get(f"/api/pages/{page.id}/export/?format=txt").content == b"HI\n"


def test_an_unknown_format_is_400_and_none_means_json(alice_client, document):
    page = document.pages.first()
    response = alice_client.get(f"/api/pages/{page.id}/export/?format=pdf")
    assert response.status_code == 400 and "page|alto|hocr|txt|json" in response.json()["detail"]
    finish(page.jobs.get(), "AB")
    response = alice_client.get(f"/api/pages/{page.id}/export/")
    assert response["Content-Type"] == "application/json" and response.json()["result"]["text"] == "AB"


def test_a_document_exports_when_no_page_is_still_being_read(alice_client, document):
    jobs = latest_jobs(document)
    finish(jobs[0], "AB")
    response = alice_client.get(f"/api/documents/{document.id}/export/?format=page")
    assert response.status_code == 409 and "Page 2" in response.json()["detail"]
    finish(jobs[1], "CD")
    record_failure(jobs[2].id, "unreadable")
    response = alice_client.get(f"/api/documents/{document.id}/export/?format=page")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        assert names == ["letters-p001.page.xml", "letters-p002.page.xml", "letters-p003.page.xml"]
        texts = [[u.text for u in ET.fromstring(archive.read(n)).iter(f"{PAGE}Unicode")] for n in names]
    assert [t[-1:] for t in texts] == [["AB"], ["CD"], []]  # the failed page is there, empty
    text = alice_client.get(f"/api/documents/{document.id}/export/?format=txt").content.decode()
    assert text.split("\f") == ["AB\n", "CD\n", "\n", ""]
    hocr = alice_client.get(f"/api/documents/{document.id}/export/?format=hocr").content.decode()
    assert len(re.findall(r"class=\"ocr_page\"", hocr)) == 3
    body = alice_client.get(f"/api/documents/{document.id}/export/?format=json").json()
    assert [p["status"] for p in body["pages"]] == ["succeeded", "succeeded", "failed"]


def test_a_page_read_again_exports_its_latest_finished_result(alice_client, document):
    page = document.pages.get(number=1)
    finish(latest_jobs(document)[0], "OLD")
    services.reprocess_page(page)  # queued: the earlier result still exports
    assert alice_client.get(f"/api/pages/{page.id}/export/?format=txt").content == b"OLD\n"
    finish(page.jobs.latest("created", "id"), "NEW")
    assert alice_client.get(f"/api/pages/{page.id}/export/?format=txt").content == b"NEW\n"


def test_the_export_of_a_real_job_keeps_the_apis_boxes(alice_client, upload):
    page_id = alice_client.post("/api/pages/", {"image": upload()}, format="multipart").json()["id"]
    job = Job.objects.get(page_id=page_id)
    recognize_page(job.id)
    result = alice_client.get(f"/api/jobs/{job.id}/").json()["result"]
    alto = ET.fromstring(alice_client.get(f"/api/pages/{page_id}/export/?format=alto").content)
    boxes = [[int(s.get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")] for s in alto.iter(f"{ALTO}String")]
    assert boxes == [w["bbox"] for line in result["lines"] for w in line["words"]]
    assert [s.get("CONTENT") for s in alto.iter(f"{ALTO}String")] == [
        w["text"] for line in result["lines"] for w in line["words"]]
