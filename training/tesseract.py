"""Tesseract as a yardstick for `evaluate-pages --engine tesseract`: the same pages read by
Debian's `tesseract-ocr` (5.x, English model), its own layout analysis for whole pages,
one line at a time (`--psm 7`) for the annotated lines. Not part of the service; the
benchmark skips it when the program is not installed.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import cv2
import numpy as np

from recognition.pipeline import Box
from recognition.pipeline.read import CUT_PAD  # around an annotated line's box, as the service cuts its strips


def available() -> bool:
    return shutil.which("tesseract") is not None


def _run(gray: np.ndarray, psm: int, output: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "image.png"
        cv2.imwrite(str(path), gray)
        # One thread, as the service is measured on one core.
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        done = subprocess.run(["tesseract", str(path), "stdout", "-l", "eng", "--psm", str(psm), output],
                              capture_output=True, text=True, env=env, check=True)
    return done.stdout


def read_page(gray: np.ndarray) -> list[tuple[Box, str]]:
    """A whole page -> Tesseract's lines (box in page pixels, text), its own layout."""
    rows = csv.DictReader(io.StringIO(_run(gray, 3, "tsv")), delimiter="\t", quoting=csv.QUOTE_NONE)
    lines: dict[tuple[str, str, str], list[dict]] = {}
    for row in rows:
        if row["level"] == "5" and (row.get("text") or "").strip():
            lines.setdefault((row["block_num"], row["par_num"], row["line_num"]), []).append(row)
    out = []
    for words in lines.values():
        box = Box.enclosing([Box(int(w["left"]), int(w["top"]), int(w["width"]), int(w["height"])) for w in words])
        out.append((box, " ".join(w["text"].strip() for w in words)))
    return out


def read_lines(gray: np.ndarray, boxes: list[Box]) -> list[tuple[Box, str]]:
    """Annotated line boxes -> each one's crop read as a single text line."""
    h, w = gray.shape[:2]
    out = []
    for box in boxes:
        x0, y0 = max(0, box.x - CUT_PAD), max(0, box.y - CUT_PAD)
        x1, y1 = min(w, box.x + box.w + CUT_PAD), min(h, box.y + box.h + CUT_PAD)
        crop = gray[y0:y1, x0:x1]
        text = _run(crop, 7, "txt").strip() if crop.size else ""
        out.append((box, " ".join(text.split())))
    return out
