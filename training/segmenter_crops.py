"""Training crops cut by our own segmenter from generated words.

Words are assembled from real EMNIST glyphs (training split only) with the spacing of
real writing, including letters that touch or overlap. Our character segmenter then
over-segments each word exactly as it would a scan, and every candidate crop is
labelled by which glyph's pixels it holds: a whole glyph gives that glyph's class; two
glyphs, or a piece of one, give the reject class. The classifier thus learns the
crops, and the junk, that the decoder will really ask it about.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recognition.pipeline.chars import segment_characters
from recognition.pipeline.normalize import normalize_glyph

from .augment import render_binary

WHOLE = 0.85  # share of a glyph's pixels a crop must hold to be that glyph, and vice versa
PIECE = 0.6  # crops between PIECE and WHOLE are ambiguous and not used


@dataclass
class GeneratedWord:
    ink: np.ndarray  # binary, 255 = ink
    owner: np.ndarray  # int16, glyph index + 1 per ink pixel, 0 = paper
    labels: list[int]
    height: float


def compose_word(glyphs: list[np.ndarray], labels: list[int], rng: np.random.Generator) -> GeneratedWord:
    """Lay glyphs side by side with writer-like gaps, some touching or overlapping."""
    height = rng.uniform(16, 52)
    rendered = [render_binary(g, rng, height * rng.uniform(0.9, 1.1)) for g in glyphs]
    style = rng.random()
    gaps = []
    for _ in rendered[1:]:
        if style < 0.35:  # spaced block capitals, as on forms
            gaps.append(rng.uniform(0.15, 0.8))
        elif style < 0.75:  # ordinary writing
            gaps.append(rng.uniform(-0.05, 0.3))
        else:  # cramped: letters touch and overlap
            gaps.append(rng.uniform(-0.2, 0.08))
    total_w = sum(r.shape[1] for r in rendered) + int(sum(g * height for g in gaps)) + 8
    canvas_h = int(max(r.shape[0] for r in rendered) + height * 0.3) + 4
    owner = np.zeros((canvas_h, max(total_w, 8) + int(height)), np.int16)
    x = 2
    base = canvas_h - 2
    for k, (glyph, gap) in enumerate(zip(rendered, [0.0, *gaps])):
        if k:
            x = max(0, x + int(gap * height))
        gh, gw = glyph.shape
        y = max(0, base - gh - int(rng.integers(0, max(1, int(height * 0.08)) + 1)))
        region = owner[y : y + gh, x : x + gw]
        mask = glyph[: region.shape[0], : region.shape[1]] > 0
        region[mask] = k + 1  # later glyphs win overlaps, as the last stroke does on paper
        x += gw
    ys, xs = np.nonzero(owner)
    owner = owner[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    return GeneratedWord((owner > 0).astype(np.uint8) * 255, owner, labels, height)


def _bar_like(ink: np.ndarray) -> bool:
    h, w = ink.shape
    return h > 2.2 * w or w > 2.2 * h


def label_candidates(word: GeneratedWord, reject_label: int) -> tuple[list[np.ndarray], list[int]]:
    """Normalised crops of every candidate the segmenter proposes, with their labels."""
    seg = segment_characters(word.ink, text_h=float(word.ink.shape[0]) * 0.8)
    sizes = np.bincount(word.owner.ravel(), minlength=len(word.labels) + 1)
    crops, targets = [], []
    for cand in seg.candidates:
        ys = np.concatenate([p.ys for p in seg.primitives[cand.start : cand.end]])
        xs = np.concatenate([p.xs for p in seg.primitives[cand.start : cand.end]])
        counts = np.bincount(word.owner[ys, xs], minlength=len(word.labels) + 1)
        counts[0] = 0
        best = int(counts.argmax())
        if best == 0:
            continue
        purity = counts[best] / len(ys)
        coverage = counts[best] / max(sizes[best], 1)
        if purity >= WHOLE and coverage >= WHOLE:
            target = word.labels[best - 1]
        elif purity < PIECE:
            target = reject_label  # two or more letters taken as one
        elif coverage < PIECE and not _bar_like(cand.ink):
            target = reject_label  # a piece of a letter (bars and dashes look like I, 1, -)
        else:
            continue
        crops.append((normalize_glyph(cand.ink, seg.stroke_width) * 255).astype(np.uint8))
        targets.append(target)
    return crops, targets
