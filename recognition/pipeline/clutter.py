"""Form clutter that must not become characters: ruled and box lines, printed field
labels such as `NOM :`, and strokes cut from neighbouring fields."""

from __future__ import annotations

import cv2
import numpy as np

from .lines import estimate_text_height
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


def letter_band_of(ink: np.ndarray, text_h: float, last: int = 0) -> tuple[float, float]:
    """Median top and bottom of the letter-sized components of a line, or of its `last`
    few letters (a skewed line's band drifts along it)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    tall = stats[1:][stats[1:, cv2.CC_STAT_HEIGHT] >= 0.6 * text_h]
    if len(tall) == 0:
        return 0.0, float(ink.shape[0])
    if last:
        tall = tall[np.argsort(tall[:, cv2.CC_STAT_LEFT] + tall[:, cv2.CC_STAT_WIDTH])[-last:]]
    tops = tall[:, cv2.CC_STAT_TOP]
    return float(np.median(tops)), float(np.median(tops + tall[:, cv2.CC_STAT_HEIGHT]))


def find_label_colon(line: LineRegion, text_h: float) -> int | None:
    """Column (line-local) just right of a printed label's colon (`NOM :`), if the left
    part of the line has one: two small, similar dots stacked inside the band of the
    caption's last letters (those just left of the dots: the handwriting after a
    caption often sits higher or lower), the upper near the middle and the lower on
    the baseline. The rightmost such colon in the left 60% of the line ends the label."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(line.ink, connectivity=8)
    dots = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if h <= 0.5 * text_h and w <= 0.5 * text_h and area >= 2 and w <= 1.6 * h and h <= 1.6 * w:
            dots.append((x, y, w, h))
    limit = line.ink.shape[1] * 0.6
    best = None
    for a in dots:
        for b in dots:
            if b[1] <= a[1] or a[0] > limit:
                continue
            x0, x1 = min(a[0], b[0]), max(a[0] + a[2], b[0] + b[2])
            if x0 == 0:
                continue  # no caption left of it
            top, bottom = letter_band_of(line.ink[:, :x0], text_h, last=3)
            band_h = max(bottom - top, 1.0)
            overlap = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
            gap = b[1] - (a[1] + a[3])
            small = max(a[3], b[3]) <= 0.4 * band_h
            similar = 0.4 <= (a[2] * a[3]) / max(1, b[2] * b[3]) <= 2.5
            inside = a[1] >= top - 0.1 * band_h and b[1] + b[3] <= bottom + 0.15 * band_h
            lower_on_baseline = b[1] + b[3] >= bottom - 0.3 * band_h
            if not (overlap > 0 and small and 0.1 * band_h <= gap <= 0.6 * band_h and similar and inside
                    and lower_on_baseline):
                continue
            # A colon stands alone: no other ink in its columns (a broken E is no colon).
            column = stats[1:][(stats[1:, cv2.CC_STAT_LEFT] < x1) & (stats[1:, cv2.CC_STAT_LEFT] + stats[1:, 2] > x0)]
            if len(column) > 2:
                continue
            best = x1 if best is None else max(best, x1)
    return best


def looks_printed(stats: np.ndarray) -> bool:
    """Four or more letters whose heights agree, and whose tops and bottoms lie on
    straight lines (a tilted scan tilts them), to within a few per cent, as set type
    does and handwriting seldom does (three careful capitals can, so shorter rows are
    not judged)."""
    if len(stats) < 4:
        return False
    centres = stats[:, cv2.CC_STAT_LEFT] + stats[:, cv2.CC_STAT_WIDTH] / 2.0
    tops = stats[:, cv2.CC_STAT_TOP].astype(float)
    heights = stats[:, cv2.CC_STAT_HEIGHT].astype(float)
    size = float(np.median(heights))
    # Small print is measured in whole pixels: letters a pixel apart at either edge
    # (a spread of 0.5 px) agree as well as a scan of that size can show.
    pixel = 0.5

    def off_line(values: np.ndarray) -> float:
        # A scan is seldom tilted by more than a few degrees; letters that climb
        # faster than 0.1 are handwriting drifting, measured against the level.
        if np.ptp(centres) <= 0:
            return float(np.std(values))
        slope, intercept = np.polyfit(centres, values, 1)
        return float(np.std(values - (slope * centres + intercept))) if abs(slope) <= 0.1 else float(np.std(values))

    return bool(off_line(tops) <= max(0.03 * size, pixel) and off_line(tops + heights) <= max(0.03 * size, pixel)
                and np.std(heights) <= max(0.04 * size, pixel))


