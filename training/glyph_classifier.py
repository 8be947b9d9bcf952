"""The glyph classifier's one trainer: `fit(start_from, data, config, progress)`.

From scratch (`start_from` None) a new network learns EMNIST glyphs and generated ones
(`emnist_data`); from a model version it starts from that version's classifier and
learns reviewers' corrections mixed with a slice of EMNIST (`correction_data`), and is
measured against it. Either way the result is written as a bundle network (`save`,
with `version_meta`). training/train.py and training/finetune.py are the wrappers.
Plain Python: no Django; TensorFlow only inside `fit`, once the data workers have
forked and exited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recognition.pipeline import bundle
from recognition.pipeline.bundle import ModelBundle
from recognition.pipeline.charsets import Charset, CharsetError, parse_charset
from recognition.pipeline.classify import REJECT
from recognition.pipeline.decode import fold_to_charset

from .augment import scan_like
from .data import Emnist, Split, load_emnist, split_indices
from .dataset import Arrays, build_clean_arrays, build_training_arrays, class_list
from .feedback import Feedback
from .fitted import network_meta, save_network

Progress = Callable[[dict], None]
INPUT_SIZE = 28


@dataclass
class GlyphConfig:
    """How the network learns; what it learns from is `GlyphData`."""

    epochs: int = 12
    batch_size: int = 256
    learning_rate: float = 1e-3
    final_rate: float = 0.02  # the cosine decay ends at this share of learning_rate
    label_smoothing: float = 0.0  # one-class targets only
    arch: str = "small"  # a new network's size (one started from a version keeps its own)
    seed: int = 7


@dataclass
class GlyphData:
    """What the glyph classifier learns from and is measured on.

    Each training sample has a target row over `classes`: one class (an EMNIST glyph),
    or, with `sets`, every class that reads as its label in the field it came from (a
    correction: in a capitals-only field O, o and 0 all read O), learnt with the set
    cross-entropy, which raises their summed probability."""

    classes: list[str]
    x: np.ndarray  # (N, 28, 28) uint8, ink bright
    targets: np.ndarray  # (N, C) float32
    validation: Arrays
    test: Arrays  # held-out EMNIST, clean
    weights: np.ndarray | None = None  # per training sample
    sets: bool = False
    corrections: Feedback | None = None  # the usable corrections as given, before variations
    holdout: Feedback | None = None  # held-out corrections, read before and after
    holdout_masks: np.ndarray | None = None
    counts: dict = field(default_factory=dict)  # what went in, for the version's meta.json


@dataclass
class Figures:
    """A network's probabilities and figures on held-out EMNIST, and on the held-out
    corrections when the data has them."""

    test_probs: np.ndarray
    emnist: dict
    holdout_probs: np.ndarray | None = None
    holdout: dict | None = None


@dataclass
class FittedGlyphs:
    model: object  # the trained Keras network
    classes: list[str]
    input_size: int
    parent: str | None  # the version it started from
    metrics: dict
    history: dict[str, list[float]]
    figures: Figures  # its own, after training


def to_inputs(arrays: Arrays) -> np.ndarray:
    return (arrays.x.astype(np.float32) / 255.0)[..., None]


def one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    out = np.zeros((len(y), n_classes), np.float32)
    out[np.arange(len(y)), y] = 1.0
    return out


def emnist_data(emnist: Emnist, train_idx: np.ndarray, split: Split, *, copies: int, synthetic_share: float,
                seed: int, segmenter_words: int = 0, font_copies: int = 0, variant_samples: int = 0) -> GlyphData:
    """The glyphs a new classifier learns: EMNIST's `train_idx` with `copies` scan-like
    copies each, reject and dash samples, and optionally segmenter crops of generated
    words, handwriting-font glyphs and the European letter shapes EMNIST lacks."""
    classes = class_list(emnist.mapping)
    train = build_training_arrays(emnist, train_idx, copies, synthetic_share, seed, segmenter_words=segmenter_words,
                                  font_copies=font_copies, variant_samples=variant_samples)
    val = build_training_arrays(emnist, split.validation, 0, synthetic_share, seed + 1)
    test = build_clean_arrays(emnist, split.test)
    return GlyphData(classes, train.x, one_hot(train.y, len(classes)), val, test)


def correction_data(classes: list[str], feedback: Feedback, holdout: Feedback, emnist_path: Path, *,
                    base_samples: int, base_copies: int, segmenter_words: int, feedback_copies: int,
                    feedback_share: float, max_weight: float, validation_samples: int, seed: int) -> GlyphData:
    """What a version's classifier learns from its reviewers' corrections: the corrected
    crops plus `feedback_copies` scan-like variations of each, mixed with
    `base_samples` EMNIST training glyphs (so EMNIST is not forgotten) and weighted so
    that the corrections carry `feedback_share` of each epoch's loss (at most
    `max_weight` each). `classes` are those of the network that will learn."""
    rng = np.random.default_rng(seed)
    keep, masks = label_masks(feedback.labels, feedback.charsets, classes)
    corrections = Feedback(feedback.x[keep], [feedback.labels[i] for i in keep], [feedback.charsets[i] for i in keep])
    fb_x, fb_masks = augment_feedback(corrections.x, masks, feedback_copies, seed)
    keep_h, hold_masks = label_masks(holdout.labels, holdout.charsets, classes)
    hold = Feedback(holdout.x[keep_h].astype(np.uint8), [holdout.labels[i] for i in keep_h],
                    [holdout.charsets[i] for i in keep_h])

    emnist = load_emnist(emnist_path)
    split = split_indices(emnist.labels)
    n_base = min(base_samples, len(split.train))
    if n_base:
        base_idx = np.sort(rng.choice(split.train, n_base, replace=False))
        base = build_training_arrays(emnist, base_idx, base_copies, 0.12, seed, segmenter_words=segmenter_words)
    else:
        base = Arrays(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64))
    n_val = min(validation_samples, len(split.validation))
    val = build_training_arrays(emnist, np.sort(rng.choice(split.validation, n_val, replace=False)), 0, 0.12,
                                seed + 1)
    test = build_clean_arrays(emnist, split.test)

    # Corrections carry `feedback_share` of each epoch's loss weight (capped per sample).
    n_fb, n_base_samples = len(fb_x), len(base.y)
    weight = 1.0
    if n_fb and n_base_samples:
        weight = feedback_share / (1 - feedback_share) * n_base_samples / n_fb
        weight = float(np.clip(weight, 1.0, max_weight))
    x = np.concatenate([base.x, fb_x])
    targets = np.concatenate([one_hot(base.y, len(classes)), fb_masks])
    weights = np.concatenate([np.ones(n_base_samples, np.float32), np.full(n_fb, weight, np.float32)])
    if len(x) == 0:
        raise ValueError("nothing to train on: no base data and no usable corrections")
    counts = {
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
    return GlyphData(classes, x, targets, val, test, weights, sets=True, corrections=corrections, holdout=hold,
                     holdout_masks=hold_masks, counts=counts)


def fit(start_from: ModelBundle | str | Path | None, data: GlyphData, config: GlyphConfig,
        progress: Progress | None = None) -> FittedGlyphs:
    """Train the glyph classifier: a new network (`start_from` None) or a copy of a
    model version's (a bundle, or the version's folder), on `data`. The figures are
    EMNIST's held-out split and, when `data` has them, held-out corrections; a network
    started from a version has its parent's figures beside its own (`parent_emnist`,
    `parent_feedback_holdout`). Epochs are reported to `progress` as they finish."""
    report = progress or (lambda _p: None)
    # TensorFlow only now: the data workers have already forked and exited.
    import keras

    from .model import build_model

    keras.utils.set_random_seed(config.seed)
    parent, before = None, None
    if start_from is None:
        model = build_model(len(data.classes), arch=config.arch)
        input_size = INPUT_SIZE
    else:
        folder = start_from.folder if isinstance(start_from, ModelBundle) else Path(start_from)
        info = bundle.read_model_info(folder)
        if info.classes != data.classes:
            raise ValueError(f"{folder}: the network's classes are not the data's")
        model = bundle.load_network(folder)
        parent, input_size = info.version, info.input_size
        before = _measure(model, data)

    steps = int(np.ceil(len(data.x) / config.batch_size)) * max(config.epochs, 1)
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=steps,
                                                      alpha=config.final_rate)
    if data.sets:
        loss = set_crossentropy
    else:
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)
    accuracy = keras.metrics.MeanMetricWrapper(set_accuracy, name="accuracy")
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss, metrics=[accuracy])

    history: dict[str, list[float]] = {}

    class Report(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = {k: float(v) for k, v in (logs or {}).items()}
            for key, value in logs.items():
                history.setdefault(key, []).append(value)
            report({"stage": "training", "epoch": epoch + 1, "epochs": config.epochs,
                    **{k: round(v, 4) for k, v in logs.items()}})

    report({"stage": "training", "epoch": 0, "epochs": config.epochs})
    model.fit(
        (data.x.astype(np.float32) / 255.0)[..., None], data.targets, sample_weight=data.weights,
        batch_size=config.batch_size, epochs=config.epochs, shuffle=True, verbose=2, callbacks=[Report()],
        validation_data=(to_inputs(data.validation), one_hot(data.validation.y, len(data.classes))),
    )

    report({"stage": "evaluating", "epoch": config.epochs, "epochs": config.epochs})
    after = _measure(model, data)
    metrics = dict(after.emnist)  # the keys every version's meta.json has
    if before is not None:
        metrics["emnist"] = after.emnist
        metrics["parent_emnist"] = before.emnist
    if after.holdout is not None:
        metrics["feedback_holdout"] = after.holdout
        if before is not None:
            metrics["parent_feedback_holdout"] = before.holdout
    return FittedGlyphs(model, data.classes, input_size, parent, metrics, history, after)


def _measure(model, data: GlyphData) -> Figures:
    test_probs = _predict(model, data.test.x)
    figures = Figures(test_probs, accuracy_figures(test_probs, data.test.y, data.classes))
    if data.holdout is not None:
        figures.holdout_probs = _predict(model, data.holdout.x)
        figures.holdout = feedback_accuracy(figures.holdout_probs, data.holdout_masks, data.classes, data.holdout)
    return figures


def version_meta(version: str, fitted: FittedGlyphs, data_counts: dict, started: float, *,
                 recipe: dict | None = None, command: str | None = None) -> dict:
    """The meta.json of a version's glyph classifier (the version's own meta.json)."""
    head = {"version": version, "classes": fitted.classes, "input_size": fitted.input_size}
    return network_meta(head, fitted.model, fitted.metrics, data_counts, started, parent=fitted.parent,
                        recipe=recipe, command=command)


def save(folder: Path, fitted: FittedGlyphs, meta: dict) -> None:
    """The trained network, its meta.json and its history.json -> `folder`."""
    save_network(folder, fitted.model, fitted.history, meta)


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
            charset = _charset(spec, parsed)
            for c, name in enumerate(classes):
                if c != reject and (name == label or charset.fold(name) == label):
                    mask[c] = 1.0
        if mask.any():
            keep.append(i)
            masks.append(mask)
    masks_array = np.stack(masks) if masks else np.zeros((0, len(classes)), np.float32)
    return np.asarray(keep, np.int64), masks_array


def _charset(spec: str, parsed: dict[str, Charset]) -> Charset:
    """A field's character set, parsed once; "any" when it no longer parses."""
    if spec not in parsed:
        try:
            parsed[spec] = parse_charset(spec)
        except CharsetError:
            parsed[spec] = parse_charset("any")
    return parsed[spec]


def set_crossentropy(mask, probs):
    """-log of the probability given to any class in the mask (plain cross-entropy for one-hot masks)."""
    from keras import ops

    return -ops.log(ops.clip(ops.sum(mask * probs, axis=-1), 1e-7, 1.0))


def set_accuracy(mask, probs):
    """1 when the best class is one of the mask's (plain accuracy for one-hot masks)."""
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
        folded = fold_to_charset(row[None, :], classes, _charset(spec, parsed))
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


def _predict(model, x: np.ndarray) -> np.ndarray:
    if len(x) == 0:
        return np.zeros((0, 1), np.float32)
    return np.asarray(model.predict((x.astype(np.float32) / 255.0)[..., None], batch_size=1024, verbose=0))
