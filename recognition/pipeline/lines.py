"""Page -> text lines: group ink into lines, and give each line only its own strokes."""

from __future__ import annotations

import cv2
import numpy as np

from .types import Box, LineRegion


def component_heights(binary: np.ndarray, min_area: int = 4) -> np.ndarray:
    n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    stats = stats[1:]
    stats = stats[stats[:, cv2.CC_STAT_AREA] >= min_area]
    return stats[:, cv2.CC_STAT_HEIGHT]


def estimate_text_height(binary: np.ndarray) -> float:
    """Typical character height: the median height of components that look like letters."""
    heights = component_heights(binary)
    if heights.size == 0:
        return 0.0
    # Ignore the smallest third (dots, specks, accents) before taking the median.
    big = heights[heights >= np.percentile(heights, 33)]
    return float(np.median(big)) if big.size else float(np.median(heights))


def segment_lines(binary: np.ndarray) -> list[LineRegion]:
    """Find text lines by smearing ink horizontally, then give every connected component
    to the line band that holds most of it (so a descender stays with its own line)."""
    h, w = binary.shape
    text_h = estimate_text_height(binary)
    if text_h == 0:
        return []
    smear_w = max(3, int(round(text_h * 1.5)))
    smear = cv2.morphologyEx(
        binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (smear_w, 1))
    )
    # Thin the smear vertically so ascenders touching the line above do not fuse bands.
    core_h = max(1, int(round(text_h * 0.3)))
    core = cv2.morphologyEx(smear, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, core_h)))
    band_map, n_bands = _line_bands(core, text_h)
    if n_bands == 0:
        return []
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    owner = _assign_components(labels, n, band_map, n_bands, stats, text_h)
    return _build_lines(labels, stats, owner, n_bands)


