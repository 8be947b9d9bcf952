"""Gently curved lines (a page that did not lie flat on the scanner) are each found as
one line, and their baseline and polygon follow the curve."""

import numpy as np
import pytest

from tests.helpers.generated_lines import find_lines, ink_masks, mask_box, recall_precision, remap, text_lines
from training.synthetic_pages import compose_page


@pytest.fixture(scope="module")
def curved_page(font_glyphs):
    rng = np.random.default_rng(33)
    page = compose_page(text_lines(rng, 9), font_glyphs, rng, char_height=40, width=1500)
    h, w = page.image.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    # Lines bow downwards by about half a letter height in the middle of the page.
    sag = 22.0 * np.sin(np.pi * xs / w)
    image, masks = remap(page.image, ink_masks(page), xs, ys - sag)
    return image, [mask_box(m) for m in masks], masks


def test_each_curved_line_is_found_once(curved_page):
    image, truth, _ = curved_page
    lines, mapper = find_lines(image, deskew=False)
    recall, precision = recall_precision(truth, [mapper.box(line.box) for line in lines])
    assert recall >= 0.95
    assert precision >= 0.9


def test_baseline_follows_a_curved_line(curved_page):
    image, _, _ = curved_page
    lines, _ = find_lines(image, deskew=False)
    width = image.shape[1]
    for line in lines:
        base = np.asarray(line.baseline, float)
        sag = 22.0 * np.sin(np.pi * base[:, 0] / width)
        # Straightened by the known bow, the baseline is flat to within a third of the
        # letter height (40 px); a straight baseline would be off by the whole bow.
        assert np.ptp(base[:, 1] - sag) <= 13
        polygon = np.asarray(line.polygon)
        assert polygon[:, 1].min() < base[:, 1].min() and polygon[:, 1].max() > base[:, 1].max()
