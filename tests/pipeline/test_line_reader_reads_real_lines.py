"""The shipped line reader reads real handwritten lines of collections it was not trained
on page by page (`lines/` val: other pages of the same five collections), and typed
lines on a page end to end, with words and character boxes inside their line."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from recognition.pipeline import RecognitionOptions, get_classifier, recognize_image
from recognition.pipeline.read import normalize_line
from training.paths import DATA_DIR, DEFAULT_MODEL_DIR

LINES_DIR = DATA_DIR / "lines"


@pytest.fixture(scope="module")
def shipped():
    classifier = get_classifier(DEFAULT_MODEL_DIR)
    if classifier.line_reader is None:
        pytest.fail(f"the shipped model {DEFAULT_MODEL_DIR} has no line reader")
    return classifier


def val_lines(per_source: int) -> list[dict]:
    with open(LINES_DIR / "lines.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if r["split"] == "val"]
    picked: dict[str, list[dict]] = {}
    for row in rows[3::7]:  # spread over the pages, skipping the copiste title lines
        picked.setdefault(row["source"], [])
        if len(picked[row["source"]]) < per_source:
            picked[row["source"]].append(row)
    return [r for rows_ in picked.values() for r in rows_]


@pytest.mark.needs_data
def test_real_handwritten_lines_of_unseen_pages_are_read(shipped):
    import cv2

    if not (LINES_DIR / "lines.tsv").exists():
        pytest.skip(f"needs {LINES_DIR}")
    rows = val_lines(per_source=10)
    strips = [normalize_line(cv2.imread(str(LINES_DIR / r["file"]), cv2.IMREAD_GRAYSCALE))[0] for r in rows]
    readings = shipped.line_reader.read(strips)
    errors = sum(Levenshtein.distance(r.text, row["text"]) for r, row in zip(readings, rows))
    cer = errors / sum(len(row["text"]) for row in rows)
    assert cer < CER_REAL_LINES, f"CER {cer:.1%} on {len(rows)} val lines"


def typed_page(lines: list[str]) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 34)
    page = Image.new("L", (1400, 120 + 90 * len(lines)), 235)
    draw = ImageDraw.Draw(page)
    for i, text in enumerate(lines):
        draw.text((80, 60 + 90 * i), text, fill=30, font=font)
    return np.asarray(page)


def test_a_typed_page_is_read_line_by_line_with_boxes_inside_each_line(shipped):
    truth = ["Dear Sir, I have the honour", "to send you the letters of", "Mrs. Stanford, March 20, 1905."]
    result = recognize_image(typed_page(truth), shipped, RecognitionOptions(layout="page"))
    assert len(result.lines) == len(truth)
    cer = Levenshtein.distance(result.text, "\n".join(truth)) / len("\n".join(truth))
    assert cer < CER_TYPED_PAGE, result.text
    for line in result.lines:
        assert [w.text for w in line.words] == line.text.split(" ")
        for word in line.words:
            assert 0 < word.confidence <= 1
            assert line.box.x <= word.box.x and word.box.right <= line.box.right + 2
            lefts = [c.box.x for c in word.chars]
            assert lefts == sorted(lefts)


CER_REAL_LINES = 0.4  # lines/ val CER of the shipped reader: 26.7% (model card)
CER_TYPED_PAGE = 0.08  # the shipped reader: 1.2%
