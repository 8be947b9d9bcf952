"""Read line ground truth (box, polygon, baseline, type, text) from ALTO v4 files such as
the eScriptorium exports in pages-dev."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from recognition.pipeline.types import Box, Point

ALTO_NS = "{http://www.loc.gov/standards/alto/ns-v4#}"

# Line types (the `OtherTag LABEL` a TextLine points to) that count as handwriting.
# Signatures are handwritten, so they count; `handwritten_only` can leave them out.
HANDWRITTEN_TYPES = ("DefaultLine:Handwritten", "InterlinearLine:Handwritten")
SIGNATURE_TYPE = "DefaultLine:Signature"
UNTYPED = "untyped"


@dataclass(frozen=True)
class TrueLine:
    """One annotated line in original page pixels."""

    box: Box
    polygon: list[Point]
    baseline: list[Point]
    kind: str
    text: str

    @property
    def handwritten(self) -> bool:
        """Hand-made ink, signatures included: what a handwriting recogniser must find."""
        return self.kind in HANDWRITTEN_TYPES or self.kind == SIGNATURE_TYPE


@dataclass(frozen=True)
class TruePage:
    image_path: Path
    width: int
    height: int
    lines: list[TrueLine]


def _points(text: str | None) -> list[Point]:
    values = [int(round(float(v))) for v in (text or "").replace(",", " ").split()]
    return list(zip(values[0::2], values[1::2]))


def read_alto(path: str | Path) -> TruePage:
    """Every TextLine of an ALTO v4 file, with its type resolved through TAGREFS.

    A line without a usable type is kept as `untyped` (it still counts in "all lines").
    """
    path = Path(path)
    root = ET.parse(path).getroot()
    tags = {t.get("ID"): t.get("LABEL", "") for t in root.iter(f"{ALTO_NS}OtherTag")}
    page = root.find(f".//{ALTO_NS}Page")
    width = int(float(page.get("WIDTH", 0))) if page is not None else 0
    height = int(float(page.get("HEIGHT", 0))) if page is not None else 0
    file_name = root.findtext(f".//{ALTO_NS}fileName", default="").strip() or path.with_suffix(".jpg").name
    lines: list[TrueLine] = []
    for el in root.iter(f"{ALTO_NS}TextLine"):
        box = Box(
            int(float(el.get("HPOS", 0))),
            int(float(el.get("VPOS", 0))),
            int(float(el.get("WIDTH", 0))),
            int(float(el.get("HEIGHT", 0))),
        )
        polygon_el = el.find(f"{ALTO_NS}Shape/{ALTO_NS}Polygon")
        polygon = _points(polygon_el.get("POINTS")) if polygon_el is not None else []
        refs = (el.get("TAGREFS") or "").split()
        kind = next((tags[r] for r in refs if r in tags), UNTYPED)
        text = " ".join(s.get("CONTENT", "") for s in el.iter(f"{ALTO_NS}String"))
        lines.append(TrueLine(box, polygon, _points(el.get("BASELINE")), kind, text))
    return TruePage(path.parent / file_name, width, height, lines)


def alto_pages(directory: str | Path) -> list[TruePage]:
    """All ALTO files in `directory` that have their image beside them, in name order."""
    pages = [read_alto(p) for p in sorted(Path(directory).glob("*.xml"))]
    return [p for p in pages if p.image_path.exists()]


def json_pages(directory: str | Path, split: str | None = None) -> list[TruePage]:
    """Pages of `../shared/data/pages` (a `<source>/<page>.json` beside each image, in the
    image's pixels), optionally one split of `pages.tsv`. Kinds are written as in ALTO
    (`DefaultLine:Handwritten`, ...) so both sources are scored alike."""
    import csv
    import json

    directory = Path(directory)
    with open(directory / "pages.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if split in (None, r["split"])]
    pages = []
    for row in rows:
        image = directory / row["image"]
        data = json.loads(image.with_suffix(".json").read_text(encoding="utf-8"))
        lines = []
        for line in data["lines"]:
            polygon = [(int(round(x)), int(round(y))) for x, y in line["polygon"]]
            xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
            box = Box(min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)
            baseline = [(int(round(x)), int(round(y))) for x, y in (line.get("baseline") or [])]
            kind = "DefaultLine:" + line.get("kind", "handwritten").capitalize()
            lines.append(TrueLine(box, polygon, baseline, kind, line.get("text", "")))
        pages.append(TruePage(image, int(data["width"]), int(data["height"]), lines))
    return pages


def load_true_pages(path: str | Path, split: str | None = None) -> list[TruePage]:
    """ALTO files in a folder (pages-dev), or the `pages/` collection (a `pages.tsv`
    beside its source folders), optionally one split."""
    path = Path(path)
    if (path / "pages.tsv").exists():
        return json_pages(path, split)
    return alto_pages(path)


def source_of(page: TruePage) -> str:
    """The collection a page belongs to: its folder's name."""
    return page.image_path.parent.name
