"""With the shipped classifier, words are read whole even when the segmenter has to
choose: letters broken into pieces are put back together, and the pieces of a wide
letter are not read as several narrow ones."""

import numpy as np
import pytest

from recognition.pipeline import RecognitionOptions, get_classifier, parse_charset, recognize_image
from training.synthetic_pages import compose_page

WORDS = ["HELLO", "MARTIN", "DUPONT", "NATHAN", "EMMA", "ZOE", "KEVIN", "HUGO", "LUCAS", "MAXIME"]


@pytest.fixture(scope="module")
def classifier(model_dir):
    return get_classifier(model_dir)


def read(classifier, image):
    options = RecognitionOptions(layout="word", charset=parse_charset("upper"))
    return recognize_image(image, classifier, options).text


def word_image(font_glyphs, word, seed, broken=False):
    page = compose_page([word], font_glyphs, np.random.default_rng(seed), char_height=40, margin=20,
                        letter_gap=(0.3, 0.6))
    image = page.image.copy()
    if broken:
        # Cut every letter with a thin white vertical line through its middle.
        for box in page.lines[0].words[0].char_boxes:
            mid = box.x + box.w // 2
            image[:, mid : mid + 2] = 235
    return image


def test_spaced_capitals_are_read(classifier, font_glyphs):
    right = sum(read(classifier, word_image(font_glyphs, w, i)) == w for i, w in enumerate(WORDS))
    assert right >= 8


def test_letters_broken_in_two_are_put_back_together(classifier, font_glyphs):
    readings = [read(classifier, word_image(font_glyphs, w, i, broken=True)) for i, w in enumerate(WORDS)]
    right = sum(r == w for r, w in zip(readings, WORDS))
    # Without merging, every letter would come out as two characters or as junk.
    assert sum(map(len, readings)) <= 1.15 * sum(map(len, WORDS)), readings
    assert right >= 6, readings
