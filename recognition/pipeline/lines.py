"""Page -> text lines: find each line's centre curve, give every stroke to its own line,
and describe each line by its ink, box, baseline, polygon and kind.

The stages, each a function below: connected components and what they are
(`find_strokes`); the line pitch of the page and blocks of finer print with their own
(`estimate_pitch`, `fine_print_blocks`); centre curves as ridges of the smoothed ink
density (`find_tracks`, `chain_tracks`, `absorb_tracks`); every ink pixel to a line, with
strokes shared by two lines cut between them, and small pieces settled (`assign_ink`);
the line regions (`_line_region`); faint marks dropped; reading order (`layout`).
All sizes are measured on the page itself (x-height, stroke width, line pitch), so the
same code serves a 100 dpi photo and a 400 dpi scan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from .layout import reading_order
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


# What a connected component is taken for.
TEXT, SPECK, NON_TEXT = 0, 1, 2
# Lines are found on a grid reduced so that an x-height spans about this many cells:
# enough to place a line, few enough to be fast on a 3000 x 4000 scan.
GRID_X_HEIGHT = 8.0
# A ridge weaker than this share of a strong line's is a stray mark, not writing.
RIDGE_FLOOR = 0.15
# Ridge pieces chain when their facing ends (medians over CHAIN_WINDOW pitch) are within
# CHAIN_DY pitch in height; found lines join when they meet within JOIN_DY pitch: a
# neighbouring line is a whole pitch away, so half a pitch tells the two apart.
CHAIN_DY, CHAIN_WINDOW = 0.25, 0.3
JOIN_DY = 0.5
# A line's polygon reaches this share of the distance to the neighbouring line (or of
# the pitch where there is none nearer) above its centre curve and below it, further
# where its own ink does (all but the outer INK_REACH_LO percent of it). The ascender
# zone is taller than the descender zone. This is the region ALTO/PAGE annotators
# (eScriptorium, kraken) draw for a line: its share of the paper between baselines.
POLYGON_UP, POLYGON_DOWN = 0.6, 0.42
INK_REACH_LO = 10.0
# Small print set tight (a letterhead) still gets a polygon this share of the page's
# main pitch above and below, as annotators draw it.
MIN_POLYGON_UP, MIN_POLYGON_DOWN = 0.3, 0.2
# Ink whose darkest tenth is lighter than this (paper = 255) is pale; a line of pale
# ink shorter than FAINT_MARK_INK units (see SMALL_LINE_INK) is a mark, not writing.
FAINT_INK = 90.0
FAINT_MARK_INK = 30.0


@dataclass
class Strokes:
    """The page's connected components and what each one is."""

    labels: np.ndarray  # int32 label image, 0 = paper
    stats: np.ndarray  # cv2 stats, one row per label
    role: np.ndarray  # TEXT, SPECK or NON_TEXT per label
    core: np.ndarray  # height of each component's densest rows (its x-height band)
    stroke_width: float
    x_height: float


@dataclass
class Track:
    """A ridge of smoothed ink density on the reduced grid: y[i] is its row at column x0 + i."""

    x0: int
    y: np.ndarray

    @property
    def x1(self) -> int:
        return self.x0 + len(self.y)


@dataclass
class LineCurve:
    """A line's centre curve in page pixels, with the scale of the text it was found in."""

    x0: int
    y: np.ndarray  # centre row for columns x0 .. x0 + len(y) - 1
    pitch: float
    x_height: float
    block: int
    page_pitch: float  # the pitch of the page's main text

    @property
    def x1(self) -> int:
        return self.x0 + len(self.y)

    def at(self, xs: np.ndarray) -> np.ndarray:
        return self.y[np.clip(xs - self.x0, 0, len(self.y) - 1)]


