"""Helpers for the line segmentation tests on generated pages: pages with known lines,
geometric distortions applied to the page and its truth alike, and scoring."""

from __future__ import annotations

import cv2
import numpy as np

from recognition.pipeline.assemble import PageMapper
from recognition.pipeline.lines import segment_lines
from recognition.pipeline.preprocess import prepare_page
from recognition.pipeline.types import Box, LineRegion
from training.metrics import matched_pairs
from training.synthetic_pages import GeneratedPage

WORDS = (
    "the quick brown fox jumps over lazy dogs and cats near paris in may with big red boxes from old mills "
    "on june letter thanks dear friend sincerely yours"
).split()


def text_lines(rng: np.random.Generator, n: int, words: tuple[int, int] = (4, 7)) -> list[str]:
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(*words)))) for _ in range(n)]


def ink_masks(page: GeneratedPage) -> list[np.ndarray]:
    """One boolean mask per true line: the page's ink inside that line's glyph boxes."""
    ink = page.image < 128
    masks = []
    for line in page.lines:
        mask = np.zeros(ink.shape, bool)
        for word in line.words:
            for b in word.char_boxes:
                mask[b.y : b.bottom, b.x : b.right] |= ink[b.y : b.bottom, b.x : b.right]
        masks.append(mask)
    return masks


def mask_box(mask: np.ndarray) -> Box:
    ys, xs = np.nonzero(mask)
    return Box(int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))


def remap(image: np.ndarray, masks: list[np.ndarray], map_x: np.ndarray, map_y: np.ndarray):
    """Apply one geometric distortion to the page (paper stays paper) and to each mask."""
    warped = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    warped_masks = [
        cv2.remap(m.astype(np.uint8) * 255, map_x, map_y, cv2.INTER_LINEAR, borderValue=0) > 127 for m in masks
    ]
    return warped, warped_masks


def rotation_maps(shape: tuple[int, int], degrees: float) -> tuple[np.ndarray, np.ndarray]:
    h, w = shape
    m = cv2.invertAffineTransform(cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return (m[0, 0] * xs + m[0, 1] * ys + m[0, 2]).astype(np.float32), (
        m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
    ).astype(np.float32)


def find_lines(image: np.ndarray, deskew: bool = True) -> tuple[list[LineRegion], PageMapper]:
    prepared = prepare_page(image, deskew=deskew)
    lines = segment_lines(prepared.binary, gray=prepared.gray)
    return lines, PageMapper(prepared.to_page, prepared.original_size)


def recall_precision(truth: list[Box], found: list[Box], threshold: float = 0.5) -> tuple[float, float]:
    n = len(matched_pairs(truth, found, threshold))
    return n / len(truth), (n / len(found) if found else 0.0)
