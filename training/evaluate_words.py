"""Word-level evaluation on labelled field images (such as names-dev): word accuracy,
character error rate, per-character confusions, how well confidence finds the
errors, and an HTML report of the worst errors with their crops.

    python -m training.evaluate_words --images ../shared/data/names-dev/images \
        --labels ../shared/data/names-dev/labels.csv --layout word --charset upper
"""

from __future__ import annotations

import argparse
import base64
import csv
import html
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

from recognition.pipeline import (
    Lexicon,
    RecognitionOptions,
    encode_png,
    get_classifier,
    load_image,
    parse_charset,
    recognize_image,
    render_overlay,
)

from .paths import DEFAULT_MODEL_DIR, NAMES_DEV_DIR

SKIPPED_LABELS = {"UNREADABLE", "EMPTY"}


@dataclass
class Sample:
    file: str
    truth: str
    predicted: str
    confidence: float

    @property
    def correct(self) -> bool:
        return normalise(self.predicted) == normalise(self.truth)

    @property
    def distance(self) -> int:
        return Levenshtein.distance(normalise(self.predicted), normalise(self.truth))


def normalise(text: str) -> str:
    """Scoring is case-insensitive and ignores surrounding and repeated spaces."""
    return " ".join(text.upper().split())


def read_labels(path: Path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(fh)
        return {
            row["FILENAME"].strip(): row["IDENTITY"].strip()
            for row in rows
            if row.get("IDENTITY") and row["IDENTITY"].strip().upper() not in SKIPPED_LABELS
        }


def score(samples: list[Sample]) -> dict:
    """Word accuracy, CER, and the share of wrong words among the least confident 30%."""
    n = len(samples)
    if n == 0:
        return {"words": 0}
    correct = sum(s.correct for s in samples)
    chars = sum(len(normalise(s.truth)) for s in samples)
    errors = sum(s.distance for s in samples)
    wrong = [s for s in samples if not s.correct]
    order = sorted(samples, key=lambda s: s.confidence)
    lowest = order[: int(np.ceil(0.3 * n))]
    caught = sum(not s.correct for s in lowest)
    return {
        "words": n,
        "word_accuracy": round(correct / n, 4),
        "cer": round(errors / max(chars, 1), 4),
        "wrong_words": len(wrong),
        "wrong_in_lowest_30pct_confidence": round(caught / len(wrong), 4) if wrong else 1.0,
    }


def reliability(samples: list[Sample], bins: int = 10) -> list[dict]:
    """Predicted against observed accuracy: the samples in equal-width confidence bins,
    each bin's mean confidence and the share read right (empty bins left out)."""
    rows = []
    for k in range(bins):
        low, high = k / bins, (k + 1) / bins
        inside = [s for s in samples if low <= s.confidence < high or (k == bins - 1 and s.confidence == 1.0)]
        if inside:
            rows.append({"from": round(low, 2), "to": round(high, 2), "words": len(inside),
                         "mean_confidence": round(float(np.mean([s.confidence for s in inside])), 4),
                         "accuracy": round(sum(s.correct for s in inside) / len(inside), 4)})
    return rows


def save_reliability_plot(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], color="0.7", linestyle="--", label="calibrated")
    ax.plot([r["mean_confidence"] for r in rows], [r["accuracy"] for r in rows], marker="o", label="observed")
    for r in rows:
        ax.annotate(str(r["words"]), (r["mean_confidence"], r["accuracy"]), textcoords="offset points",
                    xytext=(4, -10), fontsize=7)
    ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="word confidence (bin mean)", ylabel="words read right", title=title)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def confusions(samples: list[Sample], top: int = 25) -> list[tuple[str, str, int]]:
    """(true, read, count) for substitutions, deletions ('' read) and insertions ('' true)."""
    counts: Counter[tuple[str, str]] = Counter()
    for s in samples:
        truth, read = normalise(s.truth), normalise(s.predicted)
        for op in Levenshtein.editops(truth, read):
            if op.tag == "replace":
                counts[(truth[op.src_pos], read[op.dest_pos])] += 1
            elif op.tag == "delete":
                counts[(truth[op.src_pos], "")] += 1
            else:
                counts[("", read[op.dest_pos])] += 1
    return [(t, r, c) for (t, r), c in counts.most_common(top)]


