"""Train the character classifier from EMNIST ByClass and write a model directory:
model.keras, meta.json (version, classes, data counts, metrics) and history.json.

    python -m training.train --out training/models/hwr-cnn-1 --version hwr-cnn-1
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .data import load_emnist, split_indices
from .dataset import Arrays, build_clean_arrays, build_training_arrays, class_list
from .paths import EMNIST_PATH


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emnist", type=Path, default=EMNIST_PATH, help="path to emnist-byclass.npz")
    parser.add_argument("--out", type=Path, required=True, help="model directory to write")
    parser.add_argument("--version", required=True, help="version name stored with the model")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--copies", type=int, default=2, help="scan-like augmented copies per glyph")
    parser.add_argument("--synthetic-share", type=float, default=0.12, help="share of reject/dash samples")
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
    train = build_training_arrays(emnist, train_idx, args.copies, args.synthetic_share, args.seed)
    val = build_training_arrays(emnist, split.validation, 0, args.synthetic_share, args.seed + 1)
    test = build_clean_arrays(emnist, split.test)
    print(f"train {len(train.y)} samples, validation {len(val.y)}, test {len(test.y)} "
          f"({time.time() - started:.0f}s)", flush=True)
    return fit_and_save(args, classes, train, val, test, started)


def fit_and_save(args, classes, train: Arrays, val: Arrays, test: Arrays, started: float) -> dict:
    # TensorFlow only now: the data workers above have already forked and exited.
    import keras

    from .model import build_model

    keras.utils.set_random_seed(args.seed)
    model = build_model(len(classes))
    steps = int(np.ceil(len(train.y) / args.batch_size)) * args.epochs
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=steps, alpha=0.02)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        to_inputs(train),
        train.y,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_data=(to_inputs(val), val.y),
        shuffle=True,
        verbose=2,
    )
    probs = model.predict(to_inputs(test), batch_size=1024, verbose=0)
    metrics = accuracy_figures(probs, test.y, classes)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save(args.out / "model.keras")
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
            "synthetic_share": args.synthetic_share,
            "epochs": args.epochs,
            "seed": args.seed,
        },
        "metrics": metrics,
        "train_seconds": round(time.time() - started, 1),
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2))
    curves = {key: [float(v) for v in values] for key, values in history.history.items()}
    (args.out / "history.json").write_text(json.dumps(curves))
    print(json.dumps(metrics, indent=2))
    return meta


def accuracy_figures(probs: np.ndarray, truth: np.ndarray, classes: list[str]) -> dict:
    """62-class accuracy, and 36-class accuracy with case folded, over EMNIST test glyphs
    (the reject and dash classes count as wrong answers)."""
    predicted = probs.argmax(axis=1)
    exact = float(np.mean(predicted == truth))
    upper = np.array([c.upper() for c in classes])
    folded = float(np.mean(upper[predicted] == upper[truth]))
    return {"test_accuracy_62": round(exact, 4), "test_accuracy_36_folded": round(folded, 4)}


if __name__ == "__main__":
    main()