def segment_lines(binary: np.ndarray, gray: np.ndarray | None = None) -> list[LineRegion]:
    """Find the text lines of a binarised page (255 = ink), in reading order; `gray`, the
    page the binary was made from, lets faint small marks (an embossed seal, a rubber
    stamp's rim, a smudge) be told from writing.

    Lines are ridges of the ink density smoothed much more along the line than across
    it: the dense x-height band of a line survives, the sparse ascenders and descenders
    reaching towards the neighbouring lines do not, so touching and gently curved or
    skewed lines still give one ridge each. Every stroke then goes to the line whose
    x-height band holds it; a stroke that runs into a second band (a descender touching
    the capitals below) is cut between the two lines. Blocks of print much finer than
    the page's writing (a letterhead, a list) are searched at their own scale.
    """
    strokes = find_strokes(binary)
    if strokes.x_height <= 0:
        return []
    text = strokes.role == TEXT
    scale = _grid_scale(strokes.x_height)
    page_pitch = estimate_pitch(_density_grid(strokes, text, strokes.x_height)[0], strokes.x_height * scale) / scale
    block_of = np.zeros(len(text), np.int32)
    curves: list[LineCurve] = []
    for b, block in enumerate(fine_print_blocks(strokes, page_pitch), start=1):
        block_of[block.members] = b
        curves += find_line_curves(strokes, block.members, block.x_height, b, block.pitch, page_pitch)
    rest = text & (block_of == 0)
    curves += find_line_curves(strokes, rest, strokes.x_height, 0, page_pitch, page_pitch)
    lines = assign_ink(strokes, curves, block_of)
    if gray is not None and lines:
        unit = strokes.x_height * strokes.stroke_width
        pale = np.array([_paleness(line, gray) for line in lines])
        # Pale for this page: a page written all in light ink keeps its lines.
        limit = max(FAINT_INK, 2.0 * float(np.median(pale)))
        lines = [ln for ln, p in zip(lines, pale) if p <= limit or (ln.ink > 0).sum() >= FAINT_MARK_INK * unit]
    return reading_order(lines)


def _paleness(line: LineRegion, gray: np.ndarray) -> float:
    """How light the darkest tenth of the line's ink is next to the paper around it,
    with paper scaled to 255: near 0 for ink, high for an embossing, a rubber stamp's
    rim or a smudge. A pale signature or pencil note is long enough to stay anyway."""
    ink = line.ink > 0
    b = line.box
    m = max(b.h, 8)
    around = gray[max(0, b.y - m) : b.bottom + m, max(0, b.x - m) : b.right + m]
    paper = max(float(np.percentile(around, 90)), 1.0)
    return 255.0 * float(np.percentile(gray[b.y : b.bottom, b.x : b.right][ink], 10)) / paper


@dataclass
class Block:
    """Components that form lines at their own scale."""

    members: np.ndarray  # bool per component label
    x_height: float
    pitch: float


def fine_print_blocks(strokes: Strokes, page_pitch: float, min_members: int = 12) -> list[Block]:
    """Clusters of small text whose line pitch is well under the page's (letterheads,
    lists in small type), found so each can be searched at its own scale.

    Components much shorter than the page pitch are grown by a share of their height and
    clusters of touching growths are the candidates; a cluster is a block when its rows
    repeat at a pitch under 0.6 of the page's.
    """
    h, w = strokes.labels.shape
    f = 0.25
    grid = np.zeros((int(h * f) + 1, int(w * f) + 1), np.uint8)
    heights = strokes.stats[:, cv2.CC_STAT_HEIGHT]
    ids = np.nonzero((strokes.role == TEXT) & (heights < 0.45 * page_pitch))[0]
    if ids.size < min_members:
        return []
    x, y, cw, ch = (strokes.stats[ids, i].astype(np.float64) for i in range(4))
    grow = 0.6 * ch
    for i in range(ids.size):
        cv2.rectangle(
            grid,
            (int((x[i] - grow[i]) * f), int((y[i] - grow[i]) * f)),
            (int((x[i] + cw[i] + grow[i]) * f), int((y[i] + ch[i] + grow[i]) * f)),
            1,
            -1,
        )
    _, regions = cv2.connectedComponents(grid, connectivity=8)
    region_of = regions[((y + ch / 2) * f).astype(int), ((x + cw / 2) * f).astype(int)]
    blocks = []
    for r in np.unique(region_of):
        sel = ids[region_of == r]
        if sel.size < min_members:
            continue
        members = np.zeros(len(strokes.role), bool)
        members[sel] = True
        xh = _weighted_median(strokes.core[sel], strokes.stats[sel, cv2.CC_STAT_WIDTH])
        if xh <= 0:
            continue
        scale = _grid_scale(xh)
        small = _density_grid(strokes, members, xh)[0]
        # Rows of a small block are often grouped (a name, then its address), so the
        # spacing of its ridges tells the pitch better than periodicity does.
        grid_pitch = pitch_from_tracks(find_tracks(small, xh * scale), xh * scale) or periodic_pitch(small, xh * scale)
        if grid_pitch is None:
            continue
        pitch = grid_pitch / scale
        top = strokes.stats[sel, cv2.CC_STAT_TOP]
        rows = ((top + strokes.stats[sel, cv2.CC_STAT_HEIGHT]).max() - top.min()) / pitch
        if pitch < 0.6 * page_pitch and pitch <= 4.0 * xh and rows >= 2.5:
            blocks.append(Block(members, xh, pitch))
    return blocks