def evaluate(
    images: Path, labels: Path, options: RecognitionOptions, model_dir: Path, limit: int = 0,
    report: Path | None = None,
) -> dict:
    truth = read_labels(labels)
    files = sorted(truth)[: limit or None]
    classifier = get_classifier(model_dir)
    samples, overlays = [], {}
    started = time.perf_counter()
    for name in files:
        gray = load_image(images / name)
        result = recognize_image(gray, classifier, options)
        words = [w for line in result.lines for w in line.words]
        confidence = float(np.prod([w.confidence for w in words])) if words else 0.0
        sample = Sample(name, truth[name], result.text.replace("\n", " "), confidence)
        samples.append(sample)
        if report is not None and not sample.correct:
            overlays[name] = render_overlay(gray, result)
    seconds = time.perf_counter() - started
    figures = score(samples)
    figures["seconds_per_image"] = round(seconds / max(len(files), 1), 4)
    figures["model_version"] = classifier.version
    figures["confusions"] = confusions(samples)
    figures["reliability"] = reliability(samples)
    if report is not None:
        write_html_report(report, samples, overlays, figures)
    figures["samples"] = [s.__dict__ for s in samples]
    return figures


def write_html_report(path: Path, samples: list[Sample], overlays: dict, figures: dict, worst: int = 60) -> None:
    """The worst errors (largest edit distance, then most confident) with their overlays."""
    wrong = sorted((s for s in samples if not s.correct), key=lambda s: (-s.distance, -s.confidence))[:worst]
    rows = []
    for s in wrong:
        image = overlays.get(s.file)
        data = base64.b64encode(encode_png(image)).decode() if image is not None else ""
        rows.append(
            f"<tr><td>{html.escape(s.file)}</td><td><img src='data:image/png;base64,{data}'></td>"
            f"<td><b>{html.escape(s.truth)}</b></td><td>{html.escape(s.predicted)}</td>"
            f"<td>{s.distance}</td><td>{s.confidence:.3f}</td></tr>"
        )
    summary = {k: v for k, v in figures.items() if k not in ("confusions", "samples")}
    confusion_rows = "".join(
        f"<tr><td>{html.escape(t) or '∅'}</td><td>{html.escape(r) or '∅'}</td><td>{c}</td></tr>"
        for t, r, c in figures["confusions"]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<!doctype html><meta charset='utf-8'><title>Word errors</title>"
        "<style>body{font-family:sans-serif} td{border-bottom:1px solid #ddd;padding:4px} img{max-height:90px}</style>"
        f"<h1>Word errors</h1><pre>{html.escape(json.dumps(summary, indent=1))}</pre>"
        f"<h2>Most frequent confusions</h2><table><tr><th>true</th><th>read</th><th>count</th></tr>{confusion_rows}"
        "</table><h2>Worst errors</h2><table><tr><th>file</th><th>overlay</th><th>truth</th><th>read</th>"
        f"<th>edits</th><th>confidence</th></tr>{''.join(rows)}</table>",
        encoding="utf-8",
    )


def print_figures(figures: dict) -> None:
    print(f"model:                 {figures['model_version']}")
    print(f"words scored:          {figures['words']}")
    print(f"word accuracy:         {figures['word_accuracy']:.4f}")
    print(f"character error rate:  {figures['cer']:.4f}")
    print(f"wrong words in lowest 30% confidence: {figures['wrong_in_lowest_30pct_confidence']:.4f}"
          f" ({figures['wrong_words']} wrong words)")
    print(f"seconds per image:     {figures['seconds_per_image']:.3f}")
    print("most frequent confusions (true -> read: count):")
    for t, r, c in figures["confusions"][:15]:
        print(f"  {t or '∅'} -> {r or '∅'}: {c}")
    print("reliability (confidence bin: words, mean confidence, read right):")
    for row in figures.get("reliability", []):
        print(f"  {row['from']:.1f}-{row['to']:.1f}: {row['words']:4d}  {row['mean_confidence']:.3f}  "
              f"{row['accuracy']:.3f}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", type=Path, default=NAMES_DEV_DIR / "images")
    p.add_argument("--labels", type=Path, default=NAMES_DEV_DIR / "labels.csv")
    p.add_argument("--layout", default="word", choices=["page", "line", "word"])
    p.add_argument("--charset", default="upper")
    p.add_argument("--lexicon", type=Path, default=None)
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--report", type=Path, default=None, help="HTML report of the worst errors")
    p.add_argument("--json", type=Path, default=None, help="write all figures and per-image readings here")
    p.add_argument("--reliability", type=Path, default=None,
                   help="save a reliability plot (confidence against accuracy) as this PNG")
    return p


def main(argv=None) -> dict:
    args = parser().parse_args(argv)
    options = RecognitionOptions(
        layout=args.layout, charset=parse_charset(args.charset),
        lexicon=Lexicon.from_file(args.lexicon) if args.lexicon else None,
    )
    figures = evaluate(args.images, args.labels, options, args.model, args.limit, args.report)
    print_figures(figures)
    if args.reliability:
        save_reliability_plot(figures["reliability"], args.reliability,
                              f"{figures['model_version']}: {figures['words']} fields")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()
