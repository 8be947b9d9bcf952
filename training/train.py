"""Train the character classifier from EMNIST ByClass and write a model directory:
model.keras, meta.json (version, classes, data counts, metrics) and history.json.

    python -m training.train --out training/models/hwr-2 --version hwr-2 --arch wide --epochs 12 --variant-samples 800
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .data import load_emnist, split_indices
from .dataset import Arrays, build_clean_arrays, build_training_arrays, class_list
from .font_glyphs import font_glyph_set
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


def to_inputs(arrays: Arrays) -> np.ndarray:
    return (arrays.x.astype(np.float32) / 255.0)[..., None]


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.time()
    emnist = load_emnist(args.emnist)
    split = split_indices(emnist.labels)
    train_idx = split.train[: args.limit] if args.limit else split.train
    classes = class_list(emnist.mapping)
    print(f"building training set from {len(train_idx)} glyphs ...", flush=True)
    train = build_training_arrays(emnist, train_idx, args.copies, args.synthetic_share, args.seed,
                                  segmenter_words=args.segmenter_words, font_copies=args.font_copies,
                                  variant_samples=args.variant_samples)
    val = build_training_arrays(emnist, split.validation, 0, args.synthetic_share, args.seed + 1)
    test = build_clean_arrays(emnist, split.test)
    print(f"train {len(train.y)} samples, validation {len(val.y)}, test {len(test.y)} "
          f"({time.time() - started:.0f}s)", flush=True)
    font_info = None
    if args.font_copies:
        images, _labels, fonts = font_glyph_set(emnist.mapping)
        font_info = {"font_samples": int(len(images) * args.font_copies), "fonts": ", ".join(fonts)}
    return fit_and_save(args, classes, train, val, test, started, argv, font_info)


def fit_and_save(
    args, classes, train: Arrays, val: Arrays, test: Arrays, started: float, argv=None, font_info: dict | None = None
) -> dict:
    # TensorFlow only now: the data workers above have already forked and exited.
    import keras

    from .model import build_model

    keras.utils.set_random_seed(args.seed)
    model = build_model(len(classes), arch=getattr(args, "arch", "small"))
    steps = int(np.ceil(len(train.y) / args.batch_size)) * args.epochs
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=steps, alpha=0.02)
    smoothing = getattr(args, "label_smoothing", 0.0)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=smoothing),
        metrics=["accuracy"],
    )
    history = model.fit(
        to_inputs(train),
        keras.utils.to_categorical(train.y, len(classes)),
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_data=(to_inputs(val), keras.utils.to_categorical(val.y, len(classes))),
        shuffle=True,
        verbose=2,
    )
    probs = model.predict(to_inputs(test), batch_size=1024, verbose=0)
    metrics = accuracy_figures(probs, test.y, classes)
    args.out.mkdir(parents=True, exist_ok=True)
    save_for_inference(model, args.out / "model.keras")
    meta = {
        "version": args.version,
        "classes": classes,
        "input_size": 28,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {
            "emnist": str(args.emnist),
            "train_samples": int(len(train.y)),
            "validation_samples": int(len(val.y)),
            "test_samples": int(len(test.y)),
            "copies": args.copies,
            "segmenter_words": args.segmenter_words,
            "variant_samples": getattr(args, "variant_samples", 0),
            **(font_info or {}),
            "synthetic_share": args.synthetic_share,
            "epochs": args.epochs,
            "seed": args.seed,
            "arch": getattr(args, "arch", "small"),
            "label_smoothing": getattr(args, "label_smoothing", 0.0),
        },
        "metrics": metrics,
        "parameters": int(model.count_params()),
        "train_seconds": round(time.time() - started, 1),
        "command": "python -m training.train " + " ".join(sys.argv[1:] if argv is None else argv),
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2))
    curves = {key: [float(v) for v in values] for key, values in history.history.items()}
    (args.out / "history.json").write_text(json.dumps(curves))
    write_model_card(args.out)
    print(json.dumps(metrics, indent=2))
    return meta


def save_for_inference(model, path: Path) -> None:
    """Save weights and architecture without the optimizer's state (a third of the size)."""
    import keras

    # From the architecture alone: clone_model would also rebuild the compile settings,
    # which fails for a loss defined in our code.
    bare = keras.Model.from_config(model.get_config())
    bare.set_weights(model.get_weights())
    bare.save(path)


def accuracy_figures(probs: np.ndarray, truth: np.ndarray, classes: list[str]) -> dict:
    """62-class accuracy, and 36-class accuracy with case folded, over EMNIST test glyphs
    (the reject and dash classes count as wrong answers); and the 62-class accuracy of
    the best of the 62 characters alone, the question an isolated glyph asks."""
    predicted = probs.argmax(axis=1)
    exact = float(np.mean(predicted == truth))
    upper = np.array([c.upper() for c in classes])
    folded = float(np.mean(upper[predicted] == upper[truth]))
    characters = [i for i, c in enumerate(classes) if len(c) == 1 and c.isalnum()]
    among = np.asarray(characters)[probs[:, characters].argmax(axis=1)]
    return {"test_accuracy_62": round(exact, 4), "test_accuracy_36_folded": round(folded, 4),
            "test_accuracy_62_characters_only": round(float(np.mean(among == truth)), 4)}


if __name__ == "__main__":
    main()
