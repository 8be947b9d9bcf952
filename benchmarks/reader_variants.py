"""Other settings for the reader's fine-tuning, measured on a finished relabel loop
without running the whole loop again (about 6 minutes a variant instead of 35).

    python -m benchmarks.reader_variants --loop var/bench-relabel-6 --name epochs8 --set reader_epochs=8

Takes the corrections in the loop's database (the same word strips, held-out words and
corrected glyphs a retraining run takes), fine-tunes the base model's reader with the
settings given (the rest as `manage.py train --from-feedback` sets them), pairs it with
the base model's classifier, and reads the loop's unseen images with it. The base
classifier is kept so that variants differ in the reader only; the loop's own model
fine-tunes both. Writes `<loop>/variants/<name>/` (the model) and prints the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from dataclasses import fields
from pathlib import Path

from benchmarks.relabel_loop import REPO
from training.paths import NAMES_DEV_DIR


def parse_settings(pairs: list[str]) -> dict:
    """`reader_epochs=8` -> {"reader_epochs": 8}: the reader's fields of FinetuneConfig."""
    from training.finetune import FinetuneConfig

    types = {f.name: f.type for f in fields(FinetuneConfig) if f.name.startswith("reader_")}
    out: dict = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key not in types:
            raise SystemExit(f"unknown setting {key!r}; one of {', '.join(types)}")
        out[key] = float(value) if types[key] in (float, "float") else int(value)
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loop", type=Path, required=True, help="a relabel loop's --out folder")
    parser.add_argument("--name", required=True)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a reader_* field of training.finetune.FinetuneConfig (repeatable)")
    parser.add_argument("--base", type=Path, default=REPO / "training" / "models" / "hwr-2")
    parser.add_argument("--images", type=Path, default=NAMES_DEV_DIR / "images")
    parser.add_argument("--labels", type=Path, default=NAMES_DEV_DIR / "labels.csv")
    args = parser.parse_args(argv)
    loop = args.loop.resolve()
    os.environ["DATABASE_URL"] = f"sqlite:///{loop / 'db.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(loop / "media")
    os.environ["HWR_MODELS_DIR"] = str(loop / "models")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwr_site.settings")
    import django

    django.setup()
    from recognition.pipeline import RecognitionOptions, parse_charset
    from recognition.pipeline.bundle import read_model_info
    from recognition.retraining import samples
    from training.evaluate_words import evaluate, read_labels
    from training.finetune import FinetuneConfig, update_reader
    from training.glyph_classifier import label_masks
    from training.paths import EMNIST_PATH

    loop_figures = json.loads((loop / "relabel.json").read_text())
    settings = parse_settings(args.set)
    feedback, _holdout, _ = samples.feedback_sets()
    words, word_holdout, _ = samples.word_feedback_sets()
    config = FinetuneConfig(**settings)

    out = loop / "variants" / args.name
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(args.base, out, ignore=shutil.ignore_patterns("reader"))
    # Generated fields are cached beside the reader's folder; variants share one cache.
    shared_cache = loop / "variants" / ".reader-data"
    shared_cache.mkdir(parents=True, exist_ok=True)
    (out / ".reader-data").symlink_to(shared_cache)
    # The corrected glyphs a retraining run hands the reader (training/finetune.py).
    keep, _masks = label_masks(feedback.labels, feedback.charsets, read_model_info(args.base).classes)
    glyphs = (feedback.x[keep], [feedback.labels[i] for i in keep])
    meta = update_reader(args.base, out, f"{args.base.name}-{args.name}", words, word_holdout, EMNIST_PATH, config,
                         lambda _p: None, glyphs)

    # The loop's unseen images: everything after the corrected ones, in file order.
    truth = read_labels(args.labels)
    files = sorted(p.name for p in args.images.iterdir())
    unseen = [n for n in files[loop_figures.get("corrected_images", 200) :] if n in truth]
    labels = out / "unseen-labels.csv"
    labels.write_text("FILENAME,IDENTITY\n" + "".join(f"{n},{truth[n]}\n" for n in unseen))
    options = RecognitionOptions(layout="word", charset=parse_charset("upper"))
    figures = evaluate(args.images, labels, options, out)
    result = {"name": args.name, "settings": settings, "reader_metrics": meta["metrics"] if meta else None,
              "unseen_word_accuracy": figures["word_accuracy"], "unseen_cer": figures["cer"],
              "loop_unseen_before": loop_figures["unseen_before"], "loop_unseen_after": loop_figures["unseen_after"]}
    (out / "variant.json").write_text(json.dumps(result, indent=1))
    print(f"{args.name} {settings}: unseen word accuracy {figures['word_accuracy']:.1%}, CER {figures['cer']:.1%} "
          f"(loop: base {loop_figures['unseen_before']['word_accuracy']:.1%}, "
          f"fine-tuned {loop_figures['unseen_after']['word_accuracy']:.1%})")
    return result


if __name__ == "__main__":
    main()
