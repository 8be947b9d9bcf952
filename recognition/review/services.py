"""Every write a reviewer makes: correct a line, a word or a character, merge or split
characters, mark a box as not text. Each change updates the page's text at once and is
stored as a LabeledSample with its provenance; re-running a page re-applies them."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from .. import selectors
from ..errors import Refusal
from ..models import Glyph, Job, LabeledSample, Line, Page, Word
from ..pipeline import Box, UnreadableImage, decode_image
from .alignment import choose_cuts, fit_words, ink_columns

logger = logging.getLogger(__name__)

# A correction is re-applied to the box of a new reading that overlaps it this much;
# a merge or a split only where the new reading already cut the ink the same way.
REAPPLY_IOU = 0.5
REAPPLY_IOU_SEGMENTATION = 0.7

# Texts are cut to, or refused past, what their columns hold.
SAMPLE_TEXT_MAX = LabeledSample._meta.get_field("new_text").max_length
WORD_TEXT_MAX = Word._meta.get_field("text").max_length
LINE_TEXT_MAX = Line._meta.get_field("text").max_length

# A drawn line smaller than this is a slip of the mouse.
MIN_DRAWN_SIDE = 4


class CorrectionError(Refusal):
    """A correction that cannot be made as asked."""

    status = 400


def is_holdout_page(page_id: int) -> bool:
    """A fixed share of pages is kept out of training to measure new model versions.
    By page, not by sample, so letters of one writer never sit on both sides."""
    share = settings.HWR_FEEDBACK_HOLDOUT_PERCENT
    return zlib.crc32(f"page-{page_id}".encode()) % 100 < share


@dataclass
class _Provenance:
    job: Job
    user: object
    when: object

    def sample(self, *, kind, source, box, old, new, line=None, word=None, glyph=None, derived_from=None,
               polygon=None) -> LabeledSample:
        page_id = self.job.page_id
        return LabeledSample(
            kind=kind, source=source, page_id=page_id, job=self.job, line=line, word=word, glyph=glyph,
            polygon=polygon,
            model_version_id=self.job.model_version_id, model_version_name=self.job.model_version_name,
            x=box[0], y=box[1], w=box[2], h=box[3], old_text=old[:SAMPLE_TEXT_MAX], new_text=new[:SAMPLE_TEXT_MAX],
            created_by=self.user, derived_from=derived_from, holdout=is_holdout_page(page_id),
        )


def _provenance(job: Job, user) -> _Provenance:
    return _Provenance(job, user if getattr(user, "is_authenticated", False) else None, timezone.now())


def _mark_corrected(obj, text: str, prov: _Provenance) -> None:
    if obj.corrected_at is None:
        obj.original_text = obj.text
    obj.text = text
    obj.confidence = 1.0  # a person read it
    obj.corrected_by = prov.user
    obj.corrected_at = prov.when


def _supersede(**box_owner) -> None:
    LabeledSample.objects.filter(superseded=False, **box_owner).update(superseded=True)


def _clean_word_text(text: str) -> str:
    text = " ".join(str(text).split())
    if not text:
        raise CorrectionError("The text is empty; mark the box as not text instead.")
    if len(text) > WORD_TEXT_MAX:
        raise CorrectionError("The text is too long.")
    if " " in text:
        # A word sample with a space would teach the reader that one box holds one word.
        raise CorrectionError("This box holds one word and the text has a space: split the word "
                              "(POST /api/words/<id>/split/) or correct its whole line (PATCH /api/lines/<id>/).")
    return text


def _clean_line_text(text: str) -> str:
    text = " ".join(str(text).split())
    if not text:
        raise CorrectionError("The text is empty; delete the line instead.")
    if len(text) > LINE_TEXT_MAX:
        raise CorrectionError(f"The text is too long: a line holds at most {LINE_TEXT_MAX} characters.")
    return text


def _clean_char_text(text: str) -> str:
    text = str(text).strip()
    if len(text) != 1:
        raise CorrectionError("A character's label is exactly one character.")
    return text


def _text_glyphs(word: Word) -> list[Glyph]:
    return list(word.glyphs.filter(not_text=False).order_by("order"))


def _lock_word(word_id: int) -> Word:
    return Word.objects.select_for_update().select_related("line__job").get(pk=word_id)


@transaction.atomic
def correct_word(word: Word, text: str, user) -> Word:
    """Set a word's text. When the word has as many characters as the new text has
    letters, each character takes its letter and becomes a character sample; otherwise
    the correction is kept at word level. Saving the same text confirms the reading."""
    text = _clean_word_text(text)
    word = _lock_word(word.pk)
    prov = _provenance(word.line.job, user)
    _supersede(word=word)
    word_sample = prov.sample(kind=LabeledSample.Kind.WORD, source=LabeledSample.Source.WORD_EDIT,
                              box=word.bbox, old=word.text, new=text, word=word)
    word_sample.save()
    glyphs = _text_glyphs(word)
    letters = [ch for ch in text if not ch.isspace()]
    if len(letters) == len(glyphs):
        samples = []
        for glyph, letter in zip(glyphs, letters):
            _supersede(glyph=glyph)
            samples.append(prov.sample(kind=LabeledSample.Kind.CHAR, source=LabeledSample.Source.WORD_EDIT,
                                       box=glyph.bbox, old=glyph.text, new=letter, word=word, glyph=glyph,
                                       derived_from=word_sample))
            _mark_corrected(glyph, letter, prov)
        LabeledSample.objects.bulk_create(samples)
        Glyph.objects.bulk_update(glyphs, ["text", "original_text", "confidence", "corrected_by", "corrected_at"])
    _mark_corrected(word, text, prov)
    word.not_text = False
    word.save()
    refresh_texts(word.line)
    return word


def _lock_glyph(glyph_id: int) -> Glyph:
    return Glyph.objects.select_for_update().select_related("word__line__job").get(pk=glyph_id)


def _follow_glyphs(word: Word, before: list[Glyph]) -> None:
    """After a character changed, the word reads its characters again, unless the
    word carries a word-level correction that its characters do not spell."""
    if word.text != "".join(g.text for g in before):
        return
    word.text = "".join(g.text for g in _text_glyphs(word))
    word.save(update_fields=["text"])


@transaction.atomic
def correct_char(glyph: Glyph, text: str, user) -> Glyph:
    text = _clean_char_text(text)
    glyph = _lock_glyph(glyph.pk)
    word = glyph.word
    before = _text_glyphs(word)
    prov = _provenance(word.line.job, user)
    _supersede(glyph=glyph)
    prov.sample(kind=LabeledSample.Kind.CHAR, source=LabeledSample.Source.CHAR_EDIT, box=glyph.bbox,
                old=glyph.text, new=text, word=word, glyph=glyph).save()
    _mark_corrected(glyph, text, prov)
    glyph.not_text = False
    glyph.save()
    _follow_glyphs(word, before)
    refresh_texts(word.line)
    return glyph


@transaction.atomic
def set_not_text(obj: Word | Glyph, user, not_text: bool = True) -> Word | Glyph:
    """Take a word or character out of the text (a stroke, a stain, a printed label), or
    put it back. A character marked so becomes a "not a character" sample."""
    is_word = isinstance(obj, Word)
    obj = _lock_word(obj.pk) if is_word else _lock_glyph(obj.pk)
    word = obj if is_word else obj.word
    before = [] if is_word else _text_glyphs(word)
    prov = _provenance(word.line.job, user)
    owner = {"word": obj, "kind": LabeledSample.Kind.WORD} if is_word else {"glyph": obj}
    if not not_text:
        owner["source"] = LabeledSample.Source.NOT_TEXT  # the label it had before stands again
    _supersede(**owner)
    if not_text:
        prov.sample(kind=LabeledSample.Kind.WORD if is_word else LabeledSample.Kind.CHAR,
                    source=LabeledSample.Source.NOT_TEXT, box=obj.bbox, old=obj.text, new="", word=word,
                    glyph=None if is_word else obj).save()
    obj.not_text = not_text
    obj.corrected_by, obj.corrected_at = prov.user, prov.when
    obj.save()
    if not is_word:
        _follow_glyphs(word, before)
    refresh_texts(word.line)
    return obj


@transaction.atomic
def merge_chars(first: Glyph, second: Glyph, text: str, user) -> Glyph:
    """Two neighbouring characters of one word become one box with one label."""
    text = _clean_char_text(text)
    first, second = _lock_glyph(first.pk), _lock_glyph(second.pk)
    if first.word_id != second.word_id or first.pk == second.pk:
        raise CorrectionError("Only two different characters of the same word can be merged.")
    if first.order > second.order:
        first, second = second, first
    word = first.word
    between = word.glyphs.filter(order__gt=first.order, order__lt=second.order, not_text=False).exists()
    if between:
        raise CorrectionError("Only neighbouring characters can be merged.")
    before = _text_glyphs(word)
    prov = _provenance(word.line.job, user)
    box = Box(*first.bbox).union(Box(*second.bbox))
    _supersede(glyph=first)
    _supersede(glyph=second)
    prov.sample(kind=LabeledSample.Kind.CHAR, source=LabeledSample.Source.MERGE, box=box.as_list(),
                old=first.text + second.text, new=text, word=word, glyph=first).save()
    was_corrected = first.is_corrected
    _mark_corrected(first, text, prov)
    if not was_corrected:
        first.original_text = first.original_text + second.text
    first.x, first.y, first.w, first.h = box.as_list()
    first.not_text = False
    first.save()
    second.delete()
    _follow_glyphs(word, before)
    refresh_texts(word.line)
    return first


@transaction.atomic
def split_char(glyph: Glyph, texts: list[str], user, at: int | None = None) -> list[Glyph]:
    """Cut a character box in two at page column `at` (its middle by default); each
    part takes its own label."""
    if len(texts) != 2:
        raise CorrectionError("A split needs two labels, one for each part.")
    left_text, right_text = (_clean_char_text(t) for t in texts)
    glyph = _lock_glyph(glyph.pk)
    word = glyph.word
    x0, x1 = glyph.x, glyph.x + glyph.w
    at = int(at) if at is not None else x0 + glyph.w // 2
    if not x0 < at < x1:
        raise CorrectionError("The cut must fall inside the character's box.")
    before = _text_glyphs(word)
    prov = _provenance(word.line.job, user)
    _supersede(glyph=glyph)
    # Make room after this character; one by one from the end keeps (word, order) unique.
    for later in word.glyphs.filter(order__gt=glyph.order).order_by("-order"):
        later.order += 1
        later.save(update_fields=["order"])
    right = Glyph(word=word, order=glyph.order + 1, x=at, y=glyph.y, w=x1 - at, h=glyph.h, text=right_text,
                  confidence=1.0, original_text=glyph.text, corrected_by=prov.user, corrected_at=prov.when)
    right.save()
    old = glyph.text
    _mark_corrected(glyph, left_text, prov)
    glyph.w = at - x0
    glyph.not_text = False
    glyph.save()
    LabeledSample.objects.bulk_create([
        prov.sample(kind=LabeledSample.Kind.CHAR, source=LabeledSample.Source.SPLIT, box=part.bbox, old=old,
                    new=part.text, word=word, glyph=part)
        for part in (glyph, right)
    ])
    _follow_glyphs(word, before)
    refresh_texts(word.line)
    return [glyph, right]


# Line samples that carry the line's text: a later text edit of the line replaces them.
LINE_TEXT_SOURCES = LabeledSample.LINE_TEXT_SOURCES


def _lock_line(line_id: int) -> Line:
    return Line.objects.select_for_update().select_related("job").get(pk=line_id)


def lay_out_words(span: Box, words: list[str]) -> list[Box]:
    """Boxes for `words` side by side across `span`, each as wide as its share of the
    characters (the space between two words counts as one): where a reader's own cuts
    are not known, the best guess from the text alone."""
    total = sum(len(w) for w in words) + len(words) - 1
    step = span.w / max(total, 1)
    boxes, at = [], 0
    for word in words:
        x0, x1 = span.x + round(at * step), span.x + round((at + len(word)) * step)
        boxes.append(Box(x0, span.y, max(1, x1 - x0), span.h))
        at += len(word) + 1
    return boxes


def _past_the_last(rows) -> int:
    """An order above every row's: where a row is put out of the way."""
    return (rows.aggregate(top=Max("order"))["top"] or 0) + 1


