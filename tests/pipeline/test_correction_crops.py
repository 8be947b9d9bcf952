"""A labelled box on a page becomes a training crop cut the way recognition cuts it:
the page is prepared as recognition prepares it (also when a field is upscaled and
deskewed), the box is mapped into that image, and only the ink of that box is kept."""

import numpy as np
import pytest

from recognition.pipeline import Box
from recognition.pipeline.crops import glyph_crops, ink_in_box
from recognition.pipeline.normalize import normalize_glyph
from recognition.pipeline.preprocess import binarize
from tests.helpers.review_helpers import generated_page


def direct_crop(gray: np.ndarray, box: Box) -> np.ndarray:
    """The glyph straight from a binarisation of its own box, for comparison."""
    region = binarize(gray[box.y : box.bottom, box.x : box.right].copy(), window=15)
    return (normalize_glyph(region) * 255).astype(np.uint8)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(float).ravel(), b.astype(float).ravel()
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))


@pytest.mark.parametrize("layout", ["page", "word"])
def test_crops_at_character_boxes_hold_those_characters(font_glyphs, layout):
    page = generated_page(font_glyphs, lines=["HELLO WORLD"] if layout == "word" else ["HELLO WORLD", "FORM 42"])
    boxes = [b for line in page.lines for word in line.words for b in word.char_boxes]
    crops = glyph_crops(page.image, layout, boxes)
    assert all(c is not None and c.shape == (28, 28) and c.dtype == np.uint8 for c in crops)
    scores = [similarity(c, direct_crop(page.image, b)) for c, b in zip(crops, boxes)]
    assert np.median(scores) > 0.85 and min(scores) > 0.6


def test_a_box_on_blank_paper_gives_no_crop(font_glyphs):
    page = generated_page(font_glyphs)
    assert glyph_crops(page.image, "page", [Box(2, 2, 30, 30)]) == [None]


def test_slivers_of_neighbouring_letters_are_left_out():
    ink = np.zeros((40, 60), np.uint8)
    ink[5:35, 10:16] = 255  # the letter: a bar inside the box
    ink[5:35, 26:40] = 255  # its neighbour, reaching 4 columns into the box
    crop = ink_in_box(ink, Box(8, 3, 22, 34))
    assert crop[2:32, 2:8].all() and not crop[:, 18:].any()
