"""Read generated validation fields with one or more sequence readers and print each
one's loss, exact-field accuracy and CER (greedy decoding), so that readers trained
in different runs are compared on the same fields.

    python -m training.evaluate_reader training/models/hwr-2/reader var/reader-hwr3 --seed 23

The fields are written with EMNIST's validation glyphs, as `training.train_reader`
writes its validation fields (cached in `--cache` under the same name, so the fields
of a training run with `--seed S` are those of `--seed S+1` here).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .data import load_emnist, split_indices
from .field_reader import cached_fields, ctc_loss, validate
from .field_synth import GlyphBank
from .paths import EMNIST_PATH, REPO_ROOT


def main(argv=None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("readers", nargs="+", type=Path, help="reader directories (holding model.keras)")
    parser.add_argument("--fields", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--emnist", type=Path, default=EMNIST_PATH)
    parser.add_argument("--cache", type=Path, default=REPO_ROOT / "var" / "reader-data")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    import keras
    import tensorflow as tf

    emnist = load_emnist(args.emnist)
    split = split_indices(emnist.labels)
    bank = GlyphBank(emnist.images[split.validation], emnist.labels[split.validation], emnist.mapping)
    fields = cached_fields(bank, args.fields, args.seed, args.workers, args.cache)
    figures = {}
    for reader in args.readers:
        model = keras.models.load_model(reader / "model.keras", compile=False)
        predict = tf.function(lambda x, model=model: model(x, training=False), reduce_retracing=True)
        figures[str(reader)] = found = validate(fields, predict, ctc_loss, batch_size=64)
        print(f"{reader}: field accuracy {found['val_field_accuracy']:.2%}, CER {found['val_cer']:.2%}, "
              f"loss {found['val_loss']:.3f} ({len(fields)} fields, seed {args.seed})", flush=True)
    return figures


if __name__ == "__main__":
    main()
