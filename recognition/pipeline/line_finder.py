"""Page -> text lines with a learned line finder: a small fully convolutional network
predicts, for every pixel of the page scaled to a fixed size, whether it lies in a line's
core (the band between its baseline and its x-height) and whether it lies in a line's
region (its polygon); the maps are then turned into lines here.

One core is one line: cores of neighbouring lines are a line gap apart even where
ascenders and descenders touch, so connected components separate them. Each region
pixel goes to the nearest core, which gives each line its polygon; the lower edge of
the core is the baseline. This is the scheme of kraken's `blla` and dhSegment, reduced
to two maps.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from .layout import reading_order
from .lines import line_kind
from .types import Box, LineRegion

INPUT_SIDE = 1024  # the page's long side as the network sees it
CORE, REGION = 0, 1
EDGE_BAND = 8  # input pixels
# Ink pixels of the binarised page a line's polygon must hold. Low on purpose: pencil
# on squared paper binarises to little, and a 1% share lost a fifth of peraire's lines.
MIN_LINE_INK = 15


@dataclass(frozen=True)
class FinderSettings:
    """How the maps become lines. Chosen on the `tune` pages held out of pages/ train
    (training/line_finder.py), never on pages/ val or pages-dev."""

    core_threshold: float = 0.5
    # Cores grow from the pixels above `core_threshold` into neighbours above this one
    # (hysteresis): a line the network is less sure of, large writing or faint ink, is
    # not broken into pieces where its probability dips.
    core_low: float = 0.35
    region_threshold: float = 0.5
    min_core_area: int = 24  # input pixels
    min_core_width: int = 8
    # A region pixel joins a core no farther than this many core heights away.
    reach: float = 3.0
    # Pieces of one line's core (broken at a wide word gap or a faint stroke) are joined
    # when they are this many core heights apart or less and level with each other.
    join_gap: float = 4.0
    # A line whose darkest ink stands out from the paper less than this share of the
    # page's well-inked lines (their upper quartile) is not writing on this side of the
    # sheet: bleed-through, a shadow, a fold, a ruled line's trace. 0 keeps every line.
    min_strength: float = 0.0


@dataclass(frozen=True)
class FoundLine:
    polygon: list[tuple[int, int]]  # page pixels
    baseline: list[tuple[int, int]]
    box: Box


def page_input(gray: np.ndarray, side: int = INPUT_SIDE) -> tuple[np.ndarray, float]:
    """Gray page (uint8, dark ink) -> float32 (h, w) with the long side `side` (or less,
    for a smaller image), both sides multiples of 16 (the network halves four times),
    ink high; and the scale used."""
    h, w = gray.shape[:2]
    # Never enlarged: a small image (a photo of a few words, a line) already has its
    # writing at the size the network learned on full pages scaled to `side`.
    scale = min(1.0, side / max(h, w))
    nh, nw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    small = 1.0 - cv2.resize(gray, (nw, nh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    # Padded with paper (not stretched) to whole multiples of 16, so one scale maps
    # both axes back to the page.
    ph, pw = -(-max(nh, 16) // 16) * 16, -(-max(nw, 16) // 16) * 16
    padded = np.full((ph, pw), float(np.median(small)), np.float32)
    padded[:nh, :nw] = small
    return padded, scale


def full_size(maps: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The network's half-resolution maps scaled up to its input's size."""
    return cv2.resize(maps, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def vectorise(maps: np.ndarray, scale: float, page_size: tuple[int, int],
              settings: FinderSettings | None = None, page: np.ndarray | None = None) -> list[FoundLine]:
    """(h, w, 2) core and region probabilities of a page scaled by `scale` -> lines with
    polygon, baseline and box in page pixels (unordered). With `page`, the network's
    input (ink high), lines too faint beside the page's others are dropped
    (`settings.min_strength`)."""
    settings = settings or FinderSettings()
    probability = maps[..., CORE]
    weak = (probability > min(settings.core_low, settings.core_threshold)).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(weak, connectivity=8)
    seeded = np.zeros(n, bool)
    seeded[np.unique(labels[probability > settings.core_threshold])] = True
    seeded[0] = False
    labels = np.where(seeded[labels], labels, 0)
    region = maps[..., REGION] > settings.region_threshold
    area, wide = stats[:, cv2.CC_STAT_AREA], stats[:, cv2.CC_STAT_WIDTH]
    top, tall = stats[:, cv2.CC_STAT_TOP], stats[:, cv2.CC_STAT_HEIGHT]
    # The dark rim of a scanned sheet's top or bottom edge looks like a line to the
    # network; writing never lies within a few pixels of the scan's edge.
    edge = (top + tall <= EDGE_BAND) | (top >= labels.shape[0] - EDGE_BAND)
    keep = [i for i in range(1, n) if seeded[i]
            and area[i] >= settings.min_core_area and wide[i] >= settings.min_core_width and not edge[i]]
    if not keep:
        return []
    kept = np.zeros(n, np.int32)
    kept[keep] = np.arange(1, len(keep) + 1)
    labels = kept[labels]
    labels, keep = _join_pieces(labels, [stats[i] for i in keep], settings.join_gap)
    # Every pixel's nearest core, and how far it is.
    distance, (iy, ix) = ndimage.distance_transform_edt(labels == 0, return_indices=True)
    nearest = labels[iy, ix]
    width, height = page_size
    lines, strengths = [], []
    paper = float(np.median(page)) if page is not None else 0.0
    for k, (x, _y, w, _h, area) in enumerate(keep, start=1):
        thickness = max(2.0, area / max(w, 1))
        mine = (labels == k) | (region & (nearest == k) & (distance <= settings.reach * thickness))
        # Pieces joined into one line are bridged, so one outline holds them all.
        bridge = int(settings.join_gap * thickness) + 1
        mine = cv2.morphologyEx(mine.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((1, bridge), np.uint8)) > 0
        polygon = _outline(mine)
        if polygon is None:
            continue
        baseline = _lower_edge(labels == k, x, w)
        to_page = np.array(polygon, np.float64) / scale
        to_page[:, 0] = np.clip(to_page[:, 0], 0, width - 1)
        to_page[:, 1] = np.clip(to_page[:, 1], 0, height - 1)
        points = [(int(round(px)), int(round(py))) for px, py in to_page]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        box = Box(min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)
        base = [(int(round(px / scale)), int(round(py / scale))) for px, py in baseline]
        lines.append(FoundLine(points, base, box))
        if page is not None:
            strengths.append(_ink_strength(page, polygon) - paper)
    if page is None or settings.min_strength <= 0 or not lines:
        return lines
    enough = settings.min_strength * float(np.percentile(strengths, 75))
    return [line for line, strength in zip(lines, strengths) if strength >= enough]


def _ink_strength(page: np.ndarray, polygon: list[tuple[int, int]]) -> float:
    """A line's darkest ink: the 98th percentile of the page (ink high) in its polygon."""
    points = np.array(polygon, np.int32)
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0) + 1
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [points - [x0, y0]], 1)
    values = page[y0:y1, x0:x1][mask > 0]
    if values.size == 0:
        return 0.0
    return float(np.percentile(values, 98))


