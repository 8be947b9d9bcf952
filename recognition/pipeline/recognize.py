"""The whole pipeline, image -> result, in two routes. Pages and single lines: preprocess
-> lines (the learned line finder) -> line strips -> the line reader -> words and
characters from the CTC alignment. Form fields: preprocess -> the field's row -> words ->
characters -> one classifier batch -> decoding with the field reader. Plain Python, no
Django."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .assemble import PageMapper, line_result, word_result
from .bundle import LineFinder, LineReader, ModelBundle
from .chars import Segmentation, segment_characters
from .charsets import Charset, parse_charset
from .clutter import field_candidates
from .combine import combine_readings
from .decode import LetterPrior, apply_lexicon, decode_word, fold_to_charset, harmonise_word, lexicon_vocabulary
from .letter_model import default_letter_model
from .lexicon import Lexicon
from .line_finder import line_regions
from .lines import estimate_text_height, segment_lines, whole_image_as_line
from .normalize import normalize_batch
from .preprocess import check_marks, prepare_field, prepare_page
from .read import LineReading, strip_from_page
from .sequence import SequenceReader, confident_characters, fold_frames, normalize_strip
from .types import Box, CharResult, LineRegion, LineResult, PageResult, WordRegion, WordResult
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
    # Pages are read line by line by the model's line reader when it has one; the glyph
    # route (cuts, classifier, decoder) stays for form fields and for models without it.
    use_line_reader: bool = True
    # Pages' lines come from the model's learned line finder when it has one.
    use_line_finder: bool = True

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")


# A field's likeliest-looking row keeps its place unless the reader hears this many
# times more of the charset's characters clearly in another row.
OTHER_ROW_FACTOR = 1.3


def find_page_lines(binary: np.ndarray, gray: np.ndarray, finder: LineFinder | None) -> list[LineRegion]:
    """A page's lines in reading order: from the model's learned line finder when it has
    one, else from the rule-based finder of lines.py."""
    if finder is None:
        return segment_lines(binary, gray=gray)
    return line_regions(finder.find(gray), binary)


def find_lines(
    binary: np.ndarray, layout: str, gray: np.ndarray | None = None, reader: SequenceReader | None = None,
    charset: Charset | None = None, finder: LineFinder | None = None,
) -> list[LineRegion]:
    """Lines of a page; for a field, its one line of handwriting: the row the layout
    votes for, or, when a reader is given, another row of the crop if the reader clearly
    hears more of the field's characters in it (the votes chose a printed caption, a
    row of boxes, or a neighbouring field's row)."""
    if layout == "page":
        return find_page_lines(binary, gray, finder)
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
    model: ModelBundle,
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

    reader = model.reader if options.use_reader else None
    finder = model.line_finder if options.use_line_finder else None
    lines = find_lines(prepared.binary, options.layout, prepared.gray, reader, options.charset, finder)
    lap("lines")
    report(20)

    # Pages and single lines are read by the line reader when the model has one; form
    # fields keep the glyph route: 75.4% of names-dev against 1.3% read as lines (BENCHMARKS.md).
    line_reader = model.line_reader if options.use_line_reader and options.layout != "word" else None
    if line_reader is not None:
        result_lines = read_lines(prepared.gray, lines, line_reader, mapper, options.charset)
        lap("read")
        report(95)
        width, height = prepared.original_size
        return PageResult(width, height, result_lines, model.version, timings)

    # Segment every word of the page first, so the classifier sees all crops at once.
    plan: list[tuple[LineRegion, list[tuple[WordRegion, Segmentation]]]] = []
    for line in lines:
        text_h = estimate_text_height(line.ink) or float(line.box.h)
        words = segment_words(line, field=options.layout == "word")
        plan.append((line, [(w, segment_characters(w.ink, text_h)) for w in words]))
    lap("segment")
    report(40)

    segs = [seg for _, words in plan for _, seg in words]
    crops = [c.ink for seg in segs for c in seg.candidates]
    strokes = [seg.stroke_width for seg in segs for _ in seg.candidates]
    probs = model.predict_proba(normalize_batch(crops, strokes))
    # Each word's rows of the one classifier batch.
    ends = np.cumsum([len(seg.candidates) for seg in segs])
    word_probs = np.split(probs, ends[:-1]) if segs else []
    strips = [normalize_strip(w.ink) for _, ws in plan for w, _ in ws]
    word_frames = reader.frame_probs(strips, views=options.reader_views) if reader else [None] * len(segs)
    lap("classify")
    report(80)

    vocabulary = lexicon_vocabulary(options.lexicon, options.charset) if options.lexicon else None
    result_lines = []
    letter_model = default_letter_model()
    per_word = iter(zip(word_probs, word_frames, strict=True))
    for line, words in plan:
        word_results = []
        for (word, seg), (rows, reader_frames) in zip(words, per_word):
            scores = fold_to_charset(rows, model.classes, options.charset)
            prior = LetterPrior.for_labels(letter_model, scores.labels, options.letter_prior_weight)
            decoded = decode_word(seg, scores, prior)
            if reader is not None:
                frames = fold_frames(reader_frames, reader.info.alphabet, options.charset)
                decoded = combine_readings(seg, scores, frames, decoded, prior, options.reader_weight, vocabulary)
            elif options.lexicon:
                decoded = apply_lexicon(seg, scores, decoded, options.lexicon, options.charset, prior=prior)
            decoded = harmonise_word(decoded, scores)
            word_results.append(word_result(word, decoded, mapper))
        joined = line_result(line.region_box, word_results, mapper, line.polygon, line.baseline)
        if joined.words:
            result_lines.append(joined)
    lap("decode")
    report(95)
    width, height = prepared.original_size
    return PageResult(width, height, result_lines, model.version, timings)


