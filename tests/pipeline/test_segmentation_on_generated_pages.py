"""Line and word segmentation find the lines and words of generated pages made of real
handwritten EMNIST glyphs, whose true boxes we know."""

import numpy as np
import pytest

from recognition.pipeline.lines import segment_lines
from recognition.pipeline.preprocess import prepare_page
from recognition.pipeline.words import segment_words
from training.metrics import match_boxes
from training.synthetic_pages import compose_page

WORDS = ["THE", "QUICK", "BROWN", "FOX", "JUMPS", "OVER", "LAZY", "DOGS", "AND", "42", "CATS", "NEAR", "PARIS",
         "IN", "MAY"]


def random_lines(rng, n_lines):
    return [" ".join(rng.choice(WORDS, size=rng.integers(2, 5))) for _ in range(n_lines)]


@pytest.fixture(scope="module")
def generated_pages(emnist_glyphs):
    rng = np.random.default_rng(11)
    return [compose_page(random_lines(rng, 8), emnist_glyphs, rng, char_height=int(rng.integers(32, 60)))
            for _ in range(4)]


def segment(page):
    prepared = prepare_page(page.image)
    lines = segment_lines(prepared.binary)
    return lines, [w for line in lines for w in segment_words(line)]


def test_lines_of_generated_pages_are_found(generated_pages):
    recalls, precisions = [], []
    for page in generated_pages:
        lines, _ = segment(page)
        r, p = match_boxes([ln.box for ln in page.lines], [ln.box for ln in lines])
        recalls.append(r)
        precisions.append(p)
    assert np.mean(recalls) >= 0.98
    assert np.mean(precisions) >= 0.95


def test_words_of_generated_pages_are_found(generated_pages):
    recalls, precisions = [], []
    for page in generated_pages:
        _, words = segment(page)
        truth = [w.box for line in page.lines for w in line.words]
        r, p = match_boxes(truth, [w.box for w in words])
        recalls.append(r)
        precisions.append(p)
    assert np.mean(recalls) >= 0.95
    assert np.mean(precisions) >= 0.9


def test_lines_come_in_reading_order(generated_pages):
    lines, _ = segment(generated_pages[0])
    tops = [ln.box.y for ln in lines]
    assert tops == sorted(tops)