def _join_pieces(labels: np.ndarray, stats: list[np.ndarray], gap: float) -> tuple[np.ndarray, list[tuple]]:
    """Cores labelled 1..n with their (x, y, w, h, area) -> pieces of one line joined:
    a piece joins the piece to its left when the gap between them is at most `gap` core
    heights and the two are level where they face each other. Returns the new labels
    (1..m) and each line's (x, y, w, h, area)."""
    n = len(stats)
    if n == 0:
        return labels, []
    boxes = [tuple(int(v) for v in st[:5]) for st in stats]
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def level_at(k: int, x0: int, x1: int) -> float | None:
        cols = labels[:, max(0, x0) : max(x0 + 1, x1)] == k + 1
        ys = np.nonzero(cols)[0]
        return float(np.mean(ys)) if ys.size else None

    thickness = [max(2.0, b[4] / max(b[2], 1)) for b in boxes]
    order = sorted(range(n), key=lambda i: boxes[i][0])
    for a_pos, a in enumerate(order):
        ax, ay, aw, ah, _ = boxes[a]
        for b in order[a_pos + 1 :]:
            bx, by, bw, bh, _ = boxes[b]
            t = max(thickness[a], thickness[b])
            if bx - (ax + aw) > gap * t:
                break
            if bx < ax + aw - 2 * t or by > ay + ah + t or ay > by + bh + t:
                continue  # overlapping columns, or not on the same level at all
            left = level_at(a, ax + aw - int(3 * t), ax + aw)
            right = level_at(b, bx, bx + int(3 * t))
            if left is not None and right is not None and abs(left - right) <= 0.8 * t:
                parent[find(b)] = find(a)
    roots = sorted({find(i) for i in range(n)})
    new_id = {r: k + 1 for k, r in enumerate(roots)}
    mapping = np.zeros(n + 1, np.int32)
    for i in range(n):
        mapping[i + 1] = new_id[find(i)]
    merged = mapping[labels]
    lines = []
    for r in roots:
        members = [i for i in range(n) if find(i) == r]
        x0 = min(boxes[i][0] for i in members)
        y0 = min(boxes[i][1] for i in members)
        x1 = max(boxes[i][0] + boxes[i][2] for i in members)
        y1 = max(boxes[i][1] + boxes[i][3] for i in members)
        area = sum(boxes[i][4] for i in members)
        lines.append((x0, y0, x1 - x0, y1 - y0, area))
    return merged, lines


