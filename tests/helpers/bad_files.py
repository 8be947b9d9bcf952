"""A corpus of bad and odd upload files, generated here (nothing downloaded).

Each case says what the API must answer: a status and a fragment of the message for
files it refuses; for files it accepts, how the job must end once a worker ran it.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Case:
    id: str
    filename: str
    make: Callable[[], bytes]
    status: int
    message: str = ""  # a fragment of the JSON `detail` (refused files)
    job: str = ""  # for accepted files: "succeeded", "failed" or "finished" (either)
    settings: dict = field(default_factory=dict)
    check: Callable | None = None  # check(page, job) for accepted files


def encode(img: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **options)
    return out.getvalue()


def writing(h: int = 160, w: int = 320) -> np.ndarray:
    """Dark printed-like strokes on light paper, 8-bit gray."""
    img = np.full((h, w), 235, np.uint8)
    cv2.putText(img, "FORM 42", (10, h // 2 + 15), cv2.FONT_HERSHEY_SIMPLEX, min(h, w) / 120, 30, 3)
    return img


def gray_png(h=160, w=320) -> bytes:
    return encode(Image.fromarray(writing(h, w)), "PNG")


def noisy_png(h=300, w=300) -> bytes:
    # Noise does not compress, so cutting the file really cuts pixel data.
    return encode(Image.fromarray(np.random.default_rng(1).integers(0, 255, (h, w), dtype=np.uint8)), "PNG")


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int, height: int) -> bytes:
    """A 1-bit PNG of `width` x `height` white pixels: tiny on disk, huge in memory."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row * 1000) for _ in range(height // 1000))
    data += compressor.compress(row * (height % 1000)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims another size."""
    data = bytearray(encode(Image.fromarray(writing()), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5: sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def corrupt_png() -> bytes:
    data = bytearray(noisy_png())
    idat = data.index(b"IDAT")
    for k in range(idat + 40, idat + 400, 7):
        data[k] ^= 0x5A
    return bytes(data)


def exif_rotated_jpeg(orientation=6) -> bytes:
    img = Image.fromarray(writing(120, 300))
    exif = img.getexif()
    exif[0x0112] = orientation
    return encode(img, "JPEG", exif=exif)


def broken_exif_jpeg() -> bytes:
    # An EXIF block that starts like one and then is garbage.
    return encode(Image.fromarray(writing()), "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff\x01")


def mode(img_mode: str, fmt="PNG", **options) -> Callable[[], bytes]:
    def make():
        base = Image.fromarray(writing())
        if img_mode == "I;16":
            img = Image.fromarray(writing().astype(np.uint16) * 257)
        elif img_mode == "F":
            img = Image.fromarray(writing().astype(np.float32) / 255.0)
        elif img_mode == "PA":
            img = base.convert("P")
            img.info["transparency"] = 0
        elif img_mode == "RGBA":
            rgba = np.dstack([writing()] * 3 + [np.where(writing() < 128, 255, 0).astype(np.uint8)])
            img = Image.fromarray(rgba, "RGBA")
        else:
            img = base.convert(img_mode)
        return encode(img, fmt, **options)

    return make


def multipage_tiff() -> bytes:
    first = Image.fromarray(writing())
    return encode(first, "TIFF", save_all=True, append_images=[Image.fromarray(255 - writing())])


def photo_of_a_cat() -> bytes:
    """Not a cat, but what matters about one: smooth shading, soft edges, no writing."""
    h, w = 480, 640
    yy, xx = np.mgrid[0:h, 0:w]
    img = 90 + 80 * np.sin(xx / 60.0) * np.cos(yy / 45.0)
    img += 60 * np.exp(-(((xx - 320) / 140.0) ** 2 + ((yy - 260) / 110.0) ** 2))  # a body
    img += 50 * np.exp(-(((xx - 330) / 60.0) ** 2 + ((yy - 120) / 55.0) ** 2))  # a head
    rgb = np.dstack([img, img * 0.8, img * 0.6]).clip(0, 255).astype(np.uint8)
    return encode(Image.fromarray(rgb), "JPEG", quality=85)


def noise_page(size=1500) -> bytes:
    return encode(Image.fromarray(np.random.default_rng(7).integers(0, 256, (size, size), dtype=np.uint8)), "PNG")


def solid(value: int, h=800, w=600) -> Callable[[], bytes]:
    return lambda: encode(Image.fromarray(np.full((h, w), value, np.uint8)), "PNG")


def upright(page, job):
    assert (page.width, page.height) == (120, 300)  # EXIF orientation 6: a quarter turn


def empty_text(page, job):
    assert job.text == ""


def not_writing(page, job):
    assert "does not look like writing" in job.error


def reads_writing(page, job):
    # The ink is found wherever the mode put it: some text comes out.
    assert job.text.strip() != ""


REFUSED = [
    Case("zero-byte", "empty.png", lambda: b"", 400, "empty"),
    Case("text-renamed-png", "notes.png", lambda: b"these are not pixels\n" * 50, 415, "looks like text"),
    Case("html-renamed-jpg", "page.jpg", lambda: b"<!doctype html><html><body>hi</body></html>", 415, "PNG, JPEG"),
    Case("svg", "drawing.png", lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><text>A</text></svg>', 415, "text"),
    Case("json", "data.tif", lambda: b'{"image": "no"}', 415, "PNG, JPEG, TIFF or PDF"),
    Case("gif", "anim.png", lambda: encode(Image.fromarray(writing()).convert("P"), "GIF"), 415, "GIF"),
    Case("bmp", "scan.png", lambda: encode(Image.fromarray(writing()), "BMP"), 415, "BMP"),
    Case("webp", "scan.jpg", lambda: encode(Image.fromarray(writing()), "WEBP"), 415, "WebP"),
    # PDFs are accepted (split into pages, see test_multipage_uploads.py); a broken one is not.
    Case("damaged-pdf", "scan.png", lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", 400,
         "PDF cannot be read"),
    Case("zip", "scan.png", lambda: b"PK\x03\x04" + b"\x00" * 100, 415, "ZIP"),
    Case("gzip", "scan.png", lambda: b"\x1f\x8b\x08\x00" + b"\x00" * 50, 415, "gzip"),
    Case("executable", "scan.png", lambda: b"MZ\x90\x00\x03" + bytes(range(256)) * 4, 415, "unknown"),
    Case("random-bytes", "scan.jpg", lambda: np.random.default_rng(3).bytes(5000), 415, "PNG, JPEG, TIFF or PDF"),
    Case("png-signature-only", "sig.png", lambda: b"\x89PNG\r\n\x1a\n", 400, "damaged or truncated"),
    Case("png-then-text", "poly.png", lambda: b"\x89PNG\r\n\x1a\n" + b"hello world " * 20, 400, "damaged"),
    Case("truncated-png", "cut.png", lambda: noisy_png()[: len(noisy_png()) // 2], 400, "damaged or truncated"),
    Case("truncated-jpeg", "cut.jpg",
         lambda: (d := encode(Image.fromarray(np.random.default_rng(2).integers(0, 255, (300, 300), np.uint8)),
                              "JPEG"))[: len(d) // 2], 400, "damaged or truncated"),
    Case("truncated-tiff", "cut.tif", lambda: (d := encode(Image.fromarray(writing()), "TIFF"))[: len(d) // 3],
         400, "damaged or truncated"),
    Case("jpeg-header-only", "head.jpg", lambda: b"\xff\xd8\xff\xe0" + b"\x00" * 40, 400, "damaged or truncated"),
    Case("corrupt-png-data", "bitrot.png", corrupt_png, 400, "damaged or truncated"),
    Case("png-bomb-400-megapixels", "bomb.png", lambda: png_bomb(20000, 20000), 413, "too large"),
    Case("png-over-pixel-limit", "big.png", lambda: png_bomb(9000, 9000), 413, "pixels"),
    Case("jpeg-claiming-65000-square", "liar.jpg", lambda: jpeg_claiming(65000, 65000), 413, ""),
    Case("tiny-4x4", "dot.png", lambda: encode(Image.new("L", (4, 4), 255), "PNG"), 400, "at least"),
    Case("one-pixel-row", "line.png", lambda: encode(Image.new("L", (3000, 1), 255), "PNG"), 400, "at least"),
    Case("absurd-aspect-ratio", "strip.png", lambda: encode(Image.new("L", (20, 4000), 255), "PNG"), 400,
         "times the other"),
    Case("file-over-upload-limit", "big.png", lambda: gray_png(400, 800), 413, "limit",
         settings={"HWR_MAX_UPLOAD_BYTES": 2000}),
    Case("request-over-body-limit", "huge.png", lambda: gray_png(400, 800) + b"\0" * 30000, 413, "at most",
         settings={"HWR_MAX_REQUEST_BYTES": 20000}),
]

ACCEPTED = [
    Case("gray-png", "scan.png", gray_png, 201, job="succeeded", check=reads_writing),
    Case("16-bit-gray-png", "deep.png", mode("I;16"), 201, job="succeeded", check=reads_writing),
    Case("16-bit-gray-tiff", "deep.tif", mode("I;16", "TIFF"), 201, job="succeeded", check=reads_writing),
    Case("float-tiff", "float.tif", mode("F", "TIFF"), 201, job="succeeded", check=reads_writing),
    Case("cmyk-jpeg", "print.jpg", mode("CMYK", "JPEG"), 201, job="succeeded", check=reads_writing),
    Case("cmyk-tiff", "print.tif", mode("CMYK", "TIFF"), 201, job="succeeded", check=reads_writing),
    Case("palette-png", "pal.png", mode("P"), 201, job="succeeded", check=reads_writing),
    Case("palette-with-transparency", "palt.png", mode("PA"), 201, job="finished"),
    Case("rgba-ink-only-opaque", "alpha.png", mode("RGBA"), 201, job="succeeded", check=reads_writing),
    Case("gray-alpha", "la.png", mode("LA"), 201, job="succeeded", check=reads_writing),
    Case("one-bit-png", "bw.png", mode("1"), 201, job="succeeded", check=reads_writing),
    Case("one-bit-g4-tiff", "fax.tif", mode("1", "TIFF", compression="group4"), 201, job="succeeded",
         check=reads_writing),
    Case("lzw-tiff", "lzw.tif", mode("L", "TIFF", compression="tiff_lzw"), 201, job="succeeded", check=reads_writing),
    Case("progressive-jpeg", "prog.jpg", mode("RGB", "JPEG", progressive=True), 201, job="succeeded",
         check=reads_writing),
    Case("multipage-tiff", "two.tif", multipage_tiff, 201, job="finished"),
    Case("exif-rotated-jpeg", "phone.jpg", exif_rotated_jpeg, 201, job="finished", check=upright),
    Case("broken-exif-jpeg", "odd.jpg", broken_exif_jpeg, 201, job="succeeded"),
    Case("misleading-name", "scan.gif", gray_png, 201, job="succeeded"),
    Case("smallest-allowed-8x8", "tiny.png", lambda: encode(Image.new("L", (8, 8), 255), "PNG"), 201,
         job="finished"),
    Case("long-thin-field", "field.png", lambda: gray_png(24, 2000), 201, job="finished"),
    Case("blank-page", "blank.png", solid(255), 201, job="succeeded", check=empty_text),
    Case("all-black-page", "black.png", solid(0), 201, job="finished"),
    Case("photo-of-a-cat", "cat.jpg", photo_of_a_cat, 201, job="finished"),
    Case("huge-noise", "noise.png", noise_page, 201, job="failed", check=not_writing),
]