def _move_out_of_the_way(rows) -> None:
    """Shift the rows' orders above all of them, so they can be numbered again without
    two rows sharing an order at any step (the database checks each row as it goes)."""
    rows.update(order=F("order") + _past_the_last(rows))


PageInk = Callable[[], np.ndarray | None]


def page_ink(page_id: int) -> PageInk:
    """The page's grayscale pixels, read once when first asked for (None when the image
    cannot be read: words are then laid out by their letters alone)."""
    cache: dict[str, np.ndarray | None] = {}

    def gray() -> np.ndarray | None:
        if "gray" not in cache:
            try:
                cache["gray"] = decode_image(selectors.read_page_bytes(Page.objects.get(pk=page_id)))
            except (UnreadableImage, OSError) as exc:
                logger.warning("page %s: image unreadable for word alignment: %s", page_id, exc)
                cache["gray"] = None
        return cache["gray"]

    return gray


def _word_boxes(span: Box, words: list[str], ink: PageInk | None) -> list[Box]:
    """Boxes for `words` across `span`: cut at the gaps of the ink where it can be read,
    by the letters otherwise."""
    return (fit_words(ink(), span, words) if ink is not None else None) or lay_out_words(span, words)


def _renumber_words(line: Line) -> None:
    """Words in reading order from left to right, numbered from 0 again."""
    words = list(line.words.order_by("x", "order"))
    _move_out_of_the_way(line.words.all())
    for i, word in enumerate(words):
        word.order = i
    Word.objects.bulk_update(words, ["order"])


