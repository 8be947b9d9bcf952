"""Train the sequence reader on generated form fields (real EMNIST handwriting from the
training split, laid out and scanned as `training.field_synth` describes) and write a
reader directory: model.keras, meta.json and history.json.

    python -m training.train_reader --out training/models/hwr-2/reader --version hwr-2-reader --samples 50000 --epochs 4

The generated strips are cached in `--cache` (they take a while on two cores), so a
second run with the same `--samples` and `--seed` starts training at once.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from recognition.pipeline.sequence import DOWNSAMPLE, LINE_HEIGHT

from .data import load_emnist, split_indices
from .field_synth import ALPHABET, VARIANT_SHARE, GlyphBank, field_sample
from .paths import EMNIST_PATH, REPO_ROOT

MAX_LABEL = 24
_bank: GlyphBank | None = None  # shared with forked workers


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--emnist", type=Path, default=EMNIST_PATH)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--samples", type=int, default=120_000, help="generated training fields")
    p.add_argument("--validation", type=int, default=3_000)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--cache", type=Path, default=REPO_ROOT / "var" / "reader-data")
    p.add_argument("--init", type=Path, default=None, help="start from this reader's weights (a reader directory)")
    p.add_argument("--learning-rate", type=float, default=1e-3)
    return p.parse_args(argv)


def ctc_loss(y, logits):
    """Mean CTC loss of a batch; `y` rows are (input frames, label length, labels...) as
    `batch_arrays` packs them."""
    import keras

    return keras.ops.mean(keras.ops.ctc_loss(y[:, 2:], logits, y[:, 1], y[:, 0], mask_index=0))


def ctc_train_step(model, optimizer):
    """One compiled training step (x, y) -> loss for the reader, shared by training and fine-tuning."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = ctc_loss(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return train_step


def _generate_chunk(args) -> list[tuple[np.ndarray, str]]:
    count, seed = args
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        sample = field_sample(_bank, rng)
        if sample is not None and len(sample[1]) <= MAX_LABEL:
            strip, text = sample
            out.append(((strip * 255).astype(np.uint8), text))
    return out


def generate(bank: GlyphBank, count: int, seed: int, workers: int, chunk: int = 500) -> list[tuple[np.ndarray, str]]:
    global _bank
    _bank = bank
    jobs = [(min(chunk, count - start), seed * 100_003 + k) for k, start in enumerate(range(0, count, chunk))]
    out: list[tuple[np.ndarray, str]] = []
    started = time.time()
    with ProcessPoolExecutor(workers) as pool:
        for part in pool.map(_generate_chunk, jobs):
            out += part
            if len(out) % 10_000 < chunk:
                print(f"  {len(out)} / {count} fields ({time.time() - started:.0f}s)", flush=True)
    return out


def cached_fields(bank: GlyphBank, count: int, seed: int, workers: int, cache: Path) -> list[tuple[np.ndarray, str]]:
    path = cache / f"fields-{count}-{seed}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    fields = generate(bank, count, seed, workers)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL))
    return fields


def encode(text: str) -> list[int]:
    return [ALPHABET.index(c) + 1 for c in text]