def handwriting_band(stats: np.ndarray, image_h: int) -> tuple[int, int] | None:
    """Rows of a field crop that hold its main line of writing (the first of
    `handwriting_bands`)."""
    bands = handwriting_bands(stats, image_h, count=1)
    return bands[0] if bands else None


def handwriting_bands(stats: np.ndarray, image_h: int, count: int = 3) -> list[tuple[int, int]]:
    """Rows of a field crop that may hold its line of writing, likeliest first.

    Every letter-shaped component votes for the rows it covers with its squared
    height, so the tallest writing (the handwriting, not smaller printed captions,
    specks or flat rules) wins. Whoever cropped the field centred it on the
    handwriting, so votes fade towards the top and bottom edges, and components cut
    by an edge (mostly strokes of neighbouring fields) count for less. A band is the
    median extent of the components that cover the winning row; the next band is
    found the same way among the components the earlier bands did not cover (another
    row of the form, which a reader may recognise as the field better than the votes).
    """
    tops, heights, widths = stats[:, cv2.CC_STAT_TOP], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH]
    letters = (widths <= 3 * heights) & (heights >= 3)
    if not letters.any():
        return []
    margin = max(1, int(0.03 * image_h))
    cut = (tops <= margin) | (tops + heights >= image_h - margin)
    weight = np.where(cut, 0.35, 1.0) * heights.astype(float) ** 2
    weight[~letters] = 0.0
    rows = np.arange(image_h + 1)
    centrality = np.clip(1.0 - np.abs(rows - image_h / 2) / (image_h / 2), 0.05, 1.0) ** 2
    bands: list[tuple[int, int]] = []
    first_peak = None
    while len(bands) < count and weight.any():
        for _ in range(3):
            votes = np.zeros(image_h + 1)
            for y, h, w in zip(tops, heights, weight):
                votes[y : y + h] += w
            peak = int(np.argmax(votes * centrality))
            covering = letters & (weight > 0) & (tops <= peak) & (tops + heights > peak)
            if not looks_printed(stats[covering]):
                break
            # A row set in type is a caption, not the handwriting: let the others win.
            weight[covering] *= 0.2
        strength = float((votes * centrality)[peak])
        first_peak = strength if first_peak is None else first_peak
        if not covering.any() or strength < 0.1 * first_peak:
            break
        top = int(np.median(tops[covering]))
        bottom = int(np.median((tops + heights)[covering]))
        bands.append((top, max(bottom, top + 1)))
        # The components this band holds vote no more.
        inside = (np.minimum(tops + heights, bottom) - np.maximum(tops, top)) >= 0.5 * heights
        weight[inside | covering] = 0.0
    return bands