def _apply_line_text(line: Line, words: list[str], prov: _Provenance, ink: PageInk | None = None) -> None:
    """Make a line's words spell `words`. When the count of words is unchanged each
    word keeps its box (the reader's cut) and, where the letters still match them, its
    characters; otherwise the old words go and new ones are cut from the span they
    covered at the gaps of its ink (by the letters where the ink cannot tell), without
    character boxes (a guessed box must not become a character sample). Samples of a
    word whose text changed are superseded by the line's."""
    old = list(line.words.filter(not_text=False).order_by("order"))
    if len(old) == len(words):
        for word, text in zip(old, words):
            if word.text != text:
                _supersede(word=word)
                glyphs = _text_glyphs(word)
                if len(glyphs) == len(text):
                    for glyph, letter in zip(glyphs, text):
                        _mark_corrected(glyph, letter, prov)
                    Glyph.objects.bulk_update(glyphs, ["text", "original_text", "confidence", "corrected_by",
                                                       "corrected_at"])
                else:
                    Glyph.objects.filter(pk__in=[g.pk for g in glyphs]).delete()
            _mark_corrected(word, text, prov)
        Word.objects.bulk_update(old, ["text", "original_text", "confidence", "corrected_by", "corrected_at"])
        return
    span = Box.enclosing([Box(*w.bbox) for w in old]) if old else Box(*line.bbox)
    if old:
        LabeledSample.objects.filter(superseded=False, word__in=old).update(superseded=True)
        Word.objects.filter(pk__in=[w.pk for w in old]).delete()
    _move_out_of_the_way(line.words.all())
    Word.objects.bulk_create([
        Word(line=line, order=i, **dict(zip("xywh", box.as_list())), text=text, confidence=1.0,
             corrected_by=prov.user, corrected_at=prov.when)
        for i, (box, text) in enumerate(zip(_word_boxes(span, words, ink), words))
    ])
    _renumber_words(line)


