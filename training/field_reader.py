"""The field reader's one trainer: `fit(start_from, data, config, progress)`.

The field reader reads a form field's word strip with CTC (recognition/pipeline/sequence.py).
From scratch (`start_from` None) a new network learns generated fields, real EMNIST
handwriting laid out and scanned as training/field_synth.py describes
(`generated_data`); from a model version it starts from that version's reader and
learns reviewers' corrected words mixed with generated fields (`correction_data`),
and is measured against it. Either way the result is written as a bundle network
(`save`, with `reader_meta`). training/train_reader.py and training/finetune_reader.py
are the wrappers. Plain Python: no Django.
"""

from __future__ import annotations

import pickle
import time
import unicodedata
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from rapidfuzz.distance import Levenshtein

from recognition.pipeline import bundle
from recognition.pipeline.bundle import ModelBundle
from recognition.pipeline.charsets import CharsetError, parse_charset
from recognition.pipeline.sequence import (
    DOWNSAMPLE,
    LINE_HEIGHT,
    best_path,
    fold_frames,
    frame_softmax,
    greedy_path,
    pad_batch,
)

from .data import Emnist, Split, load_emnist, split_indices
from .feedback import WordFeedback
from .field_synth import ALPHABET, GlyphBank, crop_to_ink, field_sample, field_text
from .fitted import network_meta, save_network

Progress = Callable[[dict], None]
Fields = list[tuple[np.ndarray, str]]  # (uint8 strip (32, w), ink bright; its text)

MAX_LABEL = 24
_bank: GlyphBank | None = None  # shared with forked workers


@dataclass
class ReaderConfig:
    """How the network learns; what it learns from is `ReaderData`."""

    epochs: int = 12
    batch_size: int = 64
    learning_rate: float = 1e-3
    final_rate: float | None = 0.02  # the cosine decay ends at this share of learning_rate; None: constant
    # Batch statistics stay the start's: a few hundred strips must not shift them.
    freeze_batch_statistics: bool = False
    curve: bool = True  # validate on the generated fields after every epoch (loss, fields, CER)
    seed: int = 11


@dataclass
class ReaderData:
    """What the field reader learns from and is measured on: `fields` learnt every
    epoch, and `corrections` learnt each with `variations` new variations per epoch;
    generated `validation` fields; held-out corrections, when there are some, read
    before and after. `rng` is the run's one random stream: the data may already have
    drawn from it, and training goes on drawing from it (variations, batch order)."""

    alphabet: list[str]
    fields: Fields
    validation: Fields
    rng: np.random.Generator
    corrections: Fields = field(default_factory=list)
    variations: int = 0
    holdout: WordFeedback | None = None
    counts: dict = field(default_factory=dict)  # what went in, for the reader's meta.json

    @property
    def epoch_size(self) -> int:
        return len(self.fields) + len(self.corrections) * (1 + self.variations)

    def epoch_fields(self) -> Fields:
        fields = list(self.fields)
        for strip, text in self.corrections:
            fields.append((strip, text))
            fields += [(vary_strip(strip, self.rng), text) for _ in range(self.variations)]
        return fields


@dataclass
class FittedReader:
    model: object  # the trained Keras network
    alphabet: list[str]
    height: int
    parent: str | None  # the reader it started from
    metrics: dict
    history: dict[str, list[float]]


def generated_data(emnist: Emnist, split: Split, *, samples: int, validation: int, seed: int, workers: int,
                   cache: Path) -> ReaderData:
    """What a new reader learns: `samples` generated fields written with EMNIST's
    training glyphs, validated on `validation` written with its validation glyphs
    (both cached in `cache`, by count and seed)."""
    train_bank = GlyphBank(emnist.images[split.train], emnist.labels[split.train], emnist.mapping)
    val_bank = GlyphBank(emnist.images[split.validation], emnist.labels[split.validation], emnist.mapping)
    train = cached_fields(train_bank, samples, seed, workers, cache)
    val = cached_fields(val_bank, validation, seed + 1, workers, cache)
    return ReaderData(list(ALPHABET), train, val, np.random.default_rng(seed))


