"""Character segmentation keeps the parts of one letter together and cuts touching
letters where they touch, not blindly in the middle."""

import cv2
import numpy as np

from recognition.pipeline.chars import segment_characters


def blank(h=60, w=200):
    return np.zeros((h, w), np.uint8)


def test_the_dot_of_an_i_stays_with_its_stem():
    ink = blank()
    cv2.line(ink, (50, 25), (50, 55), 255, 4)  # stem
    cv2.circle(ink, (50, 12), 3, 255, -1)  # dot
    cv2.rectangle(ink, (80, 20), (110, 55), 255, 4)  # a box-shaped letter beside it
    seg = segment_characters(ink, text_h=45)
    stems = [p for p in seg.primitives if p.x0 <= 50 < p.x1]
    assert len(stems) == 1
    assert stems[0].box.y <= 10  # the dot is part of it


def test_a_broken_vertical_stroke_is_one_primitive():
    ink = blank()
    cv2.line(ink, (60, 10), (60, 30), 255, 4)
    cv2.line(ink, (61, 34), (61, 55), 255, 4)
    seg = segment_characters(ink, text_h=45)
    assert len(seg.primitives) == 1


def test_touching_letters_are_cut_at_the_thin_join_not_the_middle():
    # Two filled letters joined by a thin bridge off-centre: the left one is narrow.
    ink = blank(60, 140)
    cv2.rectangle(ink, (10, 10), (35, 55), 255, 4)  # narrow letter, 26 px
    cv2.line(ink, (35, 50), (55, 50), 255, 2)  # ligature near the baseline
    cv2.rectangle(ink, (55, 10), (110, 55), 255, 4)  # wide letter, 56 px
    seg = segment_characters(ink, text_h=45)
    cuts = [p.x1 for p in seg.primitives][:-1]
    # The blind half-way cut would be at x = 60; the join is between x = 37 and 54.
    assert any(37 <= c <= 55 for c in cuts)
    # And the two letters are available as whole candidates.
    spans = {(c.box.x, c.box.right) for c in seg.candidates}
    assert any(abs(x0 - 10) <= 2 and 33 <= x1 <= 40 for x0, x1 in spans)


def test_candidates_cover_runs_of_neighbouring_primitives():
    ink = blank()
    for x in (20, 50, 80, 110):
        cv2.rectangle(ink, (x, 15), (x + 18, 50), 255, 3)
    seg = segment_characters(ink, text_h=40)
    assert len(seg.primitives) == 4
    pairs = {(c.start, c.end) for c in seg.candidates}
    assert {(0, 1), (1, 2), (0, 2), (2, 4)} <= pairs
