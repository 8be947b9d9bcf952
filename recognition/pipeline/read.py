"""Line strips -> text, words and characters: the CTC line reader's side of the pipeline.

A line is cut from the page the way the training strips of `../shared/data/lines` were
cut (box of the polygon padded by 4 px, everything outside the polygon dilated by 6 px
painted with the crop's median gray), normalised to a fixed height with the paper at 0
and the ink near 1, read by the network in batches, and decoded from the CTC frames.
Character boxes come from the frames where each character fired; confidences from the
frame posteriors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from .charsets import Charset
from .ctc import BLANK, label_states, pad_strips, predecessor_scores, prefix_beam_search
from .language_model import CharLanguageModel

STRIP_HEIGHT = 48
DOWNSAMPLE = 4  # input columns per output frame
MIN_WIDTH = 32
MAX_WIDTH = 2048
CUT_PAD = 4  # as the training strips were cut
OUTSIDE_DILATION = 6


@dataclass(frozen=True)
class LineStrip:
    """A line cut from its page: the gray crop, where it sits on the page, and the
    scale from crop pixels to strip pixels."""

    pixels: np.ndarray  # float32 (STRIP_HEIGHT, w), paper 0, ink ~1
    origin: tuple[int, int]  # crop's top-left on the page
    crop_size: tuple[int, int]  # (w, h) of the crop in page pixels
    scale: float  # strip pixels per crop pixel (x and y)


@dataclass
class CharReading:
    char: str
    x0: int  # strip columns, [x0, x1)
    x1: int
    confidence: float


@dataclass
class LineReading:
    text: str
    confidence: float
    chars: list[CharReading] = field(default_factory=list)


def cut_line(gray: np.ndarray, polygon: np.ndarray | list) -> tuple[np.ndarray, tuple[int, int]]:
    """Gray page (uint8) and a line polygon in page pixels -> gray crop with ink of other
    lines painted out, and the crop's top-left corner."""
    poly = np.asarray(polygon, np.int32).reshape(-1, 2)
    h, w = gray.shape[:2]
    x0 = max(0, int(poly[:, 0].min()) - CUT_PAD)
    y0 = max(0, int(poly[:, 1].min()) - CUT_PAD)
    x1 = min(w, int(poly[:, 0].max()) + CUT_PAD + 1)
    y1 = min(h, int(poly[:, 1].max()) + CUT_PAD + 1)
    crop = gray[y0:y1, x0:x1].copy()
    if crop.size == 0:
        return np.full((8, 8), 255, np.uint8), (x0, y0)
    mask = np.zeros(crop.shape, np.uint8)
    cv2.fillPoly(mask, [poly - [x0, y0]], 255)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * OUTSIDE_DILATION + 1,) * 2)
    mask = cv2.dilate(mask, kernel)
    crop[mask == 0] = np.uint8(np.median(crop))
    return crop, (x0, y0)


