"""Fine-tune a trained character classifier on reviewers' corrections, without
forgetting EMNIST: the corrected crops (plus scan-like variations of them) are mixed
with a slice of the base training data and weighted so that a few hundred of them
matter; the new version is measured against its parent on the held-out EMNIST split
and on a held-out slice of the corrections. Writes a model directory like
training/train.py does (model.keras, meta.json, history.json) plus curves.png and the
confusion matrices. Plain Python: no Django.

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
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from recognition.pipeline.charsets import Charset, CharsetError, parse_charset
from recognition.pipeline.classify import REJECT, read_model_info
from recognition.pipeline.decode import fold_to_charset

from .augment import scan_like
from .data import load_emnist, split_indices
from .dataset import Arrays, build_clean_arrays, build_training_arrays
from .finetune_reader import ReaderFinetuneConfig, WordFeedback, finetune_reader
from .paths import EMNIST_PATH
from .train import accuracy_figures, save_for_inference

Progress = Callable[[dict], None]


@dataclass
class Feedback:
    """Normalised 28x28 crops (uint8, ink bright), their labels ("" = not a character)
    and the character set of the field each came from (what the label means: in a
    capitals-only field, an "O" is whatever the classifier folds onto O there)."""

    x: np.ndarray
    labels: list[str]
    charsets: list[str] | None = None

    def __post_init__(self):
        if self.charsets is None:
            self.charsets = ["any"] * len(self.labels)

    @classmethod
    def empty(cls) -> Feedback:
        return cls(np.zeros((0, 28, 28), np.uint8), [], [])

    def __len__(self) -> int:
        return len(self.labels)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, x=self.x, labels=np.array(self.labels, dtype="U8"),
                            charsets=np.array(self.charsets, dtype="U200"))

    @classmethod
    def load(cls, path: Path) -> Feedback:
        with np.load(path) as data:
            charsets = [str(v) for v in data["charsets"]] if "charsets" in data else None
            return cls(data["x"], [str(v) for v in data["labels"]], charsets)


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


def label_masks(labels: list[str], charsets: list[str], classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """For each label, the classes that read as it in its field: those the field's
    character set folds onto the label (in a capitals-only field O, o and 0 all read O),
    or the reject class for "". Training raises their summed probability, so a correction
    never teaches the model that a 0 is no 0, only that this crop reads as O here. Labels
    no class reads as are dropped. Returns (indices into `labels` kept, masks (N, C))."""
    reject = classes.index(REJECT)
    parsed: dict[str, Charset] = {}
    keep, masks = [], []
    for i, (label, spec) in enumerate(zip(labels, charsets)):
        mask = np.zeros(len(classes), np.float32)
        if label == "":
            mask[reject] = 1.0
        else:
            if spec not in parsed:
                try:
                    parsed[spec] = parse_charset(spec)
                except CharsetError:
                    parsed[spec] = parse_charset("any")
            charset = parsed[spec]
            for c, name in enumerate(classes):
                if c != reject and (name == label or charset.fold(name) == label):
                    mask[c] = 1.0
        if mask.any():
            keep.append(i)
            masks.append(mask)
    masks_array = np.stack(masks) if masks else np.zeros((0, len(classes)), np.float32)
    return np.asarray(keep, np.int64), masks_array


def one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    out = np.zeros((len(y), n_classes), np.float32)
    out[np.arange(len(y)), y] = 1.0
    return out


def set_crossentropy(mask, probs):
    """-log of the probability given to any class in the mask (plain cross-entropy for one-hot masks)."""
    from keras import ops

    return -ops.log(ops.clip(ops.sum(mask * probs, axis=-1), 1e-7, 1.0))


def set_accuracy(mask, probs):
    from keras import ops

    return ops.take_along_axis(mask, ops.expand_dims(ops.argmax(probs, axis=-1), -1), axis=-1)[..., 0]


def augment_feedback(x: np.ndarray, masks: np.ndarray, copies: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Each corrected crop as it is, plus `copies` scan-like variations (size, pen,
    slant, blur, noise, segmenter damage) through the recogniser's normalisation."""
    rng = np.random.default_rng(seed)
    xs, ms = [x], [masks]
    for _ in range(copies):
        xs.append(np.stack([scan_like(glyph, rng) for glyph in x]) if len(x) else x)
        ms.append(masks)
    return np.concatenate(xs).astype(np.uint8), np.concatenate(ms).astype(np.float32)