def correction_data(alphabet: list[str], words: WordFeedback, holdout: WordFeedback, emnist_path: Path, *,
                    base_fields: int, validation_fields: int, variations: int, writer_fields: int,
                    writer_glyph_share: float, seed: int, cache: Path,
                    glyphs: tuple[np.ndarray, list[str]] | None = None, progress: Progress | None = None) -> ReaderData:
    """What a version's reader learns from its reviewers' corrected words: the strips
    in the reader's alphabet (each with `variations` new variations per epoch), mixed
    with `base_fields` generated fields so the reader keeps what it knew, and
    `writer_fields` generated capitals fields written partly (`writer_glyph_share` of
    the draws) with the corrected characters' own `glyphs` (28x28 crops, ink bright, and
    their labels): the writers' letter shapes in many more words than they corrected."""
    report = progress or (lambda _p: None)
    rng = np.random.default_rng(seed)
    report({"stage": "preparing reader data"})
    kept = [(strip, plain) for strip, text in zip(words.strips, words.texts)
            if (plain := trainable_text(text, alphabet)) is not None]
    emnist = load_emnist(emnist_path)
    split = split_indices(emnist.labels)
    bank = GlyphBank(emnist.images[split.train], emnist.labels[split.train], emnist.mapping)
    base = cached_fields(bank, base_fields, seed, 2, cache) if base_fields else []
    val_bank = GlyphBank(emnist.images[split.validation], emnist.labels[split.validation], emnist.mapping)
    val = cached_fields(val_bank, validation_fields, seed + 1, 2, cache)
    writers = None
    if glyphs is not None and writer_fields:
        writers = WritersGlyphBank(bank, glyphs[0], glyphs[1], writer_glyph_share)
    if writers is not None and writers.by_char:
        report({"stage": "writing fields in the writers' letters"})
        base = base + fields_in_writers_letters(writers, writer_fields, rng)
    counts = {"feedback_words": len(kept), "feedback_words_dropped": len(words) - len(kept),
              "holdout_words": len(holdout), "generated_fields": len(base),
              "writer_glyphs": sum(len(v) for v in writers.by_char.values()) if writers else 0}
    return ReaderData(list(alphabet), base, val, rng, kept, variations, holdout, counts)


def fit(start_from: ModelBundle | str | Path | None, data: ReaderData, config: ReaderConfig,
        progress: Progress | None = None) -> FittedReader:
    """Train the field reader: a new network (`start_from` None) or a copy of a model
    version's (a bundle, or the reader's own folder), on `data`. With `config.curve` it
    is validated on the generated fields after every epoch (printed, and kept in its
    history); when `data` has held-out corrections, they and the generated fields are
    read as recognition reads them, by the network it started from and by the new one.
    Epochs are reported to `progress` as they finish."""
    report = progress or (lambda _p: None)
    import keras
    import tensorflow as tf

    from .reader_model import build_reader

    keras.utils.set_random_seed(config.seed)
    parent, height, before = None, LINE_HEIGHT, None
    if start_from is None:
        model = build_reader(len(data.alphabet))
    else:
        if isinstance(start_from, ModelBundle):
            folder = start_from.folder / bundle.FIELD_READER_DIR
        else:
            folder = Path(start_from)
        info = bundle.read_reader_info(folder)
        if info.alphabet != data.alphabet:
            raise ValueError(f"{folder}: the reader's alphabet is not the data's")
        model = bundle.load_network(folder)
        parent, height = info.version, info.height
    if config.freeze_batch_statistics:
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
    if start_from is not None and data.holdout is not None:
        before = _compare(model, data)

    rate = config.learning_rate
    if config.final_rate is not None:
        steps_per_epoch = int(np.ceil(data.epoch_size / config.batch_size))
        rate = keras.optimizers.schedules.CosineDecay(
            config.learning_rate, decay_steps=steps_per_epoch * config.epochs, alpha=config.final_rate
        )
    train_step = ctc_train_step(model, keras.optimizers.Adam(rate, clipnorm=5.0))

    @tf.function(reduce_retracing=True)
    def predict(x):
        return model(x, training=False)

    history: dict[str, list[float]] = {"loss": []}
    if config.curve:
        history.update(val_loss=[], val_field_accuracy=[], val_cer=[])
    for epoch in range(config.epochs):
        t0 = time.time()
        fields = data.epoch_fields()
        losses = [float(train_step(*batch_arrays(fields, indices)))
                  for indices in make_batches(fields, config.batch_size, data.rng)]
        history["loss"].append(float(np.mean(losses)) if losses else 0.0)
        if config.curve:
            val = validate(data.validation, predict, ctc_loss, config.batch_size)
            for key, value in val.items():
                history[key].append(value)
            print(f"epoch {epoch + 1}/{config.epochs}: loss {history['loss'][-1]:.3f}, val loss {val['val_loss']:.3f}, "
                  f"val field accuracy {val['val_field_accuracy']:.3f}, val CER {val['val_cer']:.3f} "
                  f"({time.time() - t0:.0f}s)", flush=True)
        report({"stage": "training reader", "epoch": epoch + 1, "epochs": config.epochs,
                "reader_loss": round(history["loss"][-1], 4)})

    report({"stage": "evaluating reader"})
    metrics = {k: round(v[-1], 4) for k, v in history.items() if k.startswith("val")}
    if data.holdout is not None:
        after = _compare(model, data)
        for key in after:
            metrics[key] = after[key]
            if before is not None:
                metrics["parent_" + key] = before[key]
    return FittedReader(model, list(data.alphabet), height, parent, metrics, history)


