"""CTC decoding shared by the field reader (sequence.py) and the line reader (read.py).

The lattice of states for one text: the field reader sums over its paths
(`sequence.ctc_log_likelihood`, how likely a spelling is), the line reader takes its
best path (`read.aligned_reading`, where each character of a chosen text sits). The
prefix beam search: the field reader's candidate spellings, the line reader's reading
with its language model."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence

import numpy as np

BLANK = 0  # class 0 of both readers' outputs; characters follow in alphabet order


def pad_strips(strips: list[np.ndarray], downsample: int) -> tuple[np.ndarray, np.ndarray]:
    """Strips of one height and different widths -> an (N, H, W, 1) zero-padded batch for a
    reader network, and each strip's frame count (`downsample` input columns a frame), so
    that decoding stops where its strip's ink ends, not at the batch's padding."""
    width = max(s.shape[1] for s in strips)
    batch = np.zeros((len(strips), strips[0].shape[0], width, 1), np.float32)
    for i, s in enumerate(strips):
        batch[i, :, : s.shape[1], 0] = s
    return batch, np.array([s.shape[1] // downsample for s in strips], np.int32)


def label_states(labels: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Class indices of a text -> its CTC states (blank, l1, blank, l2, ..., blank) and,
    for each state, whether a path may reach it from two states back: a character may
    skip the blank before it unless it repeats the character before (a doubled letter
    needs a blank between its two frames)."""
    states = np.array([BLANK] + [k for label in labels for k in (label, BLANK)], np.int64)
    can_skip = np.zeros(len(states), bool)
    can_skip[2:] = (states[2:] != BLANK) & (states[2:] != states[:-2])
    return states, can_skip


def predecessor_scores(scores: np.ndarray, can_skip: np.ndarray) -> np.ndarray:
    """(3, S) scores of where a path in each state can have been one frame before: the
    same state, the state before, the state two before (-inf where not allowed)."""
    step = np.concatenate([[-np.inf], scores[:-1]])
    skip = np.where(can_skip, np.concatenate([[-np.inf, -np.inf], scores[:-2]]), -np.inf)
    return np.stack([scores, step, skip])


def prefix_beam_search(
    log_probs: np.ndarray, symbols: Sequence[str], width: int, candidates: np.ndarray, floor: float,
    sure_blank: float, extension: Callable[[str, str], float] | None = None,
) -> list[tuple[str, float]]:
    """CTC prefix beam search over (T, 1 + len(symbols)) log-posteriors -> the `width`
    readings of the last frame's beam, best first, each with its score: log P(reading |
    frames) over all its alignments, plus `extension(prefix, symbol)` for every symbol
    it added (the line reader's language model and bonus per character).

    At frame t a prefix is extended only with the columns `candidates[t]` (each reader
    passes its few likeliest) that are not the blank and whose log posterior exceeds
    `floor`. Frames whose blank's log posterior exceeds `sure_blank` (two in five of a
    line's) carry every prefix on without extending or re-ranking. Symbols are single
    characters; readings are their concatenation."""
    column = {ch: k + 1 for k, ch in enumerate(symbols)}
    # prefix -> [log P ending in blank, log P ending in its last symbol, extension score]
    beams: dict[str, list[float]] = {"": [0.0, -math.inf, 0.0]}
    for t in range(log_probs.shape[0]):
        row = log_probs[t].tolist()
        blank = row[BLANK]
        if blank > sure_blank:
            for prefix, beam in beams.items():
                pb, pc = beam[0], beam[1]
                beam[0] = _logaddexp(pb, pc) + blank
                beam[1] = pc + row[column[prefix[-1]]] if prefix else -math.inf
            continue
        likely = [int(k) for k in candidates[t] if k != BLANK and row[k] > floor]
        grown: dict[str, list[float]] = {}
        for prefix, (pb, pc, score) in beams.items():
            total = _logaddexp(pb, pc)
            _grow(grown, prefix, total + blank, -math.inf, score)
            if prefix:
                _grow(grown, prefix, -math.inf, pc + row[column[prefix[-1]]], score)
            for k in likely:
                ch = symbols[k - 1]
                # A doubled symbol needs a blank between its two copies.
                came_from = pb if prefix and prefix[-1] == ch else total
                extended = score + extension(prefix, ch) if extension is not None else score
                _grow(grown, prefix + ch, -math.inf, came_from + row[k], extended)
        beams = dict(heapq.nlargest(width, grown.items(), key=_beam_score))
    ranked = sorted(beams.items(), key=_beam_score, reverse=True)
    return [(item[0], _beam_score(item)) for item in ranked]


def _logaddexp(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) on Python floats: the beam's inner loop, where NumPy's
    per-call overhead would cost more than the arithmetic."""
    if a < b:
        a, b = b, a
    if b == -math.inf:
        return a
    return a + math.log1p(math.exp(b - a))


def _beam_score(item: tuple[str, list[float]]) -> float:
    pb, pc, score = item[1]
    return _logaddexp(pb, pc) + score


def _grow(beams: dict[str, list[float]], prefix: str, blank: float, char: float, score: float) -> None:
    """Add one way of reaching `prefix` at this frame to the next frame's beam. The
    extension score is the prefix's own, the same on every way of reaching it."""
    current = beams.get(prefix)
    if current is None:
        beams[prefix] = [blank, char, score]
        return
    current[0] = _logaddexp(current[0], blank)
    current[1] = _logaddexp(current[1], char)