def find_strokes(binary: np.ndarray) -> Strokes:
    """Components of the page, with specks and non-text (page-long rules, big blots) marked."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats((binary > 0).astype(np.uint8), connectivity=8)
    h, w = binary.shape
    sw = _stroke_width(binary)
    area = stats[:, cv2.CC_STAT_AREA]
    role = np.full(n, TEXT, np.int8)
    role[area < max(4.0, 1.5 * sw * sw)] = SPECK
    role[0] = NON_TEXT
    core = np.zeros(n, np.float64)
    for i in np.nonzero(role == TEXT)[0]:
        x, y, cw, ch, _ = stats[i]
        if ch > 0.3 * h or cw > 0.6 * w:
            role[i] = NON_TEXT
            continue
        profile = np.count_nonzero(labels[y : y + ch, x : x + cw] == i, axis=1)
        core[i] = np.count_nonzero(profile >= 0.5 * profile.max())
    x_height = _weighted_median(core[role == TEXT], stats[role == TEXT, cv2.CC_STAT_WIDTH])
    return Strokes(labels, stats, role, core, sw, x_height)


def _stroke_width(binary: np.ndarray) -> float:
    """Median stroke width: twice the median distance-to-paper along the strokes' ridges."""
    dist = cv2.distanceTransform((binary > 0).astype(np.uint8), cv2.DIST_L2, 3)
    ridge = dist[(dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8))) & (dist > 0)]
    return float(2.0 * np.median(ridge)) if ridge.size else 1.0


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    if values.size == 0:
        return 0.0
    order = np.argsort(values)
    cum = np.cumsum(weights[order].astype(np.float64))
    return float(values[order][np.searchsorted(cum, cum[-1] / 2.0)])


def _grid_scale(x_height: float) -> float:
    """Page pixels -> cells of the reduced grid lines are searched on."""
    return min(1.0, GRID_X_HEIGHT / x_height)


def _density_grid(strokes: Strokes, members: np.ndarray, x_height: float) -> tuple[np.ndarray, int, int]:
    """Share of ink of the `members` components in each cell of the reduced grid, over
    their bounding box (with a margin); returns the grid and the box's page origin."""
    h, w = strokes.labels.shape
    ids = np.nonzero(members)[0]
    x, y = strokes.stats[ids, cv2.CC_STAT_LEFT], strokes.stats[ids, cv2.CC_STAT_TOP]
    margin = int(4 * x_height)
    x0, y0 = max(0, int(x.min()) - margin), max(0, int(y.min()) - margin)
    x1 = min(w, int((x + strokes.stats[ids, cv2.CC_STAT_WIDTH]).max()) + margin)
    y1 = min(h, int((y + strokes.stats[ids, cv2.CC_STAT_HEIGHT]).max()) + margin)
    mask = members[strokes.labels[y0:y1, x0:x1]].astype(np.float32)
    scale = _grid_scale(x_height)
    return cv2.resize(mask, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), x0, y0


def find_line_curves(
    strokes: Strokes, members: np.ndarray, x_height: float, block: int, pitch: float, page_pitch: float
) -> list[LineCurve]:
    """Centre curves of the lines formed by the components in `members`, whose lines
    are `pitch` apart (page pixels)."""
    if not members.any():
        return []
    scale = _grid_scale(x_height)
    small, ox, oy = _density_grid(strokes, members, x_height)
    xh = x_height * scale
    grid_pitch = pitch * scale
    tracks = find_tracks(small, xh, grid_pitch)
    gap = max(grid_pitch, 3.0 * xh)
    tracks = chain_tracks(tracks, gap=gap, dy=CHAIN_DY * grid_pitch, window=CHAIN_WINDOW * grid_pitch)
    tracks = absorb_tracks(tracks, 0.3 * grid_pitch)
    width = strokes.labels.shape[1]
    curves = [_page_curve(t, scale, ox, oy, pitch, x_height, block, page_pitch) for t in tracks]
    return [c for c in curves if c.x0 < width and c.x1 > 0]


