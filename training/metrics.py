"""Scoring helpers shared by tests and benchmarks."""

from __future__ import annotations

from recognition.pipeline.types import Box


def match_boxes(truth: list[Box], found: list[Box], threshold: float = 0.5) -> tuple[float, float]:
    """Recall and precision with greedy one-to-one matching at IoU >= threshold."""
    pairs = sorted(
        ((t.iou(f), i, j) for i, t in enumerate(truth) for j, f in enumerate(found)), reverse=True
    )
    used_t, used_f = set(), set()
    for iou, i, j in pairs:
        if iou < threshold:
            break
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
    recall = len(used_t) / len(truth) if truth else 1.0
    precision = len(used_f) / len(found) if found else (1.0 if not truth else 0.0)
    return recall, precision
