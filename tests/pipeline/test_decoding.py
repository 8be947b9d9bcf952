"""Decoding picks the grouping and labels the classifier supports, within the charset,
drops candidates it rejects, and prefers lexicon words the image supports."""

import numpy as np

from recognition.pipeline.chars import Primitive, Segmentation, build_candidates
from recognition.pipeline.charsets import parse_charset
from recognition.pipeline.classify import REJECT
from recognition.pipeline.decode import apply_lexicon, decode_word, fold_to_charset
from recognition.pipeline.lexicon import Lexicon

CLASSES = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") + ["-", REJECT]


def bar(x0, x1, y0=0, y1=40):
    ys, xs = np.mgrid[y0:y1, x0:x1]
    return Primitive(ys.ravel(), xs.ravel())


def segmentation(spans):
    """Bars 40 px tall over the given column spans; a (x0, x1, y0, y1) span is a speck."""
    prims = [bar(*span) for span in spans]
    return Segmentation(prims, build_candidates(prims, text_h=40.0), 40.0, 3.0)


def probabilities(seg, table):
    """table: {(start, end): {label: p}}; anything unlisted is rejected."""
    probs = np.zeros((len(seg.candidates), len(CLASSES)))
    for k, cand in enumerate(seg.candidates):
        spec = table.get((cand.start, cand.end), {REJECT: 1.0})
        for label, p in spec.items():
            probs[k, CLASSES.index(label)] = p
        probs[k] /= probs[k].sum()
    return probs


def test_merging_two_primitives_wins_when_the_classifier_prefers_the_whole():
    seg = segmentation([(0, 12), (14, 26)])
    probs = probabilities(seg, {(0, 1): {"I": 0.5, REJECT: 0.5}, (1, 2): {"I": 0.5, REJECT: 0.5},
                                (0, 2): {"M": 0.95, REJECT: 0.05}})
    word = decode_word(seg, fold_to_charset(probs, CLASSES, parse_charset("any")))
    assert word.text == "M"


def test_a_rejected_speck_is_dropped():
    seg = segmentation([(0, 20), (22, 26, 30, 34), (40, 60)])
    probs = probabilities(seg, {(0, 1): {"A": 0.9, REJECT: 0.1}, (1, 2): {REJECT: 0.98, "I": 0.02},
                                (2, 3): {"B": 0.9, REJECT: 0.1}})
    word = decode_word(seg, fold_to_charset(probs, CLASSES, parse_charset("any")))
    assert word.text == "AB"


def test_the_charset_turns_a_zero_into_an_o_and_lowercase_into_capitals():
    seg = segmentation([(0, 20), (25, 45)])
    probs = probabilities(seg, {(0, 1): {"0": 0.7, "O": 0.2, "o": 0.1}, (1, 2): {"e": 0.8, "E": 0.2}})
    assert decode_word(seg, fold_to_charset(probs, CLASSES, parse_charset("any"))).text == "0e"
    word = decode_word(seg, fold_to_charset(probs, CLASSES, parse_charset("upper")))
    assert word.text == "OE"
    assert word.chars[0].confidence > 0.9  # 0, O and o all count for O


def test_a_lexicon_word_wins_when_the_image_nearly_supports_it():
    seg = segmentation([(0, 20), (25, 45), (50, 70)])
    probs = probabilities(seg, {(0, 1): {"C": 0.9, "L": 0.1}, (1, 2): {"A": 0.9, "R": 0.1},
                                (2, 3): {"I": 0.55, "T": 0.45}})
    scores = fold_to_charset(probs, CLASSES, parse_charset("upper"))
    free = decode_word(seg, scores)
    assert free.text == "CAI"
    chosen = apply_lexicon(seg, scores, free, Lexicon.from_text("CAT\nDOG"), parse_charset("upper"))
    assert chosen.text == "CAT"
    far = apply_lexicon(seg, scores, free, Lexicon.from_text("XYZ"), parse_charset("upper"))
    assert far.text == "CAI"  # the image does not support XYZ


def read(seg, table, charset="any"):
    from recognition.pipeline.decode import harmonise_word

    scores = fold_to_charset(probabilities(seg, table), CLASSES, parse_charset(charset))
    return harmonise_word(decode_word(seg, scores), scores).text


def test_digits_among_letters_become_their_lookalike_letters():
    seg = segmentation([(0, 20), (25, 45), (50, 70), (75, 95)])
    table = {(0, 1): {"5": 0.6, "S": 0.4}, (1, 2): {"1": 0.7, "I": 0.3}, (2, 3): {"6": 0.6, "G": 0.4},
             (3, 4): {"N": 0.95, "M": 0.05}}
    assert read(seg, table) == "SIGN"


def test_letters_among_digits_become_digits():
    seg = segmentation([(0, 20), (25, 45), (50, 70), (75, 95)])
    table = {(0, 1): {"2": 0.9, "Z": 0.1}, (1, 2): {"O": 0.55, "0": 0.45}, (2, 3): {"2": 0.9, "Z": 0.1},
             (3, 4): {"4": 0.9, "A": 0.1}}
    assert read(seg, table) == "2024"


def test_a_letter_shaped_alike_in_both_cases_follows_the_words_case():
    seg = segmentation([(0, 20), (25, 45), (50, 70), (75, 95)])
    table = {(0, 1): {"T": 0.9}, (1, 2): {"H": 0.9}, (2, 3): {"A": 0.9}, (3, 4): {"k": 0.6, "K": 0.4}}
    assert read(seg, table) == "THAK"


def test_the_letter_prior_settles_a_close_call_between_letters():
    from recognition.pipeline.decode import LetterPrior
    from recognition.pipeline.letter_model import default_letter_model

    seg = segmentation([(0, 20), (25, 45), (50, 70), (75, 95)])
    table = {(0, 1): {"D": 0.9}, (1, 2): {"A": 0.9}, (2, 3): {"N": 0.9}, (3, 4): {"J": 0.52, "I": 0.48}}
    scores = fold_to_charset(probabilities(seg, table), CLASSES, parse_charset("upper"))
    assert decode_word(seg, scores).text == "DANJ"
    prior = LetterPrior.for_labels(default_letter_model(), scores.labels, 0.5)
    assert decode_word(seg, scores, prior).text == "DANI"


def test_the_letter_prior_does_not_overrule_a_clear_reading():
    from recognition.pipeline.decode import LetterPrior
    from recognition.pipeline.letter_model import default_letter_model

    seg = segmentation([(0, 20), (25, 45), (50, 70)])
    table = {(0, 1): {"X": 0.95}, (1, 2): {"Q": 0.95}, (2, 3): {"Z": 0.95}}
    scores = fold_to_charset(probabilities(seg, table), CLASSES, parse_charset("upper"))
    prior = LetterPrior.for_labels(default_letter_model(), scores.labels, 0.5)
    assert decode_word(seg, scores, prior).text == "XQZ"
