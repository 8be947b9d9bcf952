"""End-to-end reading of whole pages against their ground truth (ALTO, as in pages-dev,
or the `pages/` JSON): character and word error rates per line kind.

    python manage.py evaluate-pages --pages ../shared/data/pages-dev
    python manage.py evaluate-pages --pages ../shared/data/pages --split val --true-lines
    python manage.py evaluate-pages --engine tesseract [--true-lines]   # the same pages read by Tesseract

True lines are matched one-to-one to found lines (boxes, IoU >= 0.5). A matched line
costs the edit distance between the two texts, a missed true line costs its length, and
an invented line costs its length (it is counted with the kind of the true line it
overlaps most, or the nearest one). The rate is the cost over the true characters.
With `--true-lines` the reader reads the annotated polygons instead of the lines the
service finds: reading apart from line finding.

Scoring drops the transcribers' marks (`^` before text written above the line, `⟦ ⟧`
around struck words) and collapses spaces; "folded" also ignores case.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HWR_TF_THREADS", "1")

KINDS = ("handwritten", "typewritten", "print", "signature")


def kind_name(kind: str) -> str:
    for name in KINDS:
        if name in kind.lower():
            return name
    return "other"


def plain(text: str) -> str:
    for mark in "^⟦⟧":
        text = text.replace(mark, "")
    return " ".join(text.split())


class Costs:
    """Edit costs and reference lengths, characters and words, cased and folded."""

    def __init__(self):
        self.sums = defaultdict(int)

    def add(self, found: str, truth: str) -> None:
        from rapidfuzz.distance import Levenshtein

        found, truth = plain(found), plain(truth)
        for fold, f, t in (("", found, truth), ("folded_", found.casefold(), truth.casefold())):
            self.sums[fold + "char_errors"] += Levenshtein.distance(f, t)
            self.sums[fold + "word_errors"] += Levenshtein.distance(f.split(), t.split())
        self.sums["chars"] += len(truth)
        self.sums["words"] += len(truth.split())
        self.sums["lines"] += 1 if truth else 0

    def figures(self) -> dict:
        s = self.sums
        n, w = max(1, s["chars"]), max(1, s["words"])
        return {
            "cer": round(s["char_errors"] / n, 4), "wer": round(s["word_errors"] / w, 4),
            "cer_folded": round(s["folded_char_errors"] / n, 4), "wer_folded": round(s["folded_word_errors"] / w, 4),
            "lines": s["lines"], "chars": s["chars"],
        }


def _nearest_truth(box, truth_boxes) -> int:
    overlaps = [box.intersection_area(t) for t in truth_boxes]
    if max(overlaps) > 0:
        return max(range(len(overlaps)), key=overlaps.__getitem__)
    cy = box.y + box.h / 2
    return min(range(len(truth_boxes)), key=lambda i: abs(truth_boxes[i].y + truth_boxes[i].h / 2 - cy))


def score_page(truth, found) -> dict[str, Costs]:
    """truth: TrueLines; found: (Box, text) pairs in page pixels -> costs per kind."""
    from .metrics import matched_pairs

    costs: dict[str, Costs] = defaultdict(Costs)
    pairs = matched_pairs([t.box for t in truth], [b for b, _ in found])
    matched_truth = {i for i, _ in pairs}
    matched_found = {j for _, j in pairs}
    for i, j in pairs:
        for key in (kind_name(truth[i].kind), "all"):
            costs[key].add(found[j][1], truth[i].text)
    for i, line in enumerate(truth):
        if i not in matched_truth:
            for key in (kind_name(line.kind), "all"):
                costs[key].add("", line.text)
    for j, (box, text) in enumerate(found):
        if j not in matched_found and truth:
            kind = kind_name(truth[_nearest_truth(box, [t.box for t in truth])].kind)
            for key in (kind, "all"):
                costs[key].add(text, "")
    return costs


def evaluate(pages_dir: Path, model_dir: Path, split: str | None = None, true_lines: bool = False,
             limit: int = 0, only: list[str] | None = None, engine: str = "service") -> dict:
    from recognition.pipeline import load_image

    from .ground_truth import load_true_pages, source_of

    read = tesseract_reader(true_lines) if engine == "tesseract" else service_reader(model_dir, true_lines)

    pages = load_true_pages(pages_dir, split)
    if only:
        wanted = set(only)
        pages = [page for page in pages if page.image_path.stem in wanted]
    pages = pages[: limit or None]
    if not pages:
        raise SystemExit(f"no pages with ground truth in {pages_dir}")
    totals: dict[str, Costs] = defaultdict(Costs)
    per_source: dict[str, dict[str, Costs]] = defaultdict(lambda: defaultdict(Costs))
    seconds = []
    for page in pages:
        gray = load_image(page.image_path)
        started = time.perf_counter()
        found = read(gray, page.lines)
        seconds.append(time.perf_counter() - started)
        source = source_of(page)
        for kind, c in score_page(page.lines, found).items():
            for k, v in c.sums.items():
                totals[kind].sums[k] += v
                per_source[source][kind].sums[k] += v
    result = {
        "pages": len(pages), "true_lines": true_lines, "engine": engine,
        "model": str(model_dir) if engine == "service" else "tesseract (eng)",
        "seconds_per_page": round(sorted(seconds)[len(seconds) // 2], 2),
        "overall": {k: c.figures() for k, c in sorted(totals.items())},
        "per_source": {
            s: {k: c.figures() for k, c in sorted(kinds.items())} for s, kinds in sorted(per_source.items())
        },
    }
    return result


def service_reader(model_dir: Path, true_lines: bool):
    """(gray page, true lines) -> found (box, text) pairs, read by a model version."""
    from recognition.pipeline import RecognitionOptions, get_classifier, recognize_image
    from recognition.pipeline.recognize import read_given_lines

    classifier = get_classifier(model_dir)

    def read(gray, truth) -> list:
        if true_lines:
            lines = read_given_lines(gray, [t.polygon or t.box.corners() for t in truth], classifier)
        else:
            lines = recognize_image(gray, classifier, RecognitionOptions(layout="page")).lines
        return [(line.box, line.text) for line in lines]

    return read


def tesseract_reader(true_lines: bool):
    from . import tesseract

    if not tesseract.available():
        raise SystemExit("tesseract is not installed (apt-get install tesseract-ocr): skipped")
    if true_lines:
        return lambda gray, truth: tesseract.read_lines(gray, [t.box for t in truth])
    return lambda gray, truth: tesseract.read_page(gray)


def print_report(result: dict) -> None:
    what = "true lines" if result["true_lines"] else f"lines found by {result.get('engine', 'the service')}"
    print(f"{result['pages']} pages, {what}, median {result['seconds_per_page']:.2f} s a page")
    print(f"{'source':24} {'kind':12} {'lines':>6} {'CER':>7} {'CER fold':>9} {'WER':>7} {'WER fold':>9}")
    rows = [("overall", result["overall"])] + list(result["per_source"].items()) if len(result["per_source"]) > 1 \
        else [("overall", result["overall"])]
    for source, kinds in rows:
        for kind, f in kinds.items():
            print(f"{source:24} {kind:12} {f['lines']:>6} {f['cer']:>7.1%} {f['cer_folded']:>9.1%} "
                  f"{f['wer']:>7.1%} {f['wer_folded']:>9.1%}")


def parse_args(argv=None) -> argparse.Namespace:
    from .paths import DEFAULT_MODEL_DIR, PAGES_DEV_DIR

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pages", type=Path, default=PAGES_DEV_DIR, help="ALTO folder or the pages/ folder")
    p.add_argument("--split", default=None, help="with pages/: train or val")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    p.add_argument("--true-lines", action="store_true", help="read the annotated lines, not the found ones")
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--only", nargs="+", default=None, metavar="NAME", help="these pages only (image names, no suffix)")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--engine", choices=("service", "tesseract"), default="service",
                   help="who reads the pages: the service's model, or Tesseract (a yardstick)")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    result = evaluate(args.pages, args.model, args.split, args.true_lines, args.limit, args.only, args.engine)
    print_report(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