def _line_bands(core: np.ndarray, text_h: float) -> tuple[np.ndarray, int]:
    """Label map of line bands (1..n): smear blobs, tall blobs split at the emptiest
    rows of their profile, then blobs chained left to right into lines."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=8)
    band_map = np.zeros(core.shape, np.int32)
    boxes: list[tuple[int, int, int, int]] = []
    for i in range(1, n):
        x, y, bw, bh, _area = stats[i]
        if bw < text_h * 0.5 and bh < text_h * 0.5:
            continue
        blob = labels[y : y + bh, x : x + bw] == i
        for y0, y1 in _band_rows(blob, text_h):
            part = blob[y0:y1]
            rows = np.nonzero(part.any(axis=1))[0]
            cols = np.nonzero(part.any(axis=0))[0]
            if rows.size == 0:
                continue
            boxes.append((x + int(cols[0]), y + y0 + int(rows[0]), x + int(cols[-1]) + 1, y + y0 + int(rows[-1]) + 1))
            band_map[y + y0 : y + y1, x : x + bw][part] = len(boxes)
    if not boxes:
        return band_map, 0
    roots = _chain_into_lines(boxes, text_h)
    # Renumber chained bands 1..k through a lookup table.
    unique = {r: k + 1 for k, r in enumerate(dict.fromkeys(roots))}
    lookup = np.zeros(len(boxes) + 1, np.int32)
    lookup[1:] = [unique[r] for r in roots]
    return lookup[band_map], len(unique)


def _chain_into_lines(boxes: list[tuple[int, int, int, int]], text_h: float) -> list[int]:
    """Join word blobs into lines: a blob links to the nearest blob on its right that
    shares most of its height, when the gap is no wider than a few letters (wider gaps
    are column gutters). Returns the line root of every blob."""
    parent = list(range(len(boxes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (_x0, y0, x1, y1) in enumerate(boxes):
        best, best_gap = None, 4.0 * text_h
        for j, (u0, v0, _u1, v1) in enumerate(boxes):
            if j == i or u0 < x1 - text_h:
                continue
            overlap = min(y1, v1) - max(y0, v0)
            if overlap < 0.5 * min(y1 - y0, v1 - v0):
                continue
            gap = u0 - x1
            if gap < best_gap:
                best, best_gap = j, gap
        if best is not None:
            parent[find(best)] = find(i)
    return [find(i) for i in range(len(boxes))]


def _band_rows(blob: np.ndarray, text_h: float) -> list[tuple[int, int]]:
    bh = blob.shape[0]
    if bh < text_h * 1.8:
        return [(0, bh)]
    profile = blob.sum(axis=1).astype(np.float64)
    k = max(1, int(text_h * 0.5)) | 1
    smooth = np.convolve(profile, np.ones(k) / k, mode="same")
    cuts = []
    lo = int(text_h * 0.7)
    y = lo
    while y < bh - lo:
        window = smooth[y : min(bh - lo, y + int(text_h))]
        if window.size == 0:
            break
        m = y + int(np.argmin(window))
        if smooth[m] < 0.5 * smooth.max():
            cuts.append(m)
            y = m + lo
        else:
            y += max(1, int(text_h * 0.5))
    edges = [0, *cuts, bh]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def _assign_components(labels, n, band_map, n_bands, stats, text_h) -> np.ndarray:
    """owner[c] = band index (1-based) for component c, 0 when it belongs to no band."""
    owner = np.zeros(n, np.int32)
    if n <= 1:
        return owner
    # Count, for every component, its pixels in each band.
    flat = labels.ravel() * (n_bands + 1) + band_map.ravel()
    counts = np.bincount(flat, minlength=n * (n_bands + 1)).reshape(n, n_bands + 1)
    counts[:, 0] = 0
    best = counts.argmax(axis=1)
    has = counts.max(axis=1) > 0
    owner[has] = best[has]
    owner[0] = 0
    # Components that fell between bands (dots, accents, commas) join the nearest band.
    orphans = np.nonzero(~has)[0]
    if orphans.size:
        ys, xs = np.nonzero(band_map)
        labels_at = band_map[ys, xs]
        top = np.full(n_bands + 1, 10**9)
        bottom = np.full(n_bands + 1, -1)
        np.minimum.at(top, labels_at, ys)
        np.maximum.at(bottom, labels_at, ys)
        band_ys = [(top[b], bottom[b]) for b in range(1, n_bands + 1)]
        for c in orphans:
            if c == 0:
                continue
            x, y, w, h, area = stats[c]
            if area < 2:
                continue
            cy = y + h / 2
            dists = [0 if y0 <= cy <= y1 else min(abs(cy - y0), abs(cy - y1)) for y0, y1 in band_ys]
            b = int(np.argmin(dists))
            if dists[b] <= text_h * 1.0:
                owner[c] = b + 1
    return owner


def _build_lines(labels, stats, owner, n_bands) -> list[LineRegion]:
    lines: list[LineRegion] = []
    for b in range(1, n_bands + 1):
        members = np.nonzero(owner == b)[0]
        if members.size == 0:
            continue
        boxes = [Box(*map(int, stats[c, :4])) for c in members]
        box = Box.enclosing(boxes)
        crop = labels[box.y : box.bottom, box.x : box.right]
        ink = np.isin(crop, members).astype(np.uint8) * 255
        lines.append(LineRegion(box=box, ink=ink))
    return sort_reading_order(lines)


def sort_reading_order(lines: list[LineRegion]) -> list[LineRegion]:
    """Top to bottom; lines that share most of their height are read left to right."""
    lines = sorted(lines, key=lambda ln: ln.box.y + ln.box.h / 2)
    ordered: list[LineRegion] = []
    row: list[LineRegion] = []
    for line in lines:
        if row and _vertical_overlap(row[-1].box, line.box) < 0.5:
            ordered += sorted(row, key=lambda ln: ln.box.x)
            row = []
        row.append(line)
    ordered += sorted(row, key=lambda ln: ln.box.x)
    return ordered


def _vertical_overlap(a: Box, b: Box) -> float:
    inter = min(a.bottom, b.bottom) - max(a.y, b.y)
    return max(inter, 0) / max(1, min(a.h, b.h))


def whole_image_as_line(binary: np.ndarray) -> list[LineRegion]:
    """For `--layout line`/`word`: the whole image is one line."""
    ys, xs = np.nonzero(binary)
    if ys.size == 0:
        return []
    box = Box(int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
    return [LineRegion(box=box, ink=binary[box.y : box.bottom, box.x : box.right].copy())]
