"""CTC's lattice of states for one text, shared by the two readers that walk it: the
field reader sums over its paths (`sequence.ctc_log_likelihood`, how likely a spelling
is) and the line reader takes its best path (`read.aligned_reading`, where each
character of a chosen text sits)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BLANK = 0  # class 0 of both readers' outputs; characters follow in alphabet order


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
