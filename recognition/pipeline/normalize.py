"""Make a character crop look like an EMNIST sample: 28x28, white ink on black,
aspect ratio kept, the long side filling 24 pixels, centred, soft edges, similar
stroke width. Training and recognition both go through here, so they agree."""

from __future__ import annotations

import cv2
import numpy as np

SIZE = 28
INNER = 24  # EMNIST pads a 2-pixel border around the glyph's longer side
TARGET_STROKE = 3.4  # median stroke width of EMNIST glyphs at 28 px, measured


def normalize_glyph(ink: np.ndarray, stroke: float | None = None) -> np.ndarray:
    """Binary or gray crop (ink bright, any size) -> float32 (28, 28) in [0, 1].

    `stroke` is the pen width in the crop's pixels when the caller knows it (the
    whole word's estimate is steadier than one letter's, and cheaper).
    """
    ys, xs = np.nonzero(ink > 0)
    out = np.zeros((SIZE, SIZE), np.float32)
    if ys.size == 0:
        return out
    crop = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
    crop /= max(float(crop.max()), 1.0)
    h, w = crop.shape
    scale = INNER / max(h, w)
    new_w, new_h = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    stroke = (stroke if stroke is not None else _stroke_width(crop > 0.5)) * scale
    if stroke < TARGET_STROKE * 0.7:
        # Thin pens on small scans: thicken before shrinking so the glyph survives.
        grow = int(round((TARGET_STROKE - stroke) / (2 * scale)))
        if grow >= 1:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
            crop = cv2.copyMakeBorder(crop, grow, grow, grow, grow, cv2.BORDER_CONSTANT, value=0)
            crop = cv2.dilate(crop, kernel)
            h, w = crop.shape
            scale = INNER / max(h, w)
            new_w, new_h = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    glyph = cv2.resize(crop, (new_w, new_h), interpolation=interp)
    y0, x0 = (SIZE - new_h) // 2, (SIZE - new_w) // 2
    out[y0 : y0 + new_h, x0 : x0 + new_w] = glyph
    out = cv2.GaussianBlur(out, (3, 3), 0.7)
    top = out.max()
    return out / top if top > 0 else out


def _stroke_width(mask: np.ndarray) -> float:
    if not mask.any():
        return 1.0
    dist = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 3)
    ridge = dist[(dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8))) & (dist > 0)]
    return float(2.0 * np.median(ridge)) if ridge.size else 1.0


def normalize_batch(crops: list[np.ndarray], strokes: list[float] | None = None) -> np.ndarray:
    if not crops:
        return np.zeros((0, SIZE, SIZE, 1), np.float32)
    strokes = strokes or [None] * len(crops)
    return np.stack([normalize_glyph(c, s) for c, s in zip(crops, strokes)])[..., None]
