"""Page layout around the text lines: what on a scanned page is not writing (punch holes,
page edges, rules, fold marks), blocks of much smaller print, and reading order."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .types import LineRegion

# Below this size (shorter side, pixels) an image is a field or a line crop, not a page:
# nothing here applies to it.
MIN_PAGE_SIDE = 600


def find_punch_holes(gray: np.ndarray) -> list[tuple[float, float, float]]:
    """(x, y, diameter) of filing punch holes: round discs brighter than the paper around
    them (the scanner's backing shows through), near an edge of the sheet.

    Their rims cast a crescent shadow that binarises as a bracket-like stroke, which a
    line finder would otherwise report as a line of its own.
    """
    h, w = gray.shape
    if min(h, w) < MIN_PAGE_SIDE:
        return []
    f = 500.0 / min(h, w)
    small = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    sh, sw = small.shape
    paper = cv2.medianBlur(small, 51).astype(np.int16)
    bright = (cv2.blur(small, (3, 3)).astype(np.int16) > paper + 6).astype(np.uint8)
    n, labels, stats, centres = cv2.connectedComponentsWithStats(bright, connectivity=8)
    yy, xx = np.mgrid[:sh, :sw]
    holes = []
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        d = (bw + bh) / 2.0
        cx, cy = centres[i]
        near_edge = min(cx, sw - cx) < 0.1 * sw or min(cy, sh - cy) < 0.1 * sh
        if not near_edge or not 0.025 * sw <= d <= 0.07 * sw or not 0.75 <= bw / bh <= 1.33:
            continue
        if area < 0.8 * np.pi * d * d / 4:
            continue
        r = np.hypot(xx[y : y + bh, x : x + bw] - cx, yy[y : y + bh, x : x + bw] - cy)
        inside = small[y : y + bh, x : x + bw][r < 0.4 * d]
        ring_lo, ring_hi = max(0, y - bh // 2), min(sh, y + bh + bh // 2)
        ring_x0, ring_x1 = max(0, x - bw // 2), min(sw, x + bw + bw // 2)
        rr = np.hypot(xx[ring_lo:ring_hi, ring_x0:ring_x1] - cx, yy[ring_lo:ring_hi, ring_x0:ring_x1] - cy)
        ring = small[ring_lo:ring_hi, ring_x0:ring_x1][(rr > 0.58 * d) & (rr < 0.8 * d)]
        if inside.size == 0 or ring.size == 0 or float(inside.mean()) - float(np.median(ring)) < 10:
            continue
        holes.append((cx / f, cy / f, d / f))
    return holes


def remove_page_furniture(gray: np.ndarray, binary: np.ndarray) -> np.ndarray:
    """Binary page without punch-hole rims and page edges (ink touching the border of the
    scan and longer than a quarter of its side: the sheet's edge or its shadow)."""
    h, w = binary.shape
    if min(h, w) < MIN_PAGE_SIDE:
        return binary
    n, labels, stats, _ = cv2.connectedComponentsWithStats((binary > 0).astype(np.uint8), connectivity=8)
    drop = np.zeros(n, bool)
    x, y, cw, ch = (stats[:, i] for i in range(4))
    touches = (x == 0) | (y == 0) | (x + cw == w) | (y + ch == h)
    drop |= touches & ((ch > 0.25 * h) | (cw > 0.25 * w))
    for hx, hy, d in find_punch_holes(gray):
        r = 0.5 * d * 1.35
        x0, y0 = max(0, int(hx - r)), max(0, int(hy - r))
        x1, y1 = min(w, int(hx + r) + 1), min(h, int(hy + r) + 1)
        yy, xx = np.mgrid[y0:y1, x0:x1]
        disc = np.hypot(xx - hx, yy - hy) <= r
        inside = np.bincount(labels[y0:y1, x0:x1][disc], minlength=n)
        # A rim stroke lies mostly in the disc and is no bigger than the hole.
        rim = (inside > 0.5 * stats[:, cv2.CC_STAT_AREA]) & (np.maximum(cw, ch) <= 1.3 * d)
        drop |= rim
    drop[0] = False
    if not drop.any():
        return binary
    return np.where(drop[labels], 0, binary).astype(binary.dtype)


@dataclass
class Block:
    """A set of components to find lines in, at its own scale."""

    members: np.ndarray  # bool per component label
    x_height: float


def reading_order(lines: list[LineRegion]) -> list[LineRegion]:
    """Top to bottom; lines that share most of their height are read left to right."""
    lines = sorted(lines, key=lambda ln: ln.box.y + ln.box.h / 2)
    ordered: list[LineRegion] = []
    row: list[LineRegion] = []
    for line in lines:
        if row and _vertical_overlap(row[-1], line) < 0.5:
            ordered += sorted(row, key=lambda ln: ln.box.x)
            row = []
        row.append(line)
    ordered += sorted(row, key=lambda ln: ln.box.x)
    return ordered


def _vertical_overlap(a: LineRegion, b: LineRegion) -> float:
    inter = min(a.box.bottom, b.box.bottom) - max(a.box.y, b.box.y)
    return max(inter, 0) / max(1, min(a.box.h, b.box.h))
