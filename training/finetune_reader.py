"""Fine-tune the sequence reader on reviewers' word corrections, without forgetting
what it learnt: the corrected strips (plus light variations of them) are mixed with
generated fields, and the new reader is measured against its parent on a held-out
slice of the corrections and on generated fields. Plain Python: no Django.

The character classifier and the reader of one model version are fine-tuned together
(training/finetune.py calls this for the version's `reader/`).
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
from rapidfuzz.distance import Levenshtein

from recognition.pipeline.charsets import CharsetError, parse_charset
from recognition.pipeline.sequence import DOWNSAMPLE, LINE_HEIGHT, best_path, fold_frames, frame_softmax, pad_batch

from .field_synth import GlyphBank, crop_to_ink, field_sample, field_text

Progress = Callable[[dict], None]


@dataclass
class WordFeedback:
    """Reader strips of corrected words (uint8 (32, w), ink bright), their texts and the
    character set of the field each came from."""

    strips: list[np.ndarray]
    texts: list[str]
    charsets: list[str]

    @classmethod
    def empty(cls) -> WordFeedback:
        return cls([], [], [])

    def __len__(self) -> int:
        return len(self.texts)

    def save(self, path: Path) -> None:
        widths = np.array([s.shape[1] for s in self.strips], np.int32)
        flat = np.concatenate([s for s in self.strips], axis=1) if self.strips else np.zeros((LINE_HEIGHT, 0))
        np.savez_compressed(path, flat=flat.astype(np.uint8), widths=widths, texts=np.array(self.texts, dtype="U200"),
                            charsets=np.array(self.charsets, dtype="U200"))

    @classmethod
    def load(cls, path: Path) -> WordFeedback:
        with np.load(path) as data:
            edges = np.concatenate([[0], np.cumsum(data["widths"])])
            strips = [data["flat"][:, a:b] for a, b in zip(edges[:-1], edges[1:])]
            return cls(strips, [str(t) for t in data["texts"]], [str(c) for c in data["charsets"]])


@dataclass
class ReaderFinetuneConfig:
    epochs: int = 3
    base_fields: int = 12000  # generated fields mixed in, so the reader keeps what it knew
    feedback_copies: int = 8  # light variations of each corrected strip per epoch
    # Generated capitals fields written partly with the corrected characters' own
    # glyphs: the writers' letter shapes in many more words than they corrected.
    writer_fields: int = 0
    writer_glyph_share: float = 0.5
    validation_fields: int = 1000
    learning_rate: float = 2e-4
    batch_size: int = 32
    seed: int = 13


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


def writer_fields(bank: WritersGlyphBank, count: int, rng: np.random.Generator) -> list[tuple[np.ndarray, str]]:
    """`count` generated fields of capitals (the writers' glyphs are capitals fields'
    crops), as (uint8 strip, text) pairs like `train_reader`'s."""
    from .train_reader import MAX_LABEL

    out: list[tuple[np.ndarray, str]] = []
    while len(out) < count:
        sample = field_sample(bank, rng, text=field_text(rng).upper())
        if sample is not None and len(sample[1]) <= MAX_LABEL:
            out.append(((sample[0] * 255).astype(np.uint8), sample[1]))
    return out


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


def word_figures(reads: list[str], truths: list[str]) -> dict:
    if not truths:
        return {"words": 0, "word_accuracy": None, "cer": None}
    norm = [" ".join(t.upper().split()) for t in truths]
    got = [" ".join(r.upper().split()) for r in reads]
    errors = sum(Levenshtein.distance(a, b) for a, b in zip(got, norm))
    return {"words": len(truths), "word_accuracy": round(float(np.mean([a == b for a, b in zip(got, norm)])), 4),
            "cer": round(errors / max(1, sum(len(t) for t in norm)), 4)}


