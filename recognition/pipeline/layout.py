"""Page layout around the text lines: what on a scanned page is not writing (punch holes,
the sheet's edges, folds and ruled margins), and the order lines are read in."""

from __future__ import annotations

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
    """Binary page without punch-hole rims, page edges (ink touching the border of the
    scan and longer than a quarter of its side: the sheet's edge or its shadow) and long
    upright rules (folds). Images smaller than a page are returned unchanged."""
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
    cleaned = np.where(drop[labels], 0, binary).astype(binary.dtype) if drop.any() else binary
    return remove_upright_rules(cleaned)


def remove_upright_rules(binary: np.ndarray, share: float = 0.08, shortest: int = 200) -> np.ndarray:
    """Binary page without long straight upright runs of ink (a fold in the sheet, a
    ruled margin): runs longer than `share` of the page height and than `shortest`
    pixels. No pen stroke stays within one pixel column that long, so letters only lose
    the pixels where a fold crosses them."""
    h, w = binary.shape
    if min(h, w) < MIN_PAGE_SIDE:
        return binary
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(shortest, int(share * h))))
    rules = cv2.morphologyEx(binary, cv2.MORPH_OPEN, kernel)
    if not rules.any():
        return binary
    rules = cv2.dilate(rules, np.ones((1, 5), np.uint8))
    return np.where(rules > 0, 0, binary).astype(binary.dtype)


def reading_order(lines: list[LineRegion]) -> list[LineRegion]:
    """Lines in reading order: region by region, each region top to bottom.

    A region is a run of lines stacked closely one under another (overlapping columns,
    less than one and a half line heights of paper between them): a letterhead column, the body with
    its closing and signature, a note in the margin. Regions side by side (letterhead
    columns, a margin note beside the body) are read left to right, rows of regions top
    to bottom.
    """
    if len(lines) < 2:
        return list(lines)
    typical = float(np.median([ln.box.h for ln in lines]))
    parent = list(range(len(lines)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(lines):
        for j, b in enumerate(lines):
            if j <= i:
                continue
            overlap = min(a.box.right, b.box.right) - max(a.box.x, b.box.x)
            gap = max(a.box.y, b.box.y) - min(a.box.bottom, b.box.bottom)
            if overlap >= 0.3 * min(a.box.w, b.box.w) and gap <= 1.5 * typical:
                parent[find(j)] = find(i)
    regions: dict[int, list[LineRegion]] = {}
    for i, line in enumerate(lines):
        regions.setdefault(find(i), []).append(line)
    blocks = [sorted(members, key=lambda ln: ln.box.y + ln.box.h / 2) for members in regions.values()]
    ordered: list[LineRegion] = []
    for row in _rows(blocks, key=lambda blk: _extent(blk)):
        for block in row:
            ordered += _rows_of_lines(block)
    return ordered


def _extent(lines: list[LineRegion]) -> tuple[int, int, int]:
    """(left, top, bottom) of a group of lines."""
    return min(ln.box.x for ln in lines), min(ln.box.y for ln in lines), max(ln.box.bottom for ln in lines)


def _rows(items: list, key) -> list[list]:
    """Items grouped into rows (sharing most of their height), rows top to bottom, items
    left to right within a row."""
    items = sorted(items, key=lambda it: key(it)[1])
    rows: list[list] = []
    for item in items:
        _, top, bottom = key(item)
        if rows:
            _, rtop, rbottom = key(rows[-1][-1])
            inter = min(bottom, rbottom) - max(top, rtop)
            if inter >= 0.5 * min(bottom - top, rbottom - rtop):
                rows[-1].append(item)
                continue
        rows.append([item])
    return [sorted(row, key=lambda it: key(it)[0]) for row in rows]


def _rows_of_lines(lines: list[LineRegion]) -> list[LineRegion]:
    """Top to bottom; lines that share most of their height are read left to right."""
    return [ln for row in _rows(lines, key=lambda ln: (ln.box.x, ln.box.y, ln.box.bottom)) for ln in row]
