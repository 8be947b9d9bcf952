"""Plain data that flows between pipeline stages: boxes, regions and results."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Point = tuple[int, int]


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in page pixel coordinates: (x, y, w, h)."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def area(self) -> int:
        return self.w * self.h

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    def corners(self) -> list[list[int]]:
        """The four corners, clockwise from the top left: the box as a polygon."""
        return [[self.x, self.y], [self.right, self.y], [self.right, self.bottom], [self.x, self.bottom]]

    def shifted(self, dx: int, dy: int) -> Box:
        return Box(self.x + dx, self.y + dy, self.w, self.h)

    def union(self, other: Box) -> Box:
        x, y = min(self.x, other.x), min(self.y, other.y)
        return Box(x, y, max(self.right, other.right) - x, max(self.bottom, other.bottom) - y)

    def intersection_area(self, other: Box) -> int:
        w = min(self.right, other.right) - max(self.x, other.x)
        h = min(self.bottom, other.bottom) - max(self.y, other.y)
        return max(w, 0) * max(h, 0)

    def iou(self, other: Box) -> float:
        inter = self.intersection_area(other)
        union = self.area + other.area - inter
        return inter / union if union else 0.0

    @staticmethod
    def enclosing(boxes: list[Box]) -> Box:
        x = min(b.x for b in boxes)
        y = min(b.y for b in boxes)
        return Box(x, y, max(b.right for b in boxes) - x, max(b.bottom for b in boxes) - y)


@dataclass
class LineRegion:
    """One text line found on a page.

    `ink` is the binary image of this line's own ink (255 = ink) over `box`; strokes that
    belong to neighbouring lines are already removed from it, so later stages can work on
    the crop alone.
    """

    box: Box
    ink: np.ndarray
    polygon: list[Point] | None = None
    baseline: list[Point] | None = None
    kind: str = "text"  # "text", or "print" when the region looks machine printed

    @property
    def ink_box(self) -> Box:
        """The tight box of the line's own ink (its `box` when it has none)."""
        ys, xs = np.nonzero(self.ink)
        if ys.size == 0:
            return self.box
        return Box(self.box.x + int(xs.min()), self.box.y + int(ys.min()),
                   int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))

    @property
    def region_box(self) -> Box:
        """The box of the line's region (its polygon) when it has one, as ALTO and PAGE
        describe lines; otherwise the box of its ink."""
        if not self.polygon:
            return self.box
        xs = [p[0] for p in self.polygon]
        ys = [p[1] for p in self.polygon]
        return Box(min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)


@dataclass
class WordRegion:
    """One word inside a line; `box` is in page coordinates, `ink` covers `box`."""

    box: Box
    ink: np.ndarray


@dataclass
class CharResult:
    box: Box
    text: str
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"bbox": self.box.as_list(), "text": self.text, "confidence": round(self.confidence, 4)}


@dataclass
class WordResult:
    box: Box
    text: str
    confidence: float
    chars: list[CharResult]

    def to_dict(self) -> dict:
        return {
            "bbox": self.box.as_list(),
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "chars": [c.to_dict() for c in self.chars],
        }


@dataclass
class LineResult:
    box: Box
    words: list[WordResult]
    polygon: list[Point] | None = None
    baseline: list[Point] | None = None

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words if w.text)

    @property
    def confidence(self) -> float:
        scored = [w.confidence for w in self.words if w.text]
        return float(np.mean(scored)) if scored else 0.0

    def to_dict(self) -> dict:
        return {
            "bbox": self.box.as_list(),
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "words": [w.to_dict() for w in self.words],
        }


@dataclass
class PageResult:
    width: int
    height: int
    lines: list[LineResult]
    model_version: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def confidence(self) -> float:
        words = [w for line in self.lines for w in line.words if w.text]
        return float(np.mean([w.confidence for w in words])) if words else 0.0

    def to_dict(self) -> dict:
        return {"text": self.text, "lines": [line.to_dict() for line in self.lines]}
