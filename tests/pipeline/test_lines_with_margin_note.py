"""A note written in the margin beside the body is found as lines of its own, not merged
with the body lines at the same height."""

import numpy as np
import pytest

from recognition.pipeline.types import Box
from tests.helpers.generated_lines import find_lines, recall_precision, text_lines
from training.synthetic_pages import compose_page


@pytest.fixture(scope="module")
def page_with_note(font_glyphs):
    rng = np.random.default_rng(57)
    body = compose_page(text_lines(rng, 9), font_glyphs, rng, char_height=40, width=1400, margin=60)
    note = compose_page(text_lines(rng, 4, (1, 3)), font_glyphs, rng, char_height=30, margin=30, line_spacing=2.6)
    nh, nw = note.image.shape
    bh, bw = body.image.shape
    gap = 160
    # The note sits in the left margin, its lines half a body line off the body's.
    dy = 150
    canvas = np.full((max(bh, nh + dy), nw + gap + bw), 235, np.uint8)
    canvas[dy : dy + nh, :nw] = note.image
    canvas[:bh, nw + gap :] = body.image
    note_boxes = [ln.box.shifted(0, dy) for ln in note.lines]
    body_boxes = [ln.box.shifted(nw + gap, 0) for ln in body.lines]
    return canvas, note_boxes, body_boxes, nw + gap // 2


def test_margin_note_lines_are_their_own(page_with_note):
    image, note_boxes, body_boxes, gutter = page_with_note
    lines, mapper = find_lines(image)
    found = [mapper.box(line.box) for line in lines]
    assert not [b for b in found if b.x < gutter < b.right], "a line runs across the gutter"
    recall, precision = recall_precision(note_boxes, [b for b in found if b.right <= gutter])
    assert recall >= 0.95 and precision >= 0.9


def test_body_lines_beside_a_margin_note_are_found(page_with_note):
    image, note_boxes, body_boxes, gutter = page_with_note
    lines, mapper = find_lines(image)
    found = [mapper.box(line.box) for line in lines]
    recall, precision = recall_precision(body_boxes, [b for b in found if b.x >= gutter])
    assert recall >= 0.95 and precision >= 0.9
    assert isinstance(found[0], Box)


def test_margin_note_is_read_apart_from_the_body(page_with_note):
    image, _, _, gutter = page_with_note
    lines, mapper = find_lines(image)
    sides = [mapper.box(line.box).right <= gutter for line in lines]
    # All the note's lines come together, not interleaved with the body's.
    changes = sum(a != b for a, b in zip(sides, sides[1:]))
    assert changes == 1
