"""A retraining run whose only corrections are whole lines fine-tunes the line reader on
them (training/line_reader.finetune_line_reader, started from the parent) and carries
the glyph classifier and the field reader over unchanged; the new version's line reader
reads the corrected lines better than its parent did and records both on the held-out
lines. Trains for a few dozen steps on lines rendered in a handwriting font the shipped
reader never saw, without the lines/ replay, so it runs without ../shared/data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from recognition.pipeline import bundle
from recognition.pipeline.read import normalize_line
from training.feedback import Feedback, LineFeedback
from training.finetune import FinetuneConfig, finetune
from training.line_reader import render_line

FONT = "/usr/share/fonts/truetype/breip/Breip.ttf"
TRAIN_TEXTS = [
    "Dear Sir, your letter of the 4th",
    "reached me this morning at Palo Alto",
    "and I thank you for the specimens",
    "which came in good order by express",
    "The rocks of the coast range are old",
    "I shall write again when I return",
]
HELD_TEXTS = ["Yours very truly, John Branner", "the survey of the valley is done"]
QUICK = FinetuneConfig(line_steps=60, line_learning_rate=1e-3, line_feedback_share=1.0, line_replay=False)


def rendered(texts: list[str], seed: int) -> LineFeedback:
    rng = np.random.default_rng(seed)
    strips = [(normalize_line(render_line(t, FONT, rng))[0] * 255).astype(np.uint8) for t in texts]
    return LineFeedback(strips, texts)


def cer(reader, lines: LineFeedback) -> float:
    readings = reader.read([s.astype(np.float32) / 255 for s in lines.strips])
    return sum(Levenshtein.distance(r.text, t) for r, t in zip(readings, lines.texts, strict=True)) / sum(
        len(t) for t in lines.texts)


def test_corrected_lines_fine_tune_the_line_reader_and_carry_the_form_networks(model_dir, tmp_path):
    import os

    if not os.path.exists(FONT):
        pytest.skip(f"needs {FONT} (make fonts)")
    lines, held = rendered(TRAIN_TEXTS, seed=1), rendered(HELD_TEXTS, seed=2)
    progress = []
    meta = finetune(model_dir, tmp_path / "ft", "test-lines", Feedback.empty(), Feedback.empty(), config=QUICK,
                    progress=progress.append, lines=lines, line_holdout=held)

    # The form-field networks are the parent's, byte for byte, and the meta says so.
    assert (tmp_path / "ft" / bundle.WEIGHTS).read_bytes() == (model_dir / bundle.WEIGHTS).read_bytes()
    assert meta["metrics"]["glyph_classifier"] == "carried"
    assert meta["data"]["glyph_classifier"] == {"carried_from": meta["parent"]}
    written = json.loads((tmp_path / "ft" / bundle.META).read_text())
    assert written["version"] == "test-lines" and written["metrics"]["line_reader"] == meta["metrics"]["line_reader"]

    line_meta = bundle.read_meta(tmp_path / "ft" / bundle.LINE_READER_DIR)
    parent_meta = bundle.read_meta(model_dir / bundle.LINE_READER_DIR)
    assert line_meta["parent"] == parent_meta["version"] and line_meta["finetune"]["steps_run"] == 60
    assert line_meta["data"] == {"feedback_lines": 6, "feedback_holdout_lines": 2, "replay_lines": 0}
    figures = meta["metrics"]["line_reader"]
    assert all(isinstance(figures[key], float) for key in ("feedback_holdout_cer", "parent_feedback_holdout_cer"))
    assert figures["lines_val_cer"] is None  # no lines/ data was asked for
    assert any(p.get("stage") == "fine-tuning the line reader" for p in progress)

    # The parent's language model and beam settings go with the retrained reader: the
    # text it models has not changed, only the reader of the ink.
    assert (tmp_path / "ft" / bundle.LINE_READER_DIR / bundle.LANGUAGE_MODEL).read_bytes() == (
        model_dir / bundle.LINE_READER_DIR / bundle.LANGUAGE_MODEL).read_bytes()
    assert line_meta["beam_search"] == parent_meta["beam_search"]
    assert bundle.LineReader(tmp_path / "ft" / bundle.LINE_READER_DIR).beam_settings is not None

    # The new version reads the lines it was corrected on far better than its parent.
    before = cer(bundle.LineReader(model_dir / bundle.LINE_READER_DIR), lines)
    after = cer(bundle.LineReader(tmp_path / "ft" / bundle.LINE_READER_DIR), lines)
    assert after < 0.5 * before, f"CER on the corrected lines {before:.1%} -> {after:.1%}"
