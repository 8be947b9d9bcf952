"""The glyph decoder and the sequence reader decide a word together: the reader's
context can overrule a doubtful glyph, the characters keep the decoder's boxes, and a
word the two disagree on is less confident than one they agree on."""

import numpy as np

from recognition.pipeline.charsets import parse_charset
from recognition.pipeline.classify import REJECT
from recognition.pipeline.combine import combine_readings
from recognition.pipeline.decode import decode_word, fold_to_charset
from recognition.pipeline.sequence import FoldedFrames
from tests.pipeline.test_decoding import CLASSES, probabilities, segmentation

SYMBOLS = sorted(set("ACKR"))


def reader_frames(text: str, sure: float = 0.9) -> FoldedFrames:
    """Frames in which the reader hears `text`: two frames per letter, a blank after."""
    path = []
    for ch in text:
        k = SYMBOLS.index(ch) + 1
        path += [k, k, 0]
    probs = np.full((len(path), len(SYMBOLS) + 1), (1 - sure) / len(SYMBOLS))
    probs[np.arange(len(path)), path] = sure
    return FoldedFrames(np.log(probs), SYMBOLS)


def glyph_decoding(third: dict[str, float]):
    seg = segmentation([(0, 20), (30, 50), (60, 80), (90, 110)])
    probs = probabilities(seg, {(0, 1): {"C": 0.9, REJECT: 0.1}, (1, 2): {"A": 0.9, REJECT: 0.1},
                                (2, 3): third, (3, 4): {"A": 0.9, REJECT: 0.1}})
    scores = fold_to_charset(probs, CLASSES, parse_charset("upper"))
    return seg, scores, decode_word(seg, scores)


def test_the_reader_overrules_a_doubtful_glyph():
    seg, scores, free = glyph_decoding({"K": 0.5, "R": 0.4, REJECT: 0.1})
    assert free.text == "CAKA"
    word = combine_readings(seg, scores, reader_frames("CARA"), free)
    assert word.text == "CARA"
    # The characters are the decoder's candidates, with their boxes.
    assert [c.candidate.box.x for c in word.chars] == [0, 30, 60, 90]


def test_a_sure_glyph_is_not_overruled_by_a_weak_reader():
    seg, scores, free = glyph_decoding({"K": 0.97, "R": 0.01, REJECT: 0.02})
    word = combine_readings(seg, scores, reader_frames("CARA", sure=0.4), free)
    assert word.text == "CAKA"


def test_agreement_is_more_confident_than_disagreement():
    seg, scores, free = glyph_decoding({"K": 0.5, "R": 0.4, REJECT: 0.1})
    agreed = combine_readings(seg, scores, reader_frames("CAKA"), free)
    disputed = combine_readings(seg, scores, reader_frames("CARA"), free)
    assert agreed.text == "CAKA"
    assert agreed.confidence > disputed.confidence


def silent_frames(n: int = 12) -> FoldedFrames:
    """A reader sure it hears nothing (print, a stray mark)."""
    probs = np.full((n, len(SYMBOLS) + 1), 0.001)
    probs[:, 0] = 1 - 0.001 * len(SYMBOLS)
    return FoldedFrames(np.log(probs), SYMBOLS)


def test_ink_both_readers_doubt_is_no_word():
    seg = segmentation([(0, 20), (30, 50)])
    probs = probabilities(seg, {(0, 1): {"C": 0.3, REJECT: 0.7}, (1, 2): {"A": 0.3, REJECT: 0.7}})
    scores = fold_to_charset(probs, CLASSES, parse_charset("upper"))
    free = decode_word(seg, scores)
    assert free.text  # skipping letter-sized ink is dear, so the glyph decoder alone reads something
    assert combine_readings(seg, scores, silent_frames(), free).text == ""



def test_a_lexicon_word_the_image_supports_wins():
    seg, scores, free = glyph_decoding({"K": 0.5, "R": 0.4, REJECT: 0.1})
    frames = reader_frames("CAKA", sure=0.6)
    assert combine_readings(seg, scores, frames, free).text == "CAKA"
    assert combine_readings(seg, scores, frames, free, vocabulary=["CARA", "ZOE"]).text == "CARA"
    # A word the image does not support is not forced on it.
    assert combine_readings(seg, scores, frames, free, vocabulary=["RACK"]).text == "CAKA"
