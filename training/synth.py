"""Synthetic classes the data set lacks: the "not a character" class (two letters
stuck together, pieces of a letter, stray strokes and specks) and the hyphen."""

from __future__ import annotations

import cv2
import numpy as np

from recognition.pipeline.normalize import normalize_glyph

from .augment import render_binary, trim


def _to_sample(binary: np.ndarray) -> np.ndarray:
    return (normalize_glyph(binary) * 255).astype(np.uint8)


def merged_pair(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two glyphs touching or overlapping: what an under-segmented crop looks like."""
    height = rng.uniform(16, 50)
    ba = render_binary(a, rng, height)
    bb = render_binary(b, rng, height * rng.uniform(0.85, 1.15))
    h = max(ba.shape[0], bb.shape[0])
    shift = int(rng.uniform(-0.3, 0.08) * min(ba.shape[1], bb.shape[1]))
    w = ba.shape[1] + bb.shape[1] + shift
    canvas = np.zeros((h + 4, max(w, ba.shape[1], bb.shape[1]) + 4), np.uint8)
    ya = int(rng.integers(0, h - ba.shape[0] + 1))
    yb = int(rng.integers(0, h - bb.shape[0] + 1))
    canvas[ya : ya + ba.shape[0], : ba.shape[1]] |= ba
    xb = max(0, ba.shape[1] + shift)
    canvas[yb : yb + bb.shape[0], xb : xb + bb.shape[1]] |= bb
    return _to_sample(trim(canvas))


def fragment(a: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A piece of one glyph: what an over-segmented crop looks like."""
    binary = render_binary(a, rng)
    h, w = binary.shape
    if rng.random() < 0.75:
        span = int(w * rng.uniform(0.2, 0.5))
        if span < 2:
            return None
        start = 0 if rng.random() < 0.4 else (w - span if rng.random() < 0.67 else int(rng.integers(0, w - span + 1)))
        piece = binary[:, start : start + span]
    else:
        span = int(h * rng.uniform(0.25, 0.5))
        if span < 2:
            return None
        piece = binary[:span] if rng.random() < 0.5 else binary[h - span :]
    piece = trim(piece)
    if np.count_nonzero(piece) < 4:
        return None
    # Thin upright or flat pieces look exactly like I, 1, l or a dash: they are not
    # junk, so they must not teach the classifier that those shapes are.
    ph, pw = piece.shape
    if ph > 2.2 * pw or pw > 2.2 * ph:
        return None
    return _to_sample(piece)


def scribble(rng: np.random.Generator) -> np.ndarray:
    """Stray strokes, specks and blots from neighbouring fields or dirt."""
    size = int(rng.integers(12, 48))
    canvas = np.zeros((size, size), np.uint8)
    kind = rng.random()
    thickness = int(rng.integers(1, max(2, size // 10) + 1))
    if kind < 0.4:
        pts = rng.integers(0, size, (int(rng.integers(2, 4)), 2))
        cv2.polylines(canvas, [pts.reshape(-1, 1, 2).astype(np.int32)], False, 255, thickness)
    elif kind < 0.7:
        for _ in range(int(rng.integers(2, 7))):
            c = tuple(int(v) for v in rng.integers(0, size, 2))
            cv2.circle(canvas, c, int(rng.integers(1, max(2, size // 8))), 255, -1)
    else:
        c = (size // 2, size // 2)
        axes = (int(rng.integers(size // 6, size // 2)), int(rng.integers(size // 8, size // 2)))
        start = int(rng.integers(0, 360))
        sweep = int(rng.integers(40, 200))
        cv2.ellipse(canvas, c, axes, int(rng.integers(0, 180)), start, start + sweep, 255, thickness)
    return _to_sample(trim(canvas)) if canvas.any() else _to_sample(np.full((3, 3), 255, np.uint8))


def hyphen(rng: np.random.Generator) -> np.ndarray:
    """A handwritten dash: a short, nearly flat stroke, sometimes wavy or tilted."""
    length = int(rng.integers(8, 40))
    thickness = int(rng.integers(1, max(2, length // 6) + 1))
    height = length // 2 + thickness * 2
    canvas = np.zeros((height, length + 2 * thickness), np.uint8)
    tilt = rng.uniform(-0.15, 0.15)
    wave = rng.uniform(0, 1.5)
    xs = np.linspace(thickness, length + thickness - 1, 12)
    ys = height / 2 + tilt * (xs - xs.mean()) + wave * np.sin(np.linspace(0, np.pi * rng.uniform(1, 3), 12))
    pts = np.stack([xs, ys], axis=1).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(canvas, [pts], False, 255, thickness)
    return _to_sample(trim(canvas))