def _outline(mask: np.ndarray) -> list[tuple[int, int]] | None:
    """The outer contour of a line's pixels, simplified; the largest piece if several."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    contour = cv2.approxPolyDP(contour, 1.0, True).reshape(-1, 2)
    if len(contour) < 3:
        return None
    return [(int(px), int(py)) for px, py in contour]


def _lower_edge(core: np.ndarray, x0: int, w: int, step: int = 8) -> list[tuple[float, float]]:
    """The baseline: the lowest core pixel of each column, smoothed, every `step` px."""
    cols = core[:, x0 : x0 + w]
    has = cols.any(axis=0)
    lowest = np.where(has, cols.shape[0] - 1 - np.argmax(cols[::-1], axis=0), -1).astype(np.float64)
    xs = np.nonzero(has)[0]
    if xs.size == 0:
        return []
    ys = ndimage.median_filter(lowest[xs], size=min(9, xs.size))
    picks = sorted(set(range(0, xs.size, step)) | {xs.size - 1})
    return [(float(x0 + xs[i]), float(ys[i]) + 1.0) for i in picks]


def line_regions(found: list[FoundLine], binary: np.ndarray) -> list[LineRegion]:
    """Found lines -> the pipeline's line regions (with each line's own ink, for the
    glyph route), in reading order."""
    out = []
    for line in found:
        b = line.box
        mask = np.zeros((b.h, b.w), np.uint8)
        cv2.fillPoly(mask, [np.array(line.polygon, np.int32) - [b.x, b.y]], 255)
        ink = np.where(mask > 0, binary[b.y : b.bottom, b.x : b.right], 0).astype(np.uint8)
        # A line holds writing: a band the network sees on blank or textured paper, where
        # the binarised page has (next to) no ink, is not one.
        if np.count_nonzero(ink) < MIN_LINE_INK:
            continue
        out.append(LineRegion(box=b, ink=ink, polygon=line.polygon, baseline=line.baseline, kind=line_kind(ink)))
    return reading_order(out)