def _compare(model, data: ReaderData) -> dict:
    """The held-out corrections and the generated validation fields, read as
    recognition reads them (folded onto each field's character set)."""
    holdout, val = data.holdout, data.validation
    truth = [trainable_text(t, data.alphabet) or t for t in holdout.texts]
    return {
        "feedback_holdout": word_figures(read_words(model, holdout.strips, data.alphabet, holdout.charsets), truth),
        "generated": word_figures(read_words(model, [f[0] for f in val], data.alphabet, ["any"] * len(val)),
                                  [f[1] for f in val]),
    }


def reader_meta(version: str, fitted: FittedReader, data_counts: dict, started: float, *,
                parent: str | None = None, recipe: dict | None = None, command: str | None = None) -> dict:
    """The meta.json of a field reader; `parent` names the reader a fine-tuned one replaces."""
    head = {"version": version, "kind": bundle.FIELD_READER, "alphabet": fitted.alphabet, "height": fitted.height}
    return network_meta(head, fitted.model, fitted.metrics, data_counts, started, parent=parent, recipe=recipe,
                        command=command)


def save(folder: Path, fitted: FittedReader, meta: dict) -> None:
    """The trained network, its meta.json and its history.json -> `folder`."""
    save_network(folder, fitted.model, fitted.history, meta)


def ctc_loss(y, logits):
    """Mean CTC loss of a batch; `y` rows are (input frames, label length, labels...) as
    `batch_arrays` packs them."""
    import keras

    return keras.ops.mean(keras.ops.ctc_loss(y[:, 2:], logits, y[:, 1], y[:, 0], mask_index=0))


def ctc_train_step(model, optimizer):
    """One compiled training step (x, y) -> loss."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = ctc_loss(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return train_step


def _generate_chunk(args) -> Fields:
    count, seed = args
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        sample = field_sample(_bank, rng)
        if sample is not None and len(sample[1]) <= MAX_LABEL:
            strip, text = sample
            out.append(((strip * 255).astype(np.uint8), text))
    return out


def generate(bank: GlyphBank, count: int, seed: int, workers: int, chunk: int = 500) -> Fields:
    global _bank
    _bank = bank
    jobs = [(min(chunk, count - start), seed * 100_003 + k) for k, start in enumerate(range(0, count, chunk))]
    out: Fields = []
    started = time.time()
    with ProcessPoolExecutor(workers) as pool:
        for part in pool.map(_generate_chunk, jobs):
            out += part
            if len(out) % 10_000 < chunk:
                print(f"  {len(out)} / {count} fields ({time.time() - started:.0f}s)", flush=True)
    return out


def cached_fields(bank: GlyphBank, count: int, seed: int, workers: int, cache: Path) -> Fields:
    path = cache / f"fields-{count}-{seed}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    fields = generate(bank, count, seed, workers)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL))
    return fields


def encode(text: str) -> list[int]:
    return [ALPHABET.index(c) + 1 for c in text]


def make_batches(fields: Fields, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Index batches of similar width, so little of each batch is padding."""
    order = np.argsort([f[0].shape[1] + rng.uniform(0, 24) for f in fields])
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def batch_arrays(fields: Fields, indices) -> tuple[np.ndarray, np.ndarray]:
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


def validate(val: Fields, predict, loss_of, batch_size: int) -> dict[str, float]:
    """Loss, exact-field accuracy and CER of greedy readings on generated fields, fed
    as training feeds them (`batch_arrays`), over the reader's whole alphabet."""
    losses, reads = [], []
    for start in range(0, len(val), batch_size):
        indices = np.arange(start, min(start + batch_size, len(val)))
        x, y = batch_arrays(val, indices)
        logits = np.asarray(predict(x))
        losses.append(float(loss_of(y, logits)) * len(indices))
        reads += [greedy_path(logits[row, : y[row, 0]], ALPHABET)[0] for row in range(len(indices))]
    figures = reading_figures(reads, [f[1] for f in val])
    return {"val_loss": sum(losses) / len(val), "val_field_accuracy": figures["accuracy"], "val_cer": figures["cer"]}


