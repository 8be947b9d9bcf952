"""Line segmentation finds the lines of real scanned letters (pages-dev: bleed-through,
punch holes, letterheads, stamps, signatures) as their ALTO ground truth draws them."""

import pytest

from training.evaluate_lines import evaluate
from training.paths import PAGES_DEV_DIR

pytestmark = pytest.mark.needs_data


@pytest.fixture(scope="module")
def figures():
    if not any(PAGES_DEV_DIR.glob("*.xml")):
        pytest.skip(f"needs the ALTO pages in {PAGES_DEV_DIR}")
    return evaluate(PAGES_DEV_DIR)


def test_all_lines_of_real_pages_are_found(figures):
    assert figures["overall"]["all"]["f1"] >= 0.90


def test_handwritten_lines_of_real_pages_are_found(figures):
    assert figures["overall"]["handwritten"]["f1"] >= 0.90


def test_no_real_page_is_lost(figures):
    # Even the hardest page (pencil notes across a letterhead, a seal, a stamp) keeps
    # most of its lines.
    assert min(page["all"]["f1"] for page in figures["pages"]) >= 0.7
