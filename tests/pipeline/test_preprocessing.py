"""Preprocessing binarises despite uneven lighting, straightens skewed pages and reads
awkward image modes."""

import io

import cv2
import numpy as np
from PIL import Image

from recognition.pipeline.preprocess import binarize, decode_image, estimate_skew, prepare_page


def text_image(h=400, w=600):
    img = np.full((h, w), 230, np.uint8)
    for row in range(5):
        cv2.putText(img, "HANDWRITING 123", (30, 60 + row * 70), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 40, 3)
    return img


def test_binarisation_survives_a_strong_shadow():
    img = text_image().astype(np.float32)
    shadow = np.linspace(0.35, 1.0, img.shape[1])[None, :]  # left side in deep shadow
    shaded = (img * shadow).astype(np.uint8)
    clean = binarize(text_image()) > 0
    found = binarize(shaded) > 0
    agreement = (clean & found).sum() / clean.sum()
    false_ink = (found & ~cv2.dilate(clean.astype(np.uint8), np.ones((5, 5))).astype(bool)).sum() / clean.sum()
    assert agreement > 0.85
    assert false_ink < 0.05


def test_skew_is_measured_and_removed():
    img = text_image()
    m = cv2.getRotationMatrix2D((300, 200), 4.0, 1.0)
    rotated = cv2.warpAffine(img, m, (600, 400), borderValue=230)
    angle = estimate_skew(binarize(rotated))
    assert abs(angle + 4.0) <= 0.5
    prepared = prepare_page(rotated)
    assert abs(prepared.skew_degrees + 4.0) <= 0.5


def encode(img: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt)
    return out.getvalue()


def test_sixteen_bit_palette_and_alpha_images_decode_to_gray():
    base = text_image(100, 200)
    sixteen = Image.fromarray(base.astype(np.uint16) * 257)  # 16-bit gray
    palette = Image.fromarray(base).convert("P")
    rgba = Image.fromarray(np.dstack([base] * 3)).convert("RGBA")
    transparent = np.asarray(rgba).copy()
    transparent[..., 3] = np.where(base < 128, 255, 0)  # only the ink is opaque
    for img in (sixteen, palette, Image.fromarray(transparent, "RGBA")):
        gray = decode_image(encode(img, "PNG"))
        assert gray.dtype == np.uint8 and gray.shape == (100, 200)
        assert np.mean((gray < 128) == (base < 128)) > 0.98  # ink where the ink was


def test_exif_rotation_is_applied():
    base = text_image(100, 200)
    img = Image.fromarray(base)
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    assert decode_image(out.getvalue()).shape == (200, 100)
