"""The reader's fine-tuning writes new fields with the corrected characters' own
glyphs, so a writer's letter shapes (a French M, a barred J) are seen in many more
words than the few that were corrected."""

import numpy as np
import pytest

from training.field_reader import WritersGlyphBank, fields_in_writers_letters


class MarkedBank:
    """A base bank whose glyphs are all a 10 x 6 block of value 200."""

    def glyph(self, ch, rng):
        return np.full((10, 6), 200, np.uint8)


def writers_m():
    crop = np.zeros((28, 28), np.uint8)
    crop[4:24, 6:9] = 255  # two uprights joined by a shallow V: the French M
    crop[4:24, 19:22] = 255
    for k in range(7):
        crop[4 + k, 8 + k] = crop[4 + k, 20 - k] = 255
    return crop


def test_a_corrected_character_is_drawn_from_the_writers_crops():
    bank = WritersGlyphBank(MarkedBank(), np.stack([writers_m()]), ["M"], share=1.0)
    rng = np.random.default_rng(0)
    glyph = bank.glyph("M", rng)
    assert glyph.shape == (20, 16) and glyph.max() == 255  # the crop, cut to its ink
    assert (bank.glyph("A", rng) == 200).all()  # no crop of A: the base bank's


def test_the_share_decides_how_often_the_writers_glyph_is_used():
    rng = np.random.default_rng(1)
    bank = WritersGlyphBank(MarkedBank(), np.stack([writers_m()]), ["M"], share=0.5)
    draws = [bank.glyph("M", rng).max() == 255 for _ in range(400)]
    assert 0.4 < np.mean(draws) < 0.6
    never = WritersGlyphBank(MarkedBank(), np.stack([writers_m()]), ["M"], share=0.0)
    assert all((never.glyph("M", rng) == 200).all() for _ in range(20))


def test_rejected_and_punctuation_labels_give_no_glyphs():
    crops = np.stack([writers_m(), writers_m(), np.zeros((28, 28), np.uint8)])
    bank = WritersGlyphBank(MarkedBank(), crops, ["", "-", "M"], share=1.0)
    assert bank.by_char == {}  # "" is not a character, "-" is drawn as a stroke, a blank crop has no ink


@pytest.mark.needs_data
def test_writer_fields_are_capitals_strips(emnist):
    from training.field_synth import GlyphBank

    data, split = emnist
    base = GlyphBank(data.images[split.test], data.labels[split.test], data.mapping)
    bank = WritersGlyphBank(base, np.stack([writers_m()] * 3), ["M"] * 3, share=1.0)
    fields = fields_in_writers_letters(bank, 12, np.random.default_rng(2))
    assert len(fields) == 12
    for strip, text in fields:
        assert strip.dtype == np.uint8 and strip.shape[0] == 32 and strip.max() > 128
        assert text == text.upper() and text.strip()
