"""Train the line reader: a CNN + BiLSTM with CTC over whole line strips, on the real
handwritten lines of `../shared/data/lines` (train split) mixed with typewritten, printed
and handwriting-font lines rendered from their transcriptions, with degradation
augmentation. Checkpoints every few hundred steps; a killed run resumes where it stopped.

    python -m training.line_reader --work var/line-reader            # train or resume
    python -m training.line_reader --work var/line-reader --export training/models/lines-1/line_reader

The checkpoint kept for export is the one with the lowest CER on `lines/` val (979 lines
of other pages); pages-dev and the kept-aside letters are never used to choose it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from recognition.pipeline.read import DOWNSAMPLE, STRIP_HEIGHT, best_path, normalize_line, pad_batch, softmax

from .checkpoints import Checkpoints
from .paths import DATA_DIR, REPO_ROOT

LINES_DIR = DATA_DIR / "lines"
FONTS_DIR = DATA_DIR / "fonts"
# English and French text, the source conventions (^ superscripts, >struck<) and
# Esperanto's accented letters; anything else is dropped from a label.
ALPHABET = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "£°«»¡§"
    + "ÀÂÄÆÇÈÉÊËÎÏÔÖŒÙÛÜŸàâäæçèéêëîïôöœùûüÿáíóúñÁÍÓÚÑ"
    + "ĉĝĥĵŝŭĈĜĤĴŜŬ"
    + "‘’“”€"
)
TYPE_FONTS = [
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/freefont/FreeMono.ttf",
    "/usr/share/fonts/truetype/freefont/FreeMonoBold.ttf",
]
PRINT_FONTS = [
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerifItalic.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
]


@dataclass
class LineSample:
    pixels: np.ndarray  # uint8 (STRIP_HEIGHT, w), paper 0, ink 255
    text: str
    source: str


@dataclass
class Config:
    batch_size: int = 16
    learning_rate: float = 1e-3
    synthetic_per_epoch: int = 3000
    epochs: int = 30
    checkpoint_every: int = 300  # steps
    seed: int = 5
    # The learning rate halves every epoch from this one on (1-based).
    decay_from: int = 9
    # An exported line reader to go on from when the work folder is empty (its epochs
    # and history carry over; the optimizer starts afresh, with a new warm-up).
    start_from: Path | None = None


def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch in ALPHABET).strip()


def encode(text: str) -> list[int]:
    return [ALPHABET.index(ch) + 1 for ch in text]


def read_lines_tsv(lines_dir: Path = LINES_DIR) -> list[dict]:
    with open(lines_dir / "lines.tsv", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def load_real_lines(split: str, lines_dir: Path = LINES_DIR, cache: Path | None = None) -> list[LineSample]:
    """The `lines/` strips of one split, normalised as the pipeline normalises a cut line."""
    if cache is not None and cache.exists():
        data = np.load(cache, allow_pickle=True)
        return [LineSample(p, t, s) for p, t, s in zip(data["pixels"], data["texts"], data["sources"], strict=True)]
    out = []
    for row in read_lines_tsv(lines_dir):
        if row["split"] != split:
            continue
        text = clean_text(row["text"])
        gray = cv2.imread(str(lines_dir / row["file"]), cv2.IMREAD_GRAYSCALE)
        if not text or gray is None:
            continue
        pixels, _ = normalize_line(gray)
        out.append(LineSample((pixels * 255).astype(np.uint8), text, row["source"]))
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        pix = np.empty(len(out), object)
        pix[:] = [s.pixels for s in out]
        np.savez(cache, pixels=pix, texts=np.array([s.text for s in out], object),
                 sources=np.array([s.source for s in out], object))
    return out


# ---------------------------------------------------------------- synthetic lines
_font_cache: dict = {}


def _font(path: str, size: int):
    from PIL import ImageFont

    key = (path, size)
    if key not in _font_cache:
        _font_cache[key] = ImageFont.truetype(path, size)
    return _font_cache[key]


def handwriting_fonts(fonts_dir: Path = FONTS_DIR) -> list[str]:
    return sorted(str(p) for p in fonts_dir.glob("*.ttf") if not p.name.endswith(".latin-ext.ttf"))


def render_line(text: str, font_path: str, rng: np.random.Generator) -> np.ndarray:
    """Text drawn in a font on gray paper, then scanned badly: -> gray uint8 crop."""
    from PIL import Image, ImageDraw

    size = int(rng.integers(26, 44))
    font = _font(font_path, size)
    left, top, right, bottom = font.getbbox(text)
    pad_x, pad_y = int(rng.integers(2, 14)), int(rng.integers(2, 12))
    w, h = right - left + 2 * pad_x, bottom - top + 2 * pad_y
    paper = int(rng.integers(170, 250))
    ink = int(rng.integers(0, max(1, paper - 110)))
    im = Image.new("L", (max(8, w), max(8, h)), paper)
    ImageDraw.Draw(im).text((pad_x - left, pad_y - top), text, fill=ink, font=font)
    g = np.asarray(im, np.float32)
    if rng.random() < 0.5:  # worn ribbon, uneven ink
        g = paper - (paper - g) * rng.uniform(0.5, 1.0, size=(1, g.shape[1])).astype(np.float32) ** 0.5
    if rng.random() < 0.5:
        g = cv2.GaussianBlur(g, (0, 0), rng.uniform(0.4, 1.3))
    g += rng.normal(0, rng.uniform(2, 12), g.shape).astype(np.float32)
    return np.clip(g, 0, 255).astype(np.uint8)


def synthetic_lines(texts: list[str], count: int, rng: np.random.Generator, hand_fonts: list[str]) -> list[LineSample]:
    """Typewritten (45%), printed (25%) and handwriting-font (30%) lines of real text."""
    out = []
    type_fonts = [f for f in TYPE_FONTS if Path(f).exists()]
    print_fonts = [f for f in PRINT_FONTS if Path(f).exists()]
    while len(out) < count:
        text = texts[int(rng.integers(len(texts)))]
        roll = rng.random()
        if roll < 0.45 and type_fonts:
            font, kind = type_fonts[int(rng.integers(len(type_fonts)))], "synthetic-typewritten"
        elif roll < 0.7 and print_fonts:
            font, kind = print_fonts[int(rng.integers(len(print_fonts)))], "synthetic-print"
            if rng.random() < 0.3:
                text = text.upper()
        else:
            font, kind = hand_fonts[int(rng.integers(len(hand_fonts)))], "synthetic-hand"
            text = "".join(ch for ch in text if ord(ch) < 0x100 or ch in "Œœ‘’“”€")
        text = clean_text(text)
        if not text:
            continue
        try:
            gray = render_line(text, font, rng)
        except (OSError, ValueError):
            continue
        pixels, _ = normalize_line(gray)
        out.append(LineSample((pixels * 255).astype(np.uint8), text, kind))
    return out


# ---------------------------------------------------------------- augmentation
def augment(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uint8 strip seen by another scanner and another hand: width, slant, stroke
    width, blur, contrast and noise. Cheap: it runs on every sample of every epoch."""
    x = pixels.astype(np.float32) / 255.0
    h, w = x.shape
    sx = rng.uniform(0.8, 1.2)
    shear = rng.uniform(-0.3, 0.3)
    dy = rng.uniform(-2, 2)
    new_w = int(np.clip(round(w * sx + abs(shear) * h), 16, 2048))
    m = np.array([[sx, shear, -shear * h / 2 + (abs(shear) * h) / 2], [0, rng.uniform(0.9, 1.05), dy]], np.float32)
    x = cv2.warpAffine(x, m, (new_w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    r = rng.random()
    if r < 0.15:
        x = cv2.dilate(x, np.ones((2, 2), np.uint8))
    elif r < 0.3:
        x = cv2.erode(x, np.ones((2, 1), np.uint8))
    if rng.random() < 0.2:
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.5, 1.2))
    x = x * rng.uniform(0.6, 1.0)
    if rng.random() < 0.5:
        x = x + rng.normal(0, rng.uniform(0.01, 0.08), x.shape).astype(np.float32)
    width = -(-x.shape[1] // DOWNSAMPLE) * DOWNSAMPLE
    if width != x.shape[1]:
        x = np.pad(x, ((0, 0), (0, width - x.shape[1])))
    return np.clip(x, 0, 1)


# ---------------------------------------------------------------- the network
def build_line_reader(n_symbols: int, height: int = STRIP_HEIGHT):
    import keras
    from keras import layers

    def conv(x, filters: int):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        return layers.ReLU()(x)

    inputs = keras.Input((height, None, 1), name="strip")
    x = conv(inputs, 24)
    x = layers.MaxPooling2D((2, 2))(x)  # 24 x W/2
    x = conv(x, 48)
    x = layers.MaxPooling2D((2, 2))(x)  # 12 x W/4
    x = conv(conv(x, 64), 64)
    x = layers.MaxPooling2D((2, 1))(x)  # 6 x W/4
    x = conv(conv(x, 96), 96)
    x = layers.MaxPooling2D((2, 1))(x)  # 3 x W/4
    x = layers.Permute((2, 1, 3))(x)
    x = layers.Reshape((-1, 3 * 96))(x)
    x = layers.Dense(192, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Bidirectional(layers.LSTM(128, return_sequences=True))(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Bidirectional(layers.LSTM(128, return_sequences=True))(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(n_symbols + 1, name="frames")(x)  # class 0: the CTC blank
    return keras.Model(inputs, outputs, name="hwr_line_reader")


def batch_arrays(samples: list[LineSample], rng: np.random.Generator | None):
    strips = [augment(s.pixels, rng) if rng is not None else s.pixels.astype(np.float32) / 255 for s in samples]
    x, frames = pad_batch(strips)
    labels = [encode(s.text) for s in samples]
    # CTC needs a frame per character and one between doubled letters.
    frames = np.maximum(frames, [len(lab) * 2 for lab in labels]).astype(np.int32)
    need = int(frames.max()) * DOWNSAMPLE
    if need > x.shape[2]:
        x = np.pad(x, ((0, 0), (0, 0), (0, need - x.shape[2]), (0, 0)))
    y = np.zeros((len(samples), max(1, max(len(lab) for lab in labels))), np.int32)
    for i, lab in enumerate(labels):
        y[i, : len(lab)] = lab
    return x, y, frames, np.array([len(lab) for lab in labels], np.int32)


def width_batches(samples: list[LineSample], batch_size: int, rng: np.random.Generator) -> list[list[int]]:
    """Batches of similar widths (less padding), in random order."""
    widths = np.array([s.pixels.shape[1] for s in samples]) * rng.uniform(0.9, 1.1, len(samples))
    order = np.argsort(widths)
    batches = [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def cer(pred: str, truth: str) -> tuple[int, int]:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(pred, truth), len(truth)


def evaluate(read, samples: list[LineSample], batch_size: int = 32) -> dict:
    """CER per source and over all lines; `read` maps float strips to texts."""
    errors: dict[str, list[int]] = {}
    order = np.argsort([s.pixels.shape[1] for s in samples])
    for i in range(0, len(order), batch_size):
        batch = [samples[j] for j in order[i : i + batch_size]]
        texts = read([s.pixels.astype(np.float32) / 255 for s in batch])
        for s, text in zip(batch, texts, strict=True):
            e, n = cer(text, s.text)
            for key in (s.source, "all"):
                errors.setdefault(key, [0, 0])
                errors[key][0] += e
                errors[key][1] += n
    return {k: round(e / max(1, n), 4) for k, (e, n) in sorted(errors.items())}


def greedy_reader(predict):
    """A compiled network call -> a function from strips to best-path texts."""

    def read(strips: list[np.ndarray]) -> list[str]:
        x, frames = pad_batch(strips)
        probs = softmax(np.asarray(predict(x), np.float64))
        return [best_path(p[:t], ALPHABET).text for p, t in zip(probs, frames, strict=True)]

    return read


# ---------------------------------------------------------------- training
def ctc_train_step(model, optimizer):
    """One optimizer step on a batch's mean CTC loss (batch_arrays' output) -> the loss."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def train_step(x, y, frames, lengths):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = tf.reduce_mean(tf.nn.ctc_loss(y, logits, lengths, frames, logits_time_major=False, blank_index=0))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return train_step


def learning_rate(config: Config, epoch: int, step: int) -> float:
    """Warm-up over the first 300 steps, then constant until `decay_from`, then halved
    every epoch. `epoch` counts from 0."""
    warm = min(1.0, (step + 1) / 300)
    return config.learning_rate * warm * (0.5 ** max(0, epoch + 2 - config.decay_from))


def fit(work: Path, config: Config, log=print) -> dict:
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(int(os.environ.get("HWR_TRAIN_THREADS", "2")))
    keras.utils.set_random_seed(config.seed)
    train = load_real_lines("train", cache=work / "train-lines.npz")
    val = load_real_lines("val", cache=work / "val-lines.npz")
    texts = [s.text for s in train]
    hand_fonts = handwriting_fonts()
    log(f"{len(train)} train lines, {len(val)} val lines, {len(hand_fonts)} handwriting fonts")
    model = build_line_reader(len(ALPHABET))
    optimizer = keras.optimizers.Adam(config.learning_rate, clipnorm=5.0)
    ckpt = Checkpoints(work, {"epoch": 0, "batch": 0, "step": 0, "best_cer": None, "history": []})
    resumed = ckpt.restore(model, optimizer)
    if not resumed and config.start_from is not None:
        _seed_from_export(model, config.start_from, ckpt)
    state = ckpt.state()
    log(f"{'resumed at' if resumed else 'starting'} epoch {state['epoch']} batch {state['batch']}")

    train_step = ctc_train_step(model, optimizer)

    @tf.function(reduce_retracing=True)
    def predict(x):
        return model(x, training=False)

    while state["epoch"] < config.epochs:
        epoch = state["epoch"]
        rng = np.random.default_rng([config.seed, epoch])
        synth = synthetic_lines(texts, config.synthetic_per_epoch, rng, hand_fonts)
        samples = train + synth
        batches = width_batches(samples, config.batch_size, rng)
        aug_rng = np.random.default_rng([config.seed, epoch, state["batch"]])
        t0, losses = time.time(), []
        for b in range(state["batch"], len(batches)):
            optimizer.learning_rate.assign(learning_rate(config, epoch, state["step"]))
            x, y, frames, lengths = batch_arrays([samples[i] for i in batches[b]], aug_rng)
            loss = float(train_step(x, y, frames, lengths))
            if np.isfinite(loss):
                losses.append(loss)
            state["step"] += 1
            state["batch"] = b + 1
            if state["step"] % 50 == 0:
                log(f"epoch {epoch + 1} batch {b + 1}/{len(batches)} loss {np.mean(losses[-50:]):.3f} "
                    f"({(time.time() - t0) / max(1, len(losses)):.2f}s/batch)")
            if state["step"] % config.checkpoint_every == 0:
                ckpt.save(model, optimizer, state)
        figures = evaluate(greedy_reader(predict), val)
        state["history"].append({"epoch": epoch + 1, "loss": float(np.mean(losses)) if losses else None,
                                 "val_cer": figures, "seconds": round(time.time() - t0)})
        log(f"epoch {epoch + 1}: loss {state['history'][-1]['loss']}, val CER {figures}")
        if state["best_cer"] is None or figures["all"] < state["best_cer"]:
            state["best_cer"] = figures["all"]
            state["best_epoch"] = epoch + 1
            model.save_weights(work / "best.weights.h5")
        state["epoch"], state["batch"] = epoch + 1, 0
        state["steps_per_epoch"] = len(batches)
        ckpt.save(model, optimizer, state)
    return state


def _seed_from_export(model, model_dir: Path, ckpt: Checkpoints) -> None:
    """Start a work folder from an exported line reader: its weights as both the last
    and the best checkpoint, its epochs and history as the progress so far."""
    import keras

    from recognition.pipeline import bundle

    meta = bundle.read_meta(model_dir)
    shipped = keras.models.load_model(model_dir / bundle.WEIGHTS, compile=False)
    model.set_weights(shipped.get_weights())
    model.save_weights(ckpt.work / "best.weights.h5")
    history = list(meta.get("history", []))
    state = dict(ckpt.initial, epoch=len(history), history=history, best_epoch=meta.get("best_epoch"),
                 best_cer=(meta.get("val_cer") or {}).get("all"), started_from=str(model_dir),
                 steps_per_epoch=meta.get("steps_per_epoch"))
    ckpt.write_state(state)


def export(work: Path, out: Path, version: str, decay_from: int = Config.decay_from) -> None:
    """The best checkpoint -> a line-reader folder of a model bundle."""
    from recognition.pipeline import bundle

    model = build_line_reader(len(ALPHABET))
    model.load_weights(work / "best.weights.h5")
    state = json.loads((work / "state.json").read_text())
    bundle.save_network(out, model, {
        "version": version,
        "kind": bundle.LINE_READER,
        "alphabet": ALPHABET,
        "strip_height": STRIP_HEIGHT,
        "downsample": DOWNSAMPLE,
        "best_epoch": state.get("best_epoch"),
        "val_cer": next((h["val_cer"] for h in state["history"] if h["epoch"] == state.get("best_epoch")), None),
        "history": state["history"],
        "parameters": int(model.count_params()),
        "synthetic_per_epoch": Config.synthetic_per_epoch,
        "steps_per_epoch": state.get("steps_per_epoch"),
        "decay_from": decay_from,
        "started_from": state.get("started_from"),
        "command": (f"python -m training.line_reader --epochs {len(state['history'])} --decay-from {decay_from}"
                    + (f" --start-from {state['started_from']}" if state.get("started_from") else "")
                    + f"\npython -m training.line_reader --export {out} --version {version}"),
    })


# ---------------------------------------------------------------- from corrections
@dataclass
class LineFinetuneConfig:
    steps: int = 800
    batch_size: int = 16
    # Share of each batch drawn from the corrections; the rest are lines/ train lines,
    # so the reader keeps the hands it knew (lines/ val is measured against the parent).
    feedback_share: float = 0.5
    learning_rate: float = 5e-4
    seed: int = 13


def finetune_line_reader(source: Path, target: Path, version: str, feedback, holdout,
                         config: LineFinetuneConfig | None = None, progress=None,
                         replay_cache: Path | None = None, lines_dir: Path | None = LINES_DIR) -> dict:
    """A line reader fine-tuned from `source` on corrected lines (`feedback`, a
    training.feedback.LineFeedback) mixed with lines/ train lines when the data is
    there (`lines_dir`; None: corrections only); measured against its parent on the
    held-out corrections and on lines/ val. Writes `target` (a line-reader folder) and
    returns its meta."""
    import keras
    import tensorflow as tf

    from recognition.pipeline import bundle

    config = config or LineFinetuneConfig()
    report = progress or (lambda _p: None)
    started = time.time()
    parent = bundle.read_meta(source)
    model = build_line_reader(len(ALPHABET))
    model.set_weights(keras.models.load_model(Path(source) / bundle.WEIGHTS, compile=False).get_weights())
    rng = np.random.default_rng(config.seed)
    keras.utils.set_random_seed(config.seed)
    fed = [LineSample(s, clean_text(t), "feedback") for s, t in zip(feedback.strips, feedback.texts, strict=True)]
    fed = [s for s in fed if s.text]
    held = [LineSample(s, clean_text(t), "feedback") for s, t in zip(holdout.strips, holdout.texts, strict=True)]
    held = [s for s in held if s.text]
    have_lines = lines_dir is not None and (lines_dir / "lines.tsv").exists()
    replay, val = [], []
    if have_lines:
        replay = load_real_lines("train", lines_dir, cache=replay_cache)
        val = load_real_lines("val", lines_dir, cache=replay_cache.with_name("val-lines.npz") if replay_cache else None)

    @tf.function(reduce_retracing=True)
    def predict(x):
        return model(x, training=False)

    def measure() -> dict:
        read = greedy_reader(predict)
        return {"feedback_holdout": evaluate(read, held)["all"] if held else None,
                "lines_val": evaluate(read, val) if val else None}

    report({"stage": "measuring the parent line reader"})
    before = measure()
    optimizer = keras.optimizers.Adam(config.learning_rate, clipnorm=5.0)

    train_step = ctc_train_step(model, optimizer)

    losses = []
    steps = config.steps if fed else 0
    n_fed = max(1, round(config.batch_size * config.feedback_share)) if replay else config.batch_size
    for step in range(steps):
        # Warm-up, then a cosine decay to a tenth: a few hundred steps on a few hundred lines.
        warm = min(1.0, (step + 1) / 50)
        optimizer.learning_rate.assign(
            config.learning_rate * warm * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * step / max(1, steps)))))
        batch = [fed[i] for i in rng.integers(0, len(fed), n_fed)]
        if replay:
            batch += [replay[i] for i in rng.integers(0, len(replay), config.batch_size - n_fed)]
        loss = float(train_step(*batch_arrays(batch, rng)))
        if np.isfinite(loss):
            losses.append(loss)
        if (step + 1) % 25 == 0:
            report({"stage": "fine-tuning the line reader", "step": step + 1, "steps": steps,
                    "loss": round(float(np.mean(losses[-25:])), 3) if losses else None})
    report({"stage": "measuring the new line reader"})
    after = measure() if steps else before
    metrics = {"feedback_holdout_cer": after["feedback_holdout"],
               "parent_feedback_holdout_cer": before["feedback_holdout"],
               "lines_val_cer": after["lines_val"], "parent_lines_val_cer": before["lines_val"]}
    meta = {
        "version": version, "kind": bundle.LINE_READER, "alphabet": ALPHABET, "strip_height": STRIP_HEIGHT,
        "downsample": DOWNSAMPLE, "parent": parent.get("version"),
        "val_cer": (after["lines_val"] or parent.get("val_cer")),
        "history": parent.get("history", []), "parameters": int(model.count_params()),
        "metrics": metrics,
        "data": {"feedback_lines": len(fed), "feedback_holdout_lines": len(held), "replay_lines": len(replay)},
        "finetune": {**{k: getattr(config, k) for k in ("steps", "batch_size", "feedback_share", "learning_rate",
                                                         "seed")},
                     "steps_run": steps, "seconds": round(time.time() - started)},
    }
    bundle.save_network(target, model, meta)
    bundle.carry_language_model(source, target)
    return bundle.read_meta(target)


def evaluate_bundle(model_dir: Path, work: Path | None = None) -> dict:
    """A version's line reader's CER on `lines/` val, per source: greedy decoding (the
    network alone) and, when the version has a language model, its beam search."""
    from recognition.pipeline import bundle

    reader = bundle.line_reader_of(model_dir)
    if reader is None:
        raise SystemExit(f"{model_dir} has no line reader")
    val = load_real_lines("val", cache=(work / "val-lines.npz") if work else None)

    figures = {"greedy": evaluate(lambda strips: [r.text for r in reader.read(strips, greedy=True)], val)}
    if reader.beam_settings is not None:
        figures["beam_search"] = evaluate(lambda strips: [r.text for r in reader.read(strips)], val)
    return figures


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", type=Path, default=REPO_ROOT / "var" / "line-reader")
    p.add_argument("--epochs", type=int, default=Config.epochs)
    p.add_argument("--batch-size", type=int, default=Config.batch_size)
    p.add_argument("--synthetic", type=int, default=Config.synthetic_per_epoch, help="rendered lines per epoch")
    p.add_argument("--decay-from", type=int, default=Config.decay_from,
                   help="halve the learning rate every epoch from this one (1-based) on")
    p.add_argument("--start-from", type=Path, default=None,
                   help="an exported line reader to go on from when --work holds no checkpoint")
    p.add_argument("--export", type=Path, default=None, help="write the best checkpoint here and stop")
    p.add_argument("--version", default="lines-1-reader")
    p.add_argument("--evaluate", type=Path, default=None, help="print this model version's CER on lines/ val")
    args = p.parse_args(argv)
    if args.evaluate:
        print(json.dumps(evaluate_bundle(args.evaluate, args.work), indent=1))
        return
    if args.export:
        export(args.work, args.export, args.version, args.decay_from)
        return
    config = Config(batch_size=args.batch_size, synthetic_per_epoch=args.synthetic, epochs=args.epochs,
                    decay_from=args.decay_from, start_from=args.start_from)
    fit(args.work, config, log=lambda m: print(m, flush=True))


if __name__ == "__main__":
    main()
