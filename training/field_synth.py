"""Generated form fields for training the sequence reader.

Each field is a name or word written with real handwritten characters (EMNIST
training split only; optionally handwriting fonts) laid out as people fill in forms:
spaced or boxed capitals, ordinary or cramped writing, a slant and a baseline of the
writer's own, an occasional lowercase `i`. It is drawn in gray on paper at the small
size of a real scan (10 to 22 px capitals), blurred, noised and JPEG-compressed,
sometimes with form clutter: a printed label (`NOM :`), a rule, the cut-off row of a
neighbouring field. Then it goes through the recogniser's own `prepare_field` and
`clean_field`, so the reader trains on exactly the ink strips it will be given.
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from recognition.pipeline.clutter import clean_field
from recognition.pipeline.letter_model import END, START, SYMBOLS, default_letter_model
from recognition.pipeline.preprocess import prepare_field
from recognition.pipeline.sequence import normalize_strip

from .letterforms import VARIANTS, variant_glyph
from .synthetic_pages import FONT_DIRS

WORD_LISTS = [Path("/usr/share/dict/french"), Path("/usr/share/dict/american-english")]
ALPHABET = list(string.digits + string.ascii_uppercase + string.ascii_lowercase + "-' ")
LABEL_TEXTS = ["NOM :", "NOM:", "PRENOM :", "PRENOM:", "PRÉNOM :", "Nom :", "Prénom :", "NOM DE NAISSANCE :", "NOM"]
PRINT_FONTS = ("DejaVuSans-Bold", "DejaVuSans.", "DejaVuSansCondensed", "LiberationSans")
# Share of M and J drawn in the European shapes EMNIST lacks (letterforms.py).
VARIANT_SHARE = 0.35
SMALL = set("acemnorsuvwxz")  # x-height letters
DESCENDERS = set("gjpqy")


class GlyphBank:
    """Real handwritten glyphs by character: white ink on black, cropped to their ink."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, mapping: list[str]):
        self.images = images
        self.by_char = {ch: np.nonzero(labels == k)[0] for k, ch in enumerate(mapping)}

    def glyph(self, ch: str, rng: np.random.Generator) -> np.ndarray:
        if ch in VARIANTS and rng.random() < VARIANT_SHARE:
            img = variant_glyph(ch, rng)
        else:
            pool = self.by_char[ch]
            img = self.images[pool[rng.integers(len(pool))]]
        return crop_to_ink(img)


