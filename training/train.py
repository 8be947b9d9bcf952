"""Train a new glyph classifier (`training.glyph_classifier.fit`) from EMNIST ByClass and
write a model directory: model.keras, meta.json (version, classes, data counts,
metrics), history.json and MODEL_CARD.md.

    python -m training.train --out training/models/hwr-2 --version hwr-2 --arch wide --epochs 12 --variant-samples 800
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import glyph_classifier
from .data import load_emnist, split_indices
from .font_glyphs import font_glyph_set
from .glyph_classifier import GlyphConfig
from .model_card import write_model_card
from .paths import EMNIST_PATH


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emnist", type=Path, default=EMNIST_PATH, help="path to emnist-byclass.npz")
    parser.add_argument("--out", type=Path, required=True, help="model directory to write")
    parser.add_argument("--version", required=True, help="version name stored with the model")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--copies", type=int, default=2, help="scan-like augmented copies per glyph")
    parser.add_argument("--synthetic-share", type=float, default=0.12, help="share of reject/dash samples")
    parser.add_argument("--segmenter-words", type=int, default=0,
                        help="generated words whose segmenter crops join the training set")
    parser.add_argument("--font-copies", type=int, default=0,
                        help="scan-like copies of each handwriting-font glyph (Debian fonts-*)")
    parser.add_argument("--arch", default="small", choices=["small", "wide"], help="classifier size")
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    parser.add_argument("--variant-samples", type=int, default=0,
                        help="samples of each European letter shape EMNIST lacks (French M, barred J)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--limit", type=int, default=0, help="train on this many glyphs only (smoke runs)")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.time()
    emnist = load_emnist(args.emnist)
    split = split_indices(emnist.labels)
    train_idx = split.train[: args.limit] if args.limit else split.train
    print(f"building training set from {len(train_idx)} glyphs ...", flush=True)
    data = glyph_classifier.emnist_data(emnist, train_idx, split, copies=args.copies,
                                        synthetic_share=args.synthetic_share, seed=args.seed,
                                        segmenter_words=args.segmenter_words, font_copies=args.font_copies,
                                        variant_samples=args.variant_samples)
    print(f"train {len(data.x)} samples, validation {len(data.validation.y)}, test {len(data.test.y)} "
          f"({time.time() - started:.0f}s)", flush=True)
    font_info = {}
    if args.font_copies:
        images, _labels, fonts = font_glyph_set(emnist.mapping)
        font_info = {"font_samples": int(len(images) * args.font_copies), "fonts": ", ".join(fonts)}

    config = GlyphConfig(epochs=args.epochs, batch_size=args.batch_size, label_smoothing=args.label_smoothing,
                         arch=args.arch, seed=args.seed)
    fitted = glyph_classifier.fit(None, data, config)
    counts = {
        "emnist": str(args.emnist),
        "train_samples": int(len(data.x)),
        "validation_samples": int(len(data.validation.y)),
        "test_samples": int(len(data.test.y)),
        "copies": args.copies,
        "segmenter_words": args.segmenter_words,
        "variant_samples": args.variant_samples,
        **font_info,
        "synthetic_share": args.synthetic_share,
        "epochs": args.epochs,
        "seed": args.seed,
        "arch": args.arch,
        "label_smoothing": args.label_smoothing,
    }
    command = "python -m training.train " + " ".join(sys.argv[1:] if argv is None else argv)
    meta = glyph_classifier.version_meta(args.version, fitted, counts, started, command=command)
    glyph_classifier.save(args.out, fitted, meta)
    write_model_card(args.out)
    print(json.dumps(fitted.metrics, indent=2))
    return meta


if __name__ == "__main__":
    main()
