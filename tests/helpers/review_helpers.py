"""Pages with a known reading for the review tests: a generated page (real ink, true
boxes) stored through the services, with a reading written as if the recogniser had
made it, so tests control every word's text and confidence without a model."""

from __future__ import annotations

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F

from recognition import services
from recognition.jobs import record_result, start_job
from recognition.models import Job, Line, ModelVersion, Page, Word
from recognition.pipeline import Box, PageResult
from recognition.pipeline.types import CharResult, LineResult, WordResult
from tests.conftest import png_bytes

LINES = ["HELLO WORLD", "FORM 42"]


def generated_page(font_glyphs, lines=LINES, seed: int = 3):
    from training.synthetic_pages import compose_page

    return compose_page(lines, font_glyphs, np.random.default_rng(seed), char_height=40)


def reading(generated, readings: dict[str, str] | None = None, confidences: dict[str, float] | None = None,
            shift: int = 0) -> PageResult:
    """The generated page's true boxes, read as `readings` says (true text otherwise);
    `shift` moves every box, as a second reading of the page would."""
    readings, confidences = readings or {}, confidences or {}
    h, w = generated.image.shape
    lines = []
    for line in generated.lines:
        words = []
        for word in line.words:
            text = readings.get(word.text, word.text)
            conf = confidences.get(word.text, 0.95)
            boxes = [b.shifted(shift, 0) for b in word.char_boxes]
            # When the reading has a different length, the boxes are cut evenly.
            if len(text) != len(boxes):
                whole = Box.enclosing(boxes)
                step = whole.w / max(len(text), 1)
                boxes = [Box(whole.x + int(i * step), whole.y, max(1, int(step)), whole.h) for i in range(len(text))]
            chars = [CharResult(b, ch, conf, [(ch, conf)]) for b, ch in zip(boxes, text)]
            words.append(WordResult(word.box.shifted(shift, 0), text, conf, chars))
        lines.append(LineResult(line.box.shifted(shift, 0), words))
    return PageResult(w, h, lines, "test-model")


def model_version() -> ModelVersion:
    return ModelVersion.objects.get_or_create(name="test-model", defaults={"path": "/nonexistent"})[0]


def read_page(owner, generated, layout: str = Page.Layout.PAGE, **kwargs) -> tuple[Page, Job]:
    """Store the generated page for `owner` and record a reading of it as its job's result."""
    upload = SimpleUploadedFile("page.png", png_bytes(generated.image), content_type="image/png")
    page = services.create_page(owner=owner, upload=upload, layout=layout)
    return page, record(page.jobs.get(), generated, **kwargs)


def letter_reading(transcription, gray=None, readings: dict[int, str] | None = None,
                   confidences: dict[int, float] | None = None, missing: tuple[int, ...] = ()) -> PageResult:
    """A reading of a real letter made from its transcription, line by line: the line
    `i` reads `readings[i]` (its true text otherwise) with confidence `confidences[i]`
    (0.95 otherwise), and the lines in `missing` were not found; words are cut at the
    gaps of the line's ink in `gray` (by the letters without it), without character
    boxes."""
    from recognition.review.alignment import fit_words
    from recognition.review.services import lay_out_words

    readings, confidences = readings or {}, confidences or {}
    lines = []
    for i, line in enumerate(transcription.lines):
        if i in missing:
            continue
        text = readings.get(i, line.text)
        conf = confidences.get(i, 0.95)
        tokens = text.split()
        boxes = (fit_words(gray, Box(*line.bbox), tokens) or lay_out_words(Box(*line.bbox), tokens)) if tokens else []
        words = [WordResult(box, token, conf, []) for box, token in zip(boxes, tokens)]
        lines.append(LineResult(Box(*line.bbox), words, polygon=[tuple(p) for p in line.polygon or []] or None,
                                baseline=[tuple(p) for p in line.baseline or []] or None))
    return PageResult(int(transcription.width), int(transcription.height), lines, "test-model")


def read_letter(owner, image_path, xml_path, **kwargs) -> tuple[Page, Job]:
    """Store a real letter's scan for `owner` and record a reading of it made from its
    ALTO transcription (see letter_reading)."""
    from recognition.documents.ground_truth import parse_transcription
    from recognition.pipeline import decode_image

    upload = SimpleUploadedFile(image_path.name, image_path.read_bytes(), content_type="image/jpeg")
    page = services.create_page(owner=owner, upload=upload)
    transcription = parse_transcription(xml_path.read_bytes()).scaled_to(page.width, page.height)
    job = page.jobs.get()
    start_job(job.id)
    reading = letter_reading(transcription, decode_image(image_path.read_bytes()), **kwargs)
    return page, record_result(job.id, reading, b"\x89PNG fake overlay", model_version())


def record(job: Job, generated, **kwargs) -> Job:
    start_job(job.id)
    return record_result(job.id, reading(generated, **kwargs), b"\x89PNG fake overlay", model_version())


def word_named(job: Job, text: str):
    return job.lines.get(words__text=text).words.get(text=text)


def merged_into_one_word(job) -> Word:
    """The first line as one word "HELLOWORLD", as a reader that missed the gap reads it."""
    hello, world = word_named(job, "HELLO"), word_named(job, "WORLD")
    world.glyphs.update(word=hello, order=F("order") + hello.glyphs.count())
    right = world.x + world.w
    world.delete()
    Word.objects.filter(pk=hello.pk).update(text="HELLOWORLD", w=right - hello.x)
    Line.objects.filter(pk=hello.line_id).update(text="HELLOWORLD")
    return Word.objects.get(pk=hello.pk)
