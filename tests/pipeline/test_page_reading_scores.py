"""End-to-end page reading is scored so that a misread line costs its edit distance, a
missed line its length and an invented line its length, per line kind."""

from __future__ import annotations

from recognition.pipeline.types import Box
from training.evaluate_pages import score_page
from training.ground_truth import TrueLine


def line(y: int, text: str, kind: str = "DefaultLine:Handwritten") -> TrueLine:
    box = Box(100, y, 800, 40)
    return TrueLine(box, [], [], kind, text)


def test_misread_missed_and_invented_lines_each_cost_their_characters():
    truth = [line(100, "Dear Sir"), line(200, "My father ^is"), line(300, "Typed here", "DefaultLine:Typewritten")]
    found = [
        (Box(100, 100, 800, 40), "Dear Sin"),  # one substitution
        (Box(100, 305, 790, 40), "Typed here"),  # exact
        (Box(100, 150, 800, 30), "xyz"),  # invented, overlapping the first handwritten line most
    ]
    costs = score_page(truth, found)
    hand = costs["handwritten"].sums
    # "Dear Sin" 1 + missed "My father is" 12 (the ^ mark is not scored) + invented "xyz" 3.
    assert hand["char_errors"] == 1 + 12 + 3
    assert hand["chars"] == len("Dear Sir") + len("My father is")
    assert costs["typewritten"].sums["char_errors"] == 0
    assert costs["all"].sums["char_errors"] == 16


def test_folded_scores_ignore_case_and_words_are_counted():
    costs = score_page([line(100, "Dear Sir")], [(Box(100, 100, 800, 40), "dear sir")])
    figures = costs["all"].figures()
    assert figures["cer"] == 0.25 and figures["cer_folded"] == 0.0
    assert figures["wer"] == 1.0 and figures["wer_folded"] == 0.0


def test_tesseract_reads_a_typed_page_as_the_yardstick_when_installed():
    import numpy as np
    import pytest
    from PIL import Image, ImageDraw, ImageFont

    from training import tesseract

    if not tesseract.available():
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr)")
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 32)
    page = Image.new("L", (1200, 300), 255)
    draw = ImageDraw.Draw(page)
    texts = ["Dear sir: your letter came", "by the morning post today"]
    for i, text in enumerate(texts):
        draw.text((60, 60 + 100 * i), text, fill=0, font=font)
    gray = np.asarray(page)
    found = tesseract.read_page(gray)
    assert [text for _, text in found] == texts
    assert found[1][0].y > found[0][0].y + 50  # boxes in page pixels, in reading order
    assert [text for _, text in tesseract.read_lines(gray, [box for box, _ in found])] == texts
