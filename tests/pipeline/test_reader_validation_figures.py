"""Readers trained in different runs are compared on generated fields by their greedy
readings: a field counts as read only when the reading spells it exactly (repeated
frames collapse, blanks separate), and the CER counts the characters it got wrong."""

import numpy as np

from recognition.pipeline.sequence import DOWNSAMPLE, LINE_HEIGHT
from training.field_reader import ctc_loss, validate
from training.field_synth import ALPHABET

WIDTH = 64  # 16 frames


def field(text: str) -> tuple[np.ndarray, str]:
    return np.zeros((LINE_HEIGHT, WIDTH), np.uint8), text


def reader_that_reads(readings: list[str]):
    """A stand-in model whose logits spell each reading with every letter held for two
    frames and a blank between letters, so collapsing and blanks both matter."""
    frames = WIDTH // DOWNSAMPLE

    def predict(x):
        logits = np.full((len(readings), frames, len(ALPHABET) + 1), -8.0, np.float32)
        for row, text in enumerate(readings):
            path = []
            for ch in text:
                path += [ALPHABET.index(ch) + 1] * 2 + [0]
            path += [0] * (frames - len(path))
            logits[row, np.arange(frames), path] = 8.0
        return logits

    return predict


def test_exact_readings_score_every_field_and_no_errors():
    fields = [field("ANNA"), field("LEA")]  # ANNA's double N needs the blank between
    figures = validate(fields, reader_that_reads(["ANNA", "LEA"]), ctc_loss, batch_size=2)
    assert figures["val_field_accuracy"] == 1.0
    assert figures["val_cer"] == 0.0


def test_one_wrong_letter_loses_the_field_and_counts_one_error():
    fields = [field("ANNA"), field("LEA")]
    figures = validate(fields, reader_that_reads(["ANNA", "LFA"]), ctc_loss, batch_size=2)
    assert figures["val_field_accuracy"] == 0.5
    assert np.isclose(figures["val_cer"], 1 / 7)
