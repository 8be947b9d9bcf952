"""Characters drawn from Debian's handwriting fonts, as EMNIST-style 28x28 glyphs,
so that the same scan-like augmentation applies to them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .synthetic_pages import FONT_DIRS

# fonts-breip, fonts-rufscript, fonts-dkg-handwriting, fonts-kristi, fonts-klee,
# fonts-dancingscript: hand-printed and script styles.
HANDWRITING_FONT_NAMES = ("Breip", "Rufscript", "dkg", "Kristi", "KleeOne", "DancingScript")


def handwriting_fonts() -> list[Path]:
    found = []
    for d in FONT_DIRS:
        if d.exists():
            found += [p for p in d.rglob("*") if p.suffix.lower() in (".ttf", ".otf")]
    return sorted(p for p in found if any(name.lower() in p.name.lower() for name in HANDWRITING_FONT_NAMES))


def render_emnist_style(font_path: Path, ch: str, size: int = 96) -> np.ndarray | None:
    """One character -> 28x28 uint8, white ink on black, long side 24 px, centred."""
    font = ImageFont.truetype(str(font_path), size)
    canvas = Image.new("L", (size * 3, size * 3), 0)
    ImageDraw.Draw(canvas).text((size, size // 2), ch, fill=255, font=font)
    arr = np.asarray(canvas)
    ys, xs = np.nonzero(arr > 60)
    if ys.size < 10:
        return None  # the font lacks this character
    crop = arr[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
    h, w = crop.shape
    scale = 24.0 / max(h, w)
    crop = cv2.resize(crop, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    out = np.zeros((28, 28), np.float32)
    y0, x0 = (28 - crop.shape[0]) // 2, (28 - crop.shape[1]) // 2
    out[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]] = crop
    return np.clip(out, 0, 255).astype(np.uint8)


def font_glyph_set(mapping: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """All (font, character) glyphs available: images, class indices, font names."""
    images, labels = [], []
    fonts = handwriting_fonts()
    for path in fonts:
        for index, ch in enumerate(mapping):
            glyph = render_emnist_style(path, ch)
            if glyph is not None:
                images.append(glyph)
                labels.append(index)
    if not images:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64), []
    return np.stack(images), np.asarray(labels, np.int64), [p.stem for p in fonts]
