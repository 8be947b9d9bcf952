"""Where a reviewer's text has another number of words than the reading, the new word
boxes are cut at the gaps of the line's ink, nearest where the letters put them, not
just laid out by letter counts; a word split without a column is cut at its ink's gap."""

import numpy as np
import pytest

from recognition.models import Line
from recognition.pipeline import Box
from recognition.review.alignment import choose_cuts, fit_words
from tests.helpers.review_helpers import generated_page, merged_into_one_word, read_page

pytestmark = pytest.mark.django_db


def columns(pattern: str) -> np.ndarray:
    return np.array([c == "#" for c in pattern])


def test_cuts_go_to_the_widest_gaps_near_where_the_letters_put_them():
    #               0         1         2         3
    #               0123456789012345678901234567890123456
    ink = columns("##.###.##....####.#####.....##.##")
    assert choose_cuts(ink, ["ABC", "DEFG", "HI"]) == [11, 26]
    assert choose_cuts(ink, ["ABCDEFGHI"]) == []


def test_too_few_gaps_give_no_cuts():
    assert choose_cuts(columns("#####..#####"), ["A", "B", "C"]) is None
    assert choose_cuts(columns("............"), ["A", "B"]) is None


def test_a_page_without_contrast_leaves_the_layout_to_the_letters():
    blank = np.full((50, 200), 200, dtype=np.uint8)
    assert fit_words(blank, Box(10, 10, 150, 30), ["A", "B"]) is None


@pytest.fixture
def generated(font_glyphs):
    return generated_page(font_glyphs)


@pytest.fixture
def merged_page(alice, generated):
    """A reading in which "HELLO WORLD" is one word box."""
    page, job = read_page(alice, generated)
    return job, merged_into_one_word(job), generated.lines[0].words


def close_to(box: Box, truth: Box, slack: int = 4) -> bool:
    return abs(box.x - truth.x) <= slack and abs(box.right - truth.right) <= slack


def test_a_line_correction_cuts_its_words_at_the_gap_in_the_ink(merged_page, alice_client):
    job, word, (true_hello, true_world) = merged_page
    alice_client.patch(f"/api/lines/{word.line_id}/", {"text": "HELLO WORLD"}, format="json")
    hello, world = (Box(*w.bbox) for w in Line.objects.get(pk=word.line_id).words.order_by("order"))
    assert close_to(hello, true_hello.box) and close_to(world, true_world.box)


def test_a_split_without_a_column_cuts_at_the_gap_in_the_ink(merged_page, alice_client):
    job, word, (true_hello, true_world) = merged_page
    # By the letters alone (eleven cells with the space) the cut falls a little right of the gap.
    alice_client.post(f"/api/words/{word.id}/split/", {"texts": ["HELLO", "WORLD"]}, format="json")
    hello, world = Line.objects.get(pk=word.line_id).words.order_by("order")
    assert true_hello.box.right <= world.x <= true_world.box.x
    assert "".join(world.glyphs.order_by("order").values_list("text", flat=True)) == "WORLD"


def test_the_hollow_of_a_letter_is_not_a_gap_and_strokes_from_other_lines_are_left_out():
    gray = np.full((60, 120), 230, dtype=np.uint8)
    gray[10:50, 10:14] = gray[10:50, 30:34] = 0  # an O: two sides ...
    gray[10:14, 10:34] = gray[46:50, 10:34] = 0  # ... a top and a bottom
    gray[10:50, 60:64] = 0  # an I, after the gap between the two words
    gray[0:12, 40:44] = 0  # the tail of a letter of the line above, over the gap
    columns_read = fit_words(gray, Box(0, 0, 120, 60), ["O", "I"])
    assert [(b.x, b.right) for b in columns_read] == [(10, 34), (60, 64)]
