"""Build the classifier's training and evaluation arrays from EMNIST plus the
synthetic classes, in parallel worker processes (before TensorFlow is imported)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from recognition.pipeline.classify import REJECT
from recognition.pipeline.normalize import normalize_glyph

from .augment import scan_like
from .data import Emnist
from .font_glyphs import font_glyph_set
from .letterforms import VARIANTS, variant_glyph
from .segmenter_crops import compose_word, label_candidates
from .synth import fragment, hyphen, merged_pair, scribble

EXTRA_CLASSES = ["-", REJECT]

_images: np.ndarray | None = None  # shared with forked workers
_labels: np.ndarray | None = None
_fonts: np.ndarray | None = None


def class_list(mapping: list[str]) -> list[str]:
    return list(mapping) + EXTRA_CLASSES


def clean_sample(glyph: np.ndarray) -> np.ndarray:
    """The deterministic path for evaluation: a glyph at 2x, binarised, normalised,
    exactly as a crop of a clean scan would be."""
    import cv2

    big = cv2.resize(glyph, (56, 56), interpolation=cv2.INTER_LINEAR)
    return (normalize_glyph(((big > 127) * 255).astype(np.uint8)) * 255).astype(np.uint8)


@dataclass
class Arrays:
    x: np.ndarray  # (N, 28, 28) uint8
    y: np.ndarray  # (N,) int


def _augment_chunk(args) -> np.ndarray:
    indices, neighbours, seed = args
    rng = np.random.default_rng(seed)
    out = np.empty((len(indices), 28, 28), np.uint8)
    for k, (i, j) in enumerate(zip(indices, neighbours)):
        out[k] = scan_like(_images[i], rng, _images[j] if j >= 0 else None)
    return out


def _clean_chunk(indices) -> np.ndarray:
    return np.stack([clean_sample(_images[i]) for i in indices]) if len(indices) else np.zeros((0, 28, 28), np.uint8)


def _synthetic_chunk(args) -> tuple[np.ndarray, np.ndarray]:
    pool, count, seed, dash_share, dash_label, reject_label = args
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    while len(xs) < count:
        roll = rng.random()
        if roll < dash_share:
            xs.append(hyphen(rng))
            ys.append(dash_label)
            continue
        a, b = _images[rng.choice(pool)], _images[rng.choice(pool)]
        kind = rng.random()
        if kind < 0.45:
            sample = merged_pair(a, b, rng)
        elif kind < 0.85:
            sample = fragment(a, rng)
        else:
            sample = scribble(rng)
        if sample is not None:
            xs.append(sample)
            ys.append(reject_label)
    return np.stack(xs), np.asarray(ys)


def _font_chunk(args) -> np.ndarray:
    indices, seed = args
    rng = np.random.default_rng(seed)
    return np.stack([scan_like(_fonts[i], rng) for i in indices])


def _segmenter_chunk(args) -> tuple[np.ndarray, np.ndarray]:
    """Crops our segmenter cuts from generated words; rejects kept at about half the
    number of real characters so they do not swamp them."""
    pool, n_words, seed, reject_label = args
    rng = np.random.default_rng(seed)
    by_group = {
        "upper": pool[(_labels[pool] >= 10) & (_labels[pool] < 36)],
        "digit": pool[_labels[pool] < 10],
        "lower": pool[_labels[pool] >= 36],
    }
    xs, ys = [], []
    for _ in range(n_words):
        group = rng.choice(["upper", "digit", "lower"], p=[0.6, 0.1, 0.3])
        chosen = rng.choice(by_group[group], int(rng.integers(2, 9)))
        word = compose_word([_images[i] for i in chosen], [int(_labels[i]) for i in chosen], rng)
        crops, targets = label_candidates(word, reject_label)
        for crop, target in zip(crops, targets):
            if target == reject_label and rng.random() > 0.35:
                continue
            xs.append(crop)
            ys.append(target)
    if not xs:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
    return np.stack(xs), np.asarray(ys, np.int64)


def _variant_chunk(args) -> tuple[np.ndarray, np.ndarray]:
    """Scan-like copies of European letter shapes EMNIST lacks (French M, barred J)."""
    letters, labels, seed = args
    rng = np.random.default_rng(seed)
    xs = [scan_like(variant_glyph(ch, rng), rng) for ch in letters]
    return np.stack(xs), np.asarray(labels, np.int64)


def _workers() -> int:
    return max(1, int(os.environ.get("HWR_DATA_WORKERS", os.cpu_count() or 1)))


def _chunks(array: np.ndarray, n: int) -> list[np.ndarray]:
    return [c for c in np.array_split(array, max(1, n)) if len(c)]


def build_training_arrays(
    emnist: Emnist, indices: np.ndarray, copies: int, synthetic_share: float, seed: int, dash_share: float = 0.15,
    segmenter_words: int = 0, font_copies: int = 0, variant_samples: int = 0,
) -> Arrays:
    """One clean copy of every training glyph, `copies` scan-like copies, and synthetic
    reject and dash samples making up `synthetic_share` of that; then, optionally,
    crops cut by our segmenter from `segmenter_words` generated words and `font_copies`
    scan-like copies of every handwriting-font glyph, and `variant_samples` of each
    letter shape in `letterforms.VARIANTS`."""
    global _images, _labels, _fonts
    _images, _labels = emnist.images, emnist.labels
    if font_copies:
        _fonts, font_labels, _names = font_glyph_set(emnist.mapping)
    classes = class_list(emnist.mapping)
    rng = np.random.default_rng(seed)
    workers = _workers()
    xs, ys = [], []
    with ProcessPoolExecutor(workers) as pool:
        xs += list(pool.map(_clean_chunk, _chunks(indices, workers * 4)))
        ys.append(emnist.labels[indices])
        for _ in range(copies):
            neighbours = np.where(rng.random(len(indices)) < 0.5, rng.choice(indices, len(indices)), -1)
            jobs = [
                (idx, nb, int(rng.integers(2**31)))
                for idx, nb in zip(_chunks(indices, workers * 8), _chunks(neighbours, workers * 8))
            ]
            xs += list(pool.map(_augment_chunk, jobs))
            ys.append(emnist.labels[indices])
        n_real = len(indices) * (copies + 1)
        n_synth = int(n_real * synthetic_share / (1 - synthetic_share))
        per = [len(c) for c in _chunks(np.arange(n_synth), workers * 4)]
        jobs = [
            (indices, count, int(rng.integers(2**31)), dash_share, classes.index("-"), classes.index(REJECT))
            for count in per
        ]
        for sx, sy in pool.map(_synthetic_chunk, jobs):
            xs.append(sx)
            ys.append(sy)
        if segmenter_words:
            per = [len(c) for c in _chunks(np.arange(segmenter_words), workers * 8)]
            jobs = [(indices, count, int(rng.integers(2**31)), classes.index(REJECT)) for count in per]
            for sx, sy in pool.map(_segmenter_chunk, jobs):
                xs.append(sx)
                ys.append(sy)
        if font_copies and len(_fonts):
            repeated = np.repeat(np.arange(len(_fonts)), font_copies)
            jobs = [(idx, int(rng.integers(2**31))) for idx in _chunks(repeated, workers * 4)]
            xs += list(pool.map(_font_chunk, jobs))
            ys.append(font_labels[repeated])
        if variant_samples:
            letters = [ch for ch in VARIANTS for _ in range(variant_samples)]
            labels = [emnist.mapping.index(ch) for ch in letters]
            jobs = [(letters[i::workers * 2], labels[i::workers * 2], int(rng.integers(2**31)))
                    for i in range(workers * 2)]
            for sx, sy in pool.map(_variant_chunk, jobs):
                xs.append(sx)
                ys.append(sy)
    return Arrays(np.concatenate(xs), np.concatenate(ys).astype(np.int64))


def build_clean_arrays(emnist: Emnist, indices: np.ndarray) -> Arrays:
    global _images
    _images = emnist.images
    workers = _workers()
    with ProcessPoolExecutor(workers) as pool:
        xs = list(pool.map(_clean_chunk, _chunks(indices, workers * 4)))
    return Arrays(np.concatenate(xs), emnist.labels[indices].astype(np.int64))