def normalize_line(crop: np.ndarray) -> tuple[np.ndarray, float]:
    """Gray line crop (dark ink) -> float32 (STRIP_HEIGHT, w) with the paper at 0 and the
    darkest ink at 1, width a multiple of DOWNSAMPLE; and the scale applied."""
    g = crop.astype(np.float32)
    paper = float(np.median(g))
    ink = float(np.percentile(g, 1))
    # A faint pencil line and a black typewriter line reach the same range; a blank
    # strip stays near 0 instead of having its noise stretched to full contrast.
    x = np.clip((paper - g) / max(paper - ink, 40.0), 0.0, 1.0)
    scale = STRIP_HEIGHT / x.shape[0]
    width = int(round(x.shape[1] * scale))
    width = min(MAX_WIDTH, max(MIN_WIDTH, -(-width // DOWNSAMPLE) * DOWNSAMPLE))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(x, (width, STRIP_HEIGHT), interpolation=interp), scale


def strip_from_page(gray: np.ndarray, polygon) -> LineStrip:
    crop, origin = cut_line(gray, polygon)
    pixels, scale = normalize_line(crop)
    return LineStrip(pixels, origin, (crop.shape[1], crop.shape[0]), scale)


def pad_batch(strips: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return pad_strips(strips, DOWNSAMPLE)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def best_path(probs: np.ndarray, alphabet: str) -> LineReading:
    """Greedy CTC decoding of (T, 1 + len(alphabet)) posteriors: the best class per frame,
    repeats collapsed, blanks dropped. Each character spans the frames from its first
    firing to the next character's; its confidence is its best frame's posterior. The
    line's confidence is the geometric mean of the best-path frames' posteriors."""
    best = probs.argmax(axis=1)
    peak = probs.max(axis=1)
    chars: list[CharReading] = []
    prev = BLANK
    for t, k in enumerate(best):
        if k != BLANK and k != prev:
            chars.append(CharReading(alphabet[k - 1], t * DOWNSAMPLE, (t + 1) * DOWNSAMPLE, float(peak[t])))
        elif k != BLANK and k == prev and chars:
            chars[-1].x1 = (t + 1) * DOWNSAMPLE
            chars[-1].confidence = max(chars[-1].confidence, float(peak[t]))
        prev = k
    # A character's span runs until the next one fires: CTC peaks are a frame wide,
    # the ink between two peaks belongs to the first.
    for this, following in zip(chars, chars[1:]):
        this.x1 = max(this.x1, following.x0)
    confidence = float(np.exp(np.mean(np.log(np.maximum(peak, 1e-9))))) if len(peak) else 0.0
    return LineReading("".join(c.char for c in chars), confidence, chars)


@dataclass(frozen=True)
class BeamSettings:
    """How the beam search weighs the language model: a reading's score is
    log P_ctc + lm_weight * log P_lm + char_bonus * its length (the bonus keeps the
    model's cost per character from favouring short readings)."""

    width: int = 10
    lm_weight: float = 0.5
    char_bonus: float = 1.0
    per_frame: int = 5  # the likeliest characters of a frame that may extend a prefix
    char_floor: float = 1e-4  # ... if their posterior reaches this
    sure_blank: float = 0.999  # a frame this sure of the blank extends nothing


def beam_search(probs: np.ndarray, alphabet: str, lm: CharLanguageModel, settings: BeamSettings) -> LineReading:
    """CTC prefix beam search over (T, 1 + len(alphabet)) posteriors, scored with a
    character language model; character spans and confidences from the reading's best
    alignment to the frames, as `best_path` gives them for its own reading.

    The search is ctc.prefix_beam_search rather than pyctcdecode's: pyctcdecode requires
    numpy < 2, which this TensorFlow and OpenCV cannot run with, and scores words, not
    characters."""
    log_probs = np.log(np.maximum(probs, 1e-12))
    weight, bonus = settings.lm_weight, settings.char_bonus
    likeliest_characters = np.argsort(-log_probs[:, 1:], axis=1)[:, : settings.per_frame] + 1
    readings = prefix_beam_search(
        log_probs, alphabet, settings.width, likeliest_characters, math.log(settings.char_floor),
        math.log(settings.sure_blank), extension=lambda prefix, ch: weight * lm.log_prob(prefix, ch) + bonus,
    )
    return aligned_reading(probs, alphabet, readings[0][0])


def aligned_reading(probs: np.ndarray, alphabet: str, text: str) -> LineReading:
    """A text and the frames it was read from -> a LineReading whose characters span
    the frames of the text's likeliest CTC alignment (Viterbi). Confidences as in
    `best_path`: a character's best frame posterior; the line's, the geometric mean of
    the aligned frames' posteriors."""
    labels = [alphabet.index(ch) + 1 for ch in text]
    t_max = probs.shape[0]
    if not labels:
        blank = probs[:, BLANK] if t_max else np.ones(1)
        return LineReading("", float(np.exp(np.mean(np.log(np.maximum(blank, 1e-9))))), [])
    if t_max < len(labels):  # more characters than frames: no alignment exists
        return LineReading(text, 0.0, [])
    log_probs = np.log(np.maximum(probs, 1e-12))
    states_of_text, can_skip = label_states(labels)
    score = np.full(len(states_of_text), -np.inf)
    score[0], score[1] = log_probs[0, BLANK], log_probs[0, states_of_text[1]]
    back = np.zeros((t_max, len(states_of_text)), np.int8)  # 0 stay, 1 from s-1, 2 from s-2
    for t in range(1, t_max):
        options = predecessor_scores(score, can_skip)
        back[t] = options.argmax(axis=0)
        score = options.max(axis=0) + log_probs[t, states_of_text]
    s = len(states_of_text) - 1 if score[-1] >= score[-2] else len(states_of_text) - 2
    states = np.empty(t_max, np.int64)
    for t in range(t_max - 1, -1, -1):
        states[t] = s
        s -= int(back[t, s])
    chars = [CharReading(ch, t_max * DOWNSAMPLE, 0, 0.0) for ch in text]
    for t, s in enumerate(states):
        if s % 2 == 1:
            c = chars[s // 2]
            c.x0, c.x1 = min(c.x0, t * DOWNSAMPLE), max(c.x1, (t + 1) * DOWNSAMPLE)
            c.confidence = max(c.confidence, float(probs[t, states_of_text[s]]))
    for this, following in zip(chars, chars[1:]):
        this.x1 = max(this.x1, following.x0)
    path = probs[np.arange(t_max), states_of_text[states]]
    confidence = float(np.exp(np.mean(np.log(np.maximum(path, 1e-9)))))
    return LineReading(text, confidence, chars)


def restrict_to_charset(probs: np.ndarray, alphabet: str, charset: Charset) -> tuple[np.ndarray, str]:
    """Posteriors over the reader's alphabet -> posteriors over a field's charset: case
    variants and look-alikes add up (`Charset.fold`), mass on characters the charset
    cannot hold is dropped and each frame renormalised. "any" keeps the reader's whole
    alphabet (it is wider than the glyph classifier's "any")."""
    if charset.spec == "any":
        return probs, alphabet
    folded = [charset.fold(a) for a in alphabet]
    symbols = sorted({f for f in folded if f is not None})
    column = {sym: k + 1 for k, sym in enumerate(symbols)}
    out = np.zeros((probs.shape[0], 1 + len(symbols)), probs.dtype)
    out[:, 0] = probs[:, 0]
    for k, f in enumerate(folded):
        if f is not None:
            out[:, column[f]] += probs[:, k + 1]
    out /= np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
    return out, "".join(symbols)