def make_batches(fields, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Index batches of similar width, so little of each batch is padding."""
    order = np.argsort([f[0].shape[1] + rng.uniform(0, 24) for f in fields])
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def batch_arrays(fields, indices) -> tuple[np.ndarray, np.ndarray]:
    # Widths rounded up to 32 columns: few distinct shapes, few retraced graphs.
    width = max(fields[i][0].shape[1] for i in indices)
    width = -(-width // 32) * 32
    x = np.zeros((len(indices), LINE_HEIGHT, width, 1), np.float32)
    y = np.zeros((len(indices), MAX_LABEL + 2), np.int32)
    for row, i in enumerate(indices):
        strip, text = fields[i]
        x[row, :, : strip.shape[1], 0] = strip / 255.0
        labels = encode(text)
        y[row, 0] = strip.shape[1] // DOWNSAMPLE
        y[row, 1] = len(labels)
        y[row, 2 : 2 + len(labels)] = labels
    return x, y


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.time()
    emnist = load_emnist(args.emnist)
    split = split_indices(emnist.labels)
    train_bank = GlyphBank(emnist.images[split.train], emnist.labels[split.train], emnist.mapping)
    val_bank = GlyphBank(emnist.images[split.validation], emnist.labels[split.validation], emnist.mapping)
    print(f"generating {args.samples} training fields ...", flush=True)
    train = cached_fields(train_bank, args.samples, args.seed, args.workers, args.cache)
    val = cached_fields(val_bank, args.validation, args.seed + 1, args.workers, args.cache)
    print(f"train {len(train)}, validation {len(val)} ({time.time() - started:.0f}s)", flush=True)
    return fit_and_save(args, train, val, started, argv)


def fit_and_save(args, train, val, started: float, argv=None) -> dict:
    import keras
    import tensorflow as tf

    from .reader_model import build_reader

    keras.utils.set_random_seed(args.seed)
    model = build_reader(len(ALPHABET))
    if args.init is not None:
        model.set_weights(keras.models.load_model(args.init / "model.keras", compile=False).get_weights())
    rng = np.random.default_rng(args.seed)
    steps_per_epoch = int(np.ceil(len(train) / args.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(
        args.learning_rate, decay_steps=steps_per_epoch * args.epochs, alpha=0.02
    )
    optimizer = keras.optimizers.Adam(schedule, clipnorm=5.0)

    train_step = ctc_train_step(model, optimizer)

    @tf.function(reduce_retracing=True)
    def predict(x):
        return model(x, training=False)

    history: dict[str, list[float]] = {"loss": [], "val_loss": [], "val_field_accuracy": [], "val_cer": []}
    for epoch in range(args.epochs):
        t0 = time.time()
        losses = []
        for indices in make_batches(train, args.batch_size, rng):
            x, y = batch_arrays(train, indices)
            losses.append(float(train_step(x, y)))
        val_figures = validate(val, predict, ctc_loss, args.batch_size)
        history["loss"].append(float(np.mean(losses)))
        for key, value in val_figures.items():
            history[key].append(value)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {np.mean(losses):.3f}, val loss {val_figures['val_loss']:.3f}, "
              f"val field accuracy {val_figures['val_field_accuracy']:.3f}, val CER {val_figures['val_cer']:.3f} "
              f"({time.time() - t0:.0f}s)", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    from .train import save_for_inference

    save_for_inference(model, args.out / "model.keras")
    meta = {
        "version": args.version,
        "kind": "sequence-reader",
        "alphabet": ALPHABET,
        "height": LINE_HEIGHT,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {
            "emnist": str(args.emnist),
            "train_fields": len(train),
            "validation_fields": len(val),
            "epochs": args.epochs,
            "seed": args.seed,
            "initialised_from": str(args.init) if args.init else None,
            "variant_share": VARIANT_SHARE,
            "learning_rate": args.learning_rate,
        },
        "metrics": {k: round(v[-1], 4) for k, v in history.items() if k.startswith("val")},
        "parameters": int(model.count_params()),
        "train_seconds": round(time.time() - started, 1),
        "command": "python -m training.train_reader " + " ".join(sys.argv[1:] if argv is None else argv),
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2))
    (args.out / "history.json").write_text(json.dumps(history))
    if (args.out.parent / "meta.json").exists() and args.out.name == "reader":
        from .model_card import write_model_card

        write_model_card(args.out.parent)  # the version's card describes its reader too
    print(json.dumps(meta["metrics"], indent=2))
    return meta


def validate(val, predict, loss_of, batch_size: int) -> dict[str, float]:
    """Loss, exact-field accuracy and CER of greedy readings on generated fields."""
    from rapidfuzz.distance import Levenshtein

    losses, right, errors, chars = [], 0, 0, 0
    for start in range(0, len(val), batch_size):
        indices = np.arange(start, min(start + batch_size, len(val)))
        x, y = batch_arrays(val, indices)
        logits = np.asarray(predict(x))
        losses.append(float(loss_of(y, logits)) * len(indices))
        for row, i in enumerate(indices):
            best = logits[row, : y[row, 0]].argmax(axis=1)
            read = "".join(ALPHABET[k - 1] for j, k in enumerate(best) if k and (j == 0 or k != best[j - 1]))
            truth = val[i][1]
            right += read == truth
            errors += Levenshtein.distance(read, truth)
            chars += len(truth)
    return {"val_loss": sum(losses) / len(val), "val_field_accuracy": right / len(val), "val_cer": errors / chars}


if __name__ == "__main__":
    main()