def read_as_recognition(probs: np.ndarray, classes: list[str], truth: Feedback) -> list[str]:
    """What the recogniser would read for each crop: the probabilities folded onto the
    field's character set, the best label unless "not a character" beats it ("")."""
    reads, parsed = [], {}
    for row, spec in zip(probs, truth.charsets):
        if spec not in parsed:
            try:
                parsed[spec] = parse_charset(spec)
            except CharsetError:
                parsed[spec] = parse_charset("any")
        folded = fold_to_charset(row[None, :], classes, parsed[spec])
        best = int(np.argmax(folded.probs[0])) if folded.labels else -1
        reads.append("" if best < 0 or folded.reject[0] > folded.probs[0, best] else folded.labels[best])
    return reads


def feedback_accuracy(probs: np.ndarray, masks: np.ndarray, classes: list[str], truth: Feedback) -> dict:
    """How many held-out corrections the model reads right as the recogniser reads them
    (`accuracy`), and how many get a class that reads as their label (`accuracy_exact`)."""
    if len(masks) == 0:
        return {"accuracy": None, "accuracy_exact": None, "samples": 0}
    reads = read_as_recognition(probs, classes, truth)
    exact = masks[np.arange(len(masks)), probs.argmax(axis=1)] > 0
    return {"accuracy": round(float(np.mean([r == t for r, t in zip(reads, truth.labels)])), 4),
            "accuracy_exact": round(float(np.mean(exact)), 4), "samples": int(len(masks))}


def is_not_worse(metrics: dict, tolerance: float) -> tuple[bool, str]:
    """The activation rule: held-out EMNIST accuracy at most `tolerance` below the
    parent's, and the held-out corrections read at least as well as the parent did."""
    new, old = metrics["emnist"]["test_accuracy_62"], metrics["parent_emnist"]["test_accuracy_62"]
    if new < old - tolerance:
        return False, f"EMNIST held-out accuracy fell from {old:.4f} to {new:.4f} (tolerance {tolerance:.4f})"
    fb_new, fb_old = metrics["feedback_holdout"]["accuracy"], metrics["parent_feedback_holdout"]["accuracy"]
    if fb_new is not None and fb_old is not None and fb_new < fb_old:
        return False, f"held-out corrections read worse: {fb_new:.4f} against {fb_old:.4f}"
    fb = f"; held-out corrections {fb_old:.4f} -> {fb_new:.4f}" if fb_new is not None else ""
    reader = metrics.get("reader") or {}
    words_new = (reader.get("feedback_holdout") or {}).get("word_accuracy")
    words_old = (reader.get("parent_feedback_holdout") or {}).get("word_accuracy")
    if words_new is not None and words_old is not None:
        if words_new < words_old:
            return False, f"the reader reads held-out corrected words worse: {words_new:.4f} against {words_old:.4f}"
        fb += f"; reader on held-out corrected words {words_old:.4f} -> {words_new:.4f}"
    return True, f"EMNIST held-out accuracy {old:.4f} -> {new:.4f}{fb}"


