"""Scoring helpers shared by tests and benchmarks."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from recognition.pipeline.types import Box


def iou_matrix(truth: list[Box], found: list[Box]) -> np.ndarray:
    """IoU of every truth box (rows) with every found box (columns)."""
    if not truth or not found:
        return np.zeros((len(truth), len(found)))
    t = np.array([b.as_list() for b in truth], np.float64)
    f = np.array([b.as_list() for b in found], np.float64)
    tx0, ty0, tx1, ty1 = t[:, 0:1], t[:, 1:2], t[:, 0:1] + t[:, 2:3], t[:, 1:2] + t[:, 3:4]
    fx0, fy0, fx1, fy1 = f[:, 0], f[:, 1], f[:, 0] + f[:, 2], f[:, 1] + f[:, 3]
    iw = np.clip(np.minimum(tx1, fx1) - np.maximum(tx0, fx0), 0, None)
    ih = np.clip(np.minimum(ty1, fy1) - np.maximum(ty0, fy0), 0, None)
    inter = iw * ih
    union = (t[:, 2:3] * t[:, 3:4]) + (f[:, 2] * f[:, 3]) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def matched_pairs(truth: list[Box], found: list[Box], threshold: float = 0.5) -> list[tuple[int, int]]:
    """One-to-one pairs (truth index, found index) with IoU >= threshold.

    Optimal rather than greedy: the assignment maximises the number of pairs first and
    their total IoU second, so one ambiguous overlap cannot cost a second match.
    """
    iou = iou_matrix(truth, found)
    if iou.size == 0:
        return []
    eligible = iou >= threshold
    # Every eligible pair is worth more than any sum of IoU bonuses, so the count wins.
    weight = np.where(eligible, 1.0 + iou / (1.0 + min(iou.shape)), 0.0)
    rows, cols = linear_sum_assignment(weight, maximize=True)
    return [(int(i), int(j)) for i, j in zip(rows, cols) if eligible[i, j]]


def match_boxes(truth: list[Box], found: list[Box], threshold: float = 0.5) -> tuple[float, float]:
    """Recall and precision with one-to-one matching at IoU >= threshold."""
    n_matched = len(matched_pairs(truth, found, threshold))
    recall = n_matched / len(truth) if truth else 1.0
    precision = n_matched / len(found) if found else (1.0 if not truth else 0.0)
    return recall, precision
