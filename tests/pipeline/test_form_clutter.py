"""Form clutter does not become characters: printed labels (`NOM :`), box and ruled
lines, and strokes cut from neighbouring fields are dropped from a field crop, and the
handwriting stays whole."""

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from recognition.pipeline.clutter import clean_field
from recognition.pipeline.preprocess import prepare_field
from training.synthetic_pages import find_font


def bold_font(size):
    return ImageFont.truetype(str(find_font(["DejaVuSans-Bold", "DejaVuSans."])), size)


def regular_font(size):
    return ImageFont.truetype(str(find_font(["DejaVuSans.", "LiberationSans-Regular"])), size)


def field_with_clutter(glyphs, rng, label="NOM :", text="MARTIN", rules=True, neighbours=True):
    """A 64 x 420 field: a printed label at the left, handwriting in the middle, a box
    around it, and pieces of the fields above and below cut by the crop. Returns the
    image and the box covering the handwriting."""
    h, w = 64, 420
    ink = np.zeros((h, w), np.uint8)
    x = 140
    boxes = []
    for ch in text:
        g = glyphs(ch, 30, rng)
        y = 18 + int(rng.integers(-2, 3))
        ink[y : y + g.shape[0], x : x + g.shape[1]] |= g
        boxes.append((x, y, g.shape[1], g.shape[0]))
        x += g.shape[1] + int(rng.integers(6, 14))
    page = Image.fromarray(255 - ink)
    draw = ImageDraw.Draw(page)
    if label:
        draw.text((8, 26), label, fill=0, font=bold_font(16))
    if rules:
        draw.rectangle((120, 8, 410, 56), outline=0, width=2)  # the field's box
    if neighbours:
        for nx in range(150, 380, 45):  # letters of the line above and below, cut by the crop
            draw.arc((nx, -20, nx + 26, 6), 0, 180, fill=0, width=3)
            draw.line((nx + 5, 60, nx + 15, 64), fill=0, width=3)
    x0 = min(b[0] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y0 = min(b[1] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return np.asarray(page), (x0, y0, x1 - x0, y1 - y0)


@pytest.mark.parametrize("seed", range(6))
def test_only_the_handwriting_is_kept(emnist_glyphs, seed):
    rng = np.random.default_rng(seed)
    image, (hx, hy, hw, hh) = field_with_clutter(emnist_glyphs, rng)
    prepared = prepare_field(image)
    line = clean_field(prepared.binary)
    assert line is not None
    # Back to the field's own pixels.
    scale = prepared.to_page[0, 0]
    x0, x1 = line.box.x * scale, (line.box.x + line.box.w) * scale
    y0, y1 = line.box.y * scale, (line.box.y + line.box.h) * scale
    # The printed label (x < 80), the box edges and the cut strokes are gone ...
    assert x0 >= hx - 6 and x1 <= hx + hw + 6
    assert y0 >= hy - 6 and y1 <= hy + hh + 6
    # ... and the handwriting is all there.
    assert x0 <= hx + 3 and x1 >= hx + hw - 3


def test_a_field_without_clutter_is_kept_whole(emnist_glyphs):
    rng = np.random.default_rng(3)
    image, (hx, hy, hw, hh) = field_with_clutter(emnist_glyphs, rng, label="", rules=False, neighbours=False)
    prepared = prepare_field(image)
    line = clean_field(prepared.binary)
    scale = prepared.to_page[0, 0]
    assert abs(line.box.x * scale - hx) <= 3
    assert abs((line.box.x + line.box.w) * scale - (hx + hw)) <= 3


def test_ruled_lines_through_letters_leave_the_letters(emnist_glyphs):
    rng = np.random.default_rng(5)
    image, _ = field_with_clutter(emnist_glyphs, rng, label="", neighbours=False)
    image = image.copy()
    cv2.line(image, (0, 40), (419, 40), 0, 2)  # a ruled line across the letters
    prepared = prepare_field(image)
    line = clean_field(prepared.binary)
    # No component of the kept ink spans the width of the field.
    n, _, stats, _ = cv2.connectedComponentsWithStats(line.ink)
    assert stats[1:, cv2.CC_STAT_WIDTH].max() < 0.3 * prepared.binary.shape[1]


def component_stats(binary):
    n, _, stats, _ = cv2.connectedComponentsWithStats(binary)
    return stats[1:][stats[1:, cv2.CC_STAT_HEIGHT] >= 8]


def written_row(glyphs, text, rng, shape, heights, y, jitter, spacing):
    """Handwritten capitals side by side: each `heights` (low, high) tall, `y` +- `jitter`
    from the top, `spacing` pixels apart."""
    ink = np.zeros(shape, np.uint8)
    x = spacing
    for ch in text:
        g = glyphs(ch, int(rng.integers(*heights)), rng)
        top = y + int(rng.integers(-jitter, jitter + 1))
        ink[top : top + g.shape[0], x : x + g.shape[1]] |= g
        x += g.shape[1] + spacing
    return ink


def test_a_row_set_in_type_looks_printed_and_handwriting_does_not(emnist_glyphs):
    from recognition.pipeline.clutter import looks_printed

    page = Image.new("L", (400, 60), 0)
    ImageDraw.Draw(page).text((10, 10), "PRENOM", fill=255, font=bold_font(28))
    printed = (np.asarray(page) > 128).astype(np.uint8) * 255
    written = written_row(emnist_glyphs, "PRENOM", np.random.default_rng(1), (80, 400), (26, 34), 20, 4, 12)
    assert looks_printed(component_stats(printed))
    assert not looks_printed(component_stats(written))


@pytest.mark.parametrize("render_size", [40, 48, 56])
def test_small_print_looks_printed_though_its_letters_differ_by_a_pixel(emnist_glyphs, render_size):
    """A caption scanned at 8-11 px a letter: the O overshoots the flat letters by a
    pixel, more than a few per cent of its height, and it is still set in type."""
    page = Image.new("L", (1200, 240), 0)
    ImageDraw.Draw(page).text((40, 40), "PRENOM", fill=255, font=regular_font(render_size))
    scanned = cv2.resize(np.asarray(page), None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    printed = (scanned > 100).astype(np.uint8) * 255
    written = written_row(emnist_glyphs, "PRENOM", np.random.default_rng(render_size), (40, 200), (9, 13), 12, 2, 4)
    from recognition.pipeline.clutter import looks_printed

    stats = cv2.connectedComponentsWithStats(printed)[2][1:]
    assert len(stats) == 6 and np.ptp(stats[:, cv2.CC_STAT_HEIGHT]) >= 1
    assert looks_printed(stats)
    assert not looks_printed(cv2.connectedComponentsWithStats(written)[2][1:])


@pytest.mark.parametrize("seed", range(3))
def test_a_caption_cut_at_its_baseline_by_the_crop_is_dropped(emnist_glyphs, seed):
    """As in scanned forms cropped tightly: the caption is as large as the writing,
    the writing sits higher than it, and the crop's edge runs along the caption's
    baseline, so the colon's lower dot touches the edge."""
    rng = np.random.default_rng(seed)
    h, w = 60, 520
    ink = np.zeros((h, w), np.uint8)
    x, boxes = 260, []
    for ch in "AXEL":
        g = glyphs_of(emnist_glyphs, ch, 34, rng)
        ink[14 : 14 + g.shape[0], x : x + g.shape[1]] |= g
        boxes.append((x, x + g.shape[1]))
        x += g.shape[1] + 30
    page = Image.fromarray(255 - ink)
    font = bold_font(40)
    top, bottom = font.getbbox("PRENOM :")[1], font.getbbox("PRENOM :")[3]
    ImageDraw.Draw(page).text((6, h - bottom), "PRENOM :", fill=0, font=font)  # bottom edge = baseline
    assert top < bottom
    prepared = prepare_field(np.asarray(page))
    line = clean_field(prepared.binary)
    scale = prepared.to_page[0, 0]
    assert line.box.x * scale >= boxes[0][0] - 6  # no caption letter, no colon dot
    assert (line.box.x + line.box.w) * scale >= boxes[-1][1] - 3


def glyphs_of(glyphs, ch, height, rng):
    return glyphs(ch, height, rng)


@pytest.mark.parametrize("seed", range(3))
def test_a_printed_word_in_the_handwriting_row_is_dropped(emnist_glyphs, seed):
    """As on forms where a date field shares its row with `CLASSE :`: the printed word
    goes, every handwritten letter stays."""
    rng = np.random.default_rng(seed)
    image, (hx, hy, hw, hh) = field_with_clutter(emnist_glyphs, rng, label="", rules=False, neighbours=False,
                                                text="MARIE")
    page = Image.fromarray(np.pad(image, ((0, 0), (0, 240)), constant_values=255))
    ImageDraw.Draw(page).text((hx + hw + 30, hy + 4), "CLASSE", fill=0, font=regular_font(24))
    prepared = prepare_field(np.asarray(page))
    line = clean_field(prepared.binary)
    scale = prepared.to_page[0, 0]
    assert abs(line.box.x * scale - hx) <= 3
    assert abs((line.box.x + line.box.w) * scale - (hx + hw)) <= 3


def test_handwritten_capitals_written_close_together_are_kept(emnist_glyphs):
    from recognition.pipeline.clutter import drop_printed_words
    from recognition.pipeline.types import Box, LineRegion

    for seed in range(10):
        ink = written_row(emnist_glyphs, "CLEMENT", np.random.default_rng(seed), (60, 400), (26, 32), 15, 2, 3)
        line = LineRegion(Box(0, 0, 400, 60), ink)
        kept = drop_printed_words(line)
        assert kept is not None and kept.ink.sum() == ink.sum()