def _predict(model, x: np.ndarray) -> np.ndarray:
    if len(x) == 0:
        return np.zeros((0, 1), np.float32)
    return np.asarray(model.predict((x.astype(np.float32) / 255.0)[..., None], batch_size=1024, verbose=0))


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
) -> dict:
    """Train `version` from the model in `base_dir` and write it to `out_dir`; returns meta.
    When the base has a sequence reader, it learns from the word corrections `words`."""
    config = config or FinetuneConfig()
    report = progress or (lambda _p: None)
    started = time.time()
    base_dir, out_dir = Path(base_dir), Path(out_dir)
    info = read_model_info(base_dir)
    classes = info.classes
    rng = np.random.default_rng(config.seed)

    report({"stage": "preparing data"})
    keep, masks = label_masks(feedback.labels, feedback.charsets, classes)
    fb_x, fb_masks = augment_feedback(feedback.x[keep], masks, config.feedback_copies, config.seed)
    keep_h, hold_masks = label_masks(holdout.labels, holdout.charsets, classes)
    hold = Feedback(holdout.x[keep_h].astype(np.uint8), [holdout.labels[i] for i in keep_h],
                    [holdout.charsets[i] for i in keep_h])

    emnist = load_emnist(emnist_path)
    split = split_indices(emnist.labels)
    n_base = min(config.base_samples, len(split.train))
    if n_base:
        base_idx = np.sort(rng.choice(split.train, n_base, replace=False))
        base = build_training_arrays(emnist, base_idx, config.base_copies, 0.12, config.seed,
                                     segmenter_words=config.segmenter_words)
    else:
        base = Arrays(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64))
    n_val = min(config.validation_samples, len(split.validation))
    val = build_training_arrays(emnist, np.sort(rng.choice(split.validation, n_val, replace=False)), 0, 0.12,
                                config.seed + 1)
    test = build_clean_arrays(emnist, split.test)

    # Corrections carry `feedback_share` of each epoch's loss weight (capped per sample).
    n_fb, n_base_samples = len(fb_x), len(base.y)
    weight = 1.0
    if n_fb and n_base_samples:
        weight = config.feedback_share / (1 - config.feedback_share) * n_base_samples / n_fb
        weight = float(np.clip(weight, 1.0, config.max_weight))
    x_train = np.concatenate([base.x, fb_x])
    targets = np.concatenate([one_hot(base.y, len(classes)), fb_masks])
    weights = np.concatenate([np.ones(n_base_samples, np.float32), np.full(n_fb, weight, np.float32)])
    del base
    if len(x_train) == 0:
        raise ValueError("nothing to train on: no base data and no usable corrections")
    data_counts = {
        "parent": info.version,
        "feedback_samples": int(len(keep)),
        "feedback_dropped": int(len(feedback) - len(keep)),
        "feedback_rejects": int(sum(feedback.labels[i] == "" for i in keep)),
        "feedback_training_samples": int(n_fb),
        "feedback_weight": round(weight, 3),
        "holdout_samples": int(len(hold)),
        "base_glyphs": int(n_base),
        "base_training_samples": int(n_base_samples),
        "validation_samples": int(len(val.y)),
        "test_samples": int(len(test.y)),
        "emnist": str(emnist_path),
    }

    # TensorFlow only now: the data workers above have already forked and exited.
    import keras

    keras.utils.set_random_seed(config.seed)
    model = keras.models.load_model(base_dir / "model.keras", compile=False)
    parent_emnist = accuracy_figures(_predict(model, test.x), test.y, classes)
    parent_holdout = feedback_accuracy(_predict(model, hold.x), hold_masks, classes, hold)

    steps = int(np.ceil(len(x_train) / config.batch_size)) * max(config.epochs, 1)
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=steps, alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=set_crossentropy, metrics=[set_accuracy])

    history: dict[str, list[float]] = {}

    class Report(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = {k.replace("set_accuracy", "accuracy"): float(v) for k, v in (logs or {}).items()}
            for key, value in logs.items():
                history.setdefault(key, []).append(value)
            report({"stage": "training", "epoch": epoch + 1, "epochs": config.epochs,
                    **{k: round(v, 4) for k, v in logs.items()}})

    report({"stage": "training", "epoch": 0, "epochs": config.epochs})
    model.fit(
        (x_train.astype(np.float32) / 255.0)[..., None], targets, sample_weight=weights,
        batch_size=config.batch_size, epochs=config.epochs, shuffle=True, verbose=2, callbacks=[Report()],
        validation_data=((val.x.astype(np.float32) / 255.0)[..., None], one_hot(val.y, len(classes))),
    )

    report({"stage": "evaluating", "epoch": config.epochs, "epochs": config.epochs})
    test_probs = _predict(model, test.x)
    hold_probs = _predict(model, hold.x)
    emnist_figures = accuracy_figures(test_probs, test.y, classes)
    metrics = {
        **emnist_figures,  # the same keys as a base model's meta.json
        "emnist": emnist_figures,
        "parent_emnist": parent_emnist,
        "feedback_holdout": feedback_accuracy(hold_probs, hold_masks, classes, hold),
        "parent_feedback_holdout": parent_holdout,
    }

    out_dir.mkdir(parents=True, exist_ok=True)
    save_for_inference(model, out_dir / "model.keras")
    glyphs = (feedback.x[keep], [feedback.labels[i] for i in keep])
    reader_meta = update_reader(base_dir, out_dir, version, words, word_holdout, emnist_path, config, report, glyphs)
    if reader_meta is not None:
        metrics["reader"] = reader_meta["metrics"]
        data_counts["reader"] = reader_meta["data"]
    meta = {
        "version": version,
        "classes": classes,
        "input_size": info.input_size,
        "parent": info.version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": data_counts,
        "metrics": metrics,
        "finetune": asdict(config),
        "parameters": int(model.count_params()),
        "train_seconds": round(time.time() - started, 1),
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2))
    (out_dir / "history.json").write_text(json.dumps(history))
    save_figures(out_dir, test, test_probs, hold, hold_probs, classes)
    return meta