@transaction.atomic
def correct_line(line: Line, text: str, user) -> Line:
    """Set a whole line's text: its words are made again from the text (split at
    whitespace) and the line becomes one line sample (its box, polygon and text) for the
    line reader, superseding the line's earlier one. Saving the same text confirms it."""
    text = _clean_line_text(text)
    line = _lock_line(line.pk)
    prov = _provenance(line.job, user)
    _supersede(line=line, kind=LabeledSample.Kind.LINE, source__in=LINE_TEXT_SOURCES)
    prov.sample(kind=LabeledSample.Kind.LINE, source=LabeledSample.Source.LINE_EDIT, box=line.bbox,
                old=line.text, new=text, line=line, polygon=line.polygon).save()
    _apply_line_text(line, text.split(" "), prov, page_ink(line.job.page_id))
    _mark_corrected(line, text, prov)
    line.not_text = False
    line.save()
    refresh_texts(line)
    return line


def _line_sample(prov: _Provenance, line: Line, source: str, old: str, new: str) -> LabeledSample:
    sample = prov.sample(kind=LabeledSample.Kind.LINE, source=source, box=line.bbox, old=old, new=new, line=line,
                         polygon=line.polygon)
    sample.save()
    return sample


def _line_text_sample(prov: _Provenance, line: Line, source: str, old: str) -> None:
    """A change of the line's words stores the line's whole new text, replacing the
    line's earlier text sample: what the line reader learns from."""
    _supersede(line=line, kind=LabeledSample.Kind.LINE, source__in=LINE_TEXT_SOURCES)
    _line_sample(prov, line, source, old, line.text)


