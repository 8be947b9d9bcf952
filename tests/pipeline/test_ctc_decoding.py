"""The CTC decoding both readers share (recognition/pipeline/ctc.py)."""

import numpy as np

from recognition.pipeline.ctc import BLANK, label_states, prefix_beam_search
from recognition.pipeline.sequence import FoldedFrames, ctc_log_likelihood

SYMBOLS = "abc"


def random_log_probs(frames: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(len(SYMBOLS) + 1, 0.5), size=frames)
    return np.log(probs)


def every_column(log_probs: np.ndarray) -> np.ndarray:
    return np.tile(np.arange(log_probs.shape[1]), (log_probs.shape[0], 1))


def test_a_doubled_letter_cannot_skip_the_blank_between_its_copies():
    states, can_skip = label_states([1, 1, 2])  # "aab"
    assert states.tolist() == [BLANK, 1, BLANK, 1, BLANK, 2, BLANK]
    # The second a (state 3) must come through the blank (state 2); b (state 5) may
    # come straight from the second a.
    assert can_skip.tolist() == [False, False, False, False, False, True, False]


def test_an_unpruned_beam_scores_each_reading_by_all_its_alignments():
    log_probs = random_log_probs(6, seed=3)
    readings = prefix_beam_search(log_probs, SYMBOLS, width=10_000, candidates=every_column(log_probs),
                                  floor=-np.inf, sure_blank=0.0)
    frames = FoldedFrames(log_probs, list(SYMBOLS))
    assert len(readings) > 20
    for text, score in readings[:20]:
        assert np.isclose(score, ctc_log_likelihood(frames, text)), text
    # Best first.
    scores = [score for _, score in readings]
    assert scores == sorted(scores, reverse=True)


def test_only_candidate_columns_extend_a_reading():
    log_probs = random_log_probs(8, seed=5)
    without_c = np.tile(np.array([1, 2]), (log_probs.shape[0], 1))  # a and b only
    readings = prefix_beam_search(log_probs, SYMBOLS, width=50, candidates=without_c, floor=-np.inf, sure_blank=0.0)
    assert readings
    assert all("c" not in text for text, _ in readings)


def test_an_extension_score_is_added_once_per_character():
    log_probs = random_log_probs(5, seed=7)
    columns = every_column(log_probs)
    plain = dict(prefix_beam_search(log_probs, SYMBOLS, 10_000, columns, -np.inf, 0.0))
    bonus = dict(prefix_beam_search(log_probs, SYMBOLS, 10_000, columns, -np.inf, 0.0,
                                    extension=lambda prefix, ch: 0.25))
    for text in ("a", "ab", "abc"):
        assert np.isclose(bonus[text], plain[text] + 0.25 * len(text))