def update_reader(base_dir: Path, out_dir: Path, version: str, words: WordFeedback | None,
                  holdout: WordFeedback | None, emnist_path: Path, config: FinetuneConfig,
                  report: Progress, glyphs: tuple[np.ndarray, list[str]] | None = None) -> dict | None:
    """The new version's reader: fine-tuned on the word corrections, or the parent's
    copied unchanged when `reader_epochs` is 0. None when the base has no reader."""
    source = Path(base_dir) / "reader"
    if not (source / "meta.json").exists():
        return None
    target = Path(out_dir) / "reader"
    if config.reader_epochs <= 0:
        shutil.copytree(source, target, dirs_exist_ok=True)
        return json.loads((target / "meta.json").read_text())
    reader_config = ReaderFinetuneConfig(
        epochs=config.reader_epochs, base_fields=config.reader_base_fields,
        feedback_copies=config.reader_feedback_copies, validation_fields=config.reader_validation_fields,
        learning_rate=config.reader_learning_rate, seed=config.seed, writer_fields=config.reader_writer_fields,
    )
    return finetune_reader(source, target, version, words or WordFeedback.empty(), holdout or WordFeedback.empty(),
                           emnist_path, reader_config, report, glyphs)


def save_figures(out_dir: Path, test: Arrays, test_probs: np.ndarray, hold: Feedback, hold_probs: np.ndarray,
                 classes: list[str]) -> None:
    """curves.png, confusion.png (held-out EMNIST, case folded like training/evaluate.py)
    and, when there are held-out corrections, confusion-feedback.png (label against what
    the recogniser reads; "∅" is "not a character")."""
    from .evaluate import save_confusion, save_curves

    save_curves(out_dir / "history.json", out_dir / "curves.png")
    upper = [c.upper() for c in classes]
    pairs = [("confusion.png", [upper[t] for t in test.y], [upper[p] for p in test_probs.argmax(axis=1)],
              "Confusion on the held-out EMNIST split (sqrt of row rate)")]
    if len(hold):
        reads = read_as_recognition(hold_probs, classes, hold)
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
                 "reader_validation_fields"):
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