def periodic_pitch(small: np.ndarray, xh: float) -> float | None:
    """Distance between neighbouring lines (on the reduced grid): the first strong peak
    of the autocorrelation of row ink counts, averaged over vertical strips so that skew
    and curvature blur it less; None when rows do not repeat clearly."""
    rows = np.nonzero(small.any(axis=1))[0]
    cols = np.nonzero(small.any(axis=0))[0]
    if rows.size == 0:
        return None
    small = small[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = small.shape
    strips = 6
    total = np.zeros(h)
    for k in range(strips):
        profile = small[:, k * w // strips : (k + 1) * w // strips].sum(axis=1).astype(np.float64)
        profile -= profile.mean()
        energy = float(profile @ profile)
        if energy > 0:
            total += np.correlate(profile, profile, "full")[h - 1 :] / energy
    lo, hi = int(1.5 * xh), min(h - 1, int(12 * xh))
    if hi <= lo + 2:
        return None
    ac = total[lo:hi] / strips
    peaks = np.nonzero((ac[1:-1] >= ac[:-2]) & (ac[1:-1] > ac[2:]))[0] + 1
    peaks = peaks[ac[peaks] >= 0.2]
    if peaks.size == 0:
        return None
    # The first peak nearly as strong as the strongest, not a multiple of it.
    return float(lo + peaks[ac[peaks] >= 0.7 * ac[peaks].max()][0])


def estimate_pitch(small: np.ndarray, xh: float) -> float:
    """Distance between neighbouring lines (on the reduced grid): periodic rows, else (a
    page of few, unevenly spaced lines) the median gap between ridges found at the
    x-height's scale, else a typical 4.5 x-heights."""
    return periodic_pitch(small, xh) or pitch_from_tracks(find_tracks(small, xh), xh) or 4.5 * xh


def pitch_from_tracks(tracks: list[Track], xh: float) -> float | None:
    """Median distance from a long track to the next long track below it that shares
    columns with it; None when the page has too few lines to tell."""
    long = [t for t in tracks if len(t.y) >= 6 * xh]
    gaps = []
    for a in long:
        below = []
        for b in long:
            lo, hi = max(a.x0, b.x0), min(a.x1, b.x1)
            if hi - lo < 2 * xh:
                continue
            d = float(np.median(b.y[lo - b.x0 : hi - b.x0] - a.y[lo - a.x0 : hi - a.x0]))
            if d > 1.5 * xh:
                below.append(d)
        if below:
            gaps.append(min(below))
    return float(np.median(gaps)) if len(gaps) >= 2 else None


def find_tracks(small: np.ndarray, xh: float, pitch: float | None = None) -> list[Track]:
    """Ridges of the ink density on the reduced grid: in every column, the maxima of the
    density smoothed along the line (over about a word gap) and across it (over the
    x-height band), each the only maximum within 0.4 line pitch above and below.

    Without a pitch (the pass that measures it) the scales follow the x-height.
    """
    if pitch is None:
        sigma_x, sigma_y, radius = 1.5 * xh, 0.45 * xh, 1.2 * xh
    else:
        sigma_x = max(1.5 * xh, 0.5 * pitch)
        sigma_y = float(np.clip(0.12 * pitch, 0.3 * xh, 0.6 * xh))
        radius = 0.4 * pitch
    smooth = cv2.GaussianBlur(small, (0, 0), sigmaX=sigma_x, sigmaY=sigma_y)
    r = max(1, int(round(radius)))
    peak = smooth >= cv2.dilate(smooth, np.ones((2 * r + 1, 1), np.uint8))
    candidates = smooth[peak & (smooth > 1e-3)]
    if candidates.size == 0:
        return []
    # Ridges much weaker than a typical line are stray marks, not writing.
    floor = RIDGE_FLOOR * float(np.percentile(candidates, 90))
    ridge = (peak & (smooth > floor)).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ridge, connectivity=8)
    tracks = []
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if w < xh:
            continue
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == i)
        sums = np.bincount(xs, weights=ys + y, minlength=w)
        counts = np.bincount(xs, minlength=w)
        cols = np.nonzero(counts)[0]
        curve = np.interp(np.arange(w), cols, sums[cols] / counts[cols])
        tracks.append(Track(int(x), curve))
    return tracks


def chain_tracks(tracks: list[Track], gap: float, dy: float, window: float) -> list[Track]:
    """Join ridge pieces that continue each other (a wide word gap or a stroke reaching
    in from the next line breaks a ridge): each piece takes the nearest piece to its
    right that starts within `gap` columns of its end, or overlaps it by less than
    `window`, at a height within `dy` rows (medians over `window` columns of the facing
    ends, so a hooked end does not count)."""
    tracks = sorted(tracks, key=lambda t: t.x0)
    n = max(1, int(window))
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(tracks):
            best, best_cost = None, None
            for j, b in enumerate(tracks):
                if j == i or b.x0 < a.x1 - window or b.x1 <= a.x1:
                    continue
                g = b.x0 - a.x1
                offset = abs(float(np.median(b.y[:n])) - float(np.median(a.y[-n:])))
                if g > gap or offset > dy:
                    continue
                cost = max(g, 0) + 3 * offset
                if best_cost is None or cost < best_cost:
                    best, best_cost = j, cost
            if best is not None:
                tracks[i] = _join(a, tracks[best])
                del tracks[best]
                merged = True
                break
    return tracks


