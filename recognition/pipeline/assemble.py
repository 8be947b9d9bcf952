"""Decoded characters and regions -> the result structure, in original page pixels."""

from __future__ import annotations

import numpy as np

from .decode import DecodedWord
from .types import Box, CharResult, LineResult, Point, WordRegion, WordResult


class PageMapper:
    """Maps boxes from the deskewed working image back to the uploaded page."""

    def __init__(self, affine: np.ndarray, size: tuple[int, int]):
        self.affine = affine
        self.width, self.height = size
        self.identity = np.allclose(affine, [[1, 0, 0], [0, 1, 0]])

    def box(self, box: Box) -> Box:
        if self.identity:
            return self.clip(box)
        corners = np.array(
            [[box.x, box.y], [box.right, box.y], [box.x, box.bottom], [box.right, box.bottom]], np.float64
        )
        mapped = corners @ self.affine[:, :2].T + self.affine[:, 2]
        x0, y0 = np.floor(mapped.min(axis=0)).astype(int)
        x1, y1 = np.ceil(mapped.max(axis=0)).astype(int)
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(self.width, x1), min(self.height, y1)
        return Box(int(x0), int(y0), int(max(1, x1 - x0)), int(max(1, y1 - y0)))

    def clip(self, box: Box) -> Box:
        x0, y0 = max(0, box.x), max(0, box.y)
        x1, y1 = min(self.width, box.right), min(self.height, box.bottom)
        return Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0))

    def points(self, points: list[Point] | None) -> list[Point] | None:
        if points is None or self.identity:
            return points
        arr = np.asarray(points, np.float64)
        mapped = arr @ self.affine[:, :2].T + self.affine[:, 2]
        return [(int(round(x)), int(round(y))) for x, y in mapped]


def word_result(word: WordRegion, decoded: DecodedWord, mapper: PageMapper) -> WordResult:
    chars = [
        CharResult(
            box=mapper.box(c.candidate.box.shifted(word.box.x, word.box.y)),
            text=c.label,
            confidence=c.confidence,
            alternatives=c.alternatives,
        )
        for c in decoded.chars
    ]
    return WordResult(mapper.box(word.box), decoded.text, decoded.confidence, chars)


def line_result(box: Box, words: list[WordResult], mapper: PageMapper, polygon=None, baseline=None) -> LineResult:
    kept = [w for w in words if w.text]
    return LineResult(mapper.box(box), kept, mapper.points(polygon), mapper.points(baseline))
