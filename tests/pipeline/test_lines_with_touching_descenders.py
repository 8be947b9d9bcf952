"""Descenders long enough to touch the line below do not merge the two lines, and each
line keeps its own writing."""

import cv2
import numpy as np
import pytest

from tests.helpers.generated_lines import find_lines, ink_masks, recall_precision, text_lines
from training.synthetic_pages import compose_page


@pytest.fixture(scope="module")
def touching_page(font_glyphs):
    rng = np.random.default_rng(45)
    page = compose_page(text_lines(rng, 8), font_glyphs, rng, char_height=40, width=1500, line_spacing=1.7)
    image = page.image.copy()
    # Long descenders: from the foot of some letters down into the letters below.
    for upper, lower in zip(page.lines, page.lines[1:]):
        for word in upper.words[::2]:
            b = word.char_boxes[0]
            x, y0, y1 = b.x + b.w // 2, b.bottom, lower.box.y + lower.box.h // 3
            cv2.line(image, (x, y0), (x - 8, y1), 40, 5)
    # The letters of each line, without the descenders that belong to no single line.
    return image, page, ink_masks(page)


def test_lines_joined_by_descenders_stay_apart(touching_page):
    image, page, _ = touching_page
    lines, mapper = find_lines(image)
    assert len(lines) == len(page.lines)
    centres = [line.box.y + line.box.h / 2 for line in page.lines]
    for line in lines:
        box = mapper.box(line.box)
        # No found line reaches over the middle of two true lines.
        assert sum(box.y <= c <= box.bottom for c in centres) == 1


def test_each_line_keeps_its_own_writing(touching_page):
    image, page, masks = touching_page
    lines, _ = find_lines(image)
    assert len(lines) == len(masks)
    # Each line's letters are its own: none of the next line's letters came with the
    # descenders that touch them.
    for line in lines:
        own = np.zeros(image.shape, bool)
        b = line.box
        own[b.y : b.bottom, b.x : b.right] = line.ink > 0
        shares = [np.count_nonzero(own & m) for m in masks]
        assert max(shares) >= 0.97 * sum(shares)


@pytest.fixture(scope="module")
def cursive_page(emnist_glyphs):
    rng = np.random.default_rng(46)
    page = compose_page(text_lines(rng, 8), emnist_glyphs, rng, char_height=44, width=1500, line_spacing=1.8)
    return page


def test_lines_of_tightly_set_handwriting_are_found(cursive_page):
    lines, mapper = find_lines(cursive_page.image)
    recall, precision = recall_precision([ln.box for ln in cursive_page.lines], [mapper.box(ln.box) for ln in lines])
    assert recall >= 0.95
    assert precision >= 0.95
