"""Generated pages with known answers: glyphs (real EMNIST handwriting, or characters
drawn from a font) pasted into words and lines at recorded positions. Tests use them
to measure segmentation; the demo uses a font-drawn page because the EMNIST data is
not on a user's machine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from recognition.pipeline.types import Box

FONT_DIRS = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts")]
# Handwriting-like fonts from Debian packages, then a plain fallback that is always there.
PREFERRED_FONTS = ["Breip", "dkg", "Kristi", "RufScript", "DancingScript", "Klee", "DejaVuSans."]


class EmnistGlyphs:
    """Random real handwritten glyphs of a requested character."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, mapping: list[str], indices: np.ndarray | None = None):
        self.images = images
        self.by_char: dict[str, np.ndarray] = {}
        idx = np.arange(len(labels)) if indices is None else indices
        for k, ch in enumerate(mapping):
            self.by_char[ch] = idx[labels[idx] == k]

    def __call__(self, ch: str, height: int, rng: np.random.Generator) -> np.ndarray:
        pool = self.by_char.get(ch)
        if pool is None or len(pool) == 0:
            pool = self.by_char.get(ch.upper())
        glyph = self.images[rng.choice(pool)]
        ys, xs = np.nonzero(glyph > 90)
        crop = glyph[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        scale = height / 24.0
        out = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        return ((out > 110) * 255).astype(np.uint8)


def find_font(preferred: list[str] = PREFERRED_FONTS) -> Path:
    files = [p for d in FONT_DIRS if d.exists() for p in d.rglob("*") if p.suffix.lower() in (".ttf", ".otf")]
    for name in preferred:
        for path in sorted(files):
            if name.lower() in path.name.lower():
                return path
    if files:
        return sorted(files)[0]
    raise FileNotFoundError("no TrueType font found; install fonts-dejavu-core")


class FontGlyphs:
    """Characters drawn with a font, each slightly rotated and resized like handwriting."""

    def __init__(self, font_path: Path | None = None):
        self.font_path = font_path or find_font()
        self._fonts: dict[int, ImageFont.FreeTypeFont] = {}

    def __call__(self, ch: str, height: int, rng: np.random.Generator) -> np.ndarray:
        size = max(8, int(height * 1.35))
        font = self._fonts.setdefault(size, ImageFont.truetype(str(self.font_path), size))
        canvas = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(canvas).text((size // 2, size // 3), ch, fill=255, font=font)
        arr = np.asarray(canvas)
        angle = rng.uniform(-5, 5)
        m = cv2.getRotationMatrix2D((size, size), angle, rng.uniform(0.92, 1.08))
        arr = cv2.warpAffine(arr, m, arr.shape[::-1])
        ys, xs = np.nonzero(arr > 100)
        if ys.size == 0:
            return np.zeros((height, max(2, height // 3)), np.uint8)
        return ((arr[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] > 100) * 255).astype(np.uint8)


@dataclass
class GeneratedWord:
    text: str
    box: Box
    char_boxes: list[Box]


@dataclass
class GeneratedLine:
    text: str
    box: Box
    words: list[GeneratedWord] = field(default_factory=list)


@dataclass
class GeneratedPage:
    image: np.ndarray  # uint8 gray, dark ink on light paper
    lines: list[GeneratedLine]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def compose_page(
    text_lines: list[str],
    glyphs,
    rng: np.random.Generator,
    char_height: int = 48,
    width: int | None = None,
    margin: int = 120,
    letter_gap: tuple[float, float] = (0.12, 0.3),
    word_gap: tuple[float, float] = (0.9, 1.4),
    line_spacing: float = 2.2,
    noise: float = 6.0,
) -> GeneratedPage:
    """Lay out `text_lines` glyph by glyph; gaps are fractions of `char_height`."""
    placed: list[tuple[np.ndarray, int, int]] = []
    lines: list[GeneratedLine] = []
    y = margin
    max_x = 0
    for text in text_lines:
        x = margin + int(rng.integers(0, char_height))
        line = GeneratedLine(text=text, box=Box(0, 0, 0, 0))
        char_boxes_all: list[Box] = []
        for word_text in text.split():
            char_boxes: list[Box] = []
            for ch in word_text:
                h = int(char_height * rng.uniform(0.9, 1.1)) if ch.isalnum() else char_height
                if ch == "-":
                    glyph = _dash(char_height, rng)
                    top = y + char_height // 2 - glyph.shape[0] // 2
                else:
                    glyph = glyphs(ch, h, rng)
                    top = y + (char_height - glyph.shape[0]) + int(rng.integers(-2, 3))
                placed.append((glyph, x, top))
                char_boxes.append(Box(x, top, glyph.shape[1], glyph.shape[0]))
                x += glyph.shape[1] + int(char_height * rng.uniform(*letter_gap))
            word_box = Box.enclosing(char_boxes)
            line.words.append(GeneratedWord(word_text, word_box, char_boxes))
            char_boxes_all += char_boxes
            x = word_box.right + int(char_height * rng.uniform(*word_gap))
        if char_boxes_all:
            line.box = Box.enclosing(char_boxes_all)
            max_x = max(max_x, line.box.right)
            lines.append(line)
        y += int(char_height * line_spacing)
    page_w = width or max_x + margin
    page_h = y + margin
    ink = np.zeros((page_h, page_w), np.uint8)
    for glyph, gx, gy in placed:
        gh, gw = glyph.shape
        region = ink[gy : gy + gh, gx : gx + gw]
        np.maximum(region, glyph[: region.shape[0], : region.shape[1]], out=region)
    paper = 235 + rng.normal(0, noise, ink.shape)
    # A gentle lighting gradient, as on a real scan.
    paper += np.linspace(-12, 12, page_w)[None, :]
    image = np.where(ink > 0, 40 + rng.normal(0, noise, ink.shape), paper)
    image = cv2.GaussianBlur(np.clip(image, 0, 255).astype(np.uint8), (3, 3), 0)
    return GeneratedPage(image=image, lines=lines)


def _dash(char_height: int, rng: np.random.Generator) -> np.ndarray:
    w = int(char_height * rng.uniform(0.4, 0.6))
    t = max(2, char_height // 12)
    return np.full((t, w), 255, np.uint8)


SAMPLE_TEXT = [
    "DEAR MARIE",
    "THANK YOU FOR THE LETTER",
    "THE FORMS ARE READY",
    "PLEASE SIGN PAGE 3",
    "SEE YOU ON MONDAY",
]


def sample_page(seed: int = 5) -> GeneratedPage:
    """The demo's page: block capitals drawn from a handwriting font when one is installed."""
    rng = np.random.default_rng(seed)
    return compose_page(SAMPLE_TEXT, FontGlyphs(), rng, char_height=56, width=1700)
