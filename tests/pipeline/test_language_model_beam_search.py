"""The character language model knows which letters follow which, and the beam search
lets it decide between readings the ink leaves open, without overruling clear ink."""

from __future__ import annotations

import numpy as np

from recognition.pipeline import language_model
from recognition.pipeline.read import BeamSettings, aligned_reading, beam_search, best_path

ALPHABET = " cehtx"
TEXTS = ["the cat", "then the tent", "the ten cats", "these teeth"] * 5
SETTINGS = BeamSettings(lm_weight=0.5, char_bonus=1.0, sure_blank=0.999)


def frames(*rows: dict[str, float] | str) -> np.ndarray:
    """One posterior row per frame: "-" is a sure blank, a letter a sure letter (0.99),
    a dict gives the letters' shares and the blank takes the rest."""
    out = np.zeros((len(rows), 1 + len(ALPHABET)))
    for t, row in enumerate(rows):
        shares = {"": 0.99} if row == "-" else ({row: 0.99} if isinstance(row, str) else row)
        for ch, p in shares.items():
            out[t, 0 if ch == "" else ALPHABET.index(ch) + 1] = p
        rest = 1 - out[t].sum()
        out[t] += rest / out.shape[1]
    return out


def test_probabilities_favour_what_follows_in_the_text_and_leave_room_for_the_unseen():
    model = language_model.count_ngrams(TEXTS, order=3)
    assert model.log_prob("th", "e") > model.log_prob("th", "x")
    assert model.log_prob("th", "x") > -np.inf  # never seen after "th", still possible
    for history in ("", "th", "zz"):
        total = sum(np.exp(model.log_prob(history, ch)) for ch in model.counts[""])
        assert 0.95 < total < 1.0  # the rest is kept for characters never seen at all


def test_the_model_survives_the_round_trip_through_its_file(tmp_path):
    model = language_model.count_ngrams(TEXTS, order=4, min_count=2)
    language_model.save(model, tmp_path / "lm.json.gz", meta={"order": 4})
    again = language_model.load(tmp_path / "lm.json.gz")
    assert again.order == 4
    assert again.log_prob("the t", "e") == model.log_prob("the t", "e")
    assert language_model.read_meta(tmp_path / "lm.json.gz") == {"order": 4}


def test_where_the_ink_is_doubtful_the_language_model_decides():
    doubtful = frames("t", "-", "h", "-", {"c": 0.5, "e": 0.45}, "-")
    model = language_model.count_ngrams(TEXTS, order=3)
    assert best_path(doubtful, ALPHABET).text == "thc"
    assert beam_search(doubtful, ALPHABET, model, SETTINGS).text == "the"


def test_clear_ink_is_read_as_written_even_when_the_model_finds_it_unlikely():
    clear = frames("t", "-", "h", "-", "x", "-")
    model = language_model.count_ngrams(TEXTS, order=3)
    assert beam_search(clear, ALPHABET, model, SETTINGS).text == "thx"


def test_a_doubled_letter_needs_a_blank_between_its_copies_in_the_beam_too():
    model = language_model.count_ngrams(TEXTS, order=3)
    assert beam_search(frames("t", "e", "e", "-", "t", "h"), ALPHABET, model, SETTINGS).text == "teth"
    assert beam_search(frames("t", "e", "-", "e", "t", "h"), ALPHABET, model, SETTINGS).text == "teeth"


def test_aligned_characters_span_their_frames_as_the_best_path_does():
    clear = frames("-", "t", "t", "-", "h", "-", "e", "-")
    greedy = best_path(clear, ALPHABET)
    aligned = aligned_reading(clear, ALPHABET, "the")
    assert [(c.char, c.x0, c.x1) for c in aligned.chars] == [(c.char, c.x0, c.x1) for c in greedy.chars]
    assert [round(c.confidence, 3) for c in aligned.chars] == [round(c.confidence, 3) for c in greedy.chars]
    assert aligned.confidence > 0.9


def test_an_empty_reading_stays_empty_with_the_blanks_confidence():
    blank = aligned_reading(frames("-", "-", {"t": 0.3}), ALPHABET, "")
    assert blank.text == "" and blank.chars == []
    assert 0.0 < blank.confidence < 0.99
