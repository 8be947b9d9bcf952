"""ALTO v4 (4.2, with polygon baselines): one Page per file, lines with their polygon
(Shape) and baseline, words as Strings with WC and per-character CC, characters as
Glyphs with GC. Boxes are HPOS/VPOS/WIDTH/HEIGHT in pixels, as eScriptorium writes."""

from __future__ import annotations

from datetime import UTC, datetime

from .common import SOFTWARE_NAME, ExportPage, confidence, enclosing, sub, to_xml, xml_id, xml_root

NS = "http://www.loc.gov/standards/alto/ns-v4#"
SCHEMA_LOCATION = f"{NS} http://www.loc.gov/standards/alto/v4/alto-4-2.xsd"


def _box(bbox: list[int]) -> dict:
    x, y, w, h = bbox
    return {"HPOS": x, "VPOS": y, "WIDTH": w, "HEIGHT": h}


def _points(points) -> str:
    return " ".join(f"{int(x)} {int(y)}" for x, y in points)


def character_confidences(chars: list[dict]) -> str:
    """ALTO's CC: one digit per character, 0 sure to 9 unsure."""
    return " ".join(str(round(9 * (1 - confidence(c["confidence"])))) for c in chars)


def alto_xml(page: ExportPage) -> bytes:
    root = xml_root("alto", NS, SCHEMA_LOCATION)
    description = sub(root, "Description")
    sub(description, "MeasurementUnit").text = "pixel"
    sub(sub(description, "sourceImageInformation"), "fileName").text = page.image_name
    processing = sub(description, "Processing", ID="recognition")
    sub(processing, "processingDateTime").text = datetime.now(UTC).isoformat(timespec="seconds")
    sub(processing, "processingStepDescription").text = "handwritten text recognition"
    software = sub(processing, "processingSoftware")
    sub(software, "softwareName").text = SOFTWARE_NAME
    if page.model_version:
        sub(software, "softwareVersion").text = page.model_version

    layout = sub(root, "Layout")
    page_el = sub(layout, "Page", ID=f"page{page.number}", PHYSICAL_IMG_NR=page.number, WIDTH=page.width,
                  HEIGHT=page.height)
    space = sub(page_el, "PrintSpace", HPOS=0, VPOS=0, WIDTH=page.width, HEIGHT=page.height)
    if not page.lines:
        return to_xml(root)
    block = sub(space, "TextBlock", ID=f"block{page.number}",
                **_box(enclosing([line["bbox"] for line in page.lines])))
    for i, line in enumerate(page.lines):
        line_el = sub(block, "TextLine", ID=xml_id("line", line, f"{page.number}_{i}"), **_box(line["bbox"]),
                      BASELINE=_points(line["baseline"]) if line.get("baseline") else None)
        if line.get("polygon"):
            sub(sub(line_el, "Shape"), "Polygon", POINTS=_points(line["polygon"]))
        words = line["words"] or [{"bbox": line["bbox"], "text": line["text"], "confidence": line["confidence"],
                                   "chars": []}]  # ALTO wants a String in every line
        for j, word in enumerate(words):
            if j:
                previous = words[j - 1]["bbox"]
                gap = word["bbox"][0] - (previous[0] + previous[2])
                sub(line_el, "SP", HPOS=previous[0] + previous[2], VPOS=line["bbox"][1], WIDTH=max(gap, 0))
            chars = word["chars"]
            # Characters stand for the word's text only when they spell it (a reviewer
            # may have corrected the word without its characters).
            spelled = chars and "".join(c["text"] for c in chars) == word["text"]
            string = sub(line_el, "String", ID=xml_id("word", word, f"{page.number}_{i}_{j}"),
                         CONTENT=word["text"], **_box(word["bbox"]), WC=confidence(word["confidence"]),
                         CC=character_confidences(chars) if spelled else None)
            for k, char in enumerate(chars if spelled else []):
                sub(string, "Glyph", ID=xml_id("char", char, f"{page.number}_{i}_{j}_{k}"), CONTENT=char["text"],
                    **_box(char["bbox"]), GC=confidence(char["confidence"]))
    return to_xml(root)
