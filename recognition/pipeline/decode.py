"""Segmentation by recognition: choose the grouping of primitives into characters, and
the characters, that the classifier and a simple shape model like best, under the
field's character set and, optionally, a lexicon."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .chars import Candidate, Segmentation
from .charsets import LOOKALIKES, Charset
from .classify import REJECT
from .letter_model import LetterModel
from .lexicon import Lexicon

# Dropping a candidate as "not a character" costs its log P(reject) plus this for each
# primitive it holds, times 1 for a speck up to 3 for letter-sized ink: dropping
# strokes as big as letters, or a whole word at once, must never be cheap.
SKIP_PENALTY = -1.5
# How much worse than the free reading a lexicon word may score and still win.
LEXICON_MARGIN = 3.0
FLOOR = 1e-6


@dataclass
class FoldedScores:
    """Classifier output folded onto a charset: one column per allowed label."""

    labels: list[str]
    probs: np.ndarray  # (N, L), rows sum with `reject` to 1
    reject: np.ndarray  # (N,)


def fold_to_charset(probs: np.ndarray, classes: list[str], charset: Charset) -> FoldedScores:
    targets: dict[str, int] = {}
    mapping = np.zeros((len(classes), 0))
    columns: list[int] = []
    reject = np.zeros(len(probs), np.float64)
    for ci, name in enumerate(classes):
        if name == REJECT:
            reject = probs[:, ci].astype(np.float64)
            columns.append(-1)
            continue
        label = charset.fold(name)
        if label is None or label == " ":
            columns.append(-2)
            continue
        columns.append(targets.setdefault(label, len(targets)))
    mapping = np.zeros((len(classes), len(targets)))
    for ci, col in enumerate(columns):
        if col >= 0:
            mapping[ci, col] = 1.0
    folded = probs.astype(np.float64) @ mapping
    total = folded.sum(axis=1) + reject
    total = np.where(total > 0, total, 1.0)
    return FoldedScores(list(targets), folded / total[:, None], reject / total)


@dataclass
class Shape:
    """Where a candidate sits relative to its word's letters, in text heights."""

    rel_h: float
    rel_w: float
    rel_cy: float  # 0 = top of the letters' band, 1 = bottom


def candidate_shapes(seg: Segmentation, band: tuple[float, float]) -> list[Shape]:
    top, bottom = band
    height = max(bottom - top, 1.0)
    shapes = []
    for cand in seg.candidates:
        b = cand.box
        shapes.append(Shape(b.h / height, b.w / height, ((b.y + b.h / 2) - top) / height))
    return shapes


def letter_band(seg: Segmentation) -> tuple[float, float]:
    """Top and bottom of the word's letters: medians over primitives of letter size."""
    boxes = [p.box for p in seg.primitives]
    tall = [b for b in boxes if b.h >= 0.5 * seg.text_height] or boxes
    if not tall:
        return (0.0, 1.0)
    return float(np.median([b.y for b in tall])), float(np.median([b.bottom for b in tall]))


def shape_log_prior(labels: list[str], shapes: list[Shape]) -> np.ndarray:
    """Dashes are flat and mid-height, apostrophes small and high, letters neither.
    The classifier sees a size-normalised crop, so these cues have to come from here."""
    if not shapes or not labels:
        return np.zeros((len(shapes), len(labels)))
    rel_h = np.array([s.rel_h for s in shapes])[:, None]
    rel_w = np.array([s.rel_w for s in shapes])[:, None]
    rel_cy = np.array([s.rel_cy for s in shapes])[:, None]
    flat = (rel_h < 0.4) & (rel_w > 1.5 * rel_h) & (rel_cy > 0.2) & (rel_cy < 0.85)
    small_high = (rel_h < 0.5) & (rel_cy < 0.35)
    tiny = (rel_h < 0.3) & (rel_w < 0.3)
    is_dash = np.array([label == "-" for label in labels])[None, :]
    is_quote = np.array([label == "'" for label in labels])[None, :]
    is_lower = np.array([label.islower() for label in labels])[None, :]
    letter = np.where(flat | tiny, -4.0, np.where((rel_h < 0.45) & ~is_lower, -2.0, 0.0))
    prior = np.where(is_dash, np.where(flat, 0.0, -8.0), np.where(is_quote, np.where(small_high, 0.0, -8.0), letter))
    return prior - 3.0 * np.maximum(rel_w - 1.3, 0.0)


