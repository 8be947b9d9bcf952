"""Reviewers' corrections as the trainers take them: the training package's public
containers for feedback, filled by the app (recognition/retraining/samples.py) and
saved to .npz for the command line. Plain NumPy: no Django, no TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognition.pipeline.sequence import LINE_HEIGHT


@dataclass
class Feedback:
    """Normalised 28x28 crops (uint8, ink bright), their labels ("" = not a character)
    and the character set of the field each came from (what the label means: in a
    capitals-only field, an "O" is whatever the classifier folds onto O there)."""

    x: np.ndarray
    labels: list[str]
    charsets: list[str] | None = None

    def __post_init__(self):
        if self.charsets is None:
            self.charsets = ["any"] * len(self.labels)

    @classmethod
    def empty(cls) -> Feedback:
        return cls(np.zeros((0, 28, 28), np.uint8), [], [])

    def __len__(self) -> int:
        return len(self.labels)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, x=self.x, labels=np.array(self.labels, dtype="U8"),
                            charsets=np.array(self.charsets, dtype="U200"))

    @classmethod
    def load(cls, path: Path) -> Feedback:
        with np.load(path) as data:
            charsets = [str(v) for v in data["charsets"]] if "charsets" in data else None
            return cls(data["x"], [str(v) for v in data["labels"]], charsets)


@dataclass
class WordFeedback:
    """Reader strips of corrected words (uint8 (32, w), ink bright), their texts and the
    character set of the field each came from."""

    strips: list[np.ndarray]
    texts: list[str]
    charsets: list[str]

    @classmethod
    def empty(cls) -> WordFeedback:
        return cls([], [], [])

    def __len__(self) -> int:
        return len(self.texts)

    def save(self, path: Path) -> None:
        widths = np.array([s.shape[1] for s in self.strips], np.int32)
        flat = np.concatenate([s for s in self.strips], axis=1) if self.strips else np.zeros((LINE_HEIGHT, 0))
        np.savez_compressed(path, flat=flat.astype(np.uint8), widths=widths, texts=np.array(self.texts, dtype="U200"),
                            charsets=np.array(self.charsets, dtype="U200"))

    @classmethod
    def load(cls, path: Path) -> WordFeedback:
        with np.load(path) as data:
            edges = np.concatenate([[0], np.cumsum(data["widths"])])
            strips = [data["flat"][:, a:b] for a, b in zip(edges[:-1], edges[1:])]
            return cls(strips, [str(t) for t in data["texts"]], [str(c) for c in data["charsets"]])


@dataclass
class LineFeedback:
    """Line strips of corrected lines and ground-truth lines, cut and normalised as the
    pipeline cuts them for the line reader (uint8, read.STRIP_HEIGHT high, ink bright), and their texts."""

    strips: list[np.ndarray]
    texts: list[str]

    @classmethod
    def empty(cls) -> LineFeedback:
        return cls([], [])

    def __len__(self) -> int:
        return len(self.texts)
