"""A second reader for a line or word: a CTC sequence model that reads the whole ink
strip at once, so it sees letters in their context and needs no character cuts.

The segmentation-by-recognition decoder proposes spellings with character boxes; this
reader scores any spelling, `log P(text | strip)`, by the CTC forward algorithm, and
proposes its own best path. `combine.combine_readings` weighs the two.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .charsets import Charset
from .ctc import BLANK, label_states, pad_strips, predecessor_scores, prefix_beam_search

LINE_HEIGHT = 32
PAD = 2  # blank rows above and below the ink, so strokes never touch the edge
DOWNSAMPLE = 4  # input columns per output frame
MIN_WIDTH = 16
SURE_BLANK = float(np.log(0.999))  # a frame this sure of the blank starts no new character in the beam


def normalize_strip(ink: np.ndarray, height: int = LINE_HEIGHT) -> np.ndarray:
    """Binary ink (255 = ink) of one line or word -> float32 (height, w) in [0, 1],
    ink tight between PAD rows, aspect ratio kept, width a multiple of DOWNSAMPLE."""
    ys, xs = np.nonzero(ink)
    if ys.size == 0:
        return np.zeros((height, MIN_WIDTH), np.float32)
    crop = (ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] > 0).astype(np.float32)
    h, w = crop.shape
    scale = (height - 2 * PAD) / h
    new_w = max(1, int(round(w * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    body = cv2.resize(crop, (new_w, height - 2 * PAD), interpolation=interp)
    width = max(MIN_WIDTH, -(-(new_w + 2 * PAD) // DOWNSAMPLE) * DOWNSAMPLE)
    out = np.zeros((height, width), np.float32)
    out[PAD : PAD + body.shape[0], PAD : PAD + new_w] = body
    return out


def pad_batch(strips: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return pad_strips(strips, DOWNSAMPLE)


@dataclass
class FoldedFrames:
    """Per-frame log-probabilities over a charset: column 0 is the blank, column k+1
    is `symbols[k]`."""

    log_probs: np.ndarray  # (T, 1 + len(symbols))
    symbols: list[str]

    def index_of(self, ch: str) -> int | None:
        try:
            return self.symbols.index(ch) + 1
        except ValueError:
            return None


def fold_frames(probs: np.ndarray, alphabet: list[str], charset: Charset) -> FoldedFrames:
    """(T, 1 + len(alphabet)) softmax -> log-probabilities over the blank and the
    charset's characters: case variants and look-alikes add up, as for glyphs. Mass on
    characters the field cannot hold is dropped and the rest renormalised."""
    symbols = sorted({f for a in alphabet if (f := charset.fold(a)) is not None})
    column = {s: i + 1 for i, s in enumerate(symbols)}
    folded = np.zeros((probs.shape[0], len(symbols) + 1), np.float64)
    folded[:, 0] = probs[:, BLANK]
    for k, label in enumerate(alphabet):
        target = charset.fold(label)
        if target is not None:
            folded[:, column[target]] += probs[:, k + 1]
    folded /= np.maximum(folded.sum(axis=1, keepdims=True), 1e-12)
    return FoldedFrames(np.log(np.maximum(folded, 1e-12)), symbols)


def confident_characters(probs: np.ndarray, alphabet: list[str], charset: Charset, certainty: float = 0.8) -> float:
    """How many of the field's characters the reader hears clearly in a strip: the
    characters of its greedy reading that the charset holds as they are (case aside,
    but no look-alikes: a handwritten 0 is no evidence for a field of capitals), each
    counted by its peak probability when that is at least `certainty`. Box edges, print
    cut by the crop and strokes of neighbouring fields are heard as characters too, but
    seldom clearly; print, which the reader was taught to hear nothing in, adds little."""
    own = sorted({c for c in charset.chars if c != " "})
    # Columns: the blank, each of the charset's own characters (both cases added up),
    # and everything else (digits in a field of letters, spaces) together.
    heard = np.zeros((probs.shape[0], len(own) + 2))
    heard[:, 0] = probs[:, BLANK]
    for k, label in enumerate(alphabet):
        target = next((c for c in (label, label.upper(), label.lower()) if c in own), None)
        column = own.index(target) + 1 if target is not None else len(own) + 1
        heard[:, column] += probs[:, k + 1]
    best = heard.argmax(axis=1)
    total = 0.0
    start = 0
    while start < len(best):
        end = start
        while end < len(best) and best[end] == best[start]:
            end += 1
        column = best[start]
        if column != BLANK and column <= len(own):
            peak = float(heard[start:end, column].max())
            total += peak if peak >= certainty else 0.0
        start = end
    return total


def ctc_log_likelihood(frames: FoldedFrames, text: str) -> float:
    """log P(text | strip) summed over all CTC alignments (the forward algorithm).
    -inf when the text holds a character the charset has no column for."""
    lp = frames.log_probs
    labels = []
    for ch in text:
        k = frames.index_of(ch)
        if k is None:
            return -np.inf
        labels.append(k)
    if not labels:
        return float(lp[:, BLANK].sum())
    states, can_skip = label_states(labels)
    alpha = np.full(len(states), -np.inf)
    alpha[0] = lp[0, BLANK]
    alpha[1] = lp[0, states[1]]
    for t in range(1, lp.shape[0]):
        alpha = np.logaddexp.reduce(predecessor_scores(alpha, can_skip), axis=0) + lp[t, states]
    return float(np.logaddexp(alpha[-1], alpha[-2]))


def best_path(frames: FoldedFrames) -> tuple[str, list[tuple[int, int]]]:
    """Greedy CTC reading and, for each character, the frames (first, last) it held."""
    return greedy_path(frames.log_probs, frames.symbols)


def greedy_path(scores: np.ndarray, symbols: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """The field reader's one greedy CTC decoder: each frame's best column (the blank,
    or `symbols[k - 1]`), repeats collapsed, blanks dropped; and for each character the
    frames (first, last) it held. `scores` (T, 1 + len(symbols)) may be probabilities,
    their logs or the network's logits: only each frame's best column counts."""
    best = np.asarray(scores).argmax(axis=1)
    text, spans = [], []
    prev = BLANK
    for t, k in enumerate(best):
        if k != BLANK and k != prev:
            text.append(symbols[k - 1])
            spans.append((t, t))
        elif k != BLANK and k == prev and spans:
            spans[-1] = (spans[-1][0], t)
        prev = k
    return "".join(text), spans


def beam_readings(frames: FoldedFrames, width: int = 8, keep: int = 5) -> list[tuple[str, float]]:
    """The `keep` likeliest readings by CTC prefix beam search, with log-likelihoods."""
    # A frame extends a prefix with those of its six likeliest columns that are
    # characters with some chance (five when the blank is among the six).
    likeliest_columns = np.argsort(-frames.log_probs, axis=1)[:, :6]
    readings = prefix_beam_search(frames.log_probs, frames.symbols, width, likeliest_columns, floor=-12.0,
                                  sure_blank=SURE_BLANK)
    return readings[:keep]


# Slants of the views `SequenceReader.frame_probs` averages (columns shifted by this
# fraction of the height above and below the middle row; the width, and so the frame
# grid, stays the same).
VIEW_SLANTS = (0.0, -0.15, 0.15)


def slanted(strip: np.ndarray, slant: float) -> np.ndarray:
    """A strip sheared about its middle row, width unchanged."""
    if slant == 0.0:
        return strip
    h, w = strip.shape
    shear = np.array([[1.0, slant, -slant * h / 2], [0.0, 1.0, 0.0]], np.float32)
    return cv2.warpAffine(strip, shear, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)


@dataclass(frozen=True)
class ReaderInfo:
    version: str
    alphabet: list[str]
    height: int


class SequenceReader:
    """The field reader of one model version, called on whole batches of strips. The
    model bundle (bundle.py) reads its metadata and hands it the function that loads
    its network, which runs on first use (once per process)."""

    def __init__(self, info: ReaderInfo, load_network: Callable[[], object]):
        self.info = info
        self._load_network = load_network
        self._model = None
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return self.info.version

    def _load(self):
        with self._lock:
            if self._model is None:
                model = self._load_network()
                import tensorflow as tf

                # One graph for every batch shape: run eagerly, the recurrent layer
                # steps through Python once per column (a hundred times slower).
                self._model = tf.function(
                    lambda x: model(x, training=False),
                    input_signature=[tf.TensorSpec([None, self.info.height, None, 1], tf.float32)],
                )
        return self._model

    def frame_probs(self, strips: list[np.ndarray], batch_width: int = 4096, views: int = 1) -> list[np.ndarray]:
        """Normalised strips -> per strip (frames, 1 + len(alphabet)) softmax rows.
        Strips of similar width go through the model together. With `views` > 1 the
        reader also reads each strip slanted left and right (`VIEW_SLANTS`) and the
        frames' probabilities are averaged: a slip one view makes the others outvote."""
        if views > 1:
            readings = [self.frame_probs([slanted(s, slant) for s in strips], batch_width)
                        for slant in VIEW_SLANTS[:views]]
            return [np.mean([r[i] for r in readings], axis=0) for i in range(len(strips))]
        if not strips:
            return []
        model = self._load()
        order = sorted(range(len(strips)), key=lambda i: strips[i].shape[1])
        out: list[np.ndarray | None] = [None] * len(strips)
        group: list[int] = []

        def run(indices: list[int]) -> None:
            batch, frames = pad_batch([strips[i] for i in indices])
            probs = frame_softmax(np.asarray(model(batch)))
            for row, i in enumerate(indices):
                out[i] = probs[row, : frames[row]].astype(np.float32)

        for i in order:
            widest = strips[i].shape[1]
            if group and widest * (len(group) + 1) > batch_width * 8:
                run(group)
                group = []
            group.append(i)
        if group:
            run(group)
        return out  # type: ignore[return-value]


def frame_softmax(logits: np.ndarray) -> np.ndarray:
    """The reader's output logits (..., frames, 1 + len(alphabet)) -> probabilities per frame."""
    shifted = np.asarray(logits, np.float64) - np.max(logits, axis=-1, keepdims=True)
    probs = np.exp(shifted)
    return probs / probs.sum(axis=-1, keepdims=True)

