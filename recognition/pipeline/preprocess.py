"""Turn an uploaded image into a clean, upright, binary page (255 = ink)."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from .layout import remove_page_furniture

# Pillow's own decompression-bomb guard stays on; callers that validate uploads may lower it.
MAX_PIXELS = 60_000_000


class UnreadableImage(ValueError):
    """The bytes are not an image we can decode."""


# What Pillow's decoders raise on damaged bytes (not only OSError: struct, index and
# key errors come out of malformed headers). Not a bare Exception, so that a task's
# time limit, raised as an exception, is not mistaken for a bad image.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, EOFError, ZeroDivisionError,
                 AttributeError, struct.error, Image.DecompressionBombError)


class NotHandwriting(UnreadableImage):
    """The image decodes, but holds nothing a page of writing could (noise, a photo)."""


# Noise and photographs binarise into tens of thousands of specks; real pages hold at
# most a few hundred marks per megapixel (names-dev, pages-dev: under 2,100).
MAX_MARKS = 2000
MAX_MARKS_PER_MEGAPIXEL = 5000


def check_marks(binary: np.ndarray) -> None:
    """Refuse a binarised page with far more separate marks than writing has, before
    segmenting and classifying them would take minutes."""
    marks = cv2.connectedComponents(binary, connectivity=8)[0] - 1
    per_megapixel = marks / max(binary.size / 1e6, 1e-6)
    if marks > MAX_MARKS and per_megapixel > MAX_MARKS_PER_MEGAPIXEL:
        raise NotHandwriting(
            f"the page does not look like writing: it holds {marks} separate marks "
            f"({per_megapixel:.0f} per megapixel), as noise or a photograph does"
        )


@dataclass
class PreparedPage:
    """A page ready for segmentation.

    `gray` and `binary` are deskewed; `to_page` maps their coordinates back to the
    original image (a 2x3 affine matrix), so every box we report is in the uploaded
    page's pixels.
    """

    gray: np.ndarray
    binary: np.ndarray
    skew_degrees: float
    to_page: np.ndarray
    original_size: tuple[int, int]  # (width, height)


def decode_image(data: bytes) -> np.ndarray:
    """Decode PNG/JPEG/TIFF bytes into an 8-bit grayscale array, honouring EXIF rotation."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return pil_to_gray(exif_upright(img))
    except MemoryError as exc:
        raise UnreadableImage("the image is too large to decode") from exc
    except DECODE_ERRORS as exc:
        raise UnreadableImage(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from exc



def exif_orientation(img: Image.Image) -> int:
    """The EXIF orientation tag (1 = upright); a damaged EXIF block counts as upright."""
    try:
        value = img.getexif().get(0x0112, 1)
        return int(value) if int(value) in range(1, 9) else 1
    except DECODE_ERRORS:
        return 1


def exif_upright(img: Image.Image) -> Image.Image:
    """The image as it is meant to be seen (EXIF rotation applied); unchanged when the
    EXIF block is damaged, since the pixels are still good."""
    if exif_orientation(img) == 1:
        return img
    try:
        return ImageOps.exif_transpose(img)
    except DECODE_ERRORS:
        return img


def pil_to_gray(img: Image.Image) -> np.ndarray:
    """Convert any Pillow mode (16-bit, CMYK, palette, alpha) to 8-bit gray on white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = arr.max() or 1.0
        scale = 255.0 / (65535.0 if top > 255 else 255.0)
        return np.clip(arr * scale, 0, 255).astype(np.uint8)
    if img.mode == "F":
        arr = np.nan_to_num(np.asarray(img, dtype=np.float64), nan=0.0, posinf=255.0, neginf=0.0)
        return np.clip(arr * (255.0 if arr.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # Transparent pixels are paper, not ink: flatten onto white.
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    return np.asarray(img.convert("L"), dtype=np.uint8).copy()


def load_image(path: str | Path) -> np.ndarray:
    return decode_image(Path(path).read_bytes())


def flatten_illumination(gray: np.ndarray, kernel: int | None = None) -> np.ndarray:
    """Divide by an estimate of the paper's brightness so shadows and stains even out.

    `kernel` (pixels at full size) must be wider than any pen stroke.
    """
    h, w = gray.shape
    # The background is what survives a closing wider than any stroke; do it on a
    # reduced copy because the kernel is large.
    scale = min(1.0, 600.0 / max(h, w))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    k = int(round(kernel * scale)) if kernel else int(round(min(small.shape) / 12))
    k = max(5, k) | 1
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    background = cv2.medianBlur(background, 5)
    if scale < 1:
        background = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    flat = gray.astype(np.float32) / np.maximum(background.astype(np.float32), 1.0)
    return np.clip(flat * 255.0, 0, 255).astype(np.uint8)


def sauvola_threshold(gray: np.ndarray, window: int, k: float = 0.2, r: float = 128.0) -> np.ndarray:
    """Per-pixel Sauvola threshold from box-filtered mean and variance (integral images).
    In float32: on a 12-megapixel scan a third of the time of float64, and the threshold
    moves by less than 0.003 of a gray level."""
    mean = cv2.boxFilter(gray, cv2.CV_32F, (window, window), borderType=cv2.BORDER_REFLECT)
    sqmean = cv2.sqrBoxFilter(gray, cv2.CV_32F, (window, window), borderType=cv2.BORDER_REFLECT)
    std = cv2.sqrt(np.maximum(sqmean - mean * mean, 0))
    return mean * (1.0 + k * (std / r - 1.0))


def binarize(
    gray: np.ndarray, window: int | None = None, k: float = 0.2, background_kernel: int | None = None
) -> np.ndarray:
    """Adaptive binarisation robust to uneven lighting; returns uint8 with ink = 255."""
    flat = flatten_illumination(gray, background_kernel)
    if window is None:
        window = int(np.clip(min(gray.shape) // 12, 15, 101)) | 1
    threshold = sauvola_threshold(flat, window, k)
    # Ink must also be clearly darker than paper: this keeps flat paper and faint
    # bleed-through from turning into speckle where the local contrast is tiny.
    ink = (flat < threshold) & (flat < 235)
    return ink.astype(np.uint8) * 255


def remove_specks(binary: np.ndarray, min_area: int) -> np.ndarray:
    """Drop connected components smaller than `min_area` pixels."""
    if min_area <= 1:
        return binary
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False
    return (keep[labels]).astype(np.uint8) * 255


def estimate_stroke_width(binary: np.ndarray) -> float:
    """Median stroke width in pixels, from the distance transform along the ink's skeleton-ish ridge."""
    if not binary.any():
        return 1.0
    dist = cv2.distanceTransform(np.pad(binary > 0, 1).astype(np.uint8), cv2.DIST_L2, 3)
    ridge = dist[(dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8))) & (dist > 0)]
    return float(2.0 * np.median(ridge)) if ridge.size else 1.0