@dataclass
class DecodedChar:
    candidate: Candidate
    label: str
    confidence: float
    alternatives: list[tuple[str, float]]
    candidate_row: int = -1  # the candidate's row in the word's scores


@dataclass
class DecodedWord:
    chars: list[DecodedChar]
    score: float
    log_total: float | None = None  # log of the summed scores of every path
    # Set when something beyond the lattice decided the word (a second reader).
    confidence_override: float | None = None

    @property
    def text(self) -> str:
        return "".join(c.label for c in self.chars)

    @property
    def confidence(self) -> float:
        """How sure we are of the whole word: the share of the lattice's total score
        taken by this reading, so that doubt about where letters begin and end counts
        as much as doubt about which letters they are. Without a lattice: the product
        of the characters' probabilities."""
        if not self.chars:
            return 0.0
        if self.confidence_override is not None:
            return self.confidence_override
        if self.log_total is not None:
            return float(np.clip(np.exp(self.score - self.log_total), 0.0, 1.0))
        return float(np.prod([c.confidence for c in self.chars]))


@dataclass
class LetterPrior:
    """A letter model's transitions for one set of labels, and how much they count."""

    start: np.ndarray  # (L,)
    between: np.ndarray  # (L, L), previous label in rows
    end: np.ndarray  # (L,)
    weight: float

    @classmethod
    def for_labels(cls, model: LetterModel | None, labels: list[str], weight: float) -> LetterPrior | None:
        if model is None or weight <= 0 or not labels:
            return None
        start, between, end = model.transitions(labels)
        return cls(start, between, end, weight)

    def spelling(self, indices: list[int]) -> float:
        """The prior's total for a fixed sequence of label indices."""
        if not indices:
            return 0.0
        total = self.start[indices[0]] + self.end[indices[-1]]
        total += sum(self.between[a, b] for a, b in zip(indices[:-1], indices[1:]))
        return self.weight * float(total)


def decode_word(seg: Segmentation, scores: FoldedScores, prior: LetterPrior | None = None) -> DecodedWord:
    """Best path through the candidate lattice, with the letter prior when given.

    The state at each primitive boundary is the last label read (or none yet), so
    the prior can score each letter given the one before it. Alongside the best
    path we sum over all paths, which gives the word's confidence. `scores` rows
    follow `seg.candidates`.
    """
    n, n_labels = len(seg.primitives), len(scores.labels)
    if n == 0 or n_labels == 0:
        return DecodedWord([], 0.0)
    lattice = word_lattice(seg, scores)
    log_p, log_reject = lattice.log_p, lattice.skip
    fresh = n_labels  # the state before any letter
    transition = np.zeros((n_labels + 1, n_labels))
    final = np.zeros(n_labels + 1)
    if prior is not None:
        transition[:n_labels] = prior.weight * prior.between
        transition[fresh] = prior.weight * prior.start
        final[:n_labels] = prior.weight * prior.end
    best = np.full((n + 1, n_labels + 1), -np.inf)
    total = np.full((n + 1, n_labels + 1), -np.inf)
    best[0, fresh] = total[0, fresh] = 0.0
    back: dict[tuple[int, int], tuple[int, int, int, bool]] = {}  # (j, state) -> (i, cand, prev state, read)
    for k in sorted(range(len(seg.candidates)), key=lambda k: seg.candidates[k].end):
        i, j = seg.candidates[k].start, seg.candidates[k].end
        if not np.isfinite(best[i]).any():
            continue
        cut = seg.boundary_cost(i)
        read = best[i][:, None] + transition + log_p[k][None, :] + cut  # (prev, label)
        prev = read.argmax(axis=0)
        read_best = read[prev, np.arange(n_labels)]
        better = read_best > best[j, :n_labels]
        for label in np.nonzero(better)[0]:
            back[(j, int(label))] = (i, k, int(prev[label]), True)
        best[j, :n_labels] = np.where(better, read_best, best[j, :n_labels])
        skip = best[i] + log_reject[k] + cut
        better = skip > best[j]
        for state in np.nonzero(better)[0]:
            back[(j, int(state))] = (i, k, int(state), False)
        best[j] = np.where(better, skip, best[j])
        every = np.logaddexp.reduce(total[i][:, None] + transition + log_p[k][None, :], axis=0) + cut
        total[j, :n_labels] = np.logaddexp(total[j, :n_labels], every)
        total[j] = np.logaddexp(total[j], total[i] + log_reject[k] + cut)
    ending = best[n] + final
    state = int(np.argmax(ending))
    chars: list[DecodedChar] = []
    j = n
    while j > 0 and (j, state) in back:
        i, k, prev, was_read = back[(j, state)]
        if was_read:
            chars.append(_decoded_char(seg.candidates[k], scores, k, state))
        j, state = i, prev
    chars.reverse()
    return DecodedWord(chars, float(ending.max()), float(np.logaddexp.reduce(total[n] + final)))


