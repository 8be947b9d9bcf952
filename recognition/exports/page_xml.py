"""PAGE XML (2019-07-15 schema), as Transkribus, eScriptorium and kraken read it: one
text region holding the lines in reading order, each line with its polygon (Coords),
baseline, words and glyphs, every level with `TextEquiv conf`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from .common import (
    SOFTWARE_NAME,
    ExportPage,
    confidence,
    corners,
    enclosing,
    line_outline,
    sub,
    to_xml,
    xml_id,
    xml_root,
)

NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
SCHEMA_LOCATION = f"{NS} {NS}/pagecontent.xsd"


def _points(points) -> str:
    # PAGE's PointsType: "x,y x,y ...", non-negative integers.
    return " ".join(f"{max(0, int(x))},{max(0, int(y))}" for x, y in points)


def _text_equiv(parent: ET.Element, text: str, conf=None) -> None:
    equiv = sub(parent, "TextEquiv", conf=confidence(conf) if conf is not None else None)
    sub(equiv, "Unicode").text = text


def page_xml(page: ExportPage) -> bytes:
    root = xml_root("PcGts", NS, SCHEMA_LOCATION)
    metadata = sub(root, "Metadata")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    sub(metadata, "Creator").text = SOFTWARE_NAME + (f" ({page.model_version})" if page.model_version else "")
    sub(metadata, "Created").text = now
    sub(metadata, "LastChange").text = now
    page_el = sub(root, "Page", imageFilename=page.image_name, imageWidth=page.width, imageHeight=page.height)
    if not page.lines:
        return to_xml(root)
    region_id = f"region{page.number}"
    order = sub(sub(page_el, "ReadingOrder"), "OrderedGroup", id=f"ro{page.number}", caption="Reading order")
    sub(order, "RegionRefIndexed", index=0, regionRef=region_id)
    region = sub(page_el, "TextRegion", id=region_id, type="paragraph")
    sub(region, "Coords", points=_points(corners(enclosing([line["bbox"] for line in page.lines]))))
    for i, line in enumerate(page.lines):
        line_el = sub(region, "TextLine", id=xml_id("line", line, f"{page.number}_{i}"))
        sub(line_el, "Coords", points=_points(line_outline(line)))
        if line.get("baseline") and len(line["baseline"]) >= 2:
            sub(line_el, "Baseline", points=_points(line["baseline"]))
        for j, word in enumerate(line["words"]):
            word_el = sub(line_el, "Word", id=xml_id("word", word, f"{page.number}_{i}_{j}"))
            sub(word_el, "Coords", points=_points(corners(word["bbox"])))
            # Glyphs only when they spell the word (a reviewer may have corrected the
            # word without its characters).
            if "".join(c["text"] for c in word["chars"]) == word["text"]:
                for k, char in enumerate(word["chars"]):
                    glyph = sub(word_el, "Glyph", id=xml_id("char", char, f"{page.number}_{i}_{j}_{k}"))
                    sub(glyph, "Coords", points=_points(corners(char["bbox"])))
                    _text_equiv(glyph, char["text"], char["confidence"])
            _text_equiv(word_el, word["text"], word["confidence"])
        _text_equiv(line_el, line["text"], line["confidence"])
    _text_equiv(region, "\n".join(line["text"] for line in page.lines))
    return to_xml(root)
