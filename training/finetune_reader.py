"""Fine-tune a model version's field reader on reviewers' word corrections, without
forgetting what it learnt: `training.field_reader.fit` from the parent reader, on the
corrected strips (plus new variations of them every epoch) mixed with generated fields;
the new reader is measured against its parent on a held-out slice of the corrections
and on generated fields. Plain Python: no Django.

The glyph classifier and the reader of one model version are fine-tuned together
(training/finetune.py calls this for the version's `reader/`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognition.pipeline import bundle

from . import field_reader
from .feedback import WordFeedback
from .field_reader import ReaderConfig

Progress = Callable[[dict], None]


@dataclass
class ReaderFinetuneConfig:
    epochs: int = 3
    base_fields: int = 12000  # generated fields mixed in, so the reader keeps what it knew
    feedback_copies: int = 8  # light variations of each corrected strip per epoch
    # Generated capitals fields written partly with the corrected characters' own
    # glyphs: the writers' letter shapes in many more words than they corrected.
    writer_fields: int = 0
    writer_glyph_share: float = 0.5
    validation_fields: int = 1000
    learning_rate: float = 2e-4
    batch_size: int = 32
    seed: int = 13


def finetune_reader(
    base_dir: Path,
    out_dir: Path,
    version: str,
    words: WordFeedback,
    holdout: WordFeedback,
    emnist_path: Path,
    config: ReaderFinetuneConfig | None = None,
    progress: Progress | None = None,
    glyphs: tuple[np.ndarray, list[str]] | None = None,
) -> dict:
    """Train the reader in `base_dir` on the corrections and write it to `out_dir`;
    returns its meta (also written as meta.json). `glyphs` are corrected character
    crops (28x28, ink bright) and their labels, for `config.writer_fields`."""
    config = config or ReaderFinetuneConfig()
    started = time.time()
    parent = bundle.read_reader_info(base_dir)
    data = field_reader.correction_data(
        parent.alphabet, words, holdout, emnist_path, base_fields=config.base_fields,
        validation_fields=config.validation_fields, variations=config.feedback_copies,
        writer_fields=config.writer_fields, writer_glyph_share=config.writer_glyph_share, seed=config.seed,
        cache=Path(out_dir).parent / ".reader-data", glyphs=glyphs, progress=progress,
    )
    # A constant, gentle rate and the parent's batch statistics: a few hundred strips
    # must nudge the reader, not move it.
    fit_config = ReaderConfig(epochs=config.epochs, batch_size=config.batch_size, learning_rate=config.learning_rate,
                              final_rate=None, freeze_batch_statistics=True, curve=False, seed=config.seed)
    fitted = field_reader.fit(base_dir, data, fit_config, progress)
    meta = field_reader.reader_meta(version, fitted, data.counts, started, parent=fitted.parent,
                                    recipe=config.__dict__)
    field_reader.save(Path(out_dir), fitted, meta)
    return meta
