"""Every PAGE XML and ALTO export the API gives validates against the official schemas
(../shared/schemas: PAGE 2019-07-15, ALTO 4.4), for a page and inside a document's ZIP,
with reviewers' corrections, boxes marked not text, line polygons and baselines, lines
with only a box, and a page without any result; and the files are named for their format."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from recognition import services
from recognition.jobs import record_failure, record_result
from recognition.models import Glyph, Job, Word
from recognition.pipeline.types import Box, CharResult, LineResult, PageResult, WordResult
from recognition.review import services as review
from tests.app.test_documents_api import tiff_pages

pytestmark = pytest.mark.django_db

SCHEMAS = Path(settings.BASE_DIR).parent / "shared" / "schemas"
if not SCHEMAS.exists():
    pytest.skip(f"needs the schemas in {SCHEMAS}", allow_module_level=True)
etree = pytest.importorskip("lxml.etree")


@pytest.fixture(scope="module")
def schemas() -> dict:
    return {
        "page": etree.XMLSchema(file=str(SCHEMAS / "pagecontent-2019-07-15.xsd")),
        "alto": etree.XMLSchema(file=str(SCHEMAS / "alto-4-4.xsd")),
    }


def assert_valid(schema, content: bytes, what: str) -> None:
    doc = etree.fromstring(content)
    assert schema.validate(doc), f"{what}: {schema.error_log}"


def word_result(x: int, y: int, text: str, confidence: float = 0.8) -> WordResult:
    chars = [CharResult(Box(x + 14 * i, y, 12, 20), ch, 0.7, alternatives=[(ch, 0.7)]) for i, ch in enumerate(text)]
    return WordResult(Box(x, y, 14 * len(text), 20), text, confidence, chars)


def read(job: Job) -> None:
    """A result as a worker writes it: a line with a polygon and a baseline, one with a
    box only, words with characters, text that XML must escape."""
    first = LineResult(Box(8, 16, 200, 30), [word_result(10, 20, "Dear"), word_result(80, 20, "<Sir>")],
                       polygon=[(8, 16), (210, 14), (212, 46), (8, 48)], baseline=[(8, 40), (210, 38)])
    second = LineResult(Box(8, 60, 200, 30), [word_result(10, 64, "M&a"), word_result(80, 64, "x"),
                                              word_result(120, 64, '"à"')])
    record_result(job.id, PageResult(320, 160, [first, second]), b"png", None)


def review_it(job: Job, user) -> None:
    """Corrections of every kind a reviewer makes."""
    words = list(Word.objects.filter(line__job=job).order_by("line__order", "order"))
    review.correct_word(words[0], "Dearest", user)  # no longer matches its characters
    review.correct_char(Glyph.objects.filter(word=words[1]).order_by("order")[1], "5", user)
    review.set_not_text(words[3], user)  # a stroke
    review.set_not_text(Glyph.objects.filter(word=words[2]).order_by("order")[1], user)  # a stain in a word


@pytest.fixture
def document(alice):
    page = services.create_page(owner=alice, upload=SimpleUploadedFile("letters.tif", tiff_pages(3)))
    jobs = [p.jobs.get() for p in page.document.pages.order_by("number")]
    read(jobs[0])
    review_it(jobs[0], alice)
    read(jobs[1])
    record_failure(jobs[2].id, "unreadable")  # exported as an empty page
    return page.document


@pytest.mark.parametrize("fmt", ["page", "alto"])
def test_a_reviewed_page_exports_valid_xml(alice_client, document, schemas, fmt):
    page = document.pages.get(number=1)
    response = alice_client.get(f"/api/pages/{page.id}/export/", {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="letters-p001.{fmt}.xml"'
    assert_valid(schemas[fmt], response.content, f"page 1 as {fmt}")
    text = response.content.decode()
    assert "Dearest" in text and "&lt;5ir&gt;" in text and "M&amp;a" not in text  # the stain is out of M&a
    assert "baseline" in text.lower() or "BASELINE" in text
    assert ">x<" not in text and '"x"' not in text  # the stroke is out


@pytest.mark.parametrize("fmt", ["page", "alto"])
def test_every_file_of_a_document_zip_is_valid(alice_client, document, schemas, fmt):
    response = alice_client.get(f"/api/documents/{document.id}/export/", {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="letters-{fmt}.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        assert names == [f"letters-p00{n}.{fmt}.xml" for n in (1, 2, 3)]
        for name in names:
            assert_valid(schemas[fmt], archive.read(name), name)


def test_hocr_text_and_json_files_say_their_format(alice_client, document):
    page = document.pages.get(number=2)
    for fmt, suffix in [("hocr", "hocr.html"), ("txt", "txt"), ("json", "json")]:
        response = alice_client.get(f"/api/pages/{page.id}/export/", {"format": fmt})
        assert response["Content-Disposition"] == f'attachment; filename="letters-p002.{suffix}"'