def _box_on_page(box, page) -> Box:
    """A box a reviewer drew, kept inside the page; refused when nothing is left."""
    x, y, w, h = (int(v) for v in box)
    x0, y0 = max(0, x), max(0, y)
    x1 = min(page.width, x + w) if page.width else x + w
    y1 = min(page.height, y + h) if page.height else y + h
    if x1 - x0 < MIN_DRAWN_SIDE or y1 - y0 < MIN_DRAWN_SIDE:
        raise CorrectionError(f"A line's box must lie on the page and be at least {MIN_DRAWN_SIDE} pixels wide "
                              "and high.")
    return Box(x0, y0, x1 - x0, y1 - y0)


def _renumber_lines(job_id: int, lines: list[Line]) -> None:
    """Give `lines` (all of a job's lines, in their new reading order) orders 0, 1, ..."""
    _move_out_of_the_way(Line.objects.filter(job_id=job_id))
    for i, line in enumerate(lines):
        line.order = i
    Line.objects.bulk_update(lines, ["order"])


def _reading_position(job_id: int, box: Box) -> int:
    """Where a drawn line goes in reading order: after every line whose middle is above
    its middle. A reviewer fixes a multi-column page with move_line."""
    middle = box.y + box.h / 2
    return sum(1 for y, h in Line.objects.filter(job_id=job_id).values_list("y", "h") if y + h / 2 < middle)


def _insert_line(job: Job, box: Box, prov: _Provenance) -> Line:
    lines = list(Line.objects.filter(job=job).order_by("order"))
    line = Line(job=job, order=_past_the_last(Line.objects.filter(job=job)), x=box.x, y=box.y, w=box.w, h=box.h,
                confidence=1.0, corrected_by=prov.user, corrected_at=prov.when,
                polygon=[[box.x, box.y], [box.right, box.y], [box.right, box.bottom], [box.x, box.bottom]])
    line.save()
    lines.insert(_reading_position(job.pk, box), line)
    _renumber_lines(job.pk, lines)
    return line


@transaction.atomic
def add_line(job: Job, box, user, text: str = "") -> Line:
    """A line the line finder missed, drawn as a box by a reviewer: stored as a
    `line_added` sample (its box), and, with a text, a `line_edit` sample as well."""
    job = Job.objects.select_for_update().select_related("page").get(pk=job.pk)
    if job.status != Job.Status.SUCCEEDED:
        raise CorrectionError("Lines can be added to a finished reading only.")
    text = _clean_line_text(text) if str(text).strip() else ""
    box = _box_on_page(box, job.page)
    prov = _provenance(job, user)
    line = _insert_line(job, box, prov)
    _line_sample(prov, line, LabeledSample.Source.LINE_ADDED, "", "")
    if text:
        _line_sample(prov, line, LabeledSample.Source.LINE_EDIT, "", text)
        _apply_line_text(line, text.split(" "), prov, page_ink(job.page_id))
        line.text = text
        line.save()
    refresh_texts(line)
    return line


@transaction.atomic
def delete_line(line: Line, user) -> None:
    """Take a line out (a stain, a ruling, a line found twice). Its samples and its
    words' samples are superseded, so none of them trains a model; a `line_deleted`
    sample keeps the deletion, which a new reading of the page repeats."""
    line = _lock_line(line.pk)
    prov = _provenance(line.job, user)
    LabeledSample.objects.filter(superseded=False).filter(
        Q(line=line) | Q(word__line=line)).update(superseded=True)
    _line_sample(prov, line, LabeledSample.Source.LINE_DELETED, line.text, "")
    job_id = line.job_id
    line.delete()
    _renumber_lines(job_id, list(Line.objects.filter(job_id=job_id).order_by("order")))
    _refresh_job_text(job_id)


