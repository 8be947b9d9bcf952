"""`manage.py export` writes a page's or a document's results in any format;
`manage.py evaluate-lines` runs the line evaluation on a folder of images with ALTO."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
import zipfile

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from recognition import services
from recognition.exports import ExportPage, export_page
from tests.app.test_documents_api import finish
from tests.helpers.bad_files import multipage_tiff

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(alice):
    page = services.create_page(owner=alice, upload=SimpleUploadedFile("two.tif", multipage_tiff()))
    for job, text in zip([p.jobs.get() for p in page.document.pages.order_by("number")], ["AB", "CD"]):
        finish(job, text)
    return page.document


def test_export_a_page_to_a_file_and_a_document_into_a_folder(document, tmp_path):
    first = document.pages.get(number=1)
    call_command("export", "--page", str(first.id), "--format", "hocr", "--output", str(tmp_path / "p.html"))
    words = [el.text for el in ET.parse(tmp_path / "p.html").iter("{http://www.w3.org/1999/xhtml}span")
             if el.get("class") == "ocrx_cinfo"]
    assert words == ["A", "B"]
    call_command("export", "--document", str(document.id), "--format", "alto", "--output", str(tmp_path))
    with zipfile.ZipFile(tmp_path / "two-alto.zip") as archive:
        assert archive.namelist() == ["two-p001.alto.xml", "two-p002.alto.xml"]
    call_command("export", "--document", str(document.id), "--format", "txt", "--output", str(tmp_path / "t.txt"))
    assert (tmp_path / "t.txt").read_text() == "AB\n\fCD\n\f"


def test_export_says_why_it_cannot(document, tmp_path):
    with pytest.raises(CommandError, match="No such page"):
        call_command("export", "--page", "999999", "--format", "txt", "--output", str(tmp_path / "x"))
    page = document.pages.get(number=1)
    services.reprocess_page(page)
    page.jobs.filter(status="succeeded").delete()
    with pytest.raises(CommandError, match="no finished recognition"):
        call_command("export", "--page", str(page.id), "--format", "txt", "--output", str(tmp_path / "x"))


def test_evaluate_lines_reads_alto_beside_generated_pages(font_glyphs, tmp_path, capsys):
    from training.synthetic_pages import compose_page

    generated = compose_page(["HELLO WORLD", "FORM 42", "LINE THREE"], font_glyphs, np.random.default_rng(4),
                             char_height=40)
    cv2.imwrite(str(tmp_path / "page.png"), generated.image)
    lines = [{"bbox": line.box.as_list(), "text": line.text, "confidence": 1.0, "words": []}
             for line in generated.lines]
    height, width = generated.image.shape
    alto = export_page(ExportPage("page.png", width, height, {"text": "", "lines": lines}), "alto").content
    (tmp_path / "page.xml").write_bytes(alto)
    call_command("evaluate-lines", "--pages", str(tmp_path), "--iou", "0.5", "--json", str(tmp_path / "r.json"),
                 "--threads", "1")
    figures = json.loads((tmp_path / "r.json").read_text())
    assert [p["page"] for p in figures["pages"]] == ["page.png"]
    assert figures["overall"]["all"]["true_lines"] == 3
    assert "page.png" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no ALTO files"):
        call_command("evaluate-lines", "--pages", str(tmp_path / "empty"))


def test_export_writes_to_standard_output(document, capsysbinary):
    call_command("export", "--document", str(document.id), "--format", "json")
    body = json.load(io.BytesIO(capsysbinary.readouterr().out))
    assert [p["result"]["text"] for p in body["pages"]] == ["AB", "CD"]
