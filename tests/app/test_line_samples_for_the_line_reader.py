"""What a retraining run gives the line reader (retraining/samples.line_feedback_sets):
the strips of lines whose text a reviewer typed, cut from the page as recognition cuts
them, and the lines of ground truth imported for a page; a line's type or place in
reading order is not a text and is left out; pages held out for measuring stay out."""

import numpy as np
import pytest

from recognition.models import GroundTruth, GroundTruthLine, Line
from recognition.pipeline.read import STRIP_HEIGHT
from recognition.retraining.samples import line_feedback_sets
from recognition.review import services as review
from tests.helpers.review_helpers import generated_page, read_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def corrected_page(alice, font_glyphs):
    page, job = read_page(alice, generated_page(font_glyphs), readings={"HELLO": "HELL0", "WORLD": "WOLD"})
    first, second = job.lines.order_by("order")
    review.correct_line(first, "HELLO WORLD", alice)
    review.set_line_kind(second, Line.Kind.PRINT, alice)
    review.move_line(second, 0, alice)
    truth = GroundTruth.objects.create(page=page, format=GroundTruth.Format.ALTO, text="FORM 42")
    GroundTruthLine.objects.create(ground_truth=truth, order=0, x=second.x, y=second.y, w=second.w, h=second.h,
                                   text="FORM 42")
    return page


def test_typed_lines_and_ground_truth_lines_become_line_strips(settings, corrected_page):
    settings.HWR_FEEDBACK_HOLDOUT_PERCENT = 0
    train, held, counts = line_feedback_sets()
    assert sorted(train.texts) == ["FORM 42", "HELLO WORLD"] and len(held) == 0
    assert counts == {"line_strips": 2, "line_strips_holdout": 0, "line_strips_unreadable_page": 0, "line_pages": 1}
    for strip in train.strips:
        # As the line reader reads them: fixed height, paper dark, ink bright.
        assert strip.dtype == np.uint8 and strip.shape[0] == STRIP_HEIGHT and strip.shape[1] > 2 * STRIP_HEIGHT
        assert np.median(strip) < 40 and strip.max() > 200


def test_lines_of_held_out_pages_are_kept_for_measuring(settings, corrected_page):
    settings.HWR_FEEDBACK_HOLDOUT_PERCENT = 100
    train, held, counts = line_feedback_sets()
    assert len(train) == 0 and sorted(held.texts) == ["FORM 42", "HELLO WORLD"]
    assert counts["line_strips_holdout"] == 2