@transaction.atomic
def set_line_kind(line: Line, kind: str, user) -> Line:
    """Say what writing a line holds (handwritten, typewritten, print, signature)."""
    if kind not in Line.Kind.values:
        raise CorrectionError(f"A line's type is one of: {', '.join(Line.Kind.values)}.")
    line = _lock_line(line.pk)
    prov = _provenance(line.job, user)
    _supersede(line=line, kind=LabeledSample.Kind.LINE, source=LabeledSample.Source.LINE_TYPE)
    _line_sample(prov, line, LabeledSample.Source.LINE_TYPE, line.kind, kind)
    line.kind = kind
    line.save(update_fields=["kind"])
    return line


@transaction.atomic
def move_line(line: Line, order: int, user) -> Line:
    """Put a line at place `order` (from 0) in its page's reading order; the lines
    between move by one. The page's text follows."""
    line = _lock_line(line.pk)
    lines = list(Line.objects.select_for_update().filter(job_id=line.job_id).order_by("order"))
    if not 0 <= order < len(lines):
        raise CorrectionError(f"The place in reading order must be from 0 to {len(lines) - 1}.")
    prov = _provenance(line.job, user)
    old = line.order
    if old != order:
        lines = [other for other in lines if other.pk != line.pk]
        lines.insert(order, line)
        _renumber_lines(line.job_id, lines)
        _line_sample(prov, line, LabeledSample.Source.READING_ORDER, str(old), str(order))
        _refresh_job_text(line.job_id)
    return line


def _split_column(box: Box, texts: list[str], ink: PageInk) -> int:
    gray = ink()
    columns = ink_columns(gray, box) if gray is not None else None
    cuts = choose_cuts(columns, texts) if columns is not None else None
    return box.x + cuts[0] if cuts else lay_out_words(box, texts)[1].x


@transaction.atomic
def split_word(word: Word, texts: list[str], user, at: int | None = None) -> list[Word]:
    """Cut a word box that holds two words at page column `at` (by default at the gap
    of its ink nearest where the letters say, or there when the ink shows none); each
    part takes its text. Characters whose middle falls on a part go with it while they
    still spell it. The line's new text becomes a `word_split` line sample; the word's
    own samples are superseded."""
    if len(texts) != 2:
        raise CorrectionError("A split needs two texts, one for each part.")
    left_text, right_text = (_clean_word_text(t) for t in texts)
    word = _lock_word(word.pk)
    line = _lock_line(word.line_id)
    x0, x1 = word.x, word.x + word.w
    if at is None:
        at = _split_column(Box(*word.bbox), [left_text, right_text], page_ink(line.job.page_id))
    at = int(at)
    if not x0 < at < x1:
        raise CorrectionError("The cut must fall inside the word's box.")
    prov = _provenance(line.job, user)
    old_line_text = line.text
    _supersede(word=word)
    right = Word(line=line, order=_past_the_last(line.words.all()), x=at, y=word.y, w=x1 - at, h=word.h,
                 text=right_text, confidence=1.0, original_text=word.text, corrected_by=prov.user,
                 corrected_at=prov.when)
    right.save()
    glyphs = list(word.glyphs.order_by("order"))
    _move_out_of_the_way(word.glyphs.all())
    moving = [g for g in glyphs if g.x + g.w / 2 >= at]
    staying = [g for g in glyphs if g.x + g.w / 2 < at]
    for part, own, text in ((word, staying, left_text), (right, moving, right_text)):
        letters = [g for g in own if not g.not_text]
        if len(letters) != len(text):
            Glyph.objects.filter(pk__in=[g.pk for g in own]).delete()
            continue
        for glyph, letter in zip(letters, text):
            _mark_corrected(glyph, letter, prov)
        for k, glyph in enumerate(own):
            glyph.word, glyph.order = part, k
        Glyph.objects.bulk_update(own, ["word", "order", "text", "original_text", "confidence", "corrected_by",
                                        "corrected_at"])
    _mark_corrected(word, left_text, prov)
    word.w = at - x0
    word.not_text = False
    word.save()
    _renumber_words(line)
    refresh_texts(line)
    _line_text_sample(prov, line, LabeledSample.Source.WORD_SPLIT, old_line_text)
    return [word, Word.objects.get(pk=right.pk)]


