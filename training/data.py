"""EMNIST ByClass loading and the fixed-seed train / validation / test split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPLIT_SEED = 20261124
VALIDATION_SHARE = 0.1
TEST_SHARE = 0.1


@dataclass
class Emnist:
    images: np.ndarray  # (N, 28, 28) uint8, white ink on black, upright
    labels: np.ndarray  # (N,) int class index into `mapping`
    mapping: list[str]  # 62 characters: 0-9, A-Z, a-z


def load_emnist(path: str | Path) -> Emnist:
    with np.load(path) as data:
        mapping = [str(c) for c in data["mapping"]]
        return Emnist(data["images"], data["labels"].astype(np.int64), mapping)


@dataclass
class Split:
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


def split_indices(labels: np.ndarray, seed: int = SPLIT_SEED) -> Split:
    """Stratified by class, so rare classes appear in every part."""
    rng = np.random.default_rng(seed)
    train, val, test = [], [], []
    for cls in np.unique(labels):
        idx = np.nonzero(labels == cls)[0]
        rng.shuffle(idx)
        n_test = max(1, int(round(len(idx) * TEST_SHARE)))
        n_val = max(1, int(round(len(idx) * VALIDATION_SHARE)))
        test.append(idx[:n_test])
        val.append(idx[n_test : n_test + n_val])
        train.append(idx[n_test + n_val :])
    return Split(*(np.sort(np.concatenate(part)) for part in (train, val, test)))


def case_folded(label: str) -> str:
    """The 36-class view used when reporting case-insensitive accuracy."""
    return label.upper()
