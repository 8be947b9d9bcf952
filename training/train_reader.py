"""Train a new field reader (`training.field_reader.fit`) on generated form fields (real
EMNIST handwriting from the training split, laid out and scanned as
`training.field_synth` describes) and write a reader directory: model.keras, meta.json
and history.json.

    python -m training.train_reader --out training/models/hwr-2/reader --version hwr-2-reader --samples 50000 --epochs 4

The generated strips are cached in `--cache` (they take a while on two cores), so a
second run with the same `--samples` and `--seed` starts training at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from recognition.pipeline import bundle

from . import field_reader
from .data import load_emnist, split_indices
from .field_reader import ReaderConfig
from .field_synth import VARIANT_SHARE
from .paths import EMNIST_PATH, REPO_ROOT


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


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.time()
    emnist = load_emnist(args.emnist)
    split = split_indices(emnist.labels)
    print(f"generating {args.samples} training fields ...", flush=True)
    data = field_reader.generated_data(emnist, split, samples=args.samples, validation=args.validation,
                                       seed=args.seed, workers=args.workers, cache=args.cache)
    print(f"train {len(data.fields)}, validation {len(data.validation)} ({time.time() - started:.0f}s)", flush=True)
    config = ReaderConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                          seed=args.seed)
    fitted = field_reader.fit(args.init, data, config)
    counts = {
        "emnist": str(args.emnist),
        "train_fields": len(data.fields),
        "validation_fields": len(data.validation),
        "epochs": args.epochs,
        "seed": args.seed,
        "initialised_from": str(args.init) if args.init else None,
        "variant_share": VARIANT_SHARE,
        "learning_rate": args.learning_rate,
    }
    command = "python -m training.train_reader " + " ".join(sys.argv[1:] if argv is None else argv)
    meta = field_reader.reader_meta(args.version, fitted, counts, started, command=command)
    field_reader.save(args.out, fitted, meta)
    if bundle.has_network(args.out.parent) and args.out.name == bundle.FIELD_READER_DIR:
        from .model_card import write_model_card

        write_model_card(args.out.parent)  # the version's card describes its reader too
    print(json.dumps(meta["metrics"], indent=2))
    return meta


if __name__ == "__main__":
    main()
