"""Read a transcribed page that a user brings as ground truth: ALTO (v2 to v4) or PAGE
XML (2010 to 2019), as eScriptorium, Transkribus and kraken write them. Lines come with
their box, polygon, baseline, type, words and text, scaled to the page's image. No Django."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

Points = list[list[int]]


class GroundTruthError(ValueError):
    """The file is not a transcription we can read, or does not fit the page."""


@dataclass(frozen=True)
class TranscribedWord:
    bbox: list[int]
    text: str


@dataclass(frozen=True)
class TranscribedLine:
    bbox: list[int]
    text: str
    polygon: Points | None = None
    baseline: Points | None = None
    kind: str = ""
    words: list[TranscribedWord] = field(default_factory=list)


@dataclass(frozen=True)
class Transcription:
    format: str  # "alto" or "page"
    lines: list[TranscribedLine]
    width: float | None = None  # the page size the coordinates refer to, when the file says
    height: float | None = None
    image_name: str = ""

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def scaled_to(self, width: int, height: int) -> Transcription:
        """Coordinates in the pixels of a `width` x `height` image (the file may describe
        the page at another resolution, or in other units), clipped to it."""
        sx = sy = 1.0
        if self.width and self.height:
            sx, sy = width / self.width, height / self.height
            if abs(sx / sy - 1) > 0.02:
                raise GroundTruthError(
                    f"The transcription describes a page of {self.width:g} x {self.height:g}; the image is "
                    f"{width} x {height} pixels, a different shape: is it the transcription of another page?"
                )
        lines = []
        for line in self.lines:
            box = _clip(_scale_box(line.bbox, sx, sy), width, height)
            if box is None:
                raise GroundTruthError(
                    f"The line {line.text[:40]!r} at {line.bbox} lies outside the {width} x {height} image."
                )
            words = [TranscribedWord(b, w.text) for w in line.words
                     if (b := _clip(_scale_box(w.bbox, sx, sy), width, height)) is not None]
            lines.append(replace(line, bbox=box, polygon=_scale_points(line.polygon, sx, sy, width, height),
                                 baseline=_scale_points(line.baseline, sx, sy, width, height), words=words))
        return replace(self, lines=lines, width=width, height=height)


def parse_transcription(data: bytes) -> Transcription:
    """ALTO or PAGE XML bytes -> Transcription; GroundTruthError for anything else."""
    try:
        # defusedxml: no entity expansion (billion laughs) and no external entities.
        root = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise GroundTruthError("The ground truth declares XML entities, which are not accepted.") from exc
    except ET.ParseError as exc:
        raise GroundTruthError(f"The ground truth is not well-formed XML: {exc}") from exc
    namespace, local = _split(root.tag)
    if local == "alto":
        return _read_alto(root, namespace)
    if local == "PcGts":
        return _read_page(root, namespace)
    raise GroundTruthError(f"The ground truth must be ALTO or PAGE XML; its root element is <{local}>.")


# ALTO

def _read_alto(root: ET.Element, ns: str) -> Transcription:
    pages = list(root.iter(f"{ns}Page"))
    if len(pages) != 1:
        raise GroundTruthError(f"The ALTO file holds {len(pages)} pages; send the transcription of one page.")
    page = pages[0]
    width, height = _number(page.get("WIDTH")), _number(page.get("HEIGHT"))
    unit = (root.findtext(f"{ns}Description/{ns}MeasurementUnit") or "pixel").strip()
    if unit != "pixel" and not (width and height):
        raise GroundTruthError(f"The ALTO file measures in {unit} and gives no page size to scale it by.")
    tags = {t.get("ID"): t.get("LABEL") or t.get("TYPE") or "" for t in root.iter() if _split(t.tag)[1].endswith("Tag")}
    lines = []
    for el in page.iter(f"{ns}TextLine"):
        polygon_el = el.find(f"{ns}Shape/{ns}Polygon")
        polygon = _points(polygon_el.get("POINTS")) if polygon_el is not None else None
        box = _alto_box(el) or _points_box(polygon)
        if box is None:
            continue
        words, tokens = [], []
        for child in el:
            kind = _split(child.tag)[1]
            if kind == "String":
                content = child.get("CONTENT", "")
                tokens.append(content)
                word_box = _alto_box(child)
                if word_box is not None:
                    words.append(TranscribedWord(word_box, content))
            elif kind == "HYP" and tokens:  # a hyphen at the end of the line
                tokens[-1] += child.get("CONTENT", "")
        text = " ".join(t for t in tokens if t)
        refs = (el.get("TAGREFS") or "").split()
        lines.append(TranscribedLine(
            bbox=box, text=text, polygon=polygon if polygon and len(polygon) >= 3 else None,
            baseline=_alto_baseline(el.get("BASELINE"), box), kind=next((tags[r] for r in refs if r in tags), ""),
            words=words,
        ))
    image = (root.findtext(f"{ns}Description/{ns}sourceImageInformation/{ns}fileName") or "").strip()
    return Transcription("alto", lines, width, height, image)


def _alto_box(el: ET.Element) -> list[int] | None:
    values = [_number(el.get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")]
    if any(v is None for v in values):
        return None
    x, y, w, h = values
    return [round(x), round(y), max(1, round(w)), max(1, round(h))]


def _alto_baseline(value: str | None, box: list[int]) -> Points | None:
    points = _points(value)
    if points and len(points) >= 2:
        return points
    number = _number(value)
    if number is not None:  # ALTO before 4.2: the baseline's height only
        return [[box[0], round(number)], [box[0] + box[2], round(number)]]
    return None


# PAGE

def _read_page(root: ET.Element, ns: str) -> Transcription:
    pages = root.findall(f"{ns}Page")
    if len(pages) != 1:
        raise GroundTruthError(f"The PAGE file holds {len(pages)} pages; it must hold one.")
    page = pages[0]
    lines = []
    for region in page.iter():
        if _split(region.tag)[1] != "TextRegion":
            continue
        for el in region.findall(f"{ns}TextLine"):
            polygon = _page_coords(el, ns)
            box = _points_box(polygon)
            if box is None:
                continue
            baseline_el = el.find(f"{ns}Baseline")
            baseline = _points(baseline_el.get("points")) if baseline_el is not None else None
            words = []
            for word_el in el.findall(f"{ns}Word"):
                word_box = _points_box(_page_coords(word_el, ns))
                if word_box is not None:
                    words.append(TranscribedWord(word_box, _page_text(word_el, ns) or ""))
            text = _page_text(el, ns)
            if text is None:
                text = " ".join(w.text for w in words if w.text)
            lines.append(TranscribedLine(
                bbox=box, text=text, polygon=polygon if len(polygon) >= 3 else None,
                baseline=baseline if baseline and len(baseline) >= 2 else None,
                kind=region.get("type", ""), words=words,
            ))
    return Transcription("page", lines, _number(page.get("imageWidth")), _number(page.get("imageHeight")),
                         page.get("imageFilename", ""))


def _page_coords(el: ET.Element, ns: str) -> Points:
    coords = el.find(f"{ns}Coords")
    if coords is None:
        return []
    if coords.get("points"):
        return _points(coords.get("points")) or []
    # The 2010 schema: <Point x= y=/> children.
    return [[round(float(p.get("x", 0))), round(float(p.get("y", 0)))] for p in coords.findall(f"{ns}Point")]


def _page_text(el: ET.Element, ns: str) -> str | None:
    """The TextEquiv with the lowest index, PAGE's main reading."""
    equivs = el.findall(f"{ns}TextEquiv")
    if not equivs:
        return None
    best = min(equivs, key=lambda e: _number(e.get("index")) or 0)
    return best.findtext(f"{ns}Unicode") or ""