def _join(a: Track, b: Track) -> Track:
    x0, x1 = min(a.x0, b.x0), max(a.x1, b.x1)
    pts_x = np.concatenate([np.arange(a.x0, a.x1), np.arange(b.x0, b.x1)])
    pts_y = np.concatenate([a.y, b.y])
    order = np.argsort(pts_x, kind="stable")
    return Track(x0, np.interp(np.arange(x0, x1), pts_x[order], pts_y[order]))


def absorb_tracks(tracks: list[Track], distance: float) -> list[Track]:
    """Drop ridges that run within `distance` of a longer one over most of their length:
    the tops of capitals, crossbars and loops of a line make such short ridges, and their
    ink belongs to the line itself."""
    kept: list[Track] = []
    for t in sorted(tracks, key=lambda t: -len(t.y)):
        absorbed = False
        for big in kept:
            lo, hi = max(t.x0, big.x0), min(t.x1, big.x1)
            if hi - lo < 0.5 * len(t.y):
                continue
            gap = np.abs(t.y[lo - t.x0 : hi - t.x0] - big.y[lo - big.x0 : hi - big.x0]).mean()
            if gap < distance:
                absorbed = True
                break
        if not absorbed:
            kept.append(t)
    return kept


def _page_curve(
    track: Track, scale: float, ox: int, oy: int, pitch: float, x_height: float, block: int, page_pitch: float
) -> LineCurve:
    """A track on the reduced grid of a crop at (ox, oy) -> a curve in page pixels."""
    x0 = int(np.floor(track.x0 / scale))
    x1 = max(x0 + 1, int(np.ceil(track.x1 / scale)))
    xs = (np.arange(x0, x1) + 0.5) * scale - 0.5
    y = np.interp(xs, np.arange(track.x0, track.x1), track.y)
    return LineCurve(x0 + ox, (y + 0.5) / scale - 0.5 + oy, pitch, x_height, block, page_pitch)


def assign_ink(strokes: Strokes, curves: list[LineCurve], block_of: np.ndarray) -> list[LineRegion]:
    """Give every ink pixel to a line and build the line regions.

    A component goes whole to the line whose x-height band holds most of it. Where it
    also has a real share of ink (an x-height times a stroke width) in other lines'
    bands (a descender touching the capitals of the next line, a loop through it), it is
    cut: each pixel goes to the nearest of those lines. Components in no band (dots,
    commas, accents, crossbars) join the nearest line within half a pitch; anything
    further is not part of a line. Then ridges that own no stroke give their pieces back,
    pieces of one line are joined, small pieces next to a line join it, and what is left
    that cannot be writing (a tick, a fold, the sheet's edge) is dropped.
    """
    if not curves:
        return []
    n_lines, n_comp = len(curves), strokes.stats.shape[0]
    role = strokes.role
    # Pixels in column order, so each line looks only at the columns it spans.
    xs, ys = np.nonzero((role[strokes.labels] != NON_TEXT).T)
    comp = strokes.labels[ys, xs]
    speck = role[comp] == SPECK
    block = block_of[comp]
    best = np.full(ys.size, -1, np.int32)
    best_d = np.full(ys.size, np.inf, np.float32)
    for k, c in enumerate(curves):
        reach = 0.5 * c.x_height
        lo, hi = np.searchsorted(xs, [c.x0 - reach, c.x1 + reach])
        idx = lo + np.nonzero((block[lo:hi] == c.block) | speck[lo:hi])[0]
        d = np.abs(ys[idx] - c.at(xs[idx])).astype(np.float32)
        closer = d < best_d[idx]
        best[idx[closer]] = k
        best_d[idx[closer]] = d[closer]
    pitch = np.array([c.pitch for c in curves])
    core_half = np.array([max(0.5 * c.x_height, 0.15 * c.pitch) for c in curves])
    min_part = np.array([c.x_height * strokes.stroke_width for c in curves])
    found = best >= 0
    in_core = found & (best_d <= core_half[np.maximum(best, 0)])
    votes = np.bincount(comp[in_core] * n_lines + best[in_core], minlength=n_comp * n_lines).reshape(n_comp, n_lines)
    owner = votes.argmax(axis=1)
    has_core = votes.max(axis=1) > 0
    line_of = np.where(has_core[comp], owner[comp], -1)
    # A component with a real share of ink in more than one band is cut: each of its
    # pixels goes to the nearest of those lines.
    shared = has_core & ((votes >= min_part[None, :]).sum(axis=1) >= 2)
    if shared.any():
        order = np.argsort(comp, kind="stable")
        bounds = np.searchsorted(comp[order], np.arange(n_comp + 1))
        for c in np.nonzero(shared)[0]:
            idx = order[bounds[c] : bounds[c + 1]]
            lines_of_c = np.nonzero(votes[c] >= min_part)[0]
            dist = np.stack([np.abs(ys[idx] - curves[k].at(xs[idx])) for k in lines_of_c])
            line_of[idx] = lines_of_c[dist.argmin(axis=0)]
    # Components in no band join the line most of their near pixels are closest to.
    near = found & ~has_core[comp] & (best_d <= 0.5 * pitch[np.maximum(best, 0)])
    near_votes = np.bincount(comp[near] * n_lines + best[near], minlength=n_comp * n_lines).reshape(n_comp, n_lines)
    loose_owner = np.where(near_votes.max(axis=1) > 0, near_votes.argmax(axis=1), -1)
    line_of = np.where(has_core[comp], line_of, loose_owner[comp])

    text = strokes.role == TEXT
    groups = _return_borrowed(_line_sets(line_of, n_lines), comp, owner, has_core, text)
    sets = list(groups.values())
    fitted = [_fit_curve(ys[sel], xs[sel], curves[k]) for k, sel in groups.items()]
    sets, fitted = _join_collinear(sets, fitted, ys, xs)
    sets, fitted = _absorb_small(sets, fitted, xs, strokes.stroke_width)
    h, w = strokes.labels.shape
    kept = [
        (sel, c)
        for sel, c in zip(sets, fitted)
        if not _is_mark(sel, ys, xs, comp, text, c.x_height * strokes.stroke_width, c.x_height)
        and not _in_margin(ys[sel], xs[sel], h, w)
    ]
    kept_curves = [c for _, c in kept]
    return [_line_region(ys[sel], xs[sel], speck[sel], c, kept_curves) for sel, c in kept]


