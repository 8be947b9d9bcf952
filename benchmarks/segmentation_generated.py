"""Line and word segmentation recall/precision on generated pages made of real EMNIST
handwriting (held-out test glyphs) with known boxes.

    python -m benchmarks.segmentation_generated --pages 20            # the shipped model's line finder
    python -m benchmarks.segmentation_generated --pages 20 --rules    # the rule-based finder

The true boxes are the ink's; a found line is compared by the box of its own ink (a
learned line's polygon reaches above and below its ink, as annotators draw them).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from recognition.pipeline import get_classifier
from recognition.pipeline.preprocess import prepare_page
from recognition.pipeline.recognize import find_page_lines
from recognition.pipeline.words import segment_words
from training.data import load_emnist, split_indices
from training.metrics import match_boxes
from training.paths import DEFAULT_MODEL_DIR, EMNIST_PATH
from training.synthetic_pages import EmnistGlyphs, compose_page

VOCABULARY = ("THE QUICK BROWN FOX JUMPS OVER LAZY DOGS AND 42 CATS NEAR PARIS IN MAY WITH 7 BIG "
              "RED BOXES FROM OLD MILLS ON 12 JUNE").split()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--emnist", default=str(EMNIST_PATH))
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR))
    parser.add_argument("--rules", action="store_true", help="the rule-based line finder of lines.py")
    args = parser.parse_args(argv)
    finder = None if args.rules else get_classifier(args.model).line_finder
    data = load_emnist(args.emnist)
    glyphs = EmnistGlyphs(data.images, data.labels, data.mapping, split_indices(data.labels).test)
    rng = np.random.default_rng(args.seed)
    line_r, line_p, word_r, word_p, seconds = [], [], [], [], []
    for _ in range(args.pages):
        text = [" ".join(rng.choice(VOCABULARY, size=rng.integers(2, 7))) for _ in range(rng.integers(6, 14))]
        page = compose_page(text, glyphs, rng, char_height=int(rng.integers(28, 64)))
        started = time.perf_counter()
        prepared = prepare_page(page.image)
        lines = find_page_lines(prepared.binary, prepared.gray, finder)
        words = [w for line in lines for w in segment_words(line)]
        seconds.append(time.perf_counter() - started)
        r, p = match_boxes([ln.box for ln in page.lines], [ln.ink_box for ln in lines])
        line_r.append(r)
        line_p.append(p)
        r, p = match_boxes([w.box for ln in page.lines for w in ln.words], [w.box for w in words])
        word_r.append(r)
        word_p.append(p)
    figures = {
        "finder": finder.version if finder else "rules",
        "pages": args.pages,
        "line_recall": round(float(np.mean(line_r)), 4),
        "line_precision": round(float(np.mean(line_p)), 4),
        "word_recall": round(float(np.mean(word_r)), 4),
        "word_precision": round(float(np.mean(word_p)), 4),
        "seconds_per_page": round(float(np.mean(seconds)), 3),
    }
    for key, value in figures.items():
        print(f"{key:16s} {value}")
    return figures


if __name__ == "__main__":
    main()
