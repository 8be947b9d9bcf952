"""What every export format starts from: a page's size, its image name and the API's
result structure (selectors.job_result, lines with their polygon and baseline)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import PurePath

from ..pipeline.types import Box

Points = list[list[int]]

SOFTWARE_NAME = "hwr-service"


@dataclass(frozen=True)
class ExportPage:
    """One page to export. `result` is None when the page has no finished recognition
    (it is exported as an empty page of the right size)."""

    image_name: str
    width: int
    height: int
    result: dict | None
    number: int = 1
    page_id: int | None = None
    job_id: int | None = None
    model_version: str = ""
    status: str = ""

    @property
    def lines(self) -> list[dict]:
        return (self.result or {}).get("lines", [])

    @property
    def text(self) -> str:
        return (self.result or {}).get("text", "")

    @property
    def stem(self) -> str:
        return PurePath(self.image_name).stem or f"page-{self.number:03d}"


@dataclass(frozen=True)
class ExportDocument:
    name: str
    pages: list[ExportPage] = field(default_factory=list)
    document_id: int | None = None

    @property
    def stem(self) -> str:
        return PurePath(self.name).stem or "document"


def corners(bbox: list[int]) -> Points:
    """The four corners of an (x, y, w, h) box, clockwise from the top left."""
    return Box(*bbox).corners()


def line_outline(line: dict) -> Points:
    """A line's polygon when it has one (three points at least), else its box."""
    polygon = line.get("polygon") or []
    return [list(p) for p in polygon] if len(polygon) >= 3 else corners(line["bbox"])


def enclosing(boxes: list[list[int]]) -> list[int]:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return [x0, y0, x1 - x0, y1 - y0]


def xml_id(prefix: str, item: dict, fallback: str) -> str:
    """A document-unique XML ID: the row id where there is one (a letter first, as
    xsd:ID requires), else the element's position."""
    return f"{prefix}{item['id']}" if item.get("id") is not None else f"{prefix}{fallback}"


def confidence(value) -> float:
    return round(min(1.0, max(0.0, float(value or 0.0))), 4)


XSI = "http://www.w3.org/2001/XMLSchema-instance"


def xml_root(tag: str, namespace: str, schema_location: str | None = None) -> ET.Element:
    """A root element that declares `namespace` as the default one. Elements are built
    with plain names under it: ElementTree's own default_namespace refuses plain
    attribute names, which ALTO, PAGE and hOCR all use."""
    attrs = {"xmlns": namespace}
    if schema_location:
        attrs |= {"xmlns:xsi": XSI, "xsi:schemaLocation": schema_location}
    return ET.Element(tag, attrs)


def sub(parent: ET.Element, tag: str, **attrs) -> ET.Element:
    """A child element; attributes that are None are left out, the others written as text."""
    return ET.SubElement(parent, tag, {k.rstrip("_"): str(v) for k, v in attrs.items() if v is not None})


def to_xml(root: ET.Element) -> bytes:
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