@transaction.atomic
def merge_words(first: Word, second: Word, user, text: str | None = None) -> Word:
    """Join two neighbouring words of one line that are one word: one box, their
    characters in order, the text given (their two texts joined by default). The line's
    new text becomes a `word_merge` line sample; both words' own samples are superseded."""
    first, second = _lock_word(first.pk), _lock_word(second.pk)
    if first.line_id != second.line_id or first.pk == second.pk:
        raise CorrectionError("Only two different words of the same line can be merged.")
    if first.order > second.order:
        first, second = second, first
    line = _lock_line(first.line_id)
    if line.words.filter(order__gt=first.order, order__lt=second.order, not_text=False).exists():
        raise CorrectionError("Only neighbouring words can be merged.")
    text = _clean_word_text(text if text is not None and str(text).strip() else first.text + second.text)
    prov = _provenance(line.job, user)
    old_line_text = line.text
    _supersede(word=first)
    _supersede(word=second)
    glyphs = list(first.glyphs.order_by("order")) + list(second.glyphs.order_by("order"))
    second.glyphs.update(word=first, order=F("order") + _past_the_last(Glyph.objects.filter(word__in=[first, second])))
    for k, glyph in enumerate(glyphs):
        glyph.word, glyph.order = first, k
    Glyph.objects.bulk_update(glyphs, ["word", "order"])
    letters = [g for g in glyphs if not g.not_text]
    if len(letters) == len(text):
        for glyph, letter in zip(letters, text):
            _mark_corrected(glyph, letter, prov)
        Glyph.objects.bulk_update(letters, ["text", "original_text", "confidence", "corrected_by", "corrected_at"])
    box = Box(*first.bbox).union(Box(*second.bbox))
    was_corrected = first.is_corrected
    _mark_corrected(first, text, prov)
    if not was_corrected:
        first.original_text = f"{first.original_text} {second.text}"
    first.x, first.y, first.w, first.h = box.as_list()
    first.not_text = False
    first.save()
    second.delete()
    _renumber_words(line)
    refresh_texts(line)
    _line_text_sample(prov, line, LabeledSample.Source.WORD_MERGE, old_line_text)
    return first


def refresh_texts(line: Line) -> None:
    """A line reads its words, a job its lines: what the API and the admin show."""
    words = line.words.filter(not_text=False).order_by("order")
    line.text = " ".join(w.text for w in words if w.text)[:LINE_TEXT_MAX]
    line.save(update_fields=["text"])
    _refresh_job_text(line.job_id)


def _refresh_job_text(job_id: int) -> None:
    job = Job.objects.get(pk=job_id)
    job.text = "\n".join(Line.objects.filter(job=job).order_by("order").values_list("text", flat=True))
    job.save(update_fields=["text"])


def _best_match(box: Box, rows, threshold: float = REAPPLY_IOU) -> object | None:
    best, best_iou = None, threshold
    for row in rows:
        iou = box.iou(Box(*row.bbox))
        if iou >= best_iou:
            best, best_iou = row, iou
    return best


def _spelling(word: Word, glyphs: list[Glyph]) -> str:
    return "".join(g.text for g in sorted((g for g in glyphs if g.word_id == word.pk and not g.not_text),
                                          key=lambda g: g.order))