def crop_to_ink(glyph: np.ndarray) -> np.ndarray:
    """A glyph image (ink bright) cut to the box of its ink."""
    ys, xs = np.nonzero(glyph > 40)
    return glyph[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


@lru_cache(maxsize=1)
def word_list() -> tuple[str, ...]:
    words = set()
    for path in WORD_LISTS:
        if path.exists():
            for line in path.read_text(encoding="utf-8", errors="ignore").splitlines():
                plain = unicodedata.normalize("NFKD", line).encode("ascii", "ignore").decode().upper().strip()
                if 2 <= len(plain) <= 14 and all(c in SYMBOLS for c in plain):
                    words.add(plain)
    return tuple(sorted(words))


def bigram_word(rng: np.random.Generator, max_len: int = 14) -> str:
    """A pronounceable non-word from the decoder's letter bigram model (many surnames
    are in no dictionary)."""
    model = default_letter_model()
    if model is None:
        return "".join(rng.choice(list(string.ascii_uppercase), size=int(rng.integers(2, 10))))
    index = model.index
    names = [START, *SYMBOLS, END]
    letters = [i for i, s in enumerate(names) if s in string.ascii_uppercase or s == END]
    while True:
        out, prev = [], index[START]
        while len(out) < max_len:
            p = np.exp(model.log_prob[prev, letters])
            if len(out) < 2:
                p[-1] = 0.0  # at least two letters
            k = letters[rng.choice(len(letters), p=p / p.sum())]
            if names[k] == END:
                break
            out.append(names[k])
            prev = k
        if len(out) >= 2:
            return "".join(out)


def field_text(rng: np.random.Generator) -> str:
    """A name-like field: dictionary words, non-words, compounds, some digits or case."""
    words = word_list()

    def one() -> str:
        roll = rng.random()
        if roll < 0.45 and words:
            return words[rng.integers(len(words))]
        if roll < 0.85:
            return bigram_word(rng)
        return "".join(rng.choice(list(string.ascii_uppercase), size=int(rng.integers(1, 9))))

    roll = rng.random()
    if roll < 0.72:
        text = one()
    elif roll < 0.84:
        text = one() + "-" + one()
    elif roll < 0.94:
        text = one() + " " + one()
    else:
        text = "".join(rng.choice(list(string.digits), size=int(rng.integers(2, 9))))
    text = text[:22]
    case = rng.random()
    if case < 0.08:
        text = text.lower()
    elif case < 0.14:
        text = text.capitalize()
    elif case < 0.45:
        # Many writers of capitals dot a small i.
        text = "".join("i" if c == "I" and rng.random() < 0.6 else c for c in text)
    return text


@dataclass
class Layout:
    cap: float  # capital height in pixels at drawing scale
    gap: float  # mean gap between letters, in capitals
    word_gap: float  # extra gap for a space, in capitals
    slant: float
    pen: int  # dilation (>0) or erosion (<0) at drawing scale


def random_layout(rng: np.random.Generator) -> Layout:
    style = rng.random()
    if style < 0.5:
        gap = rng.uniform(0.25, 1.1)  # spaced or boxed capitals
    elif style < 0.85:
        gap = rng.uniform(0.04, 0.3)
    else:
        gap = rng.uniform(-0.12, 0.06)  # cramped, letters touch
    pen = int(rng.choice([-2, -1, 0, 0, 0, 1, 2, 3]))
    return Layout(48.0, gap, rng.uniform(0.5, 1.6), rng.uniform(-0.25, 0.25), pen)


def draw_glyph(glyph: np.ndarray, ch: str, layout: Layout, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A glyph scaled to its role in the line; returns the image and its drop below
    the baseline in pixels."""
    height = layout.cap * rng.uniform(0.9, 1.1)
    drop = 0.0
    if ch in SMALL:
        height *= rng.uniform(0.55, 0.75)
    elif ch == "i":
        height *= rng.uniform(0.7, 0.95)
    elif ch in DESCENDERS:
        height *= rng.uniform(1.2, 1.45)
        drop = height * 0.3
    gh, gw = glyph.shape
    scale = height / gh
    shear = layout.slant + rng.uniform(-0.06, 0.06)
    angle = np.deg2rad(rng.uniform(-4, 4))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    lin = rot @ np.array([[scale * rng.uniform(0.85, 1.15), -shear * scale], [0.0, scale]])
    corners = lin @ np.array([[0, gw, 0, gw], [0, 0, gh, gh]], np.float64)
    offset = -corners.min(axis=1) + 2
    size = np.ceil(corners.max(axis=1) - corners.min(axis=1) + 4).astype(int)
    m = np.hstack([lin, offset[:, None]])
    out = cv2.warpAffine(glyph.astype(np.float32), m, (int(size[0]), int(size[1])), flags=cv2.INTER_LINEAR)
    if layout.pen > 0:
        out = cv2.dilate(out, np.ones((layout.pen + 1, layout.pen + 1), np.uint8))
    elif layout.pen < 0:
        out = cv2.erode(out, np.ones((1 - layout.pen, 1 - layout.pen), np.uint8))
    ys, xs = np.nonzero(out > 60)
    if ys.size == 0:
        return out, drop
    return out[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], drop


def stroke_mark(ch: str, layout: Layout, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A dash or an apostrophe, drawn as a pen stroke."""
    pen = max(3, int(layout.cap * rng.uniform(0.08, 0.14)) + layout.pen)
    if ch == "-":
        length = int(layout.cap * rng.uniform(0.3, 0.65))
        img = np.zeros((pen + 4, length + 4), np.float32)
        cv2.line(img, (2, 2 + pen // 2), (length + 2, 2 + pen // 2 + int(rng.integers(-2, 3))), 255.0, pen)
        return img, -layout.cap * rng.uniform(0.35, 0.6)
    length = int(layout.cap * rng.uniform(0.2, 0.35))
    img = np.zeros((length + 4, pen + 6), np.float32)
    cv2.line(img, (pen // 2 + 4, 2), (pen // 2 + 1, length + 2), 255.0, pen)
    return img, -layout.cap * rng.uniform(0.65, 0.8)


def write_line(text: str, bank: GlyphBank, layout: Layout, rng: np.random.Generator) -> np.ndarray:
    """The text in handwriting, ink bright on black, at drawing scale."""
    pieces: list[tuple[np.ndarray, float, float]] = []  # image, drop, gap before
    gap_before = 0.0
    for ch in text:
        if ch == " ":
            gap_before += layout.word_gap * layout.cap
            continue
        if ch in "-'":
            img, drop = stroke_mark(ch, layout, rng)
        else:
            img, drop = draw_glyph(bank.glyph(ch, rng), ch, layout, rng)
        gap = layout.gap * layout.cap * rng.uniform(0.6, 1.4) + gap_before
        pieces.append((img, drop, gap if pieces else 0.0))
        gap_before = 0.0
    cap = layout.cap
    width = int(sum(p[0].shape[1] + max(p[2], -0.15 * cap) for p in pieces) + 4 * cap)
    canvas = np.zeros((int(cap * 3), max(width, 8)), np.float32)
    base = cap * 2.0
    drift = rng.uniform(-0.04, 0.04)
    x = cap
    for img, drop, gap in pieces:
        x = max(0.0, x + max(gap, -0.15 * cap))
        h, w = img.shape
        y = int(base + drop - h + rng.normal(0, cap * 0.04) + drift * (x - cap))
        y = int(np.clip(y, 0, canvas.shape[0] - h))
        x0 = int(x)
        if x0 + w > canvas.shape[1]:
            break
        region = canvas[y : y + h, x0 : x0 + w]
        np.maximum(region, img, out=region)
        x += w
    return canvas


@lru_cache(maxsize=8)
def print_font(size: int, index: int) -> ImageFont.FreeTypeFont:
    files = sorted(p for d in FONT_DIRS if d.exists() for p in d.rglob("*.ttf"))
    found = [p for name in PRINT_FONTS for p in files if name.lower() in p.name.lower()]
    path = found[index % len(found)] if found else None
    return ImageFont.truetype(str(path), size) if path else ImageFont.load_default()


def printed(text: str, cap: float, rng: np.random.Generator) -> np.ndarray:
    """Printed form text (a label), ink bright on black, capitals about `cap` high."""
    font = print_font(max(8, int(cap * 1.35)), int(rng.integers(4)))
    box = font.getbbox(text)
    img = Image.new("L", (box[2] + 8, box[3] + 8), 0)
    ImageDraw.Draw(img).text((4, 4), text, fill=255, font=font)
    arr = np.asarray(img, np.float32)
    ys, xs = np.nonzero(arr > 60)
    return arr[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] if ys.size else arr


@dataclass
class ComposedField:
    page: np.ndarray  # bright ink on black, at drawing scale
    x0: float  # the handwriting's horizontal extent
    x1: float
    label_x0: float | None  # where a printed label begins, if the field has one


def compose_field(text: str, bank: GlyphBank, rng: np.random.Generator) -> ComposedField:
    """A field at drawing scale with the handwriting and some clutter."""
    layout = random_layout(rng)
    ink = write_line(text, bank, layout, rng)
    ys, xs = np.nonzero(ink > 60)
    ink = ink[:, max(0, xs.min() - 2) : xs.max() + 3] if xs.size else ink
    ys, _ = np.nonzero(ink > 60)
    top, bottom = (ys.min(), ys.max() + 1) if ys.size else (0, ink.shape[0])
    cap = layout.cap
    margin_top, margin_bottom = cap * rng.uniform(0.15, 0.9), cap * rng.uniform(0.15, 0.7)
    left = cap * rng.uniform(0.2, 1.5)
    label, label_x0 = None, None
    if rng.random() < 0.4:
        label = printed(LABEL_TEXTS[rng.integers(len(LABEL_TEXTS))], cap * rng.uniform(0.45, 0.8), rng)
        left += label.shape[1] + cap * rng.uniform(0.4, 3.0)
    height = int(bottom - top + margin_top + margin_bottom)
    width = int(left + ink.shape[1] + cap * rng.uniform(0.3, 3.0))
    page = np.zeros((height, width), np.float32)
    y0 = int(margin_top)
    x0 = int(left)
    h = min(bottom - top, height - y0)
    paste_max(page, ink[top : top + h], y0, x0)
    if label is not None:
        lh, lw = label.shape
        ly = int(np.clip(y0 + (bottom - top) - lh + rng.normal(0, cap * 0.08), 0, height - lh))
        lx = int(cap * rng.uniform(0.1, 0.8))
        if lw + lx < x0:
            paste_max(page, label, ly, lx)
            label_x0 = float(lx)
    if rng.random() < 0.3:
        # The cut-off row of the field above or below: printed or handwritten.
        other = printed(bigram_word(rng) + " " + bigram_word(rng), cap * 0.7, rng) if rng.random() < 0.5 else (
            write_line(bigram_word(rng), bank, random_layout(rng), rng)
        )
        oys, oxs = np.nonzero(other > 60)
        if oys.size:
            other = other[oys.min() : oys.max() + 1, oxs.min() : oxs.max() + 1]
            show = int(other.shape[0] * rng.uniform(0.15, 0.45))
            ox = int(rng.uniform(0, max(1, width - other.shape[1] // 2)))
            ow = min(other.shape[1], width - ox)
            if rng.random() < 0.5 and show < margin_top:
                paste_max(page, other[-show:, :ow], 0, ox)
            elif show < margin_bottom:
                paste_max(page, other[:show, :ow], height - show, ox)
    if rng.random() < 0.15:
        yy = int(min(height - 2, y0 + (bottom - top) + cap * rng.uniform(0.05, 0.3)))
        cv2.line(page, (0, yy), (width, yy + int(rng.integers(-3, 4))), 255.0, max(2, int(cap * 0.06)))
    return ComposedField(page, float(x0), float(x0 + ink.shape[1]), label_x0)


def paste_max(page: np.ndarray, ink: np.ndarray, y: int, x: int) -> None:
    """Ink over ink, as a second stroke over a first: the brighter value wins."""
    h, w = min(ink.shape[0], page.shape[0] - y), min(ink.shape[1], page.shape[1] - x)
    np.maximum(page[y : y + h, x : x + w], ink[:h, :w], out=page[y : y + h, x : x + w])


def to_scan(page_ink: np.ndarray, rng: np.random.Generator, cap: float = 48.0) -> tuple[np.ndarray, float]:
    """Bright-ink drawing -> gray scan at a real field's size; returns it and the scale."""
    darkness = rng.uniform(0.55, 1.0)
    paper = rng.uniform(215, 255)
    gray = paper - page_ink / 255.0 * darkness * (paper - rng.uniform(0, 60))
    target_cap = rng.uniform(10, 22)
    scale = target_cap / cap
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        small = cv2.GaussianBlur(small, (0, 0), rng.uniform(0.3, 0.8))
    small = small + rng.normal(0, rng.uniform(0, 8), small.shape)
    small = np.clip(small, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        _, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 95))])
        small = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return small, scale


def field_sample(bank: GlyphBank, rng: np.random.Generator, text: str | None = None) -> tuple[np.ndarray, str] | None:
    """One training pair (normalised strip, text), or None when the field cleaner lost
    handwriting or kept clutter other than a printed label on the left. A label the
    cleaner left in stays in the strip while the text does not hold it: the reader
    learns to hear nothing in print."""
    text = text or field_text(rng)
    field = compose_field(text, bank, rng)
    scan, scale = to_scan(field.page, rng)
    prepared = prepare_field(scan)
    line = clean_field(prepared.binary)
    if line is None:
        return None
    # Where the handwriting (and a label) should be in the prepared image's pixels.
    up = prepared.binary.shape[1] / scan.shape[1]
    want0, want1 = field.x0 * scale * up, field.x1 * scale * up
    cap = 48.0 * scale * up
    earliest = want0 - 0.35 * cap if field.label_x0 is None else field.label_x0 * scale * up - 0.35 * cap
    if not earliest <= line.box.x <= want0 + 0.35 * cap or abs(line.box.right - want1) > 0.35 * cap:
        return None
    return normalize_strip(line.ink), text
