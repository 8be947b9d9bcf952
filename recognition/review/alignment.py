"""Word boxes for a line's new text, found in the line's ink: where a reviewer's text
has a different number of words than the reading, the cuts between words are put in
the gaps of the ink nearest where the letters say they should be. Plain NumPy over
the page's grayscale pixels."""

from __future__ import annotations

import cv2
import numpy as np

from ..pipeline import Box

# Ink that touches the span's top or bottom edge and is shorter than this share of its
# height is a descender or ascender of the line above or below reaching in, not a letter.
INTRUDER_HEIGHT = 0.35
# Specks smaller than this square (a share of the span's height on a side) are dust or
# bleed-through, which would break a gap between words in two; a full stop is larger.
SPECK_SIDE = 0.08
# How much a gap's distance from where the letters put a cut costs, against its width.
DISTANCE_WEIGHT = 0.35


def ink_columns(gray: np.ndarray, span: Box) -> np.ndarray | None:
    """Which columns of `span` hold ink (dark on light), leaving out short strokes that
    reach in from the lines above and below; None when the span holds no contrast to
    tell ink from paper. The whole height is read: a middle band would see the hollow
    of an O as a gap between words."""
    h, w = gray.shape[:2]
    x0, x1 = max(0, span.x), min(w, span.right)
    y0, y1 = max(0, span.y), min(h, span.bottom)
    crop = gray[y0:y1, x0:x1]
    if crop.size == 0 or int(crop.max()) - int(crop.min()) < 40:
        return None
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    rows = ink.shape[0]
    for label in range(1, count):
        top, height = stats[label, cv2.CC_STAT_TOP], stats[label, cv2.CC_STAT_HEIGHT]
        at_edge = top == 0 or top + height == rows
        speck = stats[label, cv2.CC_STAT_AREA] < (SPECK_SIDE * rows) ** 2
        if speck or (at_edge and height < INTRUDER_HEIGHT * rows):
            ink[labels == label] = 0
    return ink.sum(axis=0) > 0


def _gaps(columns: np.ndarray) -> list[tuple[int, int]]:
    """Runs of inkless columns between the first and the last inked one, as [start, end)."""
    inked = np.flatnonzero(columns)
    if inked.size == 0:
        return []
    gaps, start = [], None
    for i in range(int(inked[0]), int(inked[-1]) + 1):
        if not columns[i] and start is None:
            start = i
        elif columns[i] and start is not None:
            gaps.append((start, i))
            start = None
    return gaps


def _expected_cuts(width: int, words: list[str]) -> list[float]:
    """Where the letters put the cuts between words: in the middle of each space, with
    every character (a space too) as wide as the others."""
    total = sum(len(w) for w in words) + len(words) - 1
    step = width / max(total, 1)
    cuts, at = [], 0
    for word in words[:-1]:
        at += len(word)
        cuts.append((at + 0.5) * step)
        at += 1
    return cuts


def choose_cuts(columns: np.ndarray, words: list[str]) -> list[int] | None:
    """Columns at which to cut `columns` into `words`: one gap of the ink per cut, in
    order, the widest gaps nearest their expected places (dynamic programming); None
    when the ink has fewer gaps than cuts are needed."""
    needed = len(words) - 1
    if needed == 0:
        return []
    gaps = _gaps(columns)
    if len(gaps) < needed:
        return None
    expected = _expected_cuts(len(columns), words)
    centres = [(a + b) / 2 for a, b in gaps]
    widths = [b - a for a, b in gaps]
    score = [[widths[j] - DISTANCE_WEIGHT * abs(centres[j] - expected[i]) for j in range(len(gaps))]
             for i in range(needed)]
    best = [score[0][:]]
    back: list[list[int]] = [[-1] * len(gaps)]
    for i in range(1, needed):
        row, came = [-np.inf] * len(gaps), [-1] * len(gaps)
        running, running_at = -np.inf, -1
        for j in range(len(gaps)):
            if j > 0 and best[i - 1][j - 1] > running:
                running, running_at = best[i - 1][j - 1], j - 1
            if running_at >= 0:
                row[j], came[j] = running + score[i][j], running_at
        best.append(row)
        back.append(came)
    j = int(np.argmax(best[-1]))
    if not np.isfinite(best[-1][j]):
        return None
    chosen = []
    for i in range(needed - 1, -1, -1):
        chosen.append(j)
        j = back[i][j]
    return [int(round(centres[j])) for j in reversed(chosen)]


def fit_words(gray: np.ndarray | None, span: Box, words: list[str]) -> list[Box] | None:
    """Boxes for `words` inside `span` cut at the ink's gaps, each trimmed to its own
    ink's columns (the span's height kept); None where the ink cannot be read or has
    too few gaps, for the caller to lay the words out by their letters instead."""
    if gray is None or span.w < 2 or span.h < 2:
        return None
    columns = ink_columns(gray, span)
    if columns is None:
        return None
    cuts = choose_cuts(columns, words)
    if cuts is None:
        return None
    edges = [0, *cuts, len(columns)]
    boxes = []
    for left, right in zip(edges, edges[1:]):
        inked = np.flatnonzero(columns[left:right])
        if inked.size:
            left, right = left + int(inked[0]), left + int(inked[-1]) + 1
        boxes.append(Box(span.x + left, span.y, max(1, right - left), span.h))
    return boxes
