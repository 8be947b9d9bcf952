"""A new model version from reviewers' corrections: the parent's glyph classifier
learns the corrected crops (`glyph_classifier.fit` from the parent, on corrections mixed
with a slice of EMNIST), its field reader the corrected words (`field_reader.fit`, via
training/finetune_reader.py), and its line reader the corrected lines
(`line_reader.finetune_line_reader`, mixed with lines/ train lines). A network with no
corrections to learn from goes to the new version unchanged. Each new network
is measured against its parent on held-out data; the app decides on activation
(recognition/retraining/policy.py). Writes the version's folder like training/train.py
does (model.keras, meta.json, history.json) plus curves.png and the confusion matrices.
Plain Python: no Django.

    python -m training.finetune --base training/models/hwr-2 --feedback crops.npz \
        --out var/models/hwr-2-ft1 --version hwr-2-ft1
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from recognition.pipeline import bundle

from . import glyph_classifier
from .feedback import Feedback, LineFeedback, WordFeedback
from .finetune_reader import ReaderFinetuneConfig, finetune_reader
from .glyph_classifier import GlyphConfig, GlyphData, read_as_recognition
from .line_reader import LINES_DIR, LineFinetuneConfig, finetune_line_reader
from .paths import EMNIST_PATH, REPO_ROOT

# lines/ train strips, cut once and kept for the next fine-tuning run.
LINE_CACHE = REPO_ROOT / "var" / "cache" / "line-reader-train.npz"

Progress = Callable[[dict], None]


@dataclass
class FinetuneConfig:
    epochs: int = 5
    base_samples: int = 40000  # EMNIST training glyphs mixed in, so EMNIST is not forgotten
    base_copies: int = 1  # scan-like copies of each of them
    segmenter_words: int = 1500  # generated words whose segmenter crops (and rejects) join in
    feedback_copies: int = 12  # scan-like variations of each corrected crop
    feedback_share: float = 0.35  # share of the loss weight the corrections carry in an epoch
    max_weight: float = 20.0  # a handful of corrections must not outweigh everything
    validation_samples: int = 5000
    learning_rate: float = 2.5e-4
    batch_size: int = 256
    seed: int = 11
    # The version's sequence reader, when it has one (0 epochs: copied unchanged).
    reader_epochs: int = 4
    reader_base_fields: int = 8000
    reader_feedback_copies: int = 24
    reader_writer_fields: int = 4000
    reader_validation_fields: int = 1000
    reader_learning_rate: float = 5e-4
    # The line reader, when there are corrected lines (0 steps: copied unchanged).
    line_steps: int = 800
    line_feedback_share: float = 0.5
    line_learning_rate: float = 5e-4
    # Mix lines/ train lines into the line reader's batches (when the data is there), so
    # it keeps the hands it knew; off only for tests that train on a few lines.
    line_replay: bool = True


# Where a fine-tuned classifier's learning rate ends its cosine decay, as a share of the start.
FINAL_RATE = 0.05


def finetune(
    base_dir: Path,
    out_dir: Path,
    version: str,
    feedback: Feedback,
    holdout: Feedback,
    emnist_path: Path = EMNIST_PATH,
    config: FinetuneConfig | None = None,
    progress: Progress | None = None,
    words: WordFeedback | None = None,
    word_holdout: WordFeedback | None = None,
    lines: LineFeedback | None = None,
    line_holdout: LineFeedback | None = None,
) -> dict:
    """Train `version` from the model in `base_dir` and write it to `out_dir`; returns meta.
    When the base has a sequence reader, it learns from the word corrections `words`."""
    config = config or FinetuneConfig()
    report = progress or (lambda _p: None)
    started = time.time()
    base_dir, out_dir = Path(base_dir), Path(out_dir)
    info = bundle.read_model_info(base_dir)

    if len(feedback) + len(holdout) + len(words or []) + len(word_holdout or []) == 0:
        # Only line corrections: the form-field networks go to the new version as they were.
        meta = carry_form_networks(base_dir, out_dir, version, info.version, started)
    else:
        meta = _retrain_form_networks(base_dir, out_dir, version, info, feedback, holdout, emnist_path, config,
                                      report, words, word_holdout, started)
    line_meta, line_retrained = update_line_reader(base_dir, out_dir, version, lines, line_holdout, config, report)
    if line_retrained:
        meta["metrics"]["line_reader"] = line_meta["metrics"]
        meta["data"]["line_reader"] = line_meta["data"]
    elif line_meta is not None:
        meta["data"]["line_reader"] = {"carried_from": line_meta["version"]}
    carried = bundle.carry_network(base_dir, out_dir, bundle.LINE_FINDER_DIR)
    if carried is not None:
        meta["data"]["line_finder"] = {"carried_from": carried["version"]}
    bundle.write_meta(out_dir, meta)
    return meta


def _retrain_form_networks(base_dir: Path, out_dir: Path, version: str, info, feedback: Feedback,
                           holdout: Feedback, emnist_path: Path, config: FinetuneConfig, report: Progress,
                           words: WordFeedback | None, word_holdout: WordFeedback | None, started: float) -> dict:
    """The glyph classifier fine-tuned on the character corrections and the field reader
    on the word corrections; their meta (the version's own meta.json) and figures."""
    report({"stage": "preparing data"})
    data = glyph_classifier.correction_data(
        info.classes, feedback, holdout, emnist_path, base_samples=config.base_samples,
        base_copies=config.base_copies, segmenter_words=config.segmenter_words,
        feedback_copies=config.feedback_copies, feedback_share=config.feedback_share, max_weight=config.max_weight,
        validation_samples=config.validation_samples, seed=config.seed,
    )
    glyph_config = GlyphConfig(epochs=config.epochs, batch_size=config.batch_size,
                               learning_rate=config.learning_rate, final_rate=FINAL_RATE, seed=config.seed)
    fitted = glyph_classifier.fit(base_dir, data, glyph_config, report)

    metrics = fitted.metrics
    data_counts = {"parent": info.version, **data.counts}
    glyphs = (data.corrections.x, data.corrections.labels)
    reader_meta = update_reader(base_dir, out_dir, version, words, word_holdout, emnist_path, config, report, glyphs)
    if reader_meta is not None:
        metrics["reader"] = reader_meta["metrics"]
        data_counts["reader"] = reader_meta["data"]
    meta = glyph_classifier.version_meta(version, fitted, data_counts, started, recipe=asdict(config))
    glyph_classifier.save(out_dir, fitted, meta)
    save_figures(out_dir, data, fitted.figures)
    return meta


def carry_form_networks(base_dir: Path, out_dir: Path, version: str, parent: str, started: float) -> dict:
    """The parent's glyph classifier and field reader copied unchanged (no character or
    word corrections to learn from); the new version's meta says so."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in (bundle.WEIGHTS, "history.json"):
        if (base_dir / name).exists():
            shutil.copy2(base_dir / name, out_dir / name)
    base = bundle.read_meta(base_dir)
    data_counts: dict = {"parent": parent, "glyph_classifier": {"carried_from": parent}}
    reader = bundle.carry_network(base_dir, out_dir, bundle.FIELD_READER_DIR)
    if reader is not None:
        data_counts["reader"] = {"carried_from": reader["version"]}
    return {"version": version, "classes": base["classes"], "input_size": base["input_size"], "parent": parent,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "data": data_counts,
            "metrics": {"glyph_classifier": "carried", "parent_metrics": base.get("metrics", {})},
            "parameters": base.get("parameters"), "train_seconds": round(time.time() - started, 1)}


def update_line_reader(base_dir: Path, out_dir: Path, version: str, lines: LineFeedback | None,
                       holdout: LineFeedback | None, config: FinetuneConfig,
                       report: Progress) -> tuple[dict | None, bool]:
    """The new version's line reader and whether it was retrained: fine-tuned on the
    corrected lines, or the parent's copied unchanged when there are none (or
    `line_steps` is 0). (None, False) when the base has no line reader."""
    source = Path(base_dir) / bundle.LINE_READER_DIR
    if not bundle.has_network(source):
        return None, False
    if not lines or config.line_steps <= 0:
        return bundle.carry_network(base_dir, out_dir, bundle.LINE_READER_DIR), False
    line_config = LineFinetuneConfig(steps=config.line_steps, feedback_share=config.line_feedback_share,
                                     learning_rate=config.line_learning_rate, seed=config.seed)
    meta = finetune_line_reader(source, Path(out_dir) / bundle.LINE_READER_DIR, f"{version}-line-reader", lines,
                                holdout or LineFeedback.empty(), line_config, report, replay_cache=LINE_CACHE,
                                lines_dir=LINES_DIR if config.line_replay else None)
    return meta, True


def update_reader(base_dir: Path, out_dir: Path, version: str, words: WordFeedback | None,
                  holdout: WordFeedback | None, emnist_path: Path, config: FinetuneConfig,
                  report: Progress, glyphs: tuple[np.ndarray, list[str]] | None = None) -> dict | None:
    """The new version's reader: fine-tuned on the word corrections, or the parent's
    copied unchanged when `reader_epochs` is 0. None when the base has no reader."""
    source = Path(base_dir) / bundle.FIELD_READER_DIR
    if not bundle.has_network(source):
        return None
    target = Path(out_dir) / bundle.FIELD_READER_DIR
    if config.reader_epochs <= 0:
        shutil.copytree(source, target, dirs_exist_ok=True)
        return bundle.read_meta(target)
    reader_config = ReaderFinetuneConfig(
        epochs=config.reader_epochs, base_fields=config.reader_base_fields,
        feedback_copies=config.reader_feedback_copies, validation_fields=config.reader_validation_fields,
        learning_rate=config.reader_learning_rate, seed=config.seed, writer_fields=config.reader_writer_fields,
    )
    return finetune_reader(source, target, version, words or WordFeedback.empty(), holdout or WordFeedback.empty(),
                           emnist_path, reader_config, report, glyphs)


def save_figures(out_dir: Path, data: GlyphData, figures: glyph_classifier.Figures) -> None:
    """curves.png, confusion.png (held-out EMNIST, case folded like training/evaluate.py)
    and, when there are held-out corrections, confusion-feedback.png (label against what
    the recogniser reads; "∅" is "not a character")."""
    from .evaluate import save_confusion, save_curves

    save_curves(out_dir / "history.json", out_dir / "curves.png")
    classes, test, hold = data.classes, data.test, data.holdout
    upper = [c.upper() for c in classes]
    pairs = [("confusion.png", [upper[t] for t in test.y], [upper[p] for p in figures.test_probs.argmax(axis=1)],
              "Confusion on the held-out EMNIST split (sqrt of row rate)")]
    if hold is not None and len(hold):
        reads = read_as_recognition(figures.holdout_probs, classes, hold)
        pairs.append(("confusion-feedback.png", [t or "∅" for t in hold.labels], [r or "∅" for r in reads],
                      "Held-out corrections: label against reading (sqrt of row rate)"))
    for name, truth, predicted, title in pairs:
        names = sorted(set(truth))
        index = {n: k for k, n in enumerate(names)}
        save_confusion(np.array([index[t] for t in truth]), np.array([index.get(p, -1) for p in predicted]),
                       names, out_dir / name, title)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True, help="model directory to start from")
    parser.add_argument("--feedback", type=Path, required=True, help=".npz with x (N,28,28) and labels")
    parser.add_argument("--holdout", type=Path, default=None, help=".npz of held-out corrections")
    parser.add_argument("--words", type=Path, default=None, help=".npz of corrected word strips (the reader's)")
    parser.add_argument("--word-holdout", type=Path, default=None, help=".npz of held-out corrected word strips")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--emnist", type=Path, default=EMNIST_PATH)
    defaults = FinetuneConfig()
    for name in ("epochs", "base_samples", "base_copies", "segmenter_words", "feedback_copies", "batch_size",
                 "seed", "validation_samples", "reader_epochs", "reader_base_fields", "reader_feedback_copies",
                 "reader_writer_fields", "reader_validation_fields"):
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(defaults, name))
    for name in ("feedback_share", "max_weight", "learning_rate", "reader_learning_rate"):
        parser.add_argument("--" + name.replace("_", "-"), type=float, default=getattr(defaults, name))
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    config = FinetuneConfig(**{f.name: getattr(args, f.name) for f in fields(FinetuneConfig)})
    holdout = Feedback.load(args.holdout) if args.holdout else Feedback.empty()
    words = WordFeedback.load(args.words) if args.words else None
    word_holdout = WordFeedback.load(args.word_holdout) if args.word_holdout else None
    meta = finetune(args.base, args.out, args.version, Feedback.load(args.feedback), holdout, args.emnist, config,
                    progress=lambda p: print(json.dumps(p), flush=True), words=words, word_holdout=word_holdout)
    print(json.dumps(meta["metrics"], indent=2))
    return meta


if __name__ == "__main__":
    main()
