"""Build the letter bigram model the decoder uses as a mild prior: how often one
letter follows another at the start, inside and at the end of words, counted over
Debian's French and English word lists (packages wfrench, wamerican).

    python -m training.letter_model --out recognition/pipeline/data/letter_bigrams.json
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np

from recognition.pipeline.letter_model import END, START, SYMBOLS

WORD_LISTS = [Path("/usr/share/dict/french"), Path("/usr/share/dict/american-english")]


def ascii_upper(word: str) -> str | None:
    """`Éléonore` -> `ELEONORE`; None for words with characters outside the model."""
    plain = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().upper().strip()
    return plain if plain and all(ch in SYMBOLS for ch in plain) else None


def count_bigrams(words: list[str]) -> np.ndarray:
    """Counts over [START, symbols..., END], each word counted once.

    Inflected forms flood a dictionary (a French verb has dozens), so a word's
    bigrams are weighted by one over the number of words sharing its first five
    letters: each family of forms counts about as much as one word.
    """
    families = Counter(w[:5] for w in words)
    index = {s: i for i, s in enumerate([START, *SYMBOLS, END])}
    counts = np.zeros((len(index), len(index)))
    for word in words:
        weight = 1.0 / families[word[:5]]
        chain = [START, *word, END]
        for a, b in zip(chain[:-1], chain[1:]):
            counts[index[a], index[b]] += weight
    return counts


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", nargs="*", type=Path, default=WORD_LISTS)
    parser.add_argument("--out", type=Path, default=Path("recognition/pipeline/data/letter_bigrams.json"))
    parser.add_argument("--smoothing", type=float, default=0.5)
    args = parser.parse_args(argv)
    words: set[str] = set()
    for path in args.words:
        for line in path.read_text(encoding="utf-8", errors="ignore").splitlines():
            plain = ascii_upper(line)
            if plain and len(plain) >= 2:
                words.add(plain)
    counts = count_bigrams(sorted(words)) + args.smoothing
    counts[:, 0] = 0.0  # nothing goes back to the start
    counts[-1, :] = 1.0  # the end row is never used
    log_prob = np.log(counts / counts.sum(axis=1, keepdims=True) + 1e-12)
    model = {
        "symbols": SYMBOLS,
        "log_prob": np.round(log_prob, 3).tolist(),
        "sources": [p.name for p in args.words],
        "words": len(words),
        "command": "python -m training.letter_model " + " ".join(argv or []),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model))
    print(f"{len(words)} words -> {args.out}")
    return model


if __name__ == "__main__":
    main()
