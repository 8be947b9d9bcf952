"""Line strips are cut and normalised the way the line reader's training strips were, and
its CTC frames decode to text with character spans and confidences."""

from __future__ import annotations

import numpy as np

from recognition.pipeline.read import DOWNSAMPLE, STRIP_HEIGHT, best_path, cut_line, normalize_line

ALPHABET = "ab "


def frames(*classes: int, sure: float = 0.9) -> np.ndarray:
    """One posterior row per frame, `sure` on the given class (0 is the blank)."""
    out = np.full((len(classes), 1 + len(ALPHABET)), (1 - sure) / len(ALPHABET))
    for t, k in enumerate(classes):
        out[t, k] = sure
    return out


def test_best_path_collapses_repeats_and_needs_a_blank_between_doubled_letters():
    assert best_path(frames(1, 1, 0, 2, 2, 2), ALPHABET).text == "ab"
    assert best_path(frames(1, 1, 1), ALPHABET).text == "a"
    assert best_path(frames(1, 0, 1), ALPHABET).text == "aa"
    assert best_path(frames(0, 0, 0), ALPHABET).text == ""


def test_each_character_spans_the_frames_until_the_next_one_fires():
    reading = best_path(frames(0, 1, 0, 0, 3, 0, 2, 0), ALPHABET)
    assert reading.text == "a b"
    a, space, b = reading.chars
    assert (a.x0, a.x1) == (1 * DOWNSAMPLE, 4 * DOWNSAMPLE)
    assert (space.x0, space.x1) == (4 * DOWNSAMPLE, 6 * DOWNSAMPLE)
    assert (b.x0, b.x1) == (6 * DOWNSAMPLE, 7 * DOWNSAMPLE)


def test_confidence_follows_the_frame_posteriors():
    sure = best_path(frames(1, 0, 2, sure=0.95), ALPHABET)
    doubtful = best_path(frames(1, 0, 2, sure=0.4), ALPHABET)
    assert sure.confidence > 0.9 > 0.5 > doubtful.confidence
    assert all(c.confidence == 0.95 for c in sure.chars)


def test_ink_of_neighbouring_lines_is_painted_out_of_a_cut_line():
    page = np.full((200, 300), 230, np.uint8)
    page[40:60, 20:280] = 20  # the line
    page[70:90, 20:280] = 20  # the next line, inside the box but outside the polygon
    polygon = [(10, 30), (290, 30), (290, 64), (10, 64)]
    crop, origin = cut_line(page, polygon)
    assert origin == (6, 26)
    # The box padded by 4 px; rows more than 6 px below the polygon are paper.
    assert crop.shape == (30 + 9 + 4, 280 + 9)
    assert crop[-1].min() == 230
    assert (crop[40 - 26] == 20).sum() > 200


def test_a_normalised_strip_has_paper_at_zero_ink_near_one_and_the_reader_height():
    crop = np.full((64, 500), 200, np.uint8)
    crop[20:44, 30:470] = 50
    strip, scale = normalize_line(crop)
    assert strip.shape[0] == STRIP_HEIGHT and strip.shape[1] % DOWNSAMPLE == 0
    assert scale == STRIP_HEIGHT / 64
    assert strip[0, 0] == 0.0 and strip[STRIP_HEIGHT // 2, strip.shape[1] // 2] > 0.95


def test_a_blank_strip_stays_blank_instead_of_stretching_its_noise():
    rng = np.random.default_rng(0)
    crop = np.clip(rng.normal(220, 3, (64, 300)), 0, 255).astype(np.uint8)
    strip, _ = normalize_line(crop)
    assert strip.max() < 0.3


def test_a_field_charset_folds_the_readers_posteriors_onto_its_characters():
    from recognition.pipeline.charsets import parse_charset
    from recognition.pipeline.read import restrict_to_charset

    alphabet = "aAb1"
    # Among capitals "a" and "A" add up, and "1" counts as its look-alike "I"; with a
    # lower-case charset "A" counts as "a" and "1" as "l".
    probs = np.array([[0.1, 0.35, 0.3, 0.0, 0.25], [0.9, 0.0, 0.0, 0.0, 0.1]])
    folded, symbols = restrict_to_charset(probs, alphabet, parse_charset("upper"))
    assert symbols == "ABI"
    assert np.allclose(folded[0], [0.1, 0.65, 0.0, 0.25])
    assert np.allclose(folded.sum(axis=1), 1.0)
    assert best_path(folded, symbols).text == "A"
    digits, only = restrict_to_charset(probs, alphabet, parse_charset("digits"))
    assert only == "16" and best_path(digits, only).text == "1"  # b is 6's look-alike; "a" and "A" are dropped
    # "any" keeps the reader's own, wider alphabet.
    same, kept = restrict_to_charset(probs, alphabet, parse_charset("any"))
    assert kept == alphabet and same is probs
