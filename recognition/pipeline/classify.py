"""Character crops -> class probabilities: the glyph classifier, a Keras CNN.

The model bundle (bundle.py) reads the classifier's metadata and hands it the function
that loads its network, which runs on first use: importing the pipeline (in the web
process, or in a Celery parent before it forks) never starts TensorFlow.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

REJECT = "<reject>"  # the "not a character" class
BATCH = 2048


@dataclass(frozen=True)
class ModelInfo:
    version: str
    classes: list[str]
    input_size: int


class CharClassifier:
    """The glyph classifier of one model version: its metadata now, its network on
    first use (once per process, whichever thread asks first)."""

    def __init__(self, info: ModelInfo, load_network: Callable[[], object]):
        self.info = info
        self._load_network = load_network
        self._model = None
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return self.info.version

    @property
    def classes(self) -> list[str]:
        return self.info.classes

    def _load(self):
        with self._lock:
            if self._model is None:
                self._model = self._load_network()
        return self._model

    def predict_proba(self, glyphs: np.ndarray) -> np.ndarray:
        """(N, 28, 28, 1) float32 in [0, 1] -> (N, n_classes) probabilities, in one pass
        per batch of up to BATCH crops."""
        if len(glyphs) == 0:
            return np.zeros((0, len(self.classes)), np.float32)
        model = self._load()
        parts = [np.asarray(model(glyphs[i : i + BATCH], training=False)) for i in range(0, len(glyphs), BATCH)]
        return np.concatenate(parts).astype(np.float32)
