"""A character n-gram language model for the line reader's beam search.

The reader alone reads each letter from its ink; the language model knows which letters
follow which in English and French text, so a beam search can prefer "the" to "tbe"
when the ink allows both. Interpolated Witten-Bell smoothing: every order backs off to
the one below in proportion to how many different characters its context has been seen
followed by, so rare contexts lean on shorter ones and no character is impossible.

The model is a table of counts (context -> next character -> count), kept in the model
bundle as gzipped JSON (`bundle.py` owns where); `CharLanguageModel.log_prob` computes
probabilities from it on demand and remembers them.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

LINE_START = "\n"  # pads the context at the start of a line; never a character read
MEMO_LIMIT = 1_000_000


@dataclass
class CharLanguageModel:
    order: int
    # context (0 to order-1 characters) -> {next character: count}
    counts: dict[str, dict[str, int]]
    _memo: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)
    _totals: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)

    @property
    def vocabulary_size(self) -> int:
        return len(self.counts.get("", {})) + 1  # the characters seen, and one for the unseen

    def _total(self, context: str) -> tuple[int, int]:
        """(times the context was seen, how many different characters followed it)."""
        if context not in self._totals:
            after = self.counts.get(context, {})
            self._totals[context] = (sum(after.values()), len(after))
        return self._totals[context]

    def _prob(self, context: str, char: str) -> float:
        if not context:
            seen, kinds = self._total("")
            return (self.counts[""].get(char, 0) + 1) / (seen + self.vocabulary_size)
        lower = self._prob(context[1:], char)
        seen, kinds = self._total(context)
        if seen == 0:
            return lower
        return (self.counts[context].get(char, 0) + kinds * lower) / (seen + kinds)

    def log_prob(self, history: str, char: str) -> float:
        """Natural log of P(char | the characters read before it on this line)."""
        n = self.order - 1
        context = history[-n:] if n else ""
        if len(context) < n:
            context = LINE_START * (n - len(context)) + context
        key = (context, char)
        value = self._memo.get(key)
        if value is None:
            if len(self._memo) > MEMO_LIMIT:  # a worker lives long: keep its memory bounded
                self._memo.clear()
            value = math.log(self._prob(context, char))
            self._memo[key] = value
        return value

    def line_log_prob(self, text: str) -> float:
        return sum(self.log_prob(text[:i], ch) for i, ch in enumerate(text))


def count_ngrams(lines: Iterable[str], order: int, min_count: int = 1) -> CharLanguageModel:
    """Line texts -> a model of the given order. Contexts of two or more characters seen
    fewer than `min_count` times are dropped (they back off), which keeps the file small."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for line in lines:
        padded = LINE_START * (order - 1) + line
        for i in range(order - 1, len(padded)):
            for n in range(order):
                counts[padded[i - n : i]][padded[i]] += 1
    kept = {
        context: dict(after)
        for context, after in counts.items()
        if len(context) < 2 or sum(after.values()) >= min_count
    }
    return CharLanguageModel(order, kept)


def save(model: CharLanguageModel, path: Path, meta: dict | None = None) -> None:
    payload = {"order": model.order, "counts": model.counts, "meta": meta or {}}
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(payload, f, ensure_ascii=False, separators=(",", ":"))


def load(path: Path) -> CharLanguageModel:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        payload = json.load(f)
    return CharLanguageModel(int(payload["order"]), payload["counts"])


def read_meta(path: Path) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f).get("meta", {})
