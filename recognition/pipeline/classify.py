"""Character crops -> class probabilities, with a Keras CNN loaded once per process.

TensorFlow is imported only when the model is first used, so importing the pipeline
(in the web process, or in a Celery parent before it forks) never starts TensorFlow.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .sequence import SequenceReader

REJECT = "<reject>"  # the "not a character" class
BATCH = 2048


@dataclass(frozen=True)
class ModelInfo:
    version: str
    classes: list[str]
    input_size: int


def read_model_info(model_dir: Path) -> ModelInfo:
    meta = json.loads((Path(model_dir) / "meta.json").read_text())
    return ModelInfo(meta["version"], list(meta["classes"]), int(meta.get("input_size", 28)))


class CharClassifier:
    """A trained model directory (`model.keras` + `meta.json`), loaded lazily. When the
    directory holds a `reader/` (a sequence reader trained with it), that comes along
    as `reader`: one model version, two networks."""

    def __init__(self, model_dir: str | Path):
        self.model_dir = Path(model_dir)
        self.info = read_model_info(self.model_dir)
        self._model = None
        self._lock = threading.Lock()
        reader_dir = self.model_dir / "reader"
        self.reader = SequenceReader(reader_dir) if (reader_dir / "meta.json").exists() else None

    @property
    def version(self) -> str:
        return self.info.version

    @property
    def classes(self) -> list[str]:
        return self.info.classes

    def _load(self):
        with self._lock:
            if self._model is None:
                configure_tensorflow_threads()
                import keras

                self._model = keras.models.load_model(self.model_dir / "model.keras", compile=False)
        if self.reader is not None:
            self.reader._load()
        return self._model

    def predict_proba(self, glyphs: np.ndarray) -> np.ndarray:
        """(N, 28, 28, 1) float32 in [0, 1] -> (N, n_classes) probabilities, in one pass
        per batch of up to BATCH crops."""
        if len(glyphs) == 0:
            return np.zeros((0, len(self.classes)), np.float32)
        model = self._load()
        parts = [np.asarray(model(glyphs[i : i + BATCH], training=False)) for i in range(0, len(glyphs), BATCH)]
        return np.concatenate(parts).astype(np.float32)


def configure_tensorflow_threads() -> None:
    """Honour HWR_TF_THREADS so one worker process uses the cores it is given."""
    threads = int(os.environ.get("HWR_TF_THREADS", "0") or 0)
    if threads <= 0:
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # already initialised in this process: keep what it has


_cache: dict[Path, CharClassifier] = {}
_cache_lock = threading.Lock()


def get_classifier(model_dir: str | Path) -> CharClassifier:
    """One classifier per model directory per process."""
    key = Path(model_dir).resolve()
    with _cache_lock:
        if key not in _cache:
            _cache[key] = CharClassifier(key)
        return _cache[key]