def field_line(binary: np.ndarray, band: tuple[int, int] | None = None) -> LineRegion | None:
    """The components of a field crop that belong to a handwriting band (by default
    the likeliest): those that lie mostly inside the band, span most of it (tall
    letters, descenders), or are small marks just above or below it (accents, dots)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if n <= 1:
        return None
    band = band or handwriting_band(stats[1:], binary.shape[0])
    if band is None:
        return None
    top, bottom = band
    band_h = bottom - top
    keep = np.zeros(n, bool)
    for i in range(1, n):
        _x, y, _w, h, _area = stats[i]
        overlap = min(y + h, bottom) - max(y, top)
        if overlap >= 0.6 * h or overlap >= 0.7 * band_h:
            keep[i] = True
        elif top - 0.6 * band_h <= y and y + h <= bottom + 0.3 * band_h and h < 0.5 * band_h:
            keep[i] = True  # an accent or dot just above or below the letters
    keep &= ~_stray_marks(stats, keep, band_h)
    if not keep.any():
        return None
    ink = keep[labels].astype(np.uint8) * 255
    ink = remove_box_edges(ink, top, bottom)
    return _tighten(LineRegion(Box(0, 0, binary.shape[1], binary.shape[0]), ink))


def remove_box_edges(ink: np.ndarray, top: int, bottom: int) -> np.ndarray:
    """Erase the sides of the box a field is written in: straight, standalone vertical
    bars at either end of the writing that run past both the top and the bottom of the
    writing band. A letter's stem is joined to the rest of its letter, or passes one
    edge of the band (a J, a descender), not both."""
    band_h = bottom - top
    length = int(1.15 * band_h)
    if length < 5:
        return ink
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 2:
        return ink
    # The first and last letter-sized components: small printed captions may lie outside.
    tall = [i for i in range(1, n) if stats[i, cv2.CC_STAT_HEIGHT] >= 0.6 * band_h]
    if len(tall) < 2:
        return ink
    order = sorted(tall, key=lambda i: stats[i, cv2.CC_STAT_LEFT])
    upright = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    out = ink.copy()
    for i in {int(order[0]), int(order[-1])}:
        _x, y, w, h, area = stats[i]
        bar = np.count_nonzero(upright[labels == i])
        standalone = bar >= 0.85 * area
        past_both = y <= top - 0.1 * band_h and y + h >= bottom + 0.1 * band_h
        if standalone and past_both and w <= 0.25 * band_h:
            out[labels == i] = 0
    return out


def _stray_marks(stats: np.ndarray, keep: np.ndarray, band_h: float) -> np.ndarray:
    """Small marks far from every letter of the line: specks and cut strokes, not dots."""
    letters = [i for i in np.nonzero(keep)[0] if stats[i, cv2.CC_STAT_HEIGHT] >= 0.5 * band_h]
    stray = np.zeros(len(stats), bool)
    if not letters:
        return stray
    x0 = stats[letters, cv2.CC_STAT_LEFT]
    x1 = x0 + stats[letters, cv2.CC_STAT_WIDTH]
    for i in np.nonzero(keep)[0]:
        if stats[i, cv2.CC_STAT_HEIGHT] >= 0.5 * band_h:
            continue
        a, b = stats[i, cv2.CC_STAT_LEFT], stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH]
        distance = np.maximum(0, np.maximum(x0 - b, a - x1)).min()
        stray[i] = distance > 1.0 * band_h
    return stray


def find_small_label(line: LineRegion) -> int | None:
    """Column (line-local) where a printed label at the left of a field ends: a group
    of at least three components, left of a wide gap in the left 60% of the line, whose
    letters are clearly smaller than the handwriting after the gap. Printed captions
    are set smaller than people write in the boxes beside them."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(line.ink, connectivity=8)
    comps = stats[1:]
    if len(comps) < 3:
        return None
    comps = comps[np.argsort(comps[:, cv2.CC_STAT_LEFT])]
    heights = comps[:, cv2.CC_STAT_HEIGHT].astype(float)
    letter_h = float(np.median(heights[heights >= 0.4 * heights.max()]))
    lefts = comps[:, cv2.CC_STAT_LEFT]
    reach = np.maximum.accumulate(lefts + comps[:, cv2.CC_STAT_WIDTH])
    limit = 0.6 * line.ink.shape[1]
    best = None
    for k in range(2, len(comps)):
        gap = lefts[k] - reach[k - 1]
        if reach[k - 1] > limit or gap < 0.5 * letter_h:
            continue
        left_h, right_h = heights[:k], heights[k:]
        left_letters = left_h[left_h >= 0.5 * left_h.max()]
        right_letters = right_h[right_h >= 0.5 * right_h.max()]
        # Every letter before the gap must be small (a tall one is handwriting), and
        # they must be as even in height as type is; labels have three letters or more.
        if len(left_letters) >= 3 and len(right_letters) >= 1 and (
            left_letters.max() <= 0.8 * np.median(right_letters) and left_letters.max() <= 1.3 * left_letters.min()
        ):
            best = int(reach[k - 1])
    return best


