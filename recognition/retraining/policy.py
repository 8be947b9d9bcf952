"""The activation policy: whether a retrained model version may replace its parent. It
is the app's decision, made on the figures the trainer measured (training/finetune.py
writes them into the version's metrics); the trainer only measures."""

from __future__ import annotations


def is_not_worse(metrics: dict, tolerance: float) -> tuple[bool, str]:
    """The activation rule: held-out EMNIST accuracy at most `tolerance` below the
    parent's, and the held-out corrections read at least as well as the parent did."""
    new, old = metrics["emnist"]["test_accuracy_62"], metrics["parent_emnist"]["test_accuracy_62"]
    if new < old - tolerance:
        return False, f"EMNIST held-out accuracy fell from {old:.4f} to {new:.4f} (tolerance {tolerance:.4f})"
    fb_new, fb_old = metrics["feedback_holdout"]["accuracy"], metrics["parent_feedback_holdout"]["accuracy"]
    if fb_new is not None and fb_old is not None and fb_new < fb_old:
        return False, f"held-out corrections read worse: {fb_new:.4f} against {fb_old:.4f}"
    fb = f"; held-out corrections {fb_old:.4f} -> {fb_new:.4f}" if fb_new is not None else ""
    reader = metrics.get("reader") or {}
    words_new = (reader.get("feedback_holdout") or {}).get("word_accuracy")
    words_old = (reader.get("parent_feedback_holdout") or {}).get("word_accuracy")
    if words_new is not None and words_old is not None:
        if words_new < words_old:
            return False, f"the reader reads held-out corrected words worse: {words_new:.4f} against {words_old:.4f}"
        fb += f"; reader on held-out corrected words {words_old:.4f} -> {words_new:.4f}"
    return True, f"EMNIST held-out accuracy {old:.4f} -> {new:.4f}{fb}"