def read_lines(
    gray: np.ndarray, lines: list[LineRegion], reader: LineReader, mapper: PageMapper, charset: Charset | None = None,
) -> list[LineResult]:
    """Every line of a page cut from its polygon, read in batches, split into words at
    spaces, with character boxes from the frames where each character fired."""
    strips = [strip_from_page(gray, line.polygon or line.region_box.corners()) for line in lines]
    readings = reader.read([s.pixels for s in strips], charset)
    out = []
    for line, strip, reading in zip(lines, strips, readings, strict=True):
        band = line.region_box
        words = [word for word in _words(reading, strip, band, mapper) if word.text]
        if words:
            out.append(line_result(line.region_box, words, mapper, line.polygon, line.baseline))
    return out


def _words(reading: LineReading, strip, band: Box, mapper: PageMapper) -> list[WordResult]:
    """A line's characters -> words split at spaces, in page pixels."""
    groups: list[list] = [[]]
    for ch in reading.chars:
        if ch.char == " ":
            groups.append([])
        else:
            groups[-1].append(ch)
    words = []
    for group in groups:
        if not group:
            continue
        chars = []
        for ch in group:
            x0 = strip.origin[0] + int(ch.x0 / strip.scale)
            x1 = strip.origin[0] + max(int(ch.x0 / strip.scale) + 1, int(round(ch.x1 / strip.scale)))
            chars.append(CharResult(mapper.box(Box(x0, band.y, x1 - x0, band.h)), ch.char, ch.confidence))
        box = Box.enclosing([c.box for c in chars])
        confidence = float(np.exp(np.mean(np.log([max(c.confidence, 1e-6) for c in chars]))))
        words.append(WordResult(box, "".join(c.text for c in chars), confidence, chars))
    return words


def read_given_lines(
    gray: np.ndarray, polygons: list[list[tuple[int, int]]], model: ModelBundle
) -> list[LineResult]:
    """Read lines whose polygons are known (ground truth, or lines a reviewer drew) with
    the model's line reader, on the page as uploaded."""
    if model.line_reader is None:
        raise ValueError(f"model {model.version} has no line reader")
    lines = []
    for polygon in polygons:
        points = [(int(x), int(y)) for x, y in polygon]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        box = Box(min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)
        lines.append(LineRegion(box=box, ink=np.zeros((1, 1), np.uint8), polygon=points))
    mapper = PageMapper(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), (gray.shape[1], gray.shape[0]))
    return read_lines(gray, lines, model.line_reader, mapper)
