"""Self-training for form fields: the service reads unlabelled fields of the same forms
(`../shared/data/names-unlabelled`), the readings it can trust become labels, and the
glyph classifier and the field reader are fine-tuned on them (training/finetune.py, the
same code that learns reviewers' corrections).

    python -m training.self_train read --out var/self-train/unlabelled.jsonl [--shard 0/2] [--limit N]
    python -m training.self_train read --images ../shared/data/names-dev/images --out var/self-train/names-dev.jsonl
    python -m training.self_train choose --readings var/self-train/names-dev.jsonl
    python -m training.self_train train --readings var/self-train/unlabelled.jsonl --min-confidence C \\
        --out var/self-train/r1 --version hwr-5-r1

A reading is trusted when the two readers of the field route agree (the glyph decoder
alone gives the same text as the decoder and the field reader together) and its
confidence (the product of its words' confidences, as evaluate-words ranks them) is at
least `--min-confidence`. `choose` reads names-dev the same way and prints, for each
confidence threshold, how many readings are kept and how many of them are right: the
threshold is chosen there (names-dev is the development set; the kept-aside names are
never read here). Glyphs are cut from the kept words' character boxes as recognition
cut them; a word whose boxes do not spell its text one to one teaches the reader only.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from .paths import DATA_DIR, DEFAULT_MODEL_DIR, EMNIST_PATH, NAMES_DEV_DIR

UNLABELLED_DIR = DATA_DIR / "names-unlabelled" / "images"
CHARSET = "upper"


def read_fields(images: Path, out: Path, model_dir: Path, shard: tuple[int, int] = (0, 1), limit: int = 0) -> int:
    """Both readings of every field image (one JSON line each): the service's, and the
    glyph decoder's alone. Appends, skipping images already in `out` (resumable)."""
    from recognition.pipeline import RecognitionOptions, get_classifier, load_image, parse_charset, recognize_image

    model = get_classifier(model_dir)
    both = RecognitionOptions(layout="word", charset=parse_charset(CHARSET))
    glyphs_only = RecognitionOptions(layout="word", charset=parse_charset(CHARSET), use_reader=False)
    index, count = shard
    names = sorted(p.name for p in images.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    names = [n for i, n in enumerate(names) if i % count == index][: limit or None]
    done = set()
    if out.exists():
        done = {json.loads(line)["name"] for line in out.read_text().splitlines() if line.strip()}
    out.parent.mkdir(parents=True, exist_ok=True)
    started, read = time.time(), 0
    with out.open("a") as f:
        for name in names:
            if name in done:
                continue
            gray = load_image(images / name)
            result = recognize_image(gray, model, both)
            alone = recognize_image(gray, model, glyphs_only)
            words = [w for line in result.lines for w in line.words]
            f.write(json.dumps({
                "name": name, "text": _text(result), "glyph_text": _text(alone),
                "confidence": float(np.prod([w.confidence for w in words])) if words else 0.0,
                "words": [{"box": w.box.as_list(), "text": w.text, "confidence": round(w.confidence, 4),
                           "chars": [c.box.as_list() for c in w.chars]} for w in words],
            }) + "\n")
            read += 1
            if read % 200 == 0:
                print(f"{read} read, {(time.time() - started) / read:.3f} s a field", flush=True)
    return read


def _text(result) -> str:
    return " ".join(result.text.split())


def load_readings(paths: list[Path]) -> list[dict]:
    return [json.loads(line) for path in paths for line in path.read_text().splitlines() if line.strip()]


def trusted(reading: dict, min_confidence: float) -> bool:
    return (bool(reading["text"]) and reading["text"] == reading["glyph_text"]
            and reading["confidence"] >= min_confidence)


def choose(readings: list[dict], labels: dict[str, str]) -> list[dict]:
    """Per threshold: readings kept and the share of them that are right (names-dev)."""
    from .evaluate_words import normalise

    rows = []
    labelled = [r for r in readings if r["name"] in labels]
    for threshold in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        kept = [r for r in labelled if trusted(r, threshold)]
        right = sum(normalise(r["text"]) == normalise(labels[r["name"]]) for r in kept)
        rows.append({"min_confidence": threshold, "kept": len(kept), "of": len(labelled),
                     "right": right, "precision": round(right / max(1, len(kept)), 4)})
    return rows


def training_sets(readings: list[dict], images: Path, min_confidence: float):
    """Trusted readings -> (glyph Feedback, WordFeedback, counts)."""
    from recognition.pipeline import Box, load_image
    from recognition.pipeline.crops import glyph_crops, strip_crops

    from .feedback import Feedback, WordFeedback

    xs, labels, words = [], [], WordFeedback.empty()
    kept = [r for r in readings if trusted(r, min_confidence)]
    word_only = 0
    for reading in kept:
        gray = load_image(images / reading["name"])
        for word in reading["words"]:
            strip = strip_crops(gray, "word", [Box(*word["box"])])[0]
            if strip is None or not word["text"]:
                continue
            words.strips.append(strip)
            words.texts.append(word["text"])
            words.charsets.append(CHARSET)
            crops = glyph_crops(gray, "word", [Box(*b) for b in word["chars"]])
            if len(crops) != len(word["text"]) or any(c is None for c in crops):
                word_only += 1
                continue
            xs += crops
            labels += list(word["text"])
    glyphs = Feedback(np.stack(xs), labels, [CHARSET] * len(labels)) if xs else Feedback.empty()
    counts = {"readings": len(readings), "trusted_readings": len(kept), "words": len(words),
              "glyphs": len(labels), "words_reader_only": word_only, "min_confidence": min_confidence}
    return glyphs, words, counts


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("read", help="read field images with the model, both ways")
    r.add_argument("--images", type=Path, default=UNLABELLED_DIR)
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    r.add_argument("--shard", default="0/1", help="i/n: every n-th image from the i-th")
    r.add_argument("--limit", type=int, default=0)
    c = sub.add_parser("choose", help="kept readings and their precision per threshold, on labelled fields")
    c.add_argument("--readings", type=Path, nargs="+", required=True)
    c.add_argument("--labels", type=Path, default=NAMES_DEV_DIR / "labels.csv")
    t = sub.add_parser("train", help="fine-tune the model on the trusted readings")
    t.add_argument("--readings", type=Path, nargs="+", required=True)
    t.add_argument("--images", type=Path, default=UNLABELLED_DIR)
    t.add_argument("--min-confidence", type=float, required=True)
    t.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--version", required=True)
    t.add_argument("--epochs", type=int, default=5)
    t.add_argument("--reader-epochs", type=int, default=4)
    t.add_argument("--feedback-copies", type=int, default=2)
    t.add_argument("--reader-feedback-copies", type=int, default=2)
    t.add_argument("--feedback-share", type=float, default=0.5)
    args = p.parse_args(argv)

    if args.command == "read":
        index, count = (int(x) for x in args.shard.split("/"))
        read_fields(args.images, args.out, args.model, (index, count), args.limit)
    elif args.command == "choose":
        from .evaluate_words import read_labels

        for row in choose(load_readings(args.readings), read_labels(args.labels)):
            print(json.dumps(row))
    else:
        from .feedback import Feedback, WordFeedback
        from .finetune import FinetuneConfig, finetune

        glyphs, words, counts = training_sets(load_readings(args.readings), args.images, args.min_confidence)
        print(json.dumps(counts), flush=True)
        config = FinetuneConfig(epochs=args.epochs, reader_epochs=args.reader_epochs,
                                feedback_copies=args.feedback_copies, feedback_share=args.feedback_share,
                                reader_feedback_copies=args.reader_feedback_copies, line_steps=0)
        meta = finetune(args.model, args.out, args.version, glyphs, Feedback.empty(), EMNIST_PATH, config,
                        progress=lambda m: print(json.dumps(m), flush=True), words=words,
                        word_holdout=WordFeedback.empty())
        meta["data"]["self_training"] = counts
        from recognition.pipeline import bundle

        bundle.write_meta(args.out, meta)
        print(json.dumps(meta["metrics"], default=str)[:2000])


if __name__ == "__main__":
    main()