# Shared

def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return f"{{{ns}}}", local
    return "", tag


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and number == number and abs(number) < 1e7 else None


def _points(text: str | None) -> Points | None:
    """ "x,y x,y" or "x y x y" -> [[x, y], ...]; None when it is not a list of points."""
    try:
        values = [round(float(v)) for v in (text or "").replace(",", " ").split()]
    except ValueError:
        return None
    if len(values) < 4 or len(values) % 2:
        return None
    return [[x, y] for x, y in zip(values[0::2], values[1::2])]


def _points_box(points: Points | None) -> list[int] | None:
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return [min(xs), min(ys), max(1, max(xs) - min(xs)), max(1, max(ys) - min(ys))]


def _scale_box(box: list[int], sx: float, sy: float) -> list[int]:
    x, y, w, h = box
    return [round(x * sx), round(y * sy), max(1, round(w * sx)), max(1, round(h * sy))]


def _clip(box: list[int], width: int, height: int) -> list[int] | None:
    x0, y0 = max(0, box[0]), max(0, box[1])
    x1, y1 = min(width, box[0] + box[2]), min(height, box[1] + box[3])
    if x1 <= x0 or y1 <= y0:
        return None
    return [x0, y0, x1 - x0, y1 - y0]


def _scale_points(points: Points | None, sx: float, sy: float, width: int, height: int) -> Points | None:
    if not points:
        return None
    return [[min(width, max(0, round(x * sx))), min(height, max(0, round(y * sy)))] for x, y in points]