def clean_field(binary: np.ndarray) -> LineRegion | None:
    """A field crop -> its single line of handwriting, without rules, printed labels
    and strokes from neighbouring fields."""
    lines = field_candidates(binary, count=1)
    return lines[0] if lines else None


def field_candidates(binary: np.ndarray, count: int = 3) -> list[LineRegion]:
    """The rows of a field crop that may be its handwriting, likeliest first, each
    cleaned of rules, printed labels and strokes from neighbouring fields."""
    text_h = estimate_text_height(binary) or binary.shape[0] / 2
    ruled = remove_rules(binary, text_h)
    cleaned = drop_border_fragments(ruled, text_h)
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(cleaned, connectivity=8)
    if n <= 1:
        return []
    lines = []
    for band in handwriting_bands(stats[1:], cleaned.shape[0], count):
        line = field_line(cleaned, band)
        if line is None:
            continue
        line_h = estimate_text_height(line.ink) or text_h
        label_end = max(_label_colon_column(ruled, band, line, line_h), find_small_label(line) or -1)
        if label_end >= 0:
            ink = line.ink.copy()
            ink[:, : label_end + 1] = 0
            line = _tighten(LineRegion(line.box, ink, line.polygon, line.baseline))
        line = drop_printed_words(line) if line is not None else None
        if line is not None:
            lines.append(line)
    return lines


def drop_printed_words(line: LineRegion) -> LineRegion | None:
    """The row without the printed words it holds (`CLASSE :` beside a date, a
    caption the band took in): runs of four or more closely set letters that
    `looks_printed`. Type sets its letters a sliver apart; handwritten capitals are
    spaced wider or touch, and a run of them is seldom as even as type."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(line.ink, connectivity=8)
    comps = np.arange(1, n)[np.argsort(stats[1:, cv2.CC_STAT_LEFT])]
    if len(comps) < 4:
        return line
    heights = stats[comps, cv2.CC_STAT_HEIGHT].astype(float)
    letter_h = float(np.median(heights[heights >= 0.5 * heights.max()]))
    runs: list[list[int]] = [[comps[0]]]
    reach = stats[comps[0], cv2.CC_STAT_LEFT] + stats[comps[0], cv2.CC_STAT_WIDTH]
    for c in comps[1:]:
        left = stats[c, cv2.CC_STAT_LEFT]
        if left - reach > 0.3 * letter_h:
            runs.append([])
        runs[-1].append(c)
        reach = max(reach, left + stats[c, cv2.CC_STAT_WIDTH])
    printed = []
    for run in runs:
        run_h = stats[run, cv2.CC_STAT_HEIGHT]
        letters = [c for c, h in zip(run, run_h) if h >= 0.6 * run_h.max()]
        if len(letters) >= 4 and looks_printed(stats[letters]):
            printed += run
    if not printed:
        return line
    ink = line.ink.copy()
    ink[np.isin(labels, printed)] = 0
    return _tighten(LineRegion(line.box, ink, line.polygon, line.baseline, line.kind))


def _label_colon_column(ruled: np.ndarray, band: tuple[int, int], line: LineRegion, line_h: float) -> int:
    """`find_label_colon` for a field's row, column in the row's own coordinates (-1:
    none). It looks before border fragments are dropped: when the crop cuts right at a
    caption's baseline, the colon's lower dot touches the edge and would be gone."""
    whole = field_line(ruled, band)
    if whole is None:
        return -1
    column = find_label_colon(whole, line_h)
    return -1 if column is None else column + whole.box.x - line.box.x


def _tighten(line: LineRegion) -> LineRegion | None:
    ys, xs = np.nonzero(line.ink)
    if ys.size == 0:
        return None
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    box = Box(line.box.x + int(x0), line.box.y + int(y0), int(x1 - x0), int(y1 - y0))
    return LineRegion(box, line.ink[y0:y1, x0:x1].copy(), line.polygon, line.baseline, line.kind)
