"""Word -> character hypotheses.

We over-segment a word into primitives (connected components, stacked parts merged,
wide blobs cut at the thinnest columns) and list every run of a few consecutive
primitives as a candidate character. The decoder later picks the grouping that the
classifier likes best, so a bad cut costs little: it is simply not chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .types import Box


@dataclass
class Primitive:
    """A set of ink pixels (word-local coordinates) that belongs to at most one character."""

    ys: np.ndarray
    xs: np.ndarray
    # What it costs (a log-score, <= 0) to begin a character here: nothing after a gap
    # between separate strokes; something when this primitive was cut from the blob
    # on its left, more when the cut crossed thick or several strokes.
    boundary_cost: float = 0.0

    @property
    def x0(self) -> int:
        return int(self.xs.min())

    @property
    def x1(self) -> int:
        return int(self.xs.max()) + 1

    @property
    def centre_x(self) -> float:
        return (self.x0 + self.x1) / 2.0

    @property
    def box(self) -> Box:
        y0 = int(self.ys.min())
        return Box(self.x0, y0, self.x1 - self.x0, int(self.ys.max()) + 1 - y0)


@dataclass
class Candidate:
    """Primitives [start, end) taken together as one character."""

    start: int
    end: int
    box: Box  # word-local
    ink: np.ndarray  # binary crop over `box`


@dataclass
class Segmentation:
    primitives: list[Primitive]
    candidates: list[Candidate]
    text_height: float
    stroke_width: float

    def boundary_cost(self, boundary: int) -> float:
        """Cost of a character boundary just before primitive `boundary`."""
        if boundary <= 0 or boundary >= len(self.primitives):
            return 0.0
        return self.primitives[boundary].boundary_cost


MAX_SPAN = 5  # a character is made of at most this many primitives
# Boundary costs inside a blob. A blob no wider than one letter is most likely one
# letter, so cutting it must be earned; a wider blob holds several letters and only
# where to cut is in doubt.
CUT_IN_LETTER_SIZED_BLOB = -2.0
CUT_IN_WIDE_BLOB = -0.5
THICK_CUT = -1.0  # extra, when the cut crosses more than one thin stroke
MAX_ASPECT = 1.6  # widest candidate, as a multiple of the text height


def stroke_width_of(ink: np.ndarray) -> float:
    # Pad so ink touching the border still has background to measure against.
    dist = cv2.distanceTransform(np.pad(ink > 0, 1).astype(np.uint8), cv2.DIST_L2, 3)
    ridge = dist[(dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8))) & (dist > 0)]
    return float(max(1.0, 2.0 * np.median(ridge))) if ridge.size else 1.0


def find_primitives(ink: np.ndarray, text_h: float, stroke: float) -> list[Primitive]:
    n, labels, stats, _ = cv2.connectedComponentsWithStats((ink > 0).astype(np.uint8), connectivity=8)
    min_area = max(2, int(0.5 * stroke * stroke))
    comps = []
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_AREA] < min_area:
            continue
        ys, xs = np.nonzero(labels == i)
        comps.append(Primitive(ys, xs))
    comps.sort(key=lambda p: p.x0)
    groups = _merge_stacked(comps)
    primitives: list[Primitive] = []
    for group in groups:
        primitives += cut_wide(group, text_h, stroke)
    primitives.sort(key=lambda p: p.centre_x)
    return primitives


def _merge_stacked(comps: list[Primitive]) -> list[Primitive]:
    """Join parts stacked over each other (the dot of an i, an accent, a stroke broken
    across its width): they share most of the narrower one's columns."""
    merged: list[Primitive] = []
    for comp in comps:
        for k, other in enumerate(merged):
            overlap = min(comp.x1, other.x1) - max(comp.x0, other.x0)
            narrow = min(comp.x1 - comp.x0, other.x1 - other.x0)
            if overlap >= 0.6 * narrow:
                merged[k] = Primitive(np.concatenate([other.ys, comp.ys]), np.concatenate([other.xs, comp.xs]))
                break
        else:
            merged.append(comp)
    return merged


