"""Self-training keeps only the readings it can trust (both readers of the field route
agree, confidence at least the threshold), reports their precision per threshold on
labelled fields, and turns the kept words into glyph crops (where the character boxes
spell the word one to one) and reader strips."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from training.self_train import choose, training_sets, trusted

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def reading(name, text, glyph_text, confidence, words=()):
    return {"name": name, "text": text, "glyph_text": glyph_text, "confidence": confidence, "words": list(words)}


def test_a_reading_is_trusted_when_both_readers_agree_confidently():
    assert trusted(reading("a", "ANNA", "ANNA", 0.95), 0.9)
    assert not trusted(reading("a", "ANNA", "ANNE", 0.95), 0.9)  # the glyph decoder alone reads otherwise
    assert not trusted(reading("a", "ANNA", "ANNA", 0.85), 0.9)
    assert not trusted(reading("a", "", "", 1.0), 0.0)  # nothing read


def test_precision_of_the_kept_readings_per_threshold():
    readings = [reading("1.jpg", "ANNA", "ANNA", 0.95), reading("2.jpg", "PAUL", "PAUL", 0.5),
                reading("3.jpg", "LEA", "LEO", 0.99), reading("4.jpg", "MARC", "MARC", 0.92)]
    labels = {"1.jpg": "ANNA", "2.jpg": "PAUL", "3.jpg": "LEA", "4.jpg": "MARK"}
    rows = {row["min_confidence"]: row for row in choose(readings, labels)}
    assert rows[0.0] == {"min_confidence": 0.0, "kept": 3, "of": 4, "right": 2, "precision": 0.6667}
    assert rows[0.9] == {"min_confidence": 0.9, "kept": 2, "of": 4, "right": 1, "precision": 0.5}


def field_image(path, text: str) -> list[list[int]]:
    """A white field with `text` in capitals; returns each letter's box."""
    font = ImageFont.truetype(FONT, 30)
    image = Image.new("L", (40 + 30 * len(text), 60), 255)
    draw = ImageDraw.Draw(image)
    boxes = []
    for i, letter in enumerate(text):
        x = 20 + 30 * i
        draw.text((x, 12), letter, fill=0, font=font)
        left, top, right, bottom = draw.textbbox((x, 12), letter, font=font)
        boxes.append([left, top, right - left, bottom - top])
    cv2.imwrite(str(path), np.asarray(image))
    return boxes


def test_kept_words_become_glyphs_and_strips(tmp_path):
    boxes = field_image(tmp_path / "1.jpg", "ANNA")
    field_image(tmp_path / "2.jpg", "PAUL")
    word_box = [boxes[0][0], 10, boxes[-1][0] + boxes[-1][2] - boxes[0][0], 40]
    readings = [
        reading("1.jpg", "ANNA", "ANNA", 0.95, [{"box": word_box, "text": "ANNA", "chars": boxes}]),
        # Kept, but its boxes do not spell it one to one: the reader learns it, the classifier not.
        reading("2.jpg", "PAUL", "PAUL", 0.95, [{"box": word_box, "text": "PAUL", "chars": boxes[:3]}]),
        reading("1.jpg", "ANNE", "ANNA", 0.99, [{"box": word_box, "text": "ANNE", "chars": boxes}]),  # disagree
    ]
    glyphs, words, counts = training_sets(readings, tmp_path, min_confidence=0.9)
    assert glyphs.labels == list("ANNA") and glyphs.x.shape == (4, 28, 28)
    assert all(crop.max() > 128 for crop in glyphs.x)  # ink, bright, as the classifier sees it
    assert words.texts == ["ANNA", "PAUL"] and words.charsets == ["upper", "upper"]
    assert counts["trusted_readings"] == 2 and counts["words_reader_only"] == 1
