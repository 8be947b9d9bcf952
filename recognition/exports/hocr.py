"""hOCR 1.2 (XHTML): ocr_page > ocr_carea > ocr_par > ocr_line > ocrx_word > ocrx_cinfo,
with `bbox x0 y0 x1 y1`, line `baseline` and `poly`, word `x_wconf` (0-100) and
character `x_conf`, as Tesseract and kraken write it. A document is one file with one
ocr_page per page."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .common import SOFTWARE_NAME, ExportDocument, ExportPage, confidence, enclosing, sub, xml_id, xml_root

NS = "http://www.w3.org/1999/xhtml"
CAPABILITIES = "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrx_cinfo ocrp_wconf ocrp_poly"


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    el = sub(parent, tag, **attrs)
    el.text = text
    return el


def bbox(box: list[int]) -> str:
    x, y, w, h = box
    return f"bbox {x} {y} {x + w} {y + h}"


def baseline(line: dict) -> str | None:
    """hOCR's `baseline slope offset`, relative to the bottom left of the line's box."""
    points = line.get("baseline") or []
    if len(points) < 2:
        return None
    (x0, y0), (x1, y1) = points[0], points[-1]
    slope = (y1 - y0) / (x1 - x0) if x1 != x0 else 0.0
    x, y, _w, h = line["bbox"]
    offset = y0 + slope * (x - x0) - (y + h)
    return f"baseline {slope:.4f} {offset:.0f}"


def _title(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


def _page_div(body: ET.Element, page: ExportPage, index: int) -> None:
    image = page.image_name.replace('"', "").replace(";", "")
    div = _el(body, "div", class_="ocr_page", id=f"page_{page.number}",
              title=_title(f'image "{image}"', bbox([0, 0, page.width, page.height]), f"ppageno {index}"))
    if not page.lines:
        return
    area_box = enclosing([line["bbox"] for line in page.lines])
    area = _el(div, "div", class_="ocr_carea", id=f"block_{page.number}", title=bbox(area_box))
    par = _el(area, "p", class_="ocr_par", id=f"par_{page.number}", title=bbox(area_box))
    for i, line in enumerate(page.lines):
        poly = line.get("polygon")
        line_el = _el(par, "span", class_="ocr_line", id=xml_id("line_", line, f"{page.number}_{i}"),
                      title=_title(bbox(line["bbox"]), baseline(line),
                                   "poly " + " ".join(f"{x} {y}" for x, y in poly) if poly else None))
        for j, word in enumerate(line["words"]):
            conf = confidence(word["confidence"])
            word_el = _el(line_el, "span", class_="ocrx_word", id=xml_id("word_", word, f"{page.number}_{i}_{j}"),
                          title=_title(bbox(word["bbox"]), f"x_wconf {round(conf * 100)}"))
            chars = word["chars"]
            if chars and "".join(c["text"] for c in chars) == word["text"]:
                for k, char in enumerate(chars):
                    _el(word_el, "span", char["text"], class_="ocrx_cinfo",
                        id=xml_id("char_", char, f"{page.number}_{i}_{j}_{k}"),
                        title=_title(bbox(char["bbox"]), f"x_conf {confidence(char['confidence']) * 100:.1f}"))
            else:
                word_el.text = word["text"]


def hocr_document(document: ExportDocument) -> bytes:
    html = xml_root("html", NS)
    head = _el(html, "head")
    _el(head, "title", document.name)
    _el(head, "meta", **{"http-equiv": "Content-Type", "content": "text/html; charset=utf-8"})
    versions = sorted({p.model_version for p in document.pages if p.model_version})
    _el(head, "meta", name="ocr-system", content=" ".join([SOFTWARE_NAME, *versions]))
    _el(head, "meta", name="ocr-capabilities", content=CAPABILITIES)
    _el(head, "meta", name="ocr-number-of-pages", content=len(document.pages))
    body = _el(html, "body")
    for index, page in enumerate(document.pages):
        _page_div(body, page, index)
    ET.indent(html, space=" ")
    for word in html.iter("span"):
        if word.get("class") == "ocrx_word":
            # Whitespace between the characters of a word would split it in a browser.
            word.text = word.text if len(word) == 0 else None
            for char in word:
                char.tail = None
    # No self-closed <div/> or <title/>: browsers read those as open tags.
    body_xml = ET.tostring(html, encoding="unicode", short_empty_elements=False)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n' + body_xml + "\n").encode("utf-8")


def hocr_page(page: ExportPage) -> bytes:
    return hocr_document(ExportDocument(page.image_name, [page]))