def cut_wide(prim: Primitive, text_h: float, stroke: float) -> list[Primitive]:
    """Cut a blob that may hold touching characters into pieces.

    Strong cuts are local minima of the column ink profile where the column crosses a
    single thin stroke (a join between letters; the two strokes of an O's middle are no
    join). A blob wider than a letter also gets weak cuts, at the other minima of the
    profile and at the thinnest column of any stretch still wider than a narrow letter,
    because touching or overlapping letters need not meet at a thin join. Cuts are at
    least a narrow letter apart. The decoder chooses among them.
    """
    width = prim.x1 - prim.x0
    if width < 0.6 * text_h:
        return [prim]
    xs = prim.xs - prim.x0
    ys = prim.ys - prim.ys.min()
    profile = np.bincount(xs, minlength=width).astype(np.float64)
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    runs = _runs_per_column(ys, xs, width, int(ys.max()) + 1)
    min_gap = max(2, int(round(0.22 * text_h)))
    lo, hi = min_gap, width - min_gap
    if hi <= lo:
        return [prim]
    wide = width > 1.15 * text_h
    base = CUT_IN_WIDE_BLOB if wide else CUT_IN_LETTER_SIZED_BLOB
    cuts: dict[int, float] = {}

    def far_enough(c: int) -> bool:
        return all(abs(c - k) >= min_gap for k in cuts)

    minima = [c for c in range(lo, hi) if smooth[c] <= smooth[c - 1] and smooth[c] <= smooth[c + 1]]
    for c in sorted(minima, key=lambda c: smooth[c]):
        strong = smooth[c] <= 2.0 * stroke and runs[c] <= 1
        if (strong or wide) and far_enough(c):
            cuts[c] = base + (0.0 if strong else THICK_CUT)
    if wide:
        # No stretch between cuts may stay wider than a wide letter.
        while True:
            edges = [0, *sorted(cuts), width]
            spans = [(b - a, a, b) for a, b in zip(edges[:-1], edges[1:]) if b - a > 1.0 * text_h]
            if not spans:
                break
            _, a, b = max(spans)
            inner = range(max(lo, a + min_gap), min(hi, b - min_gap))
            if not inner:
                break
            c = min(inner, key=lambda c: smooth[c])
            cuts[c] = base + THICK_CUT
    if not cuts:
        return [prim]
    edges = [0, *sorted(cuts), width + 1]
    pieces = []
    for a, b in zip(edges[:-1], edges[1:]):
        sel = (xs >= a) & (xs < b)
        if sel.any():
            pieces.append(Primitive(prim.ys[sel], prim.xs[sel], cuts.get(a, prim.boundary_cost)))
    return pieces


def _runs_per_column(ys: np.ndarray, xs: np.ndarray, width: int, height: int) -> np.ndarray:
    """How many separate vertical ink runs each column crosses."""
    mask = np.zeros((height + 1, width), np.int8)
    mask[ys, xs] = 1
    starts = (np.diff(mask, axis=0, prepend=0) == 1).sum(axis=0)
    return starts


def candidate_ink(primitives: list[Primitive]) -> tuple[Box, np.ndarray]:
    ys = np.concatenate([p.ys for p in primitives])
    xs = np.concatenate([p.xs for p in primitives])
    y0, x0 = int(ys.min()), int(xs.min())
    box = Box(x0, y0, int(xs.max()) + 1 - x0, int(ys.max()) + 1 - y0)
    crop = np.zeros((box.h, box.w), np.uint8)
    crop[ys - y0, xs - x0] = 255
    return box, crop


def build_candidates(primitives: list[Primitive], text_h: float) -> list[Candidate]:
    candidates = []
    for i in range(len(primitives)):
        for j in range(i + 1, min(len(primitives), i + MAX_SPAN) + 1):
            group = primitives[i:j]
            if j - i > 1:
                x0 = min(p.x0 for p in group)
                x1 = max(p.x1 for p in group)
                if x1 - x0 > MAX_ASPECT * text_h:
                    break
                # A wide empty gap inside a character is unlikely.
                if _largest_internal_gap(group) > 0.5 * text_h:
                    break
            box, ink = candidate_ink(group)
            candidates.append(Candidate(i, j, box, ink))
    return candidates


def _largest_internal_gap(group: list[Primitive]) -> int:
    spans = sorted((p.x0, p.x1) for p in group)
    reach, gap = spans[0][1], 0
    for a, b in spans[1:]:
        gap = max(gap, a - reach)
        reach = max(reach, b)
    return gap


def segment_characters(ink: np.ndarray, text_h: float | None = None) -> Segmentation:
    """Word ink (255 = ink) -> primitives and candidate characters."""
    if not ink.any():
        return Segmentation([], [], 0.0, 1.0)
    stroke = stroke_width_of(ink)
    if text_h is None:
        text_h = float(ink.shape[0])
    primitives = find_primitives(ink, text_h, stroke)
    return Segmentation(primitives, build_candidates(primitives, text_h), text_h, stroke)