def finetune_reader(
    base_dir: Path,
    out_dir: Path,
    version: str,
    words: WordFeedback,
    holdout: WordFeedback,
    emnist_path: Path,
    config: ReaderFinetuneConfig | None = None,
    progress: Progress | None = None,
    glyphs: tuple[np.ndarray, list[str]] | None = None,
) -> dict:
    """Train the reader in `base_dir` on the corrections and write it to `out_dir`;
    returns its meta (also written as meta.json). `glyphs` are corrected character
    crops (28x28, ink bright) and their labels, for `config.writer_fields`."""
    import keras

    from .data import load_emnist, split_indices
    from .train import save_for_inference
    from .train_reader import batch_arrays, cached_fields, ctc_train_step, make_batches

    config = config or ReaderFinetuneConfig()
    report = progress or (lambda _p: None)
    started = time.time()
    base_meta = json.loads((Path(base_dir) / "meta.json").read_text())
    alphabet = list(base_meta["alphabet"])
    rng = np.random.default_rng(config.seed)

    report({"stage": "preparing reader data"})
    kept = []
    for strip, text, charset in zip(words.strips, words.texts, words.charsets):
        plain = trainable_text(text, alphabet)
        if plain is not None:
            kept.append((strip, plain, charset))
    emnist = load_emnist(emnist_path)
    split = split_indices(emnist.labels)
    cache = Path(out_dir).parent / ".reader-data"
    bank = GlyphBank(emnist.images[split.train], emnist.labels[split.train], emnist.mapping)
    base = cached_fields(bank, config.base_fields, config.seed, 2, cache) if config.base_fields else []
    val_bank = GlyphBank(emnist.images[split.validation], emnist.labels[split.validation], emnist.mapping)
    val = cached_fields(val_bank, config.validation_fields, config.seed + 1, 2, cache)
    writers = None
    if glyphs is not None and config.writer_fields:
        writers = WritersGlyphBank(bank, glyphs[0], glyphs[1], config.writer_glyph_share)
    if writers is not None and writers.by_char:
        report({"stage": "writing fields in the writers' letters"})
        base = base + writer_fields(writers, config.writer_fields, rng)

    keras.utils.set_random_seed(config.seed)
    model = keras.models.load_model(Path(base_dir) / "model.keras", compile=False)
    # Batch statistics stay the parent's: a few hundred strips must not shift them.
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    hold_truth = [trainable_text(t, alphabet) or t for t in holdout.texts]
    parent_holdout = word_figures(read_words(model, holdout.strips, alphabet, holdout.charsets), hold_truth)
    parent_generated = word_figures(read_words(model, [f[0] for f in val], alphabet, ["any"] * len(val)),
                                    [f[1] for f in val])

    optimizer = keras.optimizers.Adam(config.learning_rate, clipnorm=5.0)

    train_step = ctc_train_step(model, optimizer)

    history: dict[str, list[float]] = {"reader_loss": []}
    for epoch in range(config.epochs):
        fields = list(base)
        for strip, text, _charset in kept:
            fields.append((strip, text))
            fields += [(vary_strip(strip, rng), text) for _ in range(config.feedback_copies)]
        losses = [float(train_step(*batch_arrays(fields, idx))) for idx in make_batches(fields, config.batch_size, rng)]
        history["reader_loss"].append(float(np.mean(losses)) if losses else 0.0)
        report({"stage": "training reader", "epoch": epoch + 1, "epochs": config.epochs,
                "reader_loss": round(history["reader_loss"][-1], 4)})

    report({"stage": "evaluating reader"})
    metrics = {
        "feedback_holdout": word_figures(read_words(model, holdout.strips, alphabet, holdout.charsets), hold_truth),
        "parent_feedback_holdout": parent_holdout,
        "generated": word_figures(read_words(model, [f[0] for f in val], alphabet, ["any"] * len(val)),
                                  [f[1] for f in val]),
        "parent_generated": parent_generated,
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_for_inference(model, out_dir / "model.keras")
    meta = {
        "version": version,
        "kind": "sequence-reader",
        "alphabet": alphabet,
        "height": base_meta.get("height", LINE_HEIGHT),
        "parent": base_meta["version"],
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {"feedback_words": len(kept), "feedback_words_dropped": len(words) - len(kept),
                 "holdout_words": len(holdout), "generated_fields": len(base),
                 "writer_glyphs": sum(len(v) for v in writers.by_char.values()) if writers else 0},
        "metrics": metrics,
        "finetune": config.__dict__,
        "train_seconds": round(time.time() - started, 1),
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2))
    (out_dir / "history.json").write_text(json.dumps(history))
    return meta
