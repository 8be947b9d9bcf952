"""Line -> words, from the statistics of the gaps between ink runs in that line."""

from __future__ import annotations

import numpy as np

from .lines import estimate_text_height
from .types import Box, LineRegion, WordRegion


def ink_runs(ink: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) column ranges that hold ink."""
    cols = ink.any(axis=0).astype(np.int8)
    edges = np.diff(np.concatenate([[0], cols, [0]]))
    starts = np.nonzero(edges == 1)[0]
    ends = np.nonzero(edges == -1)[0]
    return list(zip(starts.tolist(), ends.tolist()))


def word_gap_threshold(gaps: list[int], text_h: float) -> float:
    """The gap width above which a gap separates words.

    Gaps inside a word and gaps between words form two groups whose sizes depend on
    the writer, so we look for the split of this line's gaps that separates them best
    (Otsu's criterion in 1-D) and accept it only when the two groups are clearly apart.
    Writers who space their capitals evenly produce one group: no split.
    """
    if not gaps:
        return float("inf")
    values = np.sort(np.asarray(gaps, dtype=np.float64))
    floor = 0.45 * text_h  # no word gap is narrower than about half a letter
    if values.size == 1:
        return max(floor * 2.0, 1.0) if values[0] >= floor * 2.0 else float("inf")
    best_t, best_score = None, -1.0
    for i in range(1, values.size):
        small, big = values[:i], values[i:]
        w0, w1 = small.size / values.size, big.size / values.size
        between = w0 * w1 * (big.mean() - small.mean()) ** 2
        if between > best_score:
            best_score, best_t = between, i
    small, big = values[:best_t], values[best_t:]
    separated = big.min() >= max(floor, 1.8 * max(small.max(), 1.0)) and big.mean() >= 2.2 * max(small.mean(), 1.0)
    if separated:
        return (small.max() + big.min()) / 2.0
    # One group: it is all letter gaps unless even the narrowest gap is word-sized.
    return float("inf") if values.max() < 2.5 * text_h else 2.5 * text_h


def field_gap_threshold(gaps: list[int], text_h: float) -> float:
    """Word gaps inside a short form field (a name, a code).

    Such fields are mostly one word, often written in spaced capitals whose letter gaps
    vary a lot, so a gap must stand far out from the writer's usual gap (measured by
    the median) and be wider than a letter to split the field.
    """
    if not gaps:
        return float("inf")
    typical = float(np.median(gaps)) if len(gaps) >= 3 else 0.5 * text_h
    return max(2.2 * typical, 1.2 * text_h)


def segment_words(line: LineRegion, field: bool = False) -> list[WordRegion]:
    """Split a line at its word gaps; `field` selects the stricter rule for form fields."""
    runs = ink_runs(line.ink)
    if not runs:
        return []
    text_h = estimate_text_height(line.ink) or float(line.box.h)
    gaps = [runs[i + 1][0] - runs[i][1] for i in range(len(runs) - 1)]
    threshold = field_gap_threshold(gaps, text_h) if field else word_gap_threshold(gaps, text_h)
    groups: list[list[tuple[int, int]]] = [[runs[0]]]
    for gap, run in zip(gaps, runs[1:]):
        if gap > threshold:
            groups.append([run])
        else:
            groups[-1].append(run)
    words = []
    for group in groups:
        x0, x1 = group[0][0], group[-1][1]
        sub = line.ink[:, x0:x1]
        ys = np.nonzero(sub.any(axis=1))[0]
        y0, y1 = int(ys.min()), int(ys.max()) + 1
        box = Box(line.box.x + x0, line.box.y + y0, x1 - x0, y1 - y0)
        words.append(WordRegion(box=box, ink=sub[y0:y1].copy()))
    return words
