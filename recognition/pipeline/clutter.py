"""Form clutter that must not become characters: ruled and box lines, printed field
labels such as `NOM :`, and strokes cut from neighbouring fields."""

from __future__ import annotations

import cv2
import numpy as np

from .lines import estimate_text_height, segment_lines, whole_image_as_line
from .types import Box, LineRegion


def remove_rules(binary: np.ndarray, text_h: float | None = None) -> np.ndarray:
    """Erase straight horizontal and vertical rules (box edges, underlines, lines)
    that are much longer than any letter stroke."""
    h, w = binary.shape
    if text_h is None:
        text_h = estimate_text_height(binary) or h / 2
    horiz_len = int(max(15, 2.5 * text_h, w * 0.15))
    vert_len = int(max(15, 2.2 * text_h, h * 0.85))
    horiz = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (horiz_len, 1)))
    vert = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, vert_len)))
    rules = cv2.dilate(cv2.bitwise_or(horiz, vert), np.ones((3, 3), np.uint8))
    cleaned = cv2.bitwise_and(binary, cv2.bitwise_not(rules))
    # Letters that crossed a rule lost a sliver; close those small gaps again.
    bridged = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 5)))
    return cv2.bitwise_and(bridged, cv2.bitwise_or(binary, cleaned))


def drop_border_fragments(binary: np.ndarray, text_h: float) -> np.ndarray:
    """Remove small pieces touching the top or bottom edge: they are strokes of the
    fields above and below that the crop cut through."""
    h, _ = binary.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    out = binary.copy()
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        touches = y <= 0 or y + bh >= h
        if touches and bh < 0.6 * text_h:
            out[labels == i] = 0
    return out


def find_label_colon(line: LineRegion, text_h: float) -> int | None:
    """Column (line-local) just right of a printed label's colon, if there is one in the
    left part of the line: two small, similar dots stacked vertically."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(line.ink, connectivity=8)
    dots = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if h <= 0.35 * text_h and w <= 0.35 * text_h and area >= 2 and w <= 2.5 * h and h <= 2.5 * w:
            dots.append((x, y, w, h))
    limit = line.ink.shape[1] * 0.6
    best = None
    for a in dots:
        for b in dots:
            if b[1] <= a[1] or a[0] > limit:
                continue
            overlap = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
            gap = b[1] - (a[1] + a[3])
            similar = 0.5 <= (a[2] * a[3]) / max(1, b[2] * b[3]) <= 2.0
            if overlap > 0 and 0.1 * text_h <= gap <= 0.9 * text_h and similar:
                right = max(a[0] + a[2], b[0] + b[2])
                best = right if best is None else min(best, right)
    return best


def select_field_line(binary: np.ndarray) -> LineRegion | None:
    """The line of a field crop that holds the handwriting: the one with the most ink
    in letter-sized components (printed captions are smaller and thinner)."""
    lines = segment_lines(binary) or whole_image_as_line(binary)
    if not lines:
        return None
    return max(lines, key=lambda ln: int(np.count_nonzero(ln.ink)) * ln.box.h)


def clean_field(binary: np.ndarray) -> LineRegion | None:
    """A field crop -> its single line of handwriting, without labels and clutter."""
    text_h = estimate_text_height(binary) or binary.shape[0] / 2
    cleaned = remove_rules(binary, text_h)
    cleaned = drop_border_fragments(cleaned, text_h)
    line = select_field_line(cleaned)
    if line is None:
        return None
    text_h = estimate_text_height(line.ink) or text_h
    colon = find_label_colon(line, text_h)
    if colon is not None:
        ink = line.ink.copy()
        ink[:, : colon + 1] = 0
        line = _tighten(LineRegion(line.box, ink, line.polygon, line.baseline))
    return line


def _tighten(line: LineRegion) -> LineRegion | None:
    ys, xs = np.nonzero(line.ink)
    if ys.size == 0:
        return None
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    box = Box(line.box.x + int(x0), line.box.y + int(y0), int(x1 - x0), int(y1 - y0))
    return LineRegion(box, line.ink[y0:y1, x0:x1].copy(), line.polygon, line.baseline, line.kind)
