"""A letter bigram model used as a mild prior while decoding: it knows that `NIE` is
a likelier spelling than `NJE`, and nothing about particular words."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

SYMBOLS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ-'"
START, END = "^", "$"
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "letter_bigrams.json"


class LetterModel:
    """log P(next | previous) over START, A-Z, dash, apostrophe and END. Letters are
    looked up without case; other labels (digits, punctuation) get no opinion."""

    def __init__(self, log_prob: np.ndarray):
        self.log_prob = log_prob
        self.index = {s: i for i, s in enumerate([START, *SYMBOLS, END])}
        self._cache: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> LetterModel:
        data = json.loads(Path(path).read_text())
        return cls(np.asarray(data["log_prob"], dtype=np.float64))

    def transitions(self, labels: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For decoding over `labels`: (start -> label), (label -> label), (label -> end)
        log-probabilities, centred so that a label the model knows nothing about and
        an average letter cost the same."""
        key = tuple(labels)
        if key not in self._cache:
            self._cache[key] = self._transitions(list(key))
        return self._cache[key]

    def _transitions(self, labels: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = [self.index.get(label.upper()) for label in labels]
        n = len(labels)
        base = float(np.log(1.0 / len(SYMBOLS)))
        start = np.full(n, base)
        between = np.full((n, n), base)
        end = np.full(n, base)
        for a, ra in enumerate(rows):
            if ra is None:
                continue
            end[a] = self.log_prob[ra, self.index[END]]
            start[a] = self.log_prob[self.index[START], ra]
            for b, rb in enumerate(rows):
                if rb is not None:
                    between[a, b] = self.log_prob[ra, rb]
        return start - base, between - base, end - base


@lru_cache(maxsize=1)
def default_letter_model() -> LetterModel | None:
    return LetterModel.load() if DEFAULT_PATH.exists() else None