def reapply_corrections(job: Job) -> int:
    """Carry a page's corrections over to a new reading of it: each current correction
    goes to the word or character whose box overlaps its own (IoU >= 0.5). Corrections
    with no counterpart stay as samples. Returns how many were applied."""
    samples = list(
        LabeledSample.objects.filter(page_id=job.page_id, superseded=False, derived_from__isnull=True)
        .select_related("created_by").order_by("created", "id")
    )
    if not samples:
        return 0
    # Lines first: a word sample older than its line's text edit was superseded by it
    # unless the line kept that word, so words and characters can follow afterwards.
    applied = _reapply_line_samples(job, [s for s in samples if s.kind == LabeledSample.Kind.LINE])
    samples = [s for s in samples if s.kind != LabeledSample.Kind.LINE]
    words = list(Word.objects.filter(line__job=job))
    glyphs = list(Glyph.objects.filter(word__line__job=job))
    touched_words: dict[int, Word] = {}
    touched_glyphs: dict[int, Glyph] = {}
    for sample in samples:
        box = Box(*sample.bbox)
        prov = _Provenance(job, sample.created_by, sample.created)
        if sample.kind == LabeledSample.Kind.WORD:
            word = _best_match(box, words)
            if word is None:
                continue
            if sample.source == LabeledSample.Source.NOT_TEXT:
                word.not_text = True
                word.corrected_by, word.corrected_at = prov.user, prov.when
            else:
                letters = [ch for ch in sample.new_text if not ch.isspace()]
                own = sorted((g for g in glyphs if g.word_id == word.pk and not g.not_text), key=lambda g: g.order)
                if len(letters) == len(own):
                    for glyph, letter in zip(own, letters):
                        _mark_corrected(glyph, letter, prov)
                        touched_glyphs[glyph.pk] = glyph
                _mark_corrected(word, sample.new_text, prov)
            touched_words[word.pk] = word
        else:
            segmentation = sample.source in (LabeledSample.Source.MERGE, LabeledSample.Source.SPLIT)
            glyph = _best_match(box, glyphs, REAPPLY_IOU_SEGMENTATION if segmentation else REAPPLY_IOU)
            if glyph is None:
                continue
            word = next(w for w in words if w.pk == glyph.word_id)
            follows = word.text == _spelling(word, glyphs)
            if sample.source == LabeledSample.Source.NOT_TEXT:
                glyph.not_text = True
                glyph.corrected_by, glyph.corrected_at = prov.user, prov.when
            else:
                _mark_corrected(glyph, sample.new_text, prov)
            if follows:  # as in the review: a word that its characters spell reads them again
                word.text = _spelling(word, glyphs)
            touched_glyphs[glyph.pk] = glyph
            touched_words.setdefault(word.pk, word)
        applied += 1
    fields = ["text", "original_text", "confidence", "corrected_by", "corrected_at", "not_text"]
    Glyph.objects.bulk_update(list(touched_glyphs.values()), fields)
    Word.objects.bulk_update(list(touched_words.values()), fields)
    for line in Line.objects.filter(pk__in={w.line_id for w in touched_words.values()}):
        refresh_texts(line)
    return applied


def _reapply_line_samples(job: Job, samples: list[LabeledSample]) -> int:
    """Line edits in the order they were made, each on the new reading's line whose box
    overlaps its own: a drawn line is drawn again where the new reading has none, a
    deleted one deleted again, a line's type and text set again. Reading order is not
    carried over: the new reading's lines may not be the same lines."""
    lines = list(Line.objects.filter(job=job))
    ink = page_ink(job.page_id)
    applied = 0
    for sample in samples:
        box = Box(*sample.bbox)
        prov = _Provenance(job, sample.created_by, sample.created)
        line = _best_match(box, lines)
        if sample.source == LabeledSample.Source.LINE_ADDED:
            if line is not None:
                continue
            line = _insert_line(job, box, prov)
            line.polygon = sample.polygon or line.polygon
            line.save(update_fields=["polygon"])
            lines.append(line)
        elif line is None:
            continue
        elif sample.source == LabeledSample.Source.LINE_DELETED:
            lines.remove(line)
            line.delete()
            _renumber_lines(job.pk, list(Line.objects.filter(job=job).order_by("order")))
        elif sample.source == LabeledSample.Source.LINE_TYPE:
            line.kind = sample.new_text
            line.save(update_fields=["kind"])
        elif sample.source in LINE_TEXT_SOURCES and sample.new_text:
            _apply_line_text(line, sample.new_text.split(), prov, ink)
            _mark_corrected(line, sample.new_text, prov)
            line.save()
            refresh_texts(line)
        else:
            continue
        applied += 1
    if applied:
        _refresh_job_text(job.pk)
    return applied
