"""The shipped learned line finder finds the lines of pages it was not trained on (pages/
val, eight collections), of generated pages, and none on pages without writing. Nothing
is trained here: the model in the repository is loaded and measured."""

from __future__ import annotations

import numpy as np
import pytest

from recognition.pipeline import get_classifier
from recognition.pipeline.preprocess import prepare_page
from recognition.pipeline.recognize import find_page_lines
from training.evaluate_lines import evaluate
from training.metrics import match_boxes
from training.paths import DATA_DIR, DEFAULT_MODEL_DIR
from training.synthetic_pages import compose_page

PAGES_DIR = DATA_DIR / "pages"


@pytest.fixture(scope="module")
def finder():
    found = get_classifier(DEFAULT_MODEL_DIR).line_finder
    if found is None:
        pytest.fail(f"the shipped model {DEFAULT_MODEL_DIR} has no line finder")
    return found


def lines_of(image: np.ndarray, finder):
    prepared = prepare_page(image)
    return find_page_lines(prepared.binary, prepared.gray, finder)


@pytest.mark.needs_data
def test_lines_of_unseen_pages_of_eight_collections_are_found(finder):
    if not (PAGES_DIR / "pages.tsv").exists():
        pytest.skip(f"needs {PAGES_DIR}")
    figures = evaluate(PAGES_DIR, split="val", model_dir=DEFAULT_MODEL_DIR)
    assert figures["overall"]["all"]["f1"] >= 0.8
    assert min(source["all"]["f1"] for source in figures["per_source"].values()) >= 0.55
    assert figures["baselines"]["overall"]["f1"] >= 0.9


def test_lines_of_generated_pages_are_found(finder, emnist_glyphs):
    rng = np.random.default_rng(11)
    words = ["THE", "QUICK", "BROWN", "FOX", "JUMPS", "OVER", "LAZY", "DOGS", "AND", "42"]
    recalls, precisions = [], []
    for _ in range(3):
        texts = [" ".join(rng.choice(words, size=rng.integers(2, 5))) for _ in range(8)]
        page = compose_page(texts, emnist_glyphs, rng, char_height=int(rng.integers(32, 60)))
        found = lines_of(page.image, finder)
        # The true boxes are the ink's: compare each found line by its own ink.
        r, p = match_boxes([ln.box for ln in page.lines], [ln.ink_box for ln in found])
        recalls.append(r)
        precisions.append(p)
    assert np.mean(recalls) >= 0.9 and np.mean(precisions) >= 0.9


def test_a_blank_page_and_a_textured_page_give_no_lines(finder):
    rng = np.random.default_rng(4)
    blank = np.full((1400, 1000), 236, np.uint8)
    # Linen-like paper: woven fibres and a slowly changing tone, no writing.
    weave = (np.sin(np.arange(1000) / 1.7)[None, :] * np.sin(np.arange(1400) / 2.3)[:, None] * 14).astype(np.float32)
    tone = np.repeat(np.repeat(rng.normal(0, 8, (14, 10)), 100, axis=0), 100, axis=1).astype(np.float32)
    textured = np.clip(220 + weave + tone + rng.normal(0, 6, (1400, 1000)), 0, 255).astype(np.uint8)
    assert lines_of(blank, finder) == []
    assert lines_of(textured, finder) == []


def test_a_picture_gives_no_lines(finder):
    import cv2

    rng = np.random.default_rng(6)
    page = np.full((1400, 1000), 236, np.uint8)
    # An engraving: a filled ellipse of cross-hatching with a dark frame.
    hatch = np.zeros((500, 700), np.uint8)
    for k in range(-700, 700, 6):
        cv2.line(hatch, (k, 0), (k + 500, 500), 255, 1)
        cv2.line(hatch, (k + 500, 0), (k, 500), 255, 1)
    mask = np.zeros_like(hatch)
    cv2.ellipse(mask, (350, 250), (330, 230), 0, 0, 360, 255, -1)
    picture = np.where((hatch > 0) & (mask > 0) & (rng.random(hatch.shape) < 0.8), 40, 236).astype(np.uint8)
    page[200:700, 150:850] = picture
    cv2.rectangle(page, (140, 190), (860, 710), 30, 4)
    assert len(lines_of(page, finder)) <= 1
