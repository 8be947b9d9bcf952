"""Two readers, one answer: the segmentation-by-recognition decoder (character cuts
and glyph classifier) and the sequence reader (CTC over the whole word strip).

Each proposes spellings: the decoder its best path, the reader its likeliest beam
readings. Every proposal is scored by both, the decoder's score for the best path
that spells it through the word's character candidates, and the reader's
`log P(text | strip)`; the best sum wins, and the characters (boxes, per-character
confidences) come from the decoder's path for that spelling. The two make different
mistakes (cuts versus context), so where they agree a word is very likely right, and
where they disagree its confidence says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .chars import Segmentation
from .decode import LEXICON_MARGIN, DecodedWord, FoldedScores, Lattice, LetterPrior, score_spelling, word_lattice
from .sequence import FoldedFrames, beam_readings, best_path, ctc_log_likelihood

# How much the reader's log-likelihood counts against the decoder's score.
READER_WEIGHT = 1.0
BEAM_READINGS = 6


@dataclass
class Proposal:
    text: str
    decoder: float
    reader: float
    word: DecodedWord


def combine_readings(
    seg: Segmentation,
    scores: FoldedScores,
    frames: FoldedFrames,
    free: DecodedWord,
    prior: LetterPrior | None = None,
    reader_weight: float = READER_WEIGHT,
    vocabulary: list[str] | None = None,
) -> DecodedWord:
    """The spelling both readers like best, as a DecodedWord whose confidence is that
    spelling's share of the proposals' combined likelihood. With a `vocabulary` (a
    lexicon in the field's charset), its entries closest to what was read are proposed
    too, and preferred by LEXICON_MARGIN when the image supports them."""
    extra = lexicon_shortlist(vocabulary, free, frames) if vocabulary else []
    proposals = word_proposals(word_lattice(seg, scores), frames, free, prior, extra)
    if not proposals:
        return free
    known = set(vocabulary or ())
    totals = np.array([p.decoder + reader_weight * p.reader + (LEXICON_MARGIN if p.text in known else 0.0)
                       for p in proposals])
    best = int(np.argmax(totals))
    share = float(np.exp(totals[best] - np.logaddexp.reduce(totals)))
    chosen = proposals[best].word
    if not chosen.chars:
        return DecodedWord([], chosen.score, None, confidence_override=share)
    # Keep the decoder's lattice share in the confidence: a reading both readers
    # doubt, or that only wins by a hair, should look doubtful.
    lattice = free.confidence if chosen.text == free.text else min(free.confidence, 1.0 - free.confidence)
    confidence = float(np.sqrt(share * max(lattice, 1e-6)))
    return DecodedWord(chosen.chars, chosen.score, None, confidence_override=confidence)


def lexicon_shortlist(vocabulary: list[str], free: DecodedWord, frames: FoldedFrames, limit: int = 15) -> list[str]:
    """The lexicon entries nearest (by edit distance) to either reader's reading."""
    reads = {free.text, best_path(frames)[0].replace(" ", "")} - {""}
    found: dict[str, float] = {}
    for read in reads:
        for word, distance, _ in process.extract(read, vocabulary, scorer=Levenshtein.distance, limit=limit):
            found[word] = min(found.get(word, np.inf), distance)
    return sorted(found, key=found.get)[:limit]


def word_proposals(
    lattice: Lattice, frames: FoldedFrames, free: DecodedWord, prior: LetterPrior | None,
    extra: list[str] | None = None,
) -> list[Proposal]:
    texts = [free.text] if free.chars else []
    for text, _ in beam_readings(frames, keep=BEAM_READINGS):
        # Words are split at gaps before either reader sees them: a space the reader
        # hears inside a word is a wide letter gap. The reader hears nothing in print
        # (a form's label): reading nothing is a proposal too.
        text = text.replace(" ", "")
        if text not in texts:
            texts.append(text)
    texts += [t for t in extra or () if t not in texts]
    proposals = []
    for text in texts:
        if text == free.text:
            decoder, chars = free.score, free.chars
        else:
            decoder, chars = score_spelling(lattice, text, prior)
        if not np.isfinite(decoder):
            continue
        reader = ctc_log_likelihood(frames, text)
        if np.isfinite(reader):
            proposals.append(Proposal(text, decoder, reader, DecodedWord(chars, decoder)))
    return proposals
