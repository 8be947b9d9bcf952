"""Draw line, word and character boxes over the page for review."""

from __future__ import annotations

import cv2
import numpy as np

from .types import PageResult

# BGR. Lines blue, words green, characters orange-red: distinct at a glance.
LINE_COLOUR = (220, 120, 0)
WORD_COLOUR = (40, 170, 40)
CHAR_COLOUR = (0, 90, 240)


def render_overlay(gray: np.ndarray, result: PageResult, max_side: int = 2400) -> np.ndarray:
    """Return a BGR image (scaled down if the page is huge) with all boxes drawn."""
    page = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR) if gray.ndim == 2 else gray.copy()
    scale = min(1.0, max_side / max(page.shape[:2]))
    if scale < 1.0:
        page = cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # Fade the scan a little so the boxes stand out.
    page = cv2.addWeighted(page, 0.75, np.full_like(page, 255), 0.25, 0)
    thick = max(1, int(round(max(page.shape[:2]) / 900)))

    def draw(box, colour, width):
        x, y, w, h = (int(round(v * scale)) for v in box.as_list())
        cv2.rectangle(page, (x, y), (x + max(w, 1) - 1, y + max(h, 1) - 1), colour, width)

    for line in result.lines:
        for word in line.words:
            for char in word.chars:
                draw(char.box, CHAR_COLOUR, 1)
            draw(word.box, WORD_COLOUR, thick)
        if line.polygon:
            outline = (np.asarray(line.polygon, np.float64) * scale).round().astype(np.int32)
            cv2.polylines(page, [outline.reshape(-1, 1, 2)], True, LINE_COLOUR, thick + 1)
        else:
            draw(line.box, LINE_COLOUR, thick + 1)
    return page


def encode_png(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("could not encode overlay")
    return buf.tobytes()
