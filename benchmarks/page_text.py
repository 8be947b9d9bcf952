"""Recognition error on whole real pages (pages-dev: cursive letters of 1905 with ALTO
transcriptions): each found line is matched to a true line (boxes, IoU >= 0.5, one to
one), and the character error rate is measured over the matched lines, for handwritten
and typewritten lines apart; with and without the sequence reader.

    python -m benchmarks.page_text [--pages DIR] [--limit N]

The handwriting is cursive: the glyph classifier and the reader were trained on
separate characters, so these figures say how far the service is from reading such
pages, not that it reads them. Scoring ignores case and the transcribers' marks
(`^` for text written above the line, `⟦ ⟧` around struck words).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("HWR_TF_THREADS", "1")


def plain(text: str) -> str:
    for mark in "^⟦⟧":
        text = text.replace(mark, "")
    return " ".join(text.upper().split())


def main(argv=None) -> dict:
    from rapidfuzz.distance import Levenshtein

    from recognition.pipeline import RecognitionOptions, get_classifier, load_image, parse_charset, recognize_image
    from training.ground_truth import HANDWRITTEN_TYPES, alto_pages
    from training.metrics import matched_pairs
    from training.paths import DEFAULT_MODEL_DIR, PAGES_DEV_DIR

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=Path, default=PAGES_DEV_DIR)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args(argv)
    classifier = get_classifier(args.model)
    pages = alto_pages(args.pages)[: args.limit or None]
    results = {}
    for use_reader in ([False, True] if classifier.reader else [False]):
        options = RecognitionOptions(layout="page", charset=parse_charset("any"), use_reader=use_reader)
        sums = {"handwritten": [0, 0], "typewritten": [0, 0]}
        seconds = 0.0
        for page in pages:
            gray = load_image(page.image_path)
            started = time.perf_counter()
            result = recognize_image(gray, classifier, options)
            seconds += time.perf_counter() - started
            found = [line.box for line in result.lines]
            for i, j in matched_pairs([t.box for t in page.lines], found):
                truth = page.lines[i]
                kind = "handwritten" if truth.kind in HANDWRITTEN_TYPES else (
                    "typewritten" if "Typewritten" in truth.kind else None)
                if kind is None:
                    continue
                ref = plain(truth.text)
                sums[kind][0] += Levenshtein.distance(plain(result.lines[j].text), ref)
                sums[kind][1] += len(ref)
        name = "with reader" if use_reader else "glyphs only"
        results[name] = {kind: round(e / max(n, 1), 4) for kind, (e, n) in sums.items()}
        results[name]["seconds_per_page"] = round(seconds / max(len(pages), 1), 2)
        print(f"{name}: CER handwritten {results[name]['handwritten']:.1%}, typewritten "
              f"{results[name]['typewritten']:.1%}, {results[name]['seconds_per_page']:.2f} s a page "
              f"({len(pages)} pages, matched lines only)")
    return results


if __name__ == "__main__":
    main()
