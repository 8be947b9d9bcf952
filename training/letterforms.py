"""Letter shapes common in European handwriting and rare in EMNIST (American writers):
the French capital M, whose middle strokes stop well above the baseline (so that it
reads as an H to a model that never saw one), and the J with a bar on top. Drawn as
pen strokes with a jittered skeleton, as EMNIST-style 28x28 glyphs (white ink on
black), so the same scan-like rendering applies to them."""

from __future__ import annotations

import cv2
import numpy as np

SCALE = 112  # drawing size; the glyph is shrunk to 28 px like EMNIST's


def _jitter(points: list[tuple[float, float]], rng: np.random.Generator, amount: float) -> np.ndarray:
    return np.asarray(points, np.float64) + rng.normal(0, amount, (len(points), 2))


def _draw(strokes: list[np.ndarray], rng: np.random.Generator, aspect: float) -> np.ndarray:
    """Unit-square polylines -> 28x28 glyph, long side 20-24 px, centred."""
    canvas = np.zeros((SCALE, SCALE), np.uint8)
    pen = int(rng.integers(7, 14))
    height = SCALE * 0.78
    width = height * aspect
    x0, y0 = (SCALE - width) / 2, (SCALE - height) / 2
    for stroke in strokes:
        pts = np.stack([x0 + stroke[:, 0] * width, y0 + stroke[:, 1] * height], axis=1)
        cv2.polylines(canvas, [np.round(pts).astype(np.int32)], False, 255, pen, lineType=cv2.LINE_AA)
    ys, xs = np.nonzero(canvas > 40)
    crop = canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = crop.shape
    scale = rng.uniform(20, 24) / max(h, w)
    small = cv2.resize(crop, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    out = np.zeros((28, 28), np.uint8)
    oy, ox = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    out[oy : oy + small.shape[0], ox : ox + small.shape[1]] = small
    return out


def french_m(rng: np.random.Generator) -> np.ndarray:
    """Two uprights joined at the top by a V that stops between a fifth and three fifths
    of the way down; sometimes written in one stroke, sometimes with splayed legs."""
    depth = rng.uniform(0.2, 0.6)
    splay = rng.uniform(0.0, 0.12)
    j = 0.03
    if rng.random() < 0.6:
        path = [(splay, 1.0), (0.08, 0.0), (0.5, depth), (0.92, 0.0), (1.0 - splay, 1.0)]
        strokes = [_jitter(path, rng, j)]
    else:
        strokes = [_jitter([(splay, 1.0), (0.08, 0.0)], rng, j),
                   _jitter([(0.08, 0.0), (0.5, depth), (0.92, 0.0)], rng, j),
                   _jitter([(0.92, 0.0), (1.0 - splay, 1.0)], rng, j)]
    return _draw(strokes, rng, aspect=rng.uniform(0.75, 1.15))


def barred_j(rng: np.random.Generator) -> np.ndarray:
    """A J with a bar across the top and a hook to the left at the bottom."""
    j = 0.03
    stem_x = rng.uniform(0.5, 0.7)
    hook = [(stem_x, 0.0), (stem_x, 0.7), (stem_x - 0.12, 0.95), (stem_x - 0.35, 1.0), (stem_x - 0.5, 0.8)]
    bar = [(stem_x - rng.uniform(0.35, 0.55), 0.0), (stem_x + rng.uniform(0.25, 0.45), 0.0)]
    return _draw([_jitter(hook, rng, j), _jitter(bar, rng, j)], rng, aspect=rng.uniform(0.55, 0.8))


VARIANTS = {"M": french_m, "J": barred_j}


def variant_glyph(ch: str, rng: np.random.Generator) -> np.ndarray | None:
    draw = VARIANTS.get(ch)
    return draw(rng) if draw else None
