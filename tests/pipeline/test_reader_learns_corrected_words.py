"""training/finetune_reader.py (the field reader's one fit(), started from the
version's reader): the sequence reader of a model version learns from corrected word
strips, mixed with generated fields, and records its parent, its data and its figures
on held-out corrections before and after."""

import json
from pathlib import Path

import numpy as np
import pytest

from training.feedback import WordFeedback
from training.field_reader import trainable_text, vary_strip
from training.finetune_reader import ReaderFinetuneConfig, finetune_reader
from training.paths import EMNIST_PATH


def test_corrections_are_written_in_the_readers_alphabet():
    alphabet = list("ABCDEFGHIJKLMNOPQRSTUVWXYZ-' ")
    assert trainable_text("  ÉLODIE  MARIE ", alphabet) == "ELODIE MARIE"
    assert trainable_text("O'NEIL-BRÛLÉ", alphabet) == "O'NEIL-BRULE"
    assert trainable_text("N°42", alphabet) is None


def test_a_varied_strip_keeps_its_height_and_frame_grid():
    strip = np.zeros((32, 120), np.uint8)
    strip[4:28, 10:110:12] = 255
    rng = np.random.default_rng(0)
    for _ in range(10):
        out = vary_strip(strip, rng)
        assert out.shape[0] == 32 and out.shape[1] % 4 == 0 and out.any()


def test_word_feedback_survives_a_round_trip(tmp_path):
    words = WordFeedback([np.full((32, 40), 255, np.uint8), np.zeros((32, 16), np.uint8)], ["AB", "C D"],
                         ["upper", "any"])
    words.save(tmp_path / "w.npz")
    back = WordFeedback.load(tmp_path / "w.npz")
    assert back.texts == words.texts and back.charsets == words.charsets
    assert all((a == b).all() for a, b in zip(back.strips, words.strips))


@pytest.mark.needs_data
def test_the_reader_learns_the_corrected_words(emnist, model_dir, tmp_path):
    from training.field_synth import GlyphBank, field_sample

    reader_dir = Path(model_dir) / "reader"
    if not (reader_dir / "meta.json").exists():
        pytest.skip("the active model has no sequence reader")
    data, split = emnist
    bank = GlyphBank(data.images[split.test], data.labels[split.test], data.mapping)
    rng = np.random.default_rng(5)
    samples = []
    while len(samples) < 40:
        name = ["KOWALCZYK", "NGUYEN-THI", "OUEDRAOGO", "PAPADOPOULOS"][len(samples) % 4]
        sample = field_sample(bank, rng, text=name)
        if sample is not None:
            samples.append((squeezed((sample[0] * 255).astype(np.uint8)), sample[1]))
    train = WordFeedback([s for s, _ in samples[:32]], [t for _, t in samples[:32]], ["upper"] * 32)
    held = WordFeedback([s for s, _ in samples[32:]], [t for _, t in samples[32:]], ["upper"] * 8)
    progress = []
    config = ReaderFinetuneConfig(epochs=2, base_fields=64, feedback_copies=3, validation_fields=32,
                                  learning_rate=5e-4)
    meta = finetune_reader(reader_dir, tmp_path / "reader", "test-ft", train, held, EMNIST_PATH, config,
                           progress.append)

    written = json.loads((tmp_path / "reader" / "meta.json").read_text())
    assert written["parent"] == json.loads((reader_dir / "meta.json").read_text())["version"]
    assert written["alphabet"] == meta["alphabet"] and (tmp_path / "reader" / "model.keras").stat().st_size > 0
    assert meta["data"]["feedback_words"] == 32 and meta["data"]["holdout_words"] == 8
    assert [p["epoch"] for p in progress if p.get("stage") == "training reader"] == [1, 2]
    after, before = meta["metrics"]["feedback_holdout"], meta["metrics"]["parent_feedback_holdout"]
    # A cramped hand the reader never saw: after 32 corrections it reads new samples of it better.
    assert after["words"] == 8 and after["cer"] < before["cer"]



def squeezed(strip: np.ndarray) -> np.ndarray:
    """The same writing, letters pressed together to half the width."""
    import cv2

    width = max(16, (strip.shape[1] // 2) // 4 * 4)
    return cv2.resize(strip, (width, strip.shape[0]), interpolation=cv2.INTER_AREA)