def read_words(model, strips: list[np.ndarray], alphabet: list[str], charsets: list[str]) -> list[str]:
    """Greedy readings folded onto each word's character set, as recognition reads."""
    reads = []
    for start in range(0, len(strips), 64):
        part = [s.astype(np.float32) / 255.0 for s in strips[start : start + 64]]
        batch, frames = pad_batch(part)
        probs = frame_softmax(np.asarray(model(batch, training=False)))
        for row, n in enumerate(frames):
            spec = charsets[start + row]
            try:
                charset = parse_charset(spec)
            except CharsetError:
                charset = parse_charset("any")
            reads.append(best_path(fold_frames(probs[row, :n], alphabet, charset))[0])
    return reads


def reading_figures(reads: list[str], truths: list[str]) -> dict[str, float]:
    """The share of readings that spell their truth exactly, and the character error
    rate (edits over the truths' characters)."""
    right = sum(read == truth for read, truth in zip(reads, truths))
    errors = sum(Levenshtein.distance(read, truth) for read, truth in zip(reads, truths))
    return {"accuracy": right / len(truths), "cer": errors / max(1, sum(len(t) for t in truths))}


def word_figures(reads: list[str], truths: list[str]) -> dict:
    """`reading_figures` of words as a reviewer compares them: case and spacing aside."""
    if not truths:
        return {"words": 0, "word_accuracy": None, "cer": None}
    got = [" ".join(r.upper().split()) for r in reads]
    norm = [" ".join(t.upper().split()) for t in truths]
    figures = reading_figures(got, norm)
    return {"words": len(truths), "word_accuracy": round(figures["accuracy"], 4), "cer": round(figures["cer"], 4)}


def trainable_text(text: str, alphabet: list[str]) -> str | None:
    """The correction in the reader's alphabet (accents dropped), or None."""
    plain = unicodedata.normalize("NFKD", " ".join(text.split())).encode("ascii", "ignore").decode()
    return plain if plain and all(c in alphabet for c in plain) else None


def vary_strip(strip: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A corrected strip written a little differently: narrower or wider, slanted,
    a thinner or thicker pen."""
    h, w = strip.shape
    stretch = rng.uniform(0.85, 1.15)
    shear = rng.uniform(-0.15, 0.15)
    m = np.array([[stretch, shear, -shear * h / 2], [0.0, 1.0, 0.0]], np.float32)
    new_w = max(DOWNSAMPLE * 4, int(round(w * stretch / DOWNSAMPLE)) * DOWNSAMPLE)
    out = cv2.warpAffine(strip, m, (new_w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    roll = rng.random()
    if roll < 0.25:
        out = cv2.dilate(out, np.ones((2, 2), np.uint8))
    elif roll < 0.45:
        out = cv2.erode(out, np.ones((2, 1), np.uint8))
    return out


class WritersGlyphBank:
    """Glyphs for generated fields: for a character the reviewers corrected, one of
    their writers' crops (`share` of the draws); otherwise the base bank's."""

    def __init__(self, base, crops: np.ndarray, labels: list[str], share: float):
        self.base = base
        self.share = share
        self.by_char: dict[str, list[np.ndarray]] = {}
        for crop, label in zip(crops, labels):
            if len(label) == 1 and label.isalnum() and (crop > 40).any():
                self.by_char.setdefault(label, []).append(crop)

    def glyph(self, ch: str, rng: np.random.Generator) -> np.ndarray:
        pool = self.by_char.get(ch)
        if not pool or rng.random() >= self.share:
            return self.base.glyph(ch, rng)
        return crop_to_ink(pool[rng.integers(len(pool))])


def fields_in_writers_letters(bank: WritersGlyphBank, count: int, rng: np.random.Generator) -> Fields:
    """`count` generated fields of capitals (the writers' glyphs are capitals fields'
    crops), as (uint8 strip, text) pairs like the generated training fields."""
    out: Fields = []
    while len(out) < count:
        sample = field_sample(bank, rng, text=field_text(rng).upper())
        if sample is not None and len(sample[1]) <= MAX_LABEL:
            out.append(((sample[0] * 255).astype(np.uint8), sample[1]))
    return out
