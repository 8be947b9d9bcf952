"""Lines of a page scanned askew are found whole, with or without deskewing first, and
their boxes come back in the uploaded page's pixels."""

import numpy as np
import pytest

from tests.helpers.generated_lines import (
    find_lines,
    ink_masks,
    mask_box,
    recall_precision,
    remap,
    rotation_maps,
    text_lines,
)
from training.synthetic_pages import compose_page


@pytest.fixture(scope="module", params=[3.0, -2.5])
def skewed_page(request, font_glyphs):
    rng = np.random.default_rng(21)
    page = compose_page(text_lines(rng, 9), font_glyphs, rng, char_height=40, width=1500)
    image, masks = remap(page.image, ink_masks(page), *rotation_maps(page.image.shape, request.param))
    return image, [mask_box(m) for m in masks], request.param


def test_lines_of_a_skewed_page_are_found_after_deskewing(skewed_page):
    image, truth, _ = skewed_page
    lines, mapper = find_lines(image)
    recall, precision = recall_precision(truth, [mapper.box(line.box) for line in lines])
    assert recall >= 0.95
    assert precision >= 0.9


def test_lines_of_a_skewed_page_are_found_without_deskewing(skewed_page):
    image, truth, degrees = skewed_page
    lines, mapper = find_lines(image, deskew=False)
    recall, precision = recall_precision(truth, [mapper.box(line.box) for line in lines])
    assert recall >= 0.95
    assert precision >= 0.9
    # The baseline follows the slant of the writing (image y grows downwards).
    slopes = [np.polyfit(*np.asarray(line.baseline, float).T, 1)[0] for line in lines if len(line.baseline) > 2]
    assert np.median(slopes) == pytest.approx(-np.tan(np.radians(degrees)), abs=0.015)
