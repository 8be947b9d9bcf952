"""A field crop often holds more than its own row: a printed caption, a neighbouring
field. Its rows are offered likeliest first, and the sequence reader may choose
another row when it clearly hears more of the field's characters there."""

import numpy as np

from recognition.pipeline.charsets import parse_charset
from recognition.pipeline.clutter import field_candidates
from recognition.pipeline.preprocess import prepare_field
from recognition.pipeline.recognize import find_lines
from recognition.pipeline.sequence import ReaderInfo

ALPHABET = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def two_rows(glyphs, rng, top="0312", bottom="MARTIN"):
    """A 110 x 360 crop: a row of small digits above, a row of larger letters below."""
    ink = np.zeros((110, 360), np.uint8)
    for row, (text, height, y) in enumerate(((top, 22, 12), (bottom, 34, 62))):
        x = 30 + 10 * row
        for ch in text:
            g = glyphs(ch, height, rng)
            ink[y : y + g.shape[0], x : x + g.shape[1]] |= g
            x += g.shape[1] + 12
    return 255 - ink


class FakeReader:
    """Hears a clear character every third frame of each strip: a letter in the strip
    numbered `hears_letters_in`, a digit in the others; in `mumbles_in`, only unsure
    letters."""

    info = ReaderInfo("fake", ALPHABET, 32)

    def __init__(self, hears_letters_in: int, mumbles_in: int | None = None):
        self.hears_letters_in = hears_letters_in
        self.mumbles_in = mumbles_in

    def frame_probs(self, strips):
        out = []
        for k, strip in enumerate(strips):
            probs = np.zeros((strip.shape[1] // 4, len(ALPHABET) + 1))
            probs[:, 0] = 1.0
            heard = 1 + (ALPHABET.index("A") if k in (self.hears_letters_in, self.mumbles_in) else ALPHABET.index("3"))
            sure = 0.5 if k == self.mumbles_in else 0.95
            probs[::3, 0] = 1.0 - sure
            probs[::3, heard] = sure
            out.append(probs)
        return out


def test_the_tallest_row_comes_first_and_the_others_follow(emnist_glyphs):
    prepared = prepare_field(two_rows(emnist_glyphs, np.random.default_rng(1)))
    rows = field_candidates(prepared.binary)
    assert len(rows) == 2
    assert rows[0].box.y > rows[1].box.y  # the larger handwriting below wins the vote


def test_the_reader_keeps_the_voted_row_unless_another_holds_the_fields_characters(emnist_glyphs):
    prepared = prepare_field(two_rows(emnist_glyphs, np.random.default_rng(2), top="MARIE", bottom="4417"))
    rows = field_candidates(prepared.binary)
    upper = parse_charset("upper")
    # The reader hears letters only in the second row (the names above the digits).
    chosen = find_lines(prepared.binary, "word", reader=FakeReader(hears_letters_in=1), charset=upper)
    assert chosen[0].box == rows[1].box
    # When the voted row is the one with letters, it stays.
    kept = find_lines(prepared.binary, "word", reader=FakeReader(hears_letters_in=0), charset=upper)
    assert kept[0].box == rows[0].box
    # Without a reader, the vote decides.
    assert find_lines(prepared.binary, "word")[0].box == rows[0].box


def test_characters_the_reader_is_unsure_of_do_not_move_the_field(emnist_glyphs):
    prepared = prepare_field(two_rows(emnist_glyphs, np.random.default_rng(2), top="MARIE", bottom="4417"))
    rows = field_candidates(prepared.binary)
    upper = parse_charset("upper")
    # Letters heard in the other row, but none of them clearly (box edges, cut print).
    chosen = find_lines(prepared.binary, "word", reader=FakeReader(hears_letters_in=-1, mumbles_in=1), charset=upper)
    assert chosen[0].box == rows[0].box
