"""Pages with a known reading for the review tests: a generated page (real ink, true
boxes) stored through the services, with a reading written as if the recogniser had
made it, so tests control every word's text and confidence without a model."""

from __future__ import annotations

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile

from recognition import services
from recognition.jobs import record_result, start_job
from recognition.models import Job, ModelVersion, Page
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


def read_page(owner, generated, **kwargs) -> tuple[Page, Job]:
    """Store the generated page for `owner` and record a reading of it as its job's result."""
    upload = SimpleUploadedFile("page.png", png_bytes(generated.image), content_type="image/png")
    page = services.create_page(owner=owner, upload=upload)
    return page, record(page.jobs.get(), generated, **kwargs)


def record(job: Job, generated, **kwargs) -> Job:
    start_job(job.id)
    return record_result(job.id, reading(generated, **kwargs), b"\x89PNG fake overlay", model_version())


def word_named(job: Job, text: str):
    return job.lines.get(words__text=text).words.get(text=text)
