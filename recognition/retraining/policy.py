"""The activation policy: whether a retrained model version may replace its parent. It
is the app's decision, made on the figures the trainer measured (training/finetune.py
writes them into the version's metrics); the trainer only measures."""

from __future__ import annotations


def is_not_worse(metrics: dict, tolerance: float) -> tuple[bool, str]:
    """The activation rule, for each network the run retrained: the glyph classifier's
    held-out EMNIST accuracy at most `tolerance` below the parent's and the held-out
    corrections read at least as well; the field reader reads held-out corrected words at
    least as well; the line reader reads held-out corrected lines at least as well and
    lines/ val with a CER at most `tolerance` above the parent's."""
    reasons = []
    if "emnist" in metrics:
        ok, why = _glyph_route_not_worse(metrics, tolerance)
        if not ok:
            return False, why
        reasons.append(why)
    else:
        reasons.append("glyph classifier and field reader unchanged")
    if metrics.get("line_reader"):
        ok, why = _line_reader_not_worse(metrics["line_reader"], tolerance)
        if not ok:
            return False, why
        reasons.append(why)
    return True, "; ".join(reasons)


def _glyph_route_not_worse(metrics: dict, tolerance: float) -> tuple[bool, str]:
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


def _line_reader_not_worse(lines: dict, tolerance: float) -> tuple[bool, str]:
    held_new, held_old = lines.get("feedback_holdout_cer"), lines.get("parent_feedback_holdout_cer")
    if held_new is not None and held_old is not None and held_new > held_old:
        return False, f"the line reader reads held-out corrected lines worse: CER {held_new:.4f} against {held_old:.4f}"
    val_new = (lines.get("lines_val_cer") or {}).get("all")
    val_old = (lines.get("parent_lines_val_cer") or {}).get("all")
    if val_new is not None and val_old is not None and val_new > val_old + tolerance:
        return False, (f"the line reader's CER on lines/ val rose from {val_old:.4f} to {val_new:.4f} "
                       f"(tolerance {tolerance:.4f})")
    parts = []
    if held_new is not None and held_old is not None:
        parts.append(f"line reader on held-out corrected lines CER {held_old:.4f} -> {held_new:.4f}")
    if val_new is not None and val_old is not None:
        parts.append(f"lines/ val CER {val_old:.4f} -> {val_new:.4f}")
    return True, "; ".join(parts) or "line reader retrained (no held-out lines to compare)"