@dataclass(frozen=True)
class Lattice:
    """One word's candidates, scored, for every walk through them: the free decoding
    and each spelling tried. Per candidate (rows follow `seg.candidates`): the log-score
    of every label (the classifier's, folded onto the charset, plus the shape prior)
    and the full cost of skipping it as not a character."""

    seg: Segmentation
    scores: FoldedScores
    log_p: np.ndarray  # (N, L)
    skip: np.ndarray  # (N,)


def word_lattice(seg: Segmentation, scores: FoldedScores) -> Lattice:
    """Score a word's candidates once; walk the result as often as needed."""
    shapes = candidate_shapes(seg, letter_band(seg))
    log_p = np.log(np.maximum(scores.probs, FLOOR)) + shape_log_prior(scores.labels, shapes)
    size = np.array([min(max(s.rel_h, s.rel_w), 1.0) for s in shapes])
    spans = np.array([c.end - c.start for c in seg.candidates])
    skip = np.log(np.maximum(scores.reject, FLOOR)) + SKIP_PENALTY * spans * (1.0 + 2.0 * size)
    return Lattice(seg, scores, log_p, skip)


def _decoded_char(cand: Candidate, scores: FoldedScores, k: int, li: int) -> DecodedChar:
    row = scores.probs[k]
    top = np.argsort(row)[::-1][:3]
    alternatives = [(scores.labels[t], float(row[t])) for t in top]
    return DecodedChar(cand, scores.labels[li], float(row[li]), alternatives, k)


def score_spelling(lattice: Lattice, word: str, prior: LetterPrior | None = None) -> tuple[float, list[DecodedChar]]:
    """Best score of a path through the word's lattice that spells exactly `word`
    (characters outside the charset make it impossible). The empty word is reading
    nothing: every candidate along the cheapest partition skipped as not text (a form's
    printed label, a stray stroke)."""
    seg, scores = lattice.seg, lattice.scores
    n, length = len(seg.primitives), len(word)
    index = {label: i for i, label in enumerate(scores.labels)}
    if n == 0:
        return (0.0 if length == 0 else -np.inf), []
    if any(ch not in index for ch in word):
        return -np.inf, []
    log_p, log_reject = lattice.log_p, lattice.skip
    targets = np.array([index[ch] for ch in word], np.int64)
    # best[j, pos]: best score with `pos` letters spelt by the end of primitive j.
    best = np.full((n + 1, length + 1), -np.inf)
    best[0, 0] = 0.0
    from_boundary = np.full((n + 1, length + 1), -1, np.int64)
    from_candidate = np.full((n + 1, length + 1), -1, np.int64)
    took = np.zeros((n + 1, length + 1), bool)
    for k in sorted(range(len(seg.candidates)), key=lambda k: seg.candidates[k].end):
        cand = seg.candidates[k]
        i, j = cand.start, cand.end
        if not np.isfinite(best[i]).any():
            continue
        cut = seg.boundary_cost(i)
        skip = best[i] + cut + log_reject[k]
        take = np.full(length + 1, -np.inf)
        take[1:] = best[i, :-1] + cut + log_p[k, targets]
        for value, read in ((skip, False), (take, True)):
            better = value > best[j]
            best[j, better] = value[better]
            from_boundary[j, better] = i
            from_candidate[j, better] = k
            took[j, better] = read
    if best[n, length] == -np.inf:
        return -np.inf, []
    spelled = prior.spelling(list(targets)) if prior is not None and length else 0.0
    chars: list[DecodedChar] = []
    j, pos = n, length
    while j > 0:
        i, k = int(from_boundary[j, pos]), int(from_candidate[j, pos])
        if took[j, pos]:
            pos -= 1
            chars.append(_decoded_char(seg.candidates[k], scores, k, int(targets[pos])))
        j = i
    chars.reverse()
    return float(best[n, length]) + spelled, chars


