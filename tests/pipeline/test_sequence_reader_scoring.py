"""The sequence reader's CTC arithmetic: the likelihood of a spelling sums over every
alignment, greedy and beam readings collapse repeats and blanks, and folding onto a
charset adds up case variants."""

import itertools

import numpy as np

from recognition.pipeline.charsets import parse_charset
from recognition.pipeline.sequence import (
    FoldedFrames,
    beam_readings,
    best_path,
    ctc_log_likelihood,
    fold_frames,
    normalize_strip,
)


def random_frames(t: int, symbols: list[str], seed: int = 0) -> FoldedFrames:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, (t, len(symbols) + 1))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return FoldedFrames(np.log(probs), symbols)


def collapse(path: tuple[int, ...], symbols: list[str]) -> str:
    out, prev = [], 0
    for k in path:
        if k and k != prev:
            out.append(symbols[k - 1])
        prev = k
    return "".join(out)


def brute_force(frames: FoldedFrames, text: str) -> float:
    """log of the summed probability of every frame path that collapses to `text`."""
    t, n = frames.log_probs.shape
    total = -np.inf
    for path in itertools.product(range(n), repeat=t):
        if collapse(path, frames.symbols) == text:
            total = np.logaddexp(total, sum(frames.log_probs[i, k] for i, k in enumerate(path)))
    return float(total)


def test_the_likelihood_of_a_spelling_sums_over_all_its_alignments():
    frames = random_frames(5, ["A", "B"])
    for text in ["", "A", "AB", "BA", "AA", "ABA", "AAB"]:
        assert np.isclose(ctc_log_likelihood(frames, text), brute_force(frames, text)), text


def test_a_spelling_longer_than_the_frames_allow_is_impossible():
    frames = random_frames(3, ["A", "B"])
    assert ctc_log_likelihood(frames, "AAA") == -np.inf  # repeats need blanks between them
    assert ctc_log_likelihood(frames, "C") == -np.inf  # not in the charset


def test_the_beam_finds_the_likeliest_readings():
    frames = random_frames(5, ["A", "B"], seed=3)
    every = {collapse(p, frames.symbols) for p in itertools.product(range(3), repeat=5)}
    ranked = sorted(every, key=lambda s: -brute_force(frames, s))
    readings = beam_readings(frames, width=16, keep=3)
    assert [text for text, _ in readings] == ranked[:3]
    assert np.isclose(readings[0][1], brute_force(frames, ranked[0]))


def test_the_greedy_reading_drops_blanks_and_merges_repeats():
    symbols = ["A", "B"]
    path = [1, 1, 0, 1, 2, 2, 0]
    log_probs = np.full((len(path), 3), np.log(0.05))
    log_probs[np.arange(len(path)), path] = np.log(0.9)
    text, spans = best_path(FoldedFrames(log_probs, symbols))
    assert text == "AAB"
    assert spans == [(0, 1), (3, 3), (4, 5)]


def test_folding_adds_case_variants_and_drops_what_the_field_cannot_hold():
    alphabet = ["0", "O", "o", "e", "E", "?"]
    probs = np.array([[0.1, 0.2, 0.3, 0.1, 0.2, 0.05, 0.05]])  # blank first
    frames = fold_frames(probs, alphabet, parse_charset("upper"))
    assert frames.symbols == ["E", "O"]
    blank, e, o = np.exp(frames.log_probs[0])
    assert np.isclose(o, 0.6 / 0.95)  # 0, O and o all count for O; "?" has no place
    assert np.isclose(e, 0.25 / 0.95)
    assert np.isclose(blank, 0.1 / 0.95)
    frames = fold_frames(probs, alphabet, parse_charset("digits"))
    assert frames.symbols == ["0"]
    assert np.isclose(np.exp(frames.log_probs[0, 1]), 0.6 / 0.7)


def test_strips_keep_their_aspect_and_fit_the_frame_grid():
    ink = np.zeros((50, 200), np.uint8)
    ink[10:40, 20:170] = 255  # 30 x 150 of ink
    strip = normalize_strip(ink)
    assert strip.shape[0] == 32 and strip.shape[1] % 4 == 0
    rows, cols = np.nonzero(strip > 0.5)
    assert rows.min() == 2 and rows.max() == 29
    assert abs((cols.max() - cols.min() + 1) - 140) <= 2  # 150 * 28 / 30