def estimate_skew(binary: np.ndarray, max_degrees: float = 8.0, step: float = 0.25, coarse: float = 1.0) -> float:
    """Angle (degrees, counter-clockwise positive) that makes text rows horizontal.

    The projection profile of a correctly rotated page has the sharpest peaks, so we
    pick the angle that maximises the variance of row sums, on a reduced copy: first
    every `coarse` degrees, then every `step` around the best of those. (On the 75
    pages of pages-dev and pages/ val this picks the same angle as trying every step,
    with a third of the rotations.)
    """
    h, w = binary.shape
    if binary.sum() == 0 or min(h, w) < 20:
        return 0.0
    scale = min(1.0, 1000.0 / max(h, w))
    small = cv2.resize(binary, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else binary
    small = (small > 64).astype(np.float32)
    sh, sw = small.shape
    centre = (sw / 2.0, sh / 2.0)

    def sharpest(angles: list[float]) -> float:
        best_angle, best_score = 0.0, -1.0
        for angle in angles:
            m = cv2.getRotationMatrix2D(centre, angle, 1.0)
            rotated = cv2.warpAffine(small, m, (sw, sh), flags=cv2.INTER_NEAREST, borderValue=0)
            score = float(np.var(rotated.sum(axis=1)))
            if score > best_score * (1 + 1e-6):
                best_angle, best_score = angle, score
        return best_angle

    rough = sharpest(_angle_grid(max_degrees, max(coarse, step)))
    around = [rough + a for a in _angle_grid(max(coarse, step) - step, step)]
    return sharpest([a for a in around if abs(a) <= max_degrees])


def _angle_grid(max_degrees: float, step: float) -> list[float]:
    # Search 0 first and outward so ties resolve to the smallest correction.
    steps = int(max_degrees / step)
    grid = [0.0]
    for i in range(1, steps + 1):
        grid += [i * step, -i * step]
    return grid


def rotate(image: np.ndarray, angle: float, border: int) -> tuple[np.ndarray, np.ndarray]:
    """Rotate about the centre, keeping the size; returns (rotated, inverse affine)."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    rotated = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=border)
    return rotated, cv2.invertAffineTransform(m)


IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def prepare_page(gray: np.ndarray, deskew: bool = True) -> PreparedPage:
    """Grayscale page -> denoised, binarised, deskewed page."""
    h, w = gray.shape
    denoised = cv2.GaussianBlur(gray, (3, 3), 0) if min(h, w) >= 64 else gray
    binary = binarize(denoised)
    binary = remove_specks(binary, min_area=max(3, int(min(h, w) * 0.0005) ** 2))
    # Punch-hole rims and sheet edges are ink to a binariser but never text (pages only;
    # small images are returned unchanged).
    binary = remove_page_furniture(denoised, binary)
    angle = estimate_skew(binary) if deskew else 0.0
    if abs(angle) < 0.2:
        return PreparedPage(denoised, binary, 0.0, IDENTITY.copy(), (w, h))
    gray_r, inverse = rotate(denoised, angle, border=255)
    binary_r, _ = rotate(binary, angle, border=0)
    binary_r = ((binary_r > 127).astype(np.uint8)) * 255
    return PreparedPage(gray_r, binary_r, angle, inverse, (w, h))


# Field crops are upscaled to about this height so that strokes, dots and gaps are
# several pixels wide and the geometry thresholds mean the same at every scan size.
FIELD_HEIGHT = 96
MAX_FIELD_UPSCALE = 4.0


def prepare_field(gray: np.ndarray) -> PreparedPage:
    """A single line or form-field crop -> upscaled, binarised, slightly deskewed."""
    h, w = gray.shape
    scale = float(np.clip(FIELD_HEIGHT / max(h, 1), 1.0, MAX_FIELD_UPSCALE))
    if scale > 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    sh, sw = gray.shape
    binary = binarize(gray, window=int(sh // 2) | 1, background_kernel=sh)
    binary = remove_specks(binary, min_area=int(2 * scale * scale))
    to_page = np.array([[1.0 / scale, 0.0, 0.0], [0.0, 1.0 / scale, 0.0]])
    angle = estimate_skew(binary, max_degrees=4.0, step=0.5) if sw > 2 * sh else 0.0
    if abs(angle) >= 0.5:
        gray, inverse = rotate(gray, angle, border=255)
        binary = (rotate(binary, angle, border=0)[0] > 127).astype(np.uint8) * 255
        # Rotation first, then the scale back to the upload's pixels.
        to_page = np.hstack([to_page[:, :2] @ inverse[:, :2], (to_page[:, :2] @ inverse[:, 2:]) + to_page[:, 2:]])
    else:
        angle = 0.0
    return PreparedPage(gray, binary, angle, to_page, (w, h))