def apply_lexicon(
    seg: Segmentation, scores: FoldedScores, free: DecodedWord, lexicon: Lexicon, charset: Charset, limit: int = 30,
    prior: LetterPrior | None = None,
) -> DecodedWord:
    """Prefer a lexicon word when its best spelling scores nearly as well as the free
    reading; only the entries closest to the free reading by edit distance are tried."""
    vocabulary = lexicon_vocabulary(lexicon, charset)
    if not vocabulary or not free.chars:
        return free
    shortlist = process.extract(free.text, vocabulary, scorer=Levenshtein.distance, limit=limit)
    lattice = word_lattice(seg, scores)
    best_word, best_score, best_chars = None, -np.inf, []
    for word, _distance, _ in shortlist:
        score, chars = score_spelling(lattice, word, prior)
        if score > best_score:
            best_word, best_score, best_chars = word, score, chars
    if best_word is not None and best_score >= free.score - LEXICON_MARGIN:
        return DecodedWord(best_chars, best_score, free.log_total)
    return free


def lexicon_vocabulary(lexicon: Lexicon, charset: Charset) -> list[str]:
    """The lexicon's words written in the charset's alphabet; those it cannot write are left out."""
    return list(dict.fromkeys(w for w in (charset_form(t, charset) for t in lexicon.tokens()) if w))


def charset_form(word: str, charset: Charset) -> str | None:
    """A lexicon entry written in the charset's alphabet (case folded), or None."""
    out = []
    for ch in word:
        folded = ch if ch in charset.chars else (ch.upper() if ch.upper() in charset.chars else ch.lower())
        if folded not in charset.chars:
            return None
        out.append(folded)
    return "".join(out)


# Letters written the same in both cases: their case is a matter of size and context.
SAME_SHAPE_IN_BOTH_CASES = set("cjkmopsuvwxyzCJKMOPSUVWXYZ")


def harmonise_word(word: DecodedWord, scores: FoldedScores) -> DecodedWord:
    """Words are letters or numbers, rarely a mix, and rarely change case in the middle.

    We compare the word read as all letters with the word read as all digits and
    convert the characters of the losing kind to their look-alikes, which take over
    the probability of what they replace (a `5` counts for `S` when letters win). A letter written the same in
    both cases takes the case of the rest of the word (the `k` in `THANk`).
    """
    if len(word.chars) < 2:
        return word
    index = {label: i for i, label in enumerate(scores.labels)}
    rows = [scores.probs[c.candidate_row] for c in word.chars]
    letter_cols = [i for label, i in index.items() if label.isalpha()]
    digit_cols = [i for label, i in index.items() if label.isdigit()]
    as_letters = sum(np.log(max(float(row[letter_cols].max()) if letter_cols else 0.0, FLOOR)) for row in rows)
    as_digits = sum(np.log(max(float(row[digit_cols].max()) if digit_cols else 0.0, FLOOR)) for row in rows)
    want = str.isalpha if as_letters >= as_digits else str.isdigit
    upper = sum(c.label.isupper() for c in word.chars[1:])
    lower = sum(c.label.islower() for c in word.chars[1:])
    changed = []
    for pos, (char, row) in enumerate(zip(word.chars, rows)):
        label, confidence = char.label, char.confidence
        if not want(label) and (label.isalpha() or label.isdigit()):
            label, confidence = _pooled(row, index, want)
        if pos > 0 and label in SAME_SHAPE_IN_BOTH_CASES and upper != lower:
            cased = label.upper() if upper > lower else label.lower()
            if cased in index:
                label = cased
        if label is None or label == char.label:
            changed.append(char)
        else:
            changed.append(DecodedChar(char.candidate, label, min(confidence, 1.0), char.alternatives,
                                       char.candidate_row))
    return DecodedWord(changed, word.score, word.log_total, word.confidence_override)


def _pooled(row: np.ndarray, index: dict[str, int], kind) -> tuple[str | None, float]:
    """The best label of one kind (letters or digits), with the probability of its
    look-alike of the other kind added to it."""
    best, best_p = None, 0.0
    for label, i in index.items():
        if not kind(label):
            continue
        p = float(row[i])
        for other, alike in LOOKALIKES.items():
            if alike == label and other in index and not kind(other):
                p += float(row[index[other]])
        if p > best_p:
            best, best_p = label, p
    return best, best_p
