"""Turn clean EMNIST glyphs into crops that look like what our segmenter cuts from
scans: varied size, pen width, slant, elastic wobble, blur and JPEG noise, broken
strokes, slivers of neighbouring letters and imperfect crop edges. Every sample is
finally normalised by the same function the recogniser uses."""

from __future__ import annotations

import cv2
import numpy as np

from recognition.pipeline.normalize import normalize_glyph


def render_binary(glyph: np.ndarray, rng: np.random.Generator, height: float | None = None) -> np.ndarray:
    """EMNIST 28x28 glyph (ink bright) -> binary ink crop at a scan-like size and pen."""
    if height is None:
        height = rng.uniform(14, 56)
    scale = height / 24.0
    img = glyph.astype(np.float32)
    # Geometric changes on the clean glyph: slant, rotation, width stretch.
    shear = rng.uniform(-0.3, 0.3)
    angle = rng.uniform(-6, 6)
    stretch = rng.uniform(0.8, 1.25)
    size = int(round(28 * scale * 1.4))
    centre = np.array([14.0, 14.0])
    rot = cv2.getRotationMatrix2D((0, 0), angle, 1.0)[:, :2]
    lin = rot @ np.array([[stretch, shear], [0.0, 1.0]]) * scale
    offset = np.array([size / 2, size / 2]) - lin @ centre
    m = np.hstack([lin, offset[:, None]])
    img = cv2.warpAffine(img, m, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)
    if rng.random() < 0.3:
        img = elastic(img, rng, alpha=scale * rng.uniform(1.0, 2.5), sigma=scale * 3)
    # Paper and pen: dark ink on light paper, then blur, noise, JPEG, binarise.
    paper = 255.0 - img * rng.uniform(0.6, 1.0)
    if rng.random() < 0.5:
        paper = cv2.GaussianBlur(paper, (0, 0), rng.uniform(0.3, 1.2) * max(1.0, scale / 2))
    paper += rng.normal(0, rng.uniform(0, 12), paper.shape)
    paper = np.clip(paper, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        ok, buf = cv2.imencode(".jpg", paper, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 90))])
        paper = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    level = rng.uniform(110, 215)
    binary = (paper < level).astype(np.uint8) * 255
    pen = rng.random()
    if pen < 0.15 and height > 20:
        binary = cv2.erode(binary, np.ones((2, 2), np.uint8))
    elif pen < 0.35:
        binary = cv2.dilate(binary, np.ones((2, 2), np.uint8))
    return trim(binary)


def elastic(img: np.ndarray, rng: np.random.Generator, alpha: float, sigma: float) -> np.ndarray:
    h, w = img.shape
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha * 8
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha * 8
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, xs + dx, ys + dy, cv2.INTER_LINEAR, borderValue=0)


def trim(binary: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(binary)
    if ys.size == 0:
        return np.zeros((1, 1), np.uint8)
    return binary[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def segmenter_damage(binary: np.ndarray, rng: np.random.Generator, neighbour: np.ndarray | None) -> np.ndarray:
    """Imperfections our segmenter leaves: a trimmed edge, a sliver of the next letter,
    a break in a stroke, a speck."""
    out = binary.copy()
    h, w = out.shape
    roll = rng.random()
    if roll < 0.12 and w > 6:
        cut = int(rng.integers(1, max(2, w // 10) + 1))
        out = out[:, cut:] if rng.random() < 0.5 else out[:, : w - cut]
    elif roll < 0.27 and neighbour is not None and neighbour.shape[1] > 4:
        sliver_w = int(rng.integers(1, max(2, int(neighbour.shape[1] * 0.2)) + 1))
        nb = cv2.resize(neighbour, (neighbour.shape[1], h), interpolation=cv2.INTER_NEAREST)
        piece = nb[:, -sliver_w:] if rng.random() < 0.5 else nb[:, :sliver_w]
        out = np.hstack([piece, out]) if rng.random() < 0.5 else np.hstack([out, piece])
    if rng.random() < 0.08 and h > 8:
        y = int(rng.integers(h // 4, 3 * h // 4))
        out[y : y + max(1, h // 14), :] = 0
    if rng.random() < 0.1:
        yy, xx = int(rng.integers(0, out.shape[0])), int(rng.integers(0, out.shape[1]))
        out[yy, xx] = 255
    return trim(out) if out.any() else binary


def scan_like(glyph: np.ndarray, rng: np.random.Generator, neighbour: np.ndarray | None = None) -> np.ndarray:
    """One EMNIST glyph -> one normalised 28x28 uint8 training sample."""
    binary = render_binary(glyph, rng)
    nb = render_binary(neighbour, rng, height=binary.shape[0]) if neighbour is not None else None
    binary = segmenter_damage(binary, rng, nb)
    return (normalize_glyph(binary) * 255).astype(np.uint8)
