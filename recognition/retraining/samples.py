"""Labelled samples -> training arrays: each page is prepared once and the crops of all
its samples are cut as recognition cut them (recognition/pipeline/crops.py and read.py):
glyphs of character samples for the classifier, strips of word samples for the field
reader, line strips of corrected lines and imported ground truth for the line reader."""

from __future__ import annotations

import logging
from collections import defaultdict

import numpy as np

from training.feedback import Feedback, LineFeedback, WordFeedback

from .. import selectors
from ..models import GroundTruthLine, LabeledSample
from ..pipeline import Box, UnreadableImage, decode_image
from ..pipeline.crops import glyph_crops, strip_crops
from ..pipeline.read import strip_from_page
from ..review.selectors import corrected_line_samples
from ..review.services import is_holdout_page

logger = logging.getLogger(__name__)


def current_samples():
    """The samples training uses: the latest label of every box."""
    return LabeledSample.objects.filter(superseded=False)


def cut_samples(samples, cut) -> tuple[list[tuple[LabeledSample, np.ndarray | None]], int, int]:
    """Each sample with what `cut(gray, layout, boxes)` makes of its box (None: no ink),
    every page decoded once; plus how many pages, and how many samples sat on a page
    whose image could not be read (left out)."""
    by_page = defaultdict(list)
    for sample in samples.select_related("page").order_by("page_id", "id"):
        by_page[sample.page_id].append(sample)
    out, unreadable = [], 0
    for page_samples in by_page.values():
        page = page_samples[0].page
        gray = page_image(page, len(page_samples))
        if gray is None:
            unreadable += len(page_samples)
            continue
        out += zip(page_samples, cut(gray, page.layout, [Box(*s.bbox) for s in page_samples]))
    return out, len(by_page), unreadable


def page_image(page, samples: int) -> np.ndarray | None:
    """The page's gray image, or None (logged with the number of samples it costs)
    when it cannot be read."""
    try:
        return decode_image(selectors.read_page_bytes(page))
    except (UnreadableImage, OSError):
        logger.warning("page %s: image unreadable, %d samples skipped", page.pk, samples)
        return None


def feedback_sets() -> tuple[Feedback, Feedback, dict]:
    """(training crops, held-out crops, counts). Character samples become crops; word
    samples whose segmentation did not match their text stay at word level (counted)."""
    cut, pages, unreadable = cut_samples(current_samples().filter(kind=LabeledSample.Kind.CHAR), glyph_crops)
    train, hold = ([], [], []), ([], [], [])  # crops, labels, character sets
    empty = 0
    for sample, crop in cut:
        if crop is None:
            empty += 1
            continue
        xs, labels, charsets = hold if sample.holdout else train
        xs.append(crop)
        labels.append(sample.new_text)
        charsets.append(sample.page.charset)
    words = current_samples().filter(kind=LabeledSample.Kind.WORD).exclude(new_text="")
    counts = {
        "feedback_pages": pages,
        "char_samples": len(train[1]) + len(hold[1]),
        "char_samples_holdout": len(hold[1]),
        "char_samples_without_ink": empty,
        "char_samples_unreadable_page": unreadable,
        "word_samples": words.count(),
        "word_samples_kept_at_word_level": words.filter(derived__isnull=True).count(),
    }
    return _feedback(*train), _feedback(*hold), counts


def word_feedback_sets() -> tuple[WordFeedback, WordFeedback, dict]:
    """(training strips, held-out strips, counts) from every word sample with text: the
    reader learns whole words, whether or not their characters could be matched."""
    words = current_samples().filter(kind=LabeledSample.Kind.WORD).exclude(new_text="")
    cut, _pages, skipped = cut_samples(words, strip_crops)
    train, hold = WordFeedback.empty(), WordFeedback.empty()
    for sample, strip in cut:
        if strip is None:
            skipped += 1
            continue
        target = hold if sample.holdout else train
        target.strips.append(strip)
        target.texts.append(sample.new_text)
        target.charsets.append(sample.page.charset)
    counts = {"word_strips": len(train), "word_strips_holdout": len(hold), "word_strips_skipped": skipped}
    return train, hold, counts


def line_feedback_sets() -> tuple[LineFeedback, LineFeedback, dict]:
    """(training strips, held-out strips, counts) for the line reader: every line whose
    text a person typed or confirmed (its latest text) and every line of ground truth
    imported for a page, cut from the page along its polygon (its box when it has none)
    as recognition cuts lines. Held out by page, like the other samples."""
    by_page: dict[int, list[tuple[list, str]]] = defaultdict(list)
    pages = {}
    for sample in corrected_line_samples():
        pages[sample.page_id] = sample.page
        by_page[sample.page_id].append((sample.polygon or Box(*sample.bbox).corners(), sample.new_text))
    truth = GroundTruthLine.objects.exclude(text="").select_related("ground_truth__page")
    for line in truth:
        page = line.ground_truth.page
        pages[page.pk] = page
        by_page[page.pk].append((line.polygon or Box(*line.bbox).corners(), line.text))
    train, hold, unreadable = LineFeedback.empty(), LineFeedback.empty(), 0
    for page_id, items in by_page.items():
        gray = page_image(pages[page_id], len(items))
        if gray is None:
            unreadable += len(items)
            continue
        target = hold if is_holdout_page(page_id) else train
        for polygon, text in items:
            target.strips.append((strip_from_page(gray, polygon).pixels * 255).astype(np.uint8))
            target.texts.append(text)
    counts = {"line_strips": len(train), "line_strips_holdout": len(hold), "line_strips_unreadable_page": unreadable,
              "line_pages": len(by_page)}
    return train, hold, counts


def _feedback(xs: list[np.ndarray], labels: list[str], charsets: list[str]) -> Feedback:
    return Feedback(np.stack(xs), labels, charsets) if xs else Feedback.empty()
