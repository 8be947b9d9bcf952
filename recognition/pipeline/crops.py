"""Character and word crops cut again from a page at boxes a reviewer labelled, so
corrections can become training samples: the page is prepared and its lines found exactly as
recognition does it, each page box is mapped into that working image, and the ink
that belongs to the box goes through the recogniser's own normalisation."""

from __future__ import annotations

import cv2
import numpy as np

from .clutter import field_candidates
from .normalize import normalize_glyph
from .preprocess import prepare_field, prepare_page
from .recognize import find_lines
from .sequence import normalize_strip
from .types import Box

# A component belongs to a box when at least this share of it lies inside the box; the
# component with the most ink inside always does (touching letters cut apart).
OWN_SHARE = 0.5


def working_ink(gray: np.ndarray, layout: str) -> tuple[np.ndarray, np.ndarray]:
    """The binary ink (255 = ink) that recognition segments, and the 2x3 affine that
    maps page coordinates into it."""
    prepared = prepare_page(gray) if layout == "page" else prepare_field(gray)
    ink = np.zeros_like(prepared.binary)
    # Every row a field may have been read from: which one the reader chose does not
    # matter here, since a box holds ink of one row only.
    lines = field_candidates(prepared.binary) if layout == "word" else find_lines(prepared.binary, layout)
    for line in lines:
        region = ink[line.box.y : line.box.bottom, line.box.x : line.box.right]
        np.maximum(region, line.ink[: region.shape[0], : region.shape[1]], out=region)
    return ink, cv2.invertAffineTransform(prepared.to_page)


def page_box_to_working(box: Box, from_page: np.ndarray, shape: tuple[int, int]) -> Box | None:
    corners = np.array([[box.x, box.y], [box.right, box.y], [box.x, box.bottom], [box.right, box.bottom]], float)
    mapped = corners @ from_page[:, :2].T + from_page[:, 2]
    x0, y0 = np.floor(mapped.min(axis=0)).astype(int)
    x1, y1 = np.ceil(mapped.max(axis=0)).astype(int)
    h, w = shape
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return None
    return Box(int(x0), int(y0), int(x1 - x0), int(y1 - y0))


def ink_in_box(ink: np.ndarray, box: Box) -> np.ndarray:
    """The ink of `box` without slivers of neighbouring letters that reach into it."""
    margin = max(2, int(0.5 * max(box.w, box.h)))
    y0, x0 = max(0, box.y - margin), max(0, box.x - margin)
    y1, x1 = min(ink.shape[0], box.bottom + margin), min(ink.shape[1], box.right + margin)
    region = ink[y0:y1, x0:x1] > 0
    n, labels = cv2.connectedComponents(region.astype(np.uint8), connectivity=8)
    inside = np.zeros_like(region)
    inside[box.y - y0 : box.bottom - y0, box.x - x0 : box.right - x0] = True
    if n <= 1:
        return np.zeros((box.h, box.w), np.uint8)
    total = np.bincount(labels.ravel(), minlength=n)
    within = np.bincount(labels[inside], minlength=n)
    total[0] = within[0] = 0
    keep = (within >= OWN_SHARE * np.maximum(total, 1)) & (within > 0)
    keep[int(np.argmax(within))] = within.max() > 0
    keep[0] = False
    mask = keep[labels] & inside
    return (mask[box.y - y0 : box.bottom - y0, box.x - x0 : box.right - x0]).astype(np.uint8) * 255


def ink_crops(gray: np.ndarray, layout: str, boxes: list[Box]) -> list[np.ndarray | None]:
    """Page boxes -> the binary ink recognition saw in each, None where a box holds none."""
    ink, from_page = working_ink(gray, layout)
    out: list[np.ndarray | None] = []
    for box in boxes:
        local = page_box_to_working(box, from_page, ink.shape)
        crop = ink_in_box(ink, local) if local is not None else None
        out.append(crop if crop is not None and crop.any() else None)
    return out


def glyph_crops(gray: np.ndarray, layout: str, boxes: list[Box]) -> list[np.ndarray | None]:
    """Character boxes -> normalised 28x28 glyphs (uint8, ink bright)."""
    return [None if c is None else (normalize_glyph(c) * 255).astype(np.uint8) for c in ink_crops(gray, layout, boxes)]


def strip_crops(gray: np.ndarray, layout: str, boxes: list[Box]) -> list[np.ndarray | None]:
    """Word boxes -> normalised strips for the sequence reader (uint8, ink bright)."""
    return [None if c is None else (normalize_strip(c) * 255).astype(np.uint8) for c in ink_crops(gray, layout, boxes)]
