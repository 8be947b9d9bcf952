"""A finished job returns the documented result: lines in reading order with words
and characters, each with an id, a box in page pixels, text and confidence; the text
joins words with spaces and lines with newlines."""

import pytest

from recognition import services
from recognition.jobs import record_result, start_job
from recognition.models import Glyph, Job, Line, Word
from recognition.tasks import recognize_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_job(alice, upload):
    page = services.create_page(owner=alice, upload=upload())
    job = page.jobs.get()
    recognize_page(job.id)  # the task body, run in this process
    job.refresh_from_db()
    return job


def test_the_job_succeeds_with_timings_and_model_version(finished_job):
    assert finished_job.status == Job.Status.SUCCEEDED
    assert finished_job.progress == 100
    assert finished_job.model_version is not None
    assert finished_job.model_version_name == finished_job.model_version.name
    assert finished_job.started <= finished_job.finished
    # A page goes the line route: the line finder, then the line reader on every line.
    assert {"preprocess", "lines", "read"} <= set(finished_job.timings)


def test_result_structure_and_text(finished_job, alice_client):
    body = alice_client.get(f"/api/jobs/{finished_job.id}/").json()
    result = body["result"]
    assert body["status"] == "succeeded" and body["overlay_url"] == f"/api/jobs/{finished_job.id}/overlay/"
    assert len(result["lines"]) == 2
    assert result["text"] == "\n".join(" ".join(w["text"] for w in line["words"]) for line in result["lines"])
    page_w, page_h = finished_job.page.width, finished_job.page.height
    tops = [line["bbox"][1] for line in result["lines"]]
    assert tops == sorted(tops)
    for line in result["lines"]:
        assert set(line) == {"id", "bbox", "text", "confidence", "words"}
        lefts = [w["bbox"][0] for w in line["words"]]
        assert lefts == sorted(lefts)
        for word in line["words"]:
            assert set(word) == {"id", "bbox", "text", "confidence", "chars"}
            assert word["text"] == "".join(c["text"] for c in word["chars"])
            for box in [word["bbox"], *(c["bbox"] for c in word["chars"])]:
                x, y, w, h = box
                assert x >= 0 and y >= 0 and x + w <= page_w and y + h <= page_h and w > 0 and h > 0
            for char in word["chars"]:
                assert set(char) == {"id", "bbox", "text", "confidence"}
                assert 0.0 <= char["confidence"] <= 1.0


def test_rows_are_stored_with_ids_that_match_the_api(finished_job, alice_client):
    result = alice_client.get(f"/api/jobs/{finished_job.id}/").json()["result"]
    line_ids = [line["id"] for line in result["lines"]]
    word_ids = [w["id"] for line in result["lines"] for w in line["words"]]
    char_ids = [c["id"] for line in result["lines"] for w in line["words"] for c in w["chars"]]
    assert sorted(line_ids) == sorted(Line.objects.filter(job=finished_job).values_list("id", flat=True))
    assert sorted(word_ids) == sorted(Word.objects.filter(line__job=finished_job).values_list("id", flat=True))
    assert sorted(char_ids) == sorted(Glyph.objects.filter(word__line__job=finished_job).values_list("id", flat=True))


def test_the_overlay_is_a_png_of_the_page(finished_job, alice_client):
    response = alice_client.get(f"/api/jobs/{finished_job.id}/overlay/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"


def test_recording_the_same_result_twice_writes_rows_once(finished_job):
    from recognition.pipeline.types import Box, CharResult, LineResult, PageResult, WordResult

    chars = [CharResult(Box(10 + 10 * i, 10, 8, 12), ch, 0.9) for i, ch in enumerate("AB")]
    words = [WordResult(Box(10, 10, 30, 12), "AB", 0.81, chars)]
    result = PageResult(100, 50, [LineResult(Box(10, 10, 30, 12), words)])
    for _ in range(2):  # a redelivered task writes the same result again
        record_result(finished_job.id, result, b"png", finished_job.model_version)
    assert Line.objects.filter(job=finished_job).count() == 1
    assert Word.objects.filter(line__job=finished_job).count() == 1
    assert Glyph.objects.filter(word__line__job=finished_job).count() == 2


def test_a_finished_job_is_not_run_again(finished_job):
    assert start_job(finished_job.id) is None