def _fit_curve(ys: np.ndarray, xs: np.ndarray, curve: LineCurve) -> LineCurve:
    """The line's centre curve refitted to its own ink: the median row of the ink in its
    x-height band, in steps of half a pitch, smoothed over a pitch. The ridge it was found
    by leans towards tall capitals and trailing flourishes; the ink's middle does not."""
    x0, x1 = int(xs.min()), int(xs.max()) + 1
    core = np.abs(ys - curve.at(xs)) <= max(0.5 * curve.x_height, 0.15 * curve.pitch)
    if core.sum() < 2:
        core = np.ones_like(core)
    step = max(4, int(0.5 * curve.pitch))
    bins = (xs[core] - x0) // step
    centres, rows = [], []
    for b in np.unique(bins):
        inside = bins == b
        centres.append(float(np.median(xs[core][inside])))
        rows.append(float(np.median(ys[core][inside])))
    y = np.interp(np.arange(x0, x1), centres, rows)
    k = max(1, int(curve.pitch)) | 1
    if y.size > 1:
        padded = np.pad(y, k // 2, mode="edge")
        y = np.convolve(padded, np.ones(k) / k, mode="valid")[: x1 - x0]
    return replace(curve, x0=x0, y=y)


def _in_margin(ys: np.ndarray, xs: np.ndarray, h: int, w: int) -> bool:
    """Ink wholly in the outermost strip of the scan, or a short piece touching its edge:
    the sheet's edge, its shadow or the scanner lid, not writing."""
    if xs.max() < 0.04 * w or xs.min() > 0.96 * w or ys.max() < 0.03 * h or ys.min() > 0.97 * h:
        return True
    touches = xs.min() <= 0.01 * w or xs.max() >= 0.99 * w or ys.min() <= 0.01 * h or ys.max() >= 0.99 * h
    return bool(touches and xs.max() - xs.min() < 0.1 * w)


# Ink of a line, in units of (x-height x stroke width): about one letter's worth of pen
# track is 2 to 4 units, a short word 10 or more.
SMALL_LINE_INK = 12.0
LONE_STROKE_INK = 10.0
MIN_LINE_INK = 7.0


def _line_sets(line_of: np.ndarray, n_lines: int) -> dict[int, np.ndarray]:
    order = np.argsort(line_of, kind="stable")
    bounds = np.searchsorted(line_of[order], np.arange(n_lines + 1))
    return {k: order[bounds[k] : bounds[k + 1]] for k in range(n_lines) if bounds[k + 1] > bounds[k]}


def _return_borrowed(
    groups: dict[int, np.ndarray], comp: np.ndarray, owner: np.ndarray, has_core: np.ndarray, text: np.ndarray
) -> dict[int, np.ndarray]:
    """A ridge that is the main line of none of its strokes only borrowed pieces of its
    neighbours' strokes (a loop, a long descender): the pieces go back to their lines."""
    kept: dict[int, np.ndarray] = {}
    returned: list[np.ndarray] = []
    for k, sel in groups.items():
        c = np.unique(comp[sel])
        if np.any(text[c] & has_core[c] & (owner[c] == k)):
            kept[k] = sel
        else:
            returned.append(sel[has_core[comp[sel]]])
    for sel in returned:
        for j in np.unique(owner[comp[sel]]):
            if j in kept:
                kept[j] = np.concatenate([kept[j], sel[owner[comp[sel]] == j]])
    return kept


def _join_gap(curve: LineCurve) -> float:
    """Widest gap inside a line: a pitch, or three x-heights for tightly set print."""
    return max(curve.pitch, 3.0 * curve.x_height)


def _join_collinear(
    sets: list[np.ndarray], curves: list[LineCurve], ys: np.ndarray, xs: np.ndarray
) -> tuple[list[np.ndarray], list[LineCurve]]:
    """Join lines that continue each other: the next line to the right, overlapping or
    within a gap, whose writing sits at the same height (within 0.3 pitch) where they
    meet. A ridge breaks where a flourish, a tall capital or a loop pulls it away."""
    joined = True
    while joined:
        joined = False
        order = sorted(range(len(sets)), key=lambda i: curves[i].x0)
        for i in order:
            a = curves[i]
            best, best_gap = None, None
            for j in order:
                b = curves[j]
                if j == i or b.x1 <= a.x1 or b.x0 <= a.x0:
                    continue
                gap = b.x0 - a.x1
                if gap > min(_join_gap(a), _join_gap(b)):
                    continue
                if gap < 0:
                    cols = np.arange(b.x0, a.x1)
                    dy = float(np.median(np.abs(a.at(cols) - b.at(cols))))
                else:
                    n = max(1, int(min(a.pitch, b.pitch)))
                    dy = abs(float(np.median(a.y[-n:])) - float(np.median(b.y[:n])))
                if dy <= JOIN_DY * min(a.pitch, b.pitch) and (best_gap is None or gap < best_gap):
                    best, best_gap = j, gap
            if best is not None:
                sel = np.concatenate([sets[i], sets[best]])
                merged = _fit_curve(ys[sel], xs[sel], a)
                keep = [k for k in range(len(sets)) if k not in (i, best)]
                sets = [sets[k] for k in keep] + [sel]
                curves = [curves[k] for k in keep] + [merged]
                joined = True
                break
    return sets, curves


def _absorb_small(
    sets: list[np.ndarray], curves: list[LineCurve], xs: np.ndarray, unit: float
) -> tuple[list[np.ndarray], list[LineCurve]]:
    """A little ink close above or below a bigger line (a crossbar, a flourish, a
    detached loop) joins that line: within 0.75 pitch over most of its columns."""
    order = sorted(range(len(sets)), key=lambda i: sets[i].size)
    alive = set(range(len(sets)))
    for i in order:
        if sets[i].size >= SMALL_LINE_INK * unit * curves[i].x_height:
            continue
        x0, x1 = int(xs[sets[i]].min()), int(xs[sets[i]].max()) + 1
        best, best_d = None, 0.75 * curves[i].pitch
        for j in alive:
            c = curves[j]
            if j == i or sets[j].size <= sets[i].size:
                continue
            lo, hi = max(x0, c.x0), min(x1, c.x1)
            if hi - lo < 0.5 * (x1 - x0):
                continue
            cols = np.arange(lo, hi)
            d = float(np.median(np.abs(c.at(cols) - curves[i].at(cols))))
            if d < best_d:
                best, best_d = j, d
        if best is not None:
            sets[best] = np.concatenate([sets[best], sets[i]])
            alive.discard(i)
    keep = sorted(alive)
    return [sets[k] for k in keep], [curves[k] for k in keep]


def _is_mark(sel, ys, xs, comp, text, unit: float, x_height: float) -> bool:
    """Too little ink for writing, a single stroke of a few letters' ink or not much wider
    than tall (a tick, a bracket, a paraph), or an upright mark: narrower than it is tall
    and either narrower than two x-heights or than half its height (a fold, a rule)."""
    if sel.size < MIN_LINE_INK * unit:
        return True
    h = int(ys[sel].max() - ys[sel].min()) + 1
    w = int(xs[sel].max() - xs[sel].min()) + 1
    strokes_in = np.unique(comp[sel])
    if np.count_nonzero(text[strokes_in]) <= 1 and (sel.size < LONE_STROKE_INK * unit or w < 2 * h):
        return True
    return w < 0.5 * h or (w < h and w < 2 * x_height)


def _line_region(
    ys: np.ndarray, xs: np.ndarray, speck: np.ndarray, curve: LineCurve, curves: list[LineCurve]
) -> LineRegion:
    """The line's ink over its box, its polygon and its baseline."""
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    ink = np.zeros((y1 - y0, x1 - x0), np.uint8)
    ink[ys - y0, xs - x0] = 255
    above, below = _neighbour_distances(curve, x0, x1, curves)
    # Where the writing itself reaches, from its strokes (specks are too often dirt).
    offsets = (ys - curve.at(xs))[~speck] if (~speck).any() else ys - curve.at(xs)
    up = _reach(POLYGON_UP, curve.pitch, above, float(-np.percentile(offsets, INK_REACH_LO)))
    down = _reach(POLYGON_DOWN, curve.pitch, below, float(np.percentile(offsets, 100 - INK_REACH_LO)))
    # Small print set tight (a letterhead) still gets a polygon of a readable height, as
    # annotators draw it, even where that overlaps its neighbours'.
    up, down = max(up, MIN_POLYGON_UP * curve.page_pitch), max(down, MIN_POLYGON_DOWN * curve.page_pitch)
    step = max(4, int(curve.pitch / 2))
    cols = np.unique(np.concatenate([np.arange(x0, x1, step), [x1 - 1]]))
    centre = curve.at(cols)
    upper = [(int(x), int(round(c - up))) for x, c in zip(cols, centre)]
    lower = [(int(x), int(round(c + down))) for x, c in zip(cols[::-1], centre[::-1])]
    base = _baseline_offset(offsets, curve)
    baseline = [(int(x), int(round(c + base))) for x, c in zip(cols, centre)]
    box = Box(x0, y0, x1 - x0, y1 - y0)
    return LineRegion(box=box, ink=ink, polygon=upper + lower, baseline=baseline, kind=line_kind(ink))


def line_kind(ink: np.ndarray) -> str:
    """"print" for a line of separate glyphs set close together (type, print), "text"
    for joined-up writing: in handwriting most ink is in strokes wider than tall (joined
    letters), in type it is in many separate glyphs per line height of length."""
    n, _, stats, _ = cv2.connectedComponentsWithStats((ink > 0).astype(np.uint8), connectivity=8)
    stats = stats[1:][stats[1:, cv2.CC_STAT_AREA] >= 20]
    if len(stats) < 3:
        return "text"
    w, h, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    joined = area[w > 1.5 * h].sum() / area.sum()
    glyphs_per_height = len(stats) / (ink.shape[1] / max(float(np.median(h)), 1.0))
    return "print" if joined < 0.5 and glyphs_per_height > 0.55 else "text"


def _neighbour_distances(curve: LineCurve, x0: int, x1: int, curves: list[LineCurve]) -> tuple[float, float]:
    """Distance to the nearest line centre above and below over the line's columns."""
    above = below = np.inf
    for other in curves:
        if other is curve:
            continue
        lo, hi = max(x0, other.x0, curve.x0), min(x1, other.x1, curve.x1)
        if hi - lo < curve.x_height:
            continue
        cols = np.arange(lo, hi, max(1, (hi - lo) // 32))
        d = float(np.median(other.at(cols) - curve.at(cols)))
        if d > 0:
            below = min(below, d)
        elif d < 0:
            above = min(above, -d)
    return above, below


def _reach(share: float, pitch: float, neighbour: float, ink: float) -> float:
    """How far the polygon reaches from the centre curve on one side: its share of the
    space to the neighbouring line, or of a typical pitch where there is none nearer;
    further where the line's own ink does, but never past that share of the neighbour."""
    slot = share * min(pitch, neighbour)
    return max(slot, min(ink, share * neighbour))


def _baseline_offset(offsets: np.ndarray, curve: LineCurve) -> float:
    """Rows from the centre curve down to the baseline: where the ink of the x-height
    band thins out below its densest rows."""
    half = int(0.5 * curve.pitch)
    sel = offsets[np.abs(offsets) <= half]
    if sel.size == 0:
        return 0.0
    hist = np.bincount((sel + half).astype(np.int64), minlength=2 * half + 1).astype(np.float64)
    k = max(1, int(0.1 * curve.x_height)) | 1
    hist = np.convolve(hist, np.ones(k) / k, mode="same")
    peak = int(np.argmax(hist[: half + int(0.5 * curve.x_height) + 1]))
    below = np.nonzero(hist[peak:] < 0.35 * hist[peak])[0]
    return float(peak + (below[0] if below.size else 0) - half)


def whole_image_as_line(binary: np.ndarray) -> list[LineRegion]:
    """For `--layout line`/`word`: the whole image is one line."""
    ys, xs = np.nonzero(binary)
    if ys.size == 0:
        return []
    box = Box(int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
    return [LineRegion(box=box, ink=binary[box.y : box.bottom, box.x : box.right].copy())]

