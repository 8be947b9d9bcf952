"""The whole pipeline: image -> preprocess -> lines -> words -> characters ->
one classifier batch -> decoding -> result. Plain Python, no Django."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .assemble import PageMapper, line_result, word_result
from .chars import Segmentation, segment_characters
from .charsets import Charset, parse_charset
from .classify import CharClassifier
from .clutter import field_candidates
from .combine import combine_readings
from .decode import LetterPrior, apply_lexicon, decode_word, fold_to_charset, harmonise_word, lexicon_vocabulary
from .letter_model import default_letter_model
from .lexicon import Lexicon
from .lines import estimate_text_height, segment_lines, whole_image_as_line
from .normalize import normalize_batch
from .preprocess import check_marks, prepare_field, prepare_page
from .sequence import SequenceReader, confident_characters, fold_frames, normalize_strip
from .types import LineRegion, PageResult, WordRegion
from .words import segment_words

LAYOUTS = ("page", "line", "word")
ProgressCallback = Callable[[int], None]


@dataclass
class RecognitionOptions:
    """What the caller knows about the image: its layout and the field's constraints."""

    layout: str = "page"
    charset: Charset = field(default_factory=lambda: parse_charset("any"))
    lexicon: Lexicon | None = None
    # How much the letter bigram model counts against the classifier (0 turns it off).
    letter_prior_weight: float = 0.5
    # Whether the model's sequence reader (when it has one) weighs in, and how much.
    use_reader: bool = True
    reader_weight: float = 1.0
    # How many views (slants) of each word the reader reads and averages (sequence.py
    # VIEW_SLANTS): about 0.7 s more on a full page (BENCHMARKS.md), little on a field.
    reader_views: int = 3

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")


# A field's likeliest-looking row keeps its place unless the reader hears this many
# times more of the charset's characters clearly in another row.
OTHER_ROW_FACTOR = 1.3


def find_lines(
    binary: np.ndarray, layout: str, gray: np.ndarray | None = None, reader: SequenceReader | None = None,
    charset: Charset | None = None,
) -> list[LineRegion]:
    """Lines of a page; for a field, its one line of handwriting: the row the layout
    votes for, or, when a reader is given, another row of the crop if the reader clearly
    hears more of the field's characters in it (the votes chose a printed caption, a
    row of boxes, or a neighbouring field's row)."""
    if layout == "page":
        return segment_lines(binary, gray=gray)
    if layout == "line":
        return whole_image_as_line(binary)
    candidates = field_candidates(binary)
    if len(candidates) > 1 and reader is not None and charset is not None:
        probs = reader.frame_probs([normalize_strip(c.ink) for c in candidates])
        evidence = [confident_characters(p, reader.info.alphabet, charset) for p in probs]
        best = int(np.argmax(evidence))
        if evidence[best] > OTHER_ROW_FACTOR * evidence[0]:
            return [candidates[best]]
    return candidates[:1]


def recognize_image(
    gray: np.ndarray,
    classifier: CharClassifier,
    options: RecognitionOptions | None = None,
    progress: ProgressCallback | None = None,
) -> PageResult:
    options = options or RecognitionOptions()
    report = progress or (lambda _p: None)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 4)
        clock = now

    prepared = prepare_page(gray) if options.layout == "page" else prepare_field(gray)
    check_marks(prepared.binary)
    mapper = PageMapper(prepared.to_page, prepared.original_size)
    lap("preprocess")
    report(10)

    reader = classifier.reader if options.use_reader else None
    lines = find_lines(prepared.binary, options.layout, prepared.gray, reader, options.charset)
    lap("lines")
    report(20)

    # Segment every word of the page first, so the classifier sees all crops at once.
    plan: list[tuple[LineRegion, list[tuple[WordRegion, Segmentation]]]] = []
    for line in lines:
        text_h = estimate_text_height(line.ink) or float(line.box.h)
        words = segment_words(line, field=options.layout == "word")
        plan.append((line, [(w, segment_characters(w.ink, text_h)) for w in words]))
    lap("segment")
    report(40)

    crops = [c.ink for _, words in plan for _, seg in words for c in seg.candidates]
    strokes = [seg.stroke_width for _, words in plan for _, seg in words for _ in seg.candidates]
    probs = classifier.predict_proba(normalize_batch(crops, strokes))
    strips = [normalize_strip(w.ink) for _, ws in plan for w, _ in ws]
    word_frames = reader.frame_probs(strips, views=options.reader_views) if reader else []
    lap("classify")
    report(80)

    vocabulary = lexicon_vocabulary(options.lexicon, options.charset) if options.lexicon else None
    result_lines = []
    row = 0
    word_index = 0
    letter_model = default_letter_model()
    for line, words in plan:
        word_results = []
        for word, seg in words:
            n = len(seg.candidates)
            scores = fold_to_charset(probs[row : row + n], classifier.classes, options.charset)
            row += n
            prior = LetterPrior.for_labels(letter_model, scores.labels, options.letter_prior_weight)
            decoded = decode_word(seg, scores, prior)
            if reader is not None:
                frames = fold_frames(word_frames[word_index], reader.info.alphabet, options.charset)
                decoded = combine_readings(seg, scores, frames, decoded, prior, options.reader_weight, vocabulary)
            elif options.lexicon:
                decoded = apply_lexicon(seg, scores, decoded, options.lexicon, options.charset, prior=prior)
            word_index += 1
            decoded = harmonise_word(decoded, scores)
            word_results.append(word_result(word, decoded, mapper))
        joined = line_result(line.region_box, word_results, mapper, line.polygon, line.baseline)
        if joined.words:
            result_lines.append(joined)
    lap("decode")
    report(95)
    width, height = prepared.original_size
    return PageResult(width, height, result_lines, classifier.version, timings)
