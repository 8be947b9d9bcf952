"""The sequence reader can read a word in several views (the strip slanted left and
right) and average them frame by frame: the frame grid stays the one of the strip, so
the averaged frames score spellings exactly as a single reading does."""

from pathlib import Path

import numpy as np
import pytest

from recognition.pipeline.bundle import load_bundle
from recognition.pipeline.sequence import VIEW_SLANTS, normalize_strip, slanted


def test_a_slanted_view_keeps_the_strip_shape_and_moves_the_top_against_the_bottom():
    strip = np.zeros((32, 40), np.float32)
    strip[:, 20] = 1.0  # an upright stroke
    view = slanted(strip, 0.15)
    assert view.shape == strip.shape
    top, bottom = np.argmax(view[2]), np.argmax(view[29])
    assert top < bottom and abs((bottom - top) - 0.15 * 27) <= 1.5  # the top now leans left of the foot
    assert slanted(strip, 0.0) is strip


def test_several_views_average_into_one_frame_grid(model_dir):
    reader_dir = Path(model_dir) / "reader"
    if not (reader_dir / "meta.json").exists():
        pytest.skip("the active model has no sequence reader")
    reader = load_bundle(model_dir).reader
    ink = np.zeros((40, 150), np.uint8)
    ink[5:35, 10:14] = ink[5:35, 60:64] = ink[5:9, 100:140] = 255
    strips = [normalize_strip(ink), normalize_strip(ink[:, :70])]
    one = reader.frame_probs(strips)
    views = [reader.frame_probs([slanted(s, k) for s in strips]) for k in VIEW_SLANTS]
    averaged = reader.frame_probs(strips, views=len(VIEW_SLANTS))
    for i in range(len(strips)):
        assert averaged[i].shape == one[i].shape
        assert np.allclose(averaged[i].sum(axis=1), 1.0, atol=1e-4)
        assert np.allclose(averaged[i], np.mean([v[i] for v in views], axis=0), atol=1e-5)
