"""A message delivered again after its job finished changes nothing, and two runs of
the same job (a worker taking over one it thought lost) leave one set of rows."""

import pytest

from recognition import services
from recognition.jobs import record_result, start_job
from recognition.models import Glyph, Job, Line, Word
from recognition.tasks import recognize_page
from tests.helpers.review_helpers import generated_page, model_version, read_page, reading

pytestmark = pytest.mark.django_db


def rows(job):
    return (sorted(Line.objects.filter(job=job).values_list("id", flat=True)),
            sorted(Word.objects.filter(line__job=job).values_list("id", flat=True)),
            sorted(Glyph.objects.filter(word__line__job=job).values_list("id", flat=True)))


def test_a_second_delivery_of_a_finished_job_writes_nothing(alice, upload):
    job = services.create_page(owner=alice, upload=upload()).jobs.get()
    recognize_page.apply(args=[job.id])
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 1
    before = (rows(job), job.overlay.name, job.finished)

    recognize_page.apply(args=[job.id])  # the broker hands the message out again

    job.refresh_from_db()
    assert (rows(job), job.overlay.name, job.finished) == before
    assert job.attempts == 1


def test_two_runs_of_one_job_leave_one_set_of_rows(alice, font_glyphs):
    page = generated_page(font_glyphs)
    _, job = read_page(alice, page)
    first = rows(job)
    start_job(job.id)  # taken over, as after a worker was thought lost
    record_result(job.id, reading(page), b"\x89PNG again", model_version())
    second = rows(job)
    assert [len(ids) for ids in second] == [len(ids) for ids in first] == [2, 4, 16]
    assert set(first[0]).isdisjoint(second[0])  # replaced, not added
    assert Line.objects.filter(job=job).count() == 2
