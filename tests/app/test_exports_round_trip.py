"""Every export format parses back with the boxes, text and confidences it was given:
PAGE XML, ALTO v4, hOCR, plain text and JSON, for a page and for a document. The ALTO is
also read by the project's own evaluation reader (training/ground_truth.py), and the
PAGE and ALTO by the ground-truth importer, as another tool would."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile

import pytest

from recognition.documents.ground_truth import parse_transcription
from recognition.exports import FORMATS, ExportDocument, ExportPage, export_document, export_page

ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
PAGE = "{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def char(i, x, y, text, conf):
    return {"id": i, "bbox": [x, y, 18, 30], "text": text, "confidence": conf}


def word(i, x, y, text, conf, first_char_id):
    chars = [char(first_char_id + k, x + 20 * k, y, ch, round(0.5 + 0.05 * k, 4)) for k, ch in enumerate(text)]
    return {"id": i, "bbox": [x, y, 20 * len(text), 30], "text": text, "confidence": conf, "chars": chars}


@pytest.fixture
def page() -> ExportPage:
    """Two lines, one with a polygon and a baseline, one with only a box; text with
    characters XML must escape; a corrected word whose characters no longer spell it."""
    corrected = word(12, 300, 200, "Ma", 0.7, 140)
    corrected["text"] = "M&a"
    lines = [
        {"id": 1, "bbox": [100, 95, 330, 45], "text": "Dear <Sir>", "confidence": 0.81,
         "polygon": [[100, 95], [430, 98], [430, 140], [100, 138]], "baseline": [[100, 128], [430, 131]],
         "words": [word(10, 100, 100, "Dear", 0.91, 100), word(11, 200, 100, "<Sir>", 0.71, 120)]},
        {"id": 2, "bbox": [100, 195, 260, 40], "text": "\"à\" M&a", "confidence": 0.6, "polygon": None,
         "baseline": None, "words": [word(13, 100, 200, "\"à\"", 0.5, 160), corrected]},
    ]
    result = {"text": "\n".join(line["text"] for line in lines), "lines": lines}
    return ExportPage("letter 1.png", 1200, 1600, result, number=1, page_id=7, job_id=9, model_version="hwr-cnn-1",
                      status="succeeded")


def words_of(page: ExportPage):
    return [w for line in page.lines for w in line["words"]]


def spelled_chars(page: ExportPage):
    return [c for w in words_of(page) if "".join(c["text"] for c in w["chars"]) == w["text"] for c in w["chars"]]


def box_of(el: ET.Element) -> list[int]:
    return [int(el.get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")]


def points_box(points: str) -> list[int]:
    values = [int(v) for v in re.split(r"[ ,]+", points.strip())]
    xs, ys = values[0::2], values[1::2]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def hocr_box(title: str) -> list[int]:
    x0, y0, x1, y1 = map(int, re.search(r"bbox (\d+) (\d+) (\d+) (\d+)", title).groups())
    return [x0, y0, x1 - x0, y1 - y0]


def test_alto_keeps_lines_words_characters_and_confidences(page):
    root = ET.fromstring(export_page(page, "alto").content)
    assert root.tag == f"{ALTO}alto"
    page_el = root.find(f"{ALTO}Layout/{ALTO}Page")
    assert (page_el.get("WIDTH"), page_el.get("HEIGHT")) == ("1200", "1600")
    assert root.findtext(f"{ALTO}Description/{ALTO}sourceImageInformation/{ALTO}fileName") == "letter 1.png"
    lines = list(root.iter(f"{ALTO}TextLine"))
    assert [box_of(el) for el in lines] == [line["bbox"] for line in page.lines]
    polygon = lines[0].find(f"{ALTO}Shape/{ALTO}Polygon").get("POINTS")
    assert polygon == "100 95 430 98 430 140 100 138"
    assert lines[0].get("BASELINE") == "100 128 430 131"
    assert lines[1].find(f"{ALTO}Shape") is None and lines[1].get("BASELINE") is None
    strings = list(root.iter(f"{ALTO}String"))
    assert [s.get("CONTENT") for s in strings] == [w["text"] for w in words_of(page)]
    assert [box_of(s) for s in strings] == [w["bbox"] for w in words_of(page)]
    assert [float(s.get("WC")) for s in strings] == [w["confidence"] for w in words_of(page)]
    # CC: a digit per character, 0 sure .. 9 unsure.
    assert strings[0].get("CC") == " ".join(str(round(9 * (1 - c["confidence"]))) for c in words_of(page)[0]["chars"])
    glyphs = list(root.iter(f"{ALTO}Glyph"))
    assert [g.get("CONTENT") for g in glyphs] == [c["text"] for c in spelled_chars(page)]
    assert [box_of(g) for g in glyphs] == [c["bbox"] for c in spelled_chars(page)]
    assert [float(g.get("GC")) for g in glyphs] == [c["confidence"] for c in spelled_chars(page)]
    # The corrected word keeps its text, without characters that spell something else.
    assert strings[-1].get("CONTENT") == "M&a" and strings[-1].find(f"{ALTO}Glyph") is None
    assert len(root.findall(f".//{ALTO}TextLine/{ALTO}SP")) == 2  # between the words of each line
    ids = [el.get("ID") for el in root.iter() if el.get("ID")]
    assert len(ids) == len(set(ids))


def test_alto_reads_back_in_the_projects_evaluation_reader(page, tmp_path):
    from training.ground_truth import read_alto

    path = tmp_path / "letter.xml"
    path.write_bytes(export_page(page, "alto").content)
    true_page = read_alto(path)
    assert (true_page.width, true_page.height) == (1200, 1600)
    assert [t.box.as_list() for t in true_page.lines] == [line["bbox"] for line in page.lines]
    assert [t.text for t in true_page.lines] == [" ".join(w["text"] for w in line["words"]) for line in page.lines]
    assert true_page.lines[0].polygon == [tuple(p) for p in page.lines[0]["polygon"]]
    assert true_page.lines[0].baseline == [tuple(p) for p in page.lines[0]["baseline"]]


def test_page_xml_keeps_polygons_baselines_words_glyphs_and_conf(page):
    root = ET.fromstring(export_page(page, "page").content)
    assert root.tag == f"{PAGE}PcGts"
    assert {"Creator", "Created", "LastChange"} <= {el.tag.removeprefix(PAGE) for el in root.find(f"{PAGE}Metadata")}
    page_el = root.find(f"{PAGE}Page")
    assert (page_el.get("imageFilename"), page_el.get("imageWidth"), page_el.get("imageHeight")) == (
        "letter 1.png", "1200", "1600")
    region = page_el.find(f"{PAGE}TextRegion")
    ref = page_el.find(f"{PAGE}ReadingOrder/{PAGE}OrderedGroup/{PAGE}RegionRefIndexed")
    assert ref.get("regionRef") == region.get("id")
    lines = region.findall(f"{PAGE}TextLine")
    assert lines[0].find(f"{PAGE}Coords").get("points") == "100,95 430,98 430,140 100,138"
    assert lines[0].find(f"{PAGE}Baseline").get("points") == "100,128 430,131"
    assert points_box(lines[1].find(f"{PAGE}Coords").get("points")) == page.lines[1]["bbox"]
    assert [el.findtext(f"{PAGE}TextEquiv/{PAGE}Unicode") for el in lines] == [line["text"] for line in page.lines]
    assert [float(el.find(f"{PAGE}TextEquiv").get("conf")) for el in lines] == [
        line["confidence"] for line in page.lines]
    words = [w for line in lines for w in line.findall(f"{PAGE}Word")]
    assert [points_box(w.find(f"{PAGE}Coords").get("points")) for w in words] == [w["bbox"] for w in words_of(page)]
    assert [w.findtext(f"{PAGE}TextEquiv/{PAGE}Unicode") for w in words] == [w["text"] for w in words_of(page)]
    assert [float(w.find(f"{PAGE}TextEquiv").get("conf")) for w in words] == [w["confidence"] for w in words_of(page)]
    glyphs = list(root.iter(f"{PAGE}Glyph"))
    assert [points_box(g.find(f"{PAGE}Coords").get("points")) for g in glyphs] == [
        c["bbox"] for c in spelled_chars(page)]
    assert [g.findtext(f"{PAGE}TextEquiv/{PAGE}Unicode") for g in glyphs] == [c["text"] for c in spelled_chars(page)]
    # Schema order inside a line: Coords, Baseline, Word..., TextEquiv.
    assert [child.tag.removeprefix(PAGE) for child in lines[0]] == ["Coords", "Baseline", "Word", "Word", "TextEquiv"]


@pytest.mark.parametrize("fmt", ["alto", "page"])
def test_the_ground_truth_importer_reads_our_exports(page, fmt):
    transcription = parse_transcription(export_page(page, fmt).content)
    assert transcription.format == fmt
    assert (transcription.width, transcription.height) == (1200, 1600)
    assert [line.text for line in transcription.lines] == [" ".join(w["text"] for w in line["words"])
                                                          for line in page.lines]
    assert [[w.bbox for w in line.words] for line in transcription.lines] == [
        [w["bbox"] for w in line["words"]] for line in page.lines]
    assert transcription.lines[0].polygon == page.lines[0]["polygon"]
    assert transcription.lines[0].baseline == page.lines[0]["baseline"]


def test_hocr_keeps_boxes_confidences_polygons_and_text(page):
    content = export_page(page, "hocr").content
    assert content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>')
    root = ET.fromstring(content)
    spans = list(root.iter(f"{XHTML}span"))
    page_div = next(el for el in root.iter(f"{XHTML}div") if el.get("class") == "ocr_page")
    assert 'image "letter 1.png"' in page_div.get("title") and hocr_box(page_div.get("title")) == [0, 0, 1200, 1600]
    lines = [s for s in spans if s.get("class") == "ocr_line"]
    assert [hocr_box(s.get("title")) for s in lines] == [line["bbox"] for line in page.lines]
    assert "poly 100 95 430 98 430 140 100 138" in lines[0].get("title")
    # baseline slope offset, from the bottom left of the line's box: 3/330 and 128 - 140.
    assert re.search(r"baseline 0\.0091 -12\b", lines[0].get("title"))
    words = [s for s in spans if s.get("class") == "ocrx_word"]
    assert ["".join(w.itertext()) for w in words] == [w["text"] for w in words_of(page)]
    assert [hocr_box(w.get("title")) for w in words] == [w["bbox"] for w in words_of(page)]
    assert [int(re.search(r"x_wconf (\d+)", w.get("title")).group(1)) for w in words] == [
        round(w["confidence"] * 100) for w in words_of(page)]
    chars = [s for s in spans if s.get("class") == "ocrx_cinfo"]
    assert [c.text for c in chars] == [c["text"] for c in spelled_chars(page)]
    assert [hocr_box(c.get("title")) for c in chars] == [c["bbox"] for c in spelled_chars(page)]
    # A browser sees the words, separated, and no self-closed element it would misread.
    text = " ".join("".join(root.find(f"{XHTML}body").itertext()).split())
    assert text == " ".join(w["text"] for w in words_of(page))
    assert b"/>" not in content.split(b"<body>")[1]


def test_text_and_json(page):
    assert export_page(page, "txt").content.decode() == page.text + "\n"
    body = json.loads(export_page(page, "json").content)
    assert (body["id"], body["number"], body["width"], body["height"], body["job"]) == (7, 1, 1200, 1600, 9)
    assert body["result"] == page.result


def test_a_page_without_result_exports_as_an_empty_page_of_its_size():
    empty = ExportPage("blank.png", 800, 600, None, status="failed")
    alto = ET.fromstring(export_page(empty, "alto").content)
    assert alto.find(f"{ALTO}Layout/{ALTO}Page").get("WIDTH") == "800" and not list(alto.iter(f"{ALTO}TextLine"))
    page_xml = ET.fromstring(export_page(empty, "page").content)
    assert page_xml.find(f"{PAGE}Page").get("imageHeight") == "600" and not list(page_xml.iter(f"{PAGE}TextLine"))
    assert export_page(empty, "txt").content == b""
    ET.fromstring(export_page(empty, "hocr").content)


def test_a_document_exports_one_xml_per_page_or_one_file(page):
    second = ExportPage("letter 2.png", 1000, 1400, None, number=2, page_id=8, status="failed")
    document = ExportDocument("letters.pdf", [page, second], document_id=3)
    for fmt in ("alto", "page"):
        export = export_document(document, fmt)
        assert export.content_type == "application/zip" and export.filename == f"letters-{fmt}.zip"
        with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
            assert archive.namelist() == [f"letter 1.{fmt}.xml", f"letter 2.{fmt}.xml"]
            words = [el.get("CONTENT") or el.findtext("{*}TextEquiv/{*}Unicode")
                     for el in ET.fromstring(archive.read(f"letter 1.{fmt}.xml")).iter()
                     if el.tag.endswith("}String") or el.tag.endswith("}Word")]
            assert words == [w["text"] for w in words_of(page)]
            sizes = [ET.fromstring(archive.read(name)).find(".//" + ("{*}Page")) for name in archive.namelist()]
            assert [s.get("WIDTH") or s.get("imageWidth") for s in sizes] == ["1200", "1000"]
    hocr = ET.fromstring(export_document(document, "hocr").content)
    pages = [d for d in hocr.iter(f"{XHTML}div") if d.get("class") == "ocr_page"]
    assert [re.search(r"ppageno (\d+)", d.get("title")).group(1) for d in pages] == ["0", "1"]
    assert export_document(document, "txt").content.decode().split("\f") == [page.text + "\n", "\n", ""]
    body = json.loads(export_document(document, "json").content)
    assert [p["number"] for p in body["pages"]] == [1, 2] and body["pages"][1]["result"] is None


def test_every_format_is_registered_with_a_type_and_extension():
    assert list(FORMATS) == ["page", "alto", "hocr", "txt", "json"]
    with pytest.raises(ValueError, match="Unknown export format"):
        export_page(ExportPage("x.png", 10, 10, None), "pdf")
