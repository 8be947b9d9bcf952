"""Correcting a whole line through the API: its words are made again from the new
text, the page's text follows at once, and the line is stored as one line sample (box,
polygon, text) for the line reader, with provenance. A word box given a text with a space
is refused, never stored as one word."""

import pytest

from recognition import services
from recognition.models import Glyph, LabeledSample, Line, Word
from recognition.pipeline import Box
from recognition.review.services import is_holdout_page, lay_out_words
from tests.conftest import token_client
from tests.helpers.review_helpers import generated_page, read_page, record, word_named

pytestmark = pytest.mark.django_db

POLYGON = [[10, 20], [400, 18], [402, 70], [12, 72]]


@pytest.fixture
def generated(font_glyphs):
    return generated_page(font_glyphs)


@pytest.fixture
def page_and_job(alice, generated):
    page, job = read_page(alice, generated, readings={"HELLO": "HELL0", "WORLD": "WOLD"},
                          confidences={"HELLO": 0.3, "WORLD": 0.2})
    Line.objects.filter(job=job, order=0).update(polygon=POLYGON)
    return page, job


def first_line(job) -> Line:
    return job.lines.get(order=0)


def line_words(line: Line) -> list[Word]:
    return list(line.words.order_by("order"))


def test_correcting_a_line_updates_its_words_and_the_page_text(page_and_job, alice, alice_client):
    _page, job = page_and_job
    line = first_line(job)
    response = alice_client.patch(f"/api/lines/{line.id}/", {"text": "HELLO WORLD"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["text"] == "HELLO WORLD" and body["corrected"] and body["original_text"] == "HELL0 WOLD"
    assert [w["text"] for w in body["words"]] == ["HELLO", "WORLD"]
    assert body["page_text"] == "HELLO WORLD\nFORM 42"
    job.refresh_from_db()
    assert job.text == "HELLO WORLD\nFORM 42"
    line.refresh_from_db()
    assert line.corrected_by == alice and line.confidence == 1.0
    assert all(w.is_corrected and w.corrected_by == alice for w in line_words(line))
    assert alice_client.get(f"/api/jobs/{job.id}/").json()["result"]["text"] == "HELLO WORLD\nFORM 42"


def test_a_line_correction_is_one_line_sample_with_box_polygon_and_provenance(page_and_job, alice, alice_client):
    page, job = page_and_job
    line = first_line(job)
    alice_client.patch(f"/api/lines/{line.id}/", {"text": "  HELLO   WORLD "}, format="json")
    sample = LabeledSample.objects.get()  # one sample: no word or character samples besides it
    assert (sample.kind, sample.source) == ("line", "line_edit")
    assert (sample.old_text, sample.new_text) == ("HELL0 WOLD", "HELLO WORLD")
    assert sample.bbox == line.bbox and sample.polygon == POLYGON
    assert sample.line == line and sample.word is None and sample.glyph is None
    assert sample.page == page and sample.job == job and sample.created_by == alice
    assert sample.model_version == job.model_version and sample.model_version_name == "test-model"
    assert sample.holdout == is_holdout_page(page.id)
    listed = alice_client.get(f"/api/samples/{sample.id}/").json()
    assert listed["line"] == line.id and listed["polygon"] == POLYGON and listed["kind"] == "line"


def test_the_holdout_share_applies_to_line_samples(page_and_job, alice_client, settings):
    settings.HWR_FEEDBACK_HOLDOUT_PERCENT = 100
    _page, job = page_and_job
    alice_client.patch(f"/api/lines/{first_line(job).id}/", {"text": "HELLO WORLD"}, format="json")
    assert LabeledSample.objects.get().holdout


def test_with_as_many_words_each_keeps_its_box_and_matching_characters(page_and_job, alice_client):
    _page, job = page_and_job
    line = first_line(job)
    before = {w.order: w.bbox for w in line_words(line)}
    hello_glyph_boxes = [g.bbox for g in word_named(job, "HELL0").glyphs.order_by("order")]
    alice_client.patch(f"/api/lines/{line.id}/", {"text": "HELLO WORLD"}, format="json")
    hello, world = line_words(line)
    assert {0: hello.bbox, 1: world.bbox} == before
    # HELL0 had five character boxes for five letters: they take the new letters.
    glyphs = list(hello.glyphs.order_by("order"))
    assert [g.text for g in glyphs] == list("HELLO") and [g.bbox for g in glyphs] == hello_glyph_boxes
    assert glyphs[4].original_text == "0" and glyphs[4].is_corrected
    # WOLD had four boxes for WORLD's five letters: boxes that no longer fit are dropped.
    assert not world.glyphs.exists()


def test_a_different_number_of_words_is_laid_out_across_the_old_words_span(page_and_job, alice_client):
    _page, job = page_and_job
    line = first_line(job)
    span = Box.enclosing([Box(*w.bbox) for w in line_words(line)])
    old_ids = {w.id for w in line_words(line)}
    alice_client.patch(f"/api/lines/{line.id}/", {"text": "HELL O WORLD"}, format="json")
    words = line_words(line)
    assert [w.text for w in words] == ["HELL", "O", "WORLD"]
    assert not old_ids & {w.id for w in words}
    assert not Glyph.objects.filter(word__line=line).exists()
    boxes = [Box(*w.bbox) for w in words]
    assert boxes[0].x == span.x and abs(boxes[-1].right - span.right) <= 1
    assert all(a.right <= b.x for a, b in zip(boxes, boxes[1:]))  # left to right, no overlap
    assert boxes[2].w > boxes[0].w > boxes[1].w  # wider for more letters


def test_a_line_edit_supersedes_samples_of_words_it_changed_and_keeps_the_others(page_and_job, alice_client):
    _page, job = page_and_job
    hello, world = word_named(job, "HELL0"), word_named(job, "WOLD")
    alice_client.patch(f"/api/words/{hello.id}/", {"text": "HELLO"}, format="json")
    alice_client.patch(f"/api/words/{world.id}/", {"text": "WORD"}, format="json")
    alice_client.patch(f"/api/lines/{first_line(job).id}/", {"text": "HELLO WORLD"}, format="json")
    current = LabeledSample.objects.filter(superseded=False)
    assert set(current.filter(kind="word").values_list("new_text", flat=True)) == {"HELLO"}
    assert current.filter(kind="char", word=hello).count() == 5
    assert not current.filter(word=world).exists()


def test_correcting_a_line_again_supersedes_its_earlier_line_sample(page_and_job, alice_client):
    _page, job = page_and_job
    line = first_line(job)
    alice_client.patch(f"/api/lines/{line.id}/", {"text": "HELLO WORD"}, format="json")
    alice_client.patch(f"/api/lines/{line.id}/", {"text": "HELLO WORLD"}, format="json")
    samples = LabeledSample.objects.filter(kind="line").order_by("id")
    assert [(s.new_text, s.superseded) for s in samples] == [("HELLO WORD", True), ("HELLO WORLD", False)]
    assert samples[1].old_text == "HELLO WORD"
    line.refresh_from_db()
    assert line.original_text == "HELL0 WOLD"


@pytest.mark.parametrize("payload", [{"text": "   "}, {"text": ""}, {}, {"text": "A" * 2001}])
def test_a_line_correction_needs_a_text_that_fits(page_and_job, alice_client, payload):
    _page, job = page_and_job
    response = alice_client.patch(f"/api/lines/{first_line(job).id}/", payload, format="json")
    assert response.status_code == 400
    assert not LabeledSample.objects.exists()
    assert first_line(job).text == "HELL0 WOLD"


def test_another_user_cannot_see_or_correct_a_line(page_and_job, bob_client):
    _page, job = page_and_job
    line = first_line(job)
    assert bob_client.get(f"/api/lines/{line.id}/").status_code == 404
    assert bob_client.patch(f"/api/lines/{line.id}/", {"text": "X"}, format="json").status_code == 404
    assert first_line(job).text == "HELL0 WOLD" and not LabeledSample.objects.exists()


def test_staff_can_correct_any_line(page_and_job, staff):
    _page, job = page_and_job
    response = token_client(staff).patch(f"/api/lines/{first_line(job).id}/", {"text": "HI"}, format="json")
    assert response.status_code == 200
    assert LabeledSample.objects.get().created_by == staff


def test_a_word_edit_with_a_space_is_refused_and_stores_nothing(page_and_job, alice_client):
    _page, job = page_and_job
    word = word_named(job, "HELL0")
    response = alice_client.patch(f"/api/words/{word.id}/", {"text": "My Father"}, format="json")
    assert response.status_code == 400
    assert "split the word" in response.json()["detail"]
    assert not LabeledSample.objects.exists()
    word.refresh_from_db()
    assert word.text == "HELL0" and not word.is_corrected


def test_a_reprocessed_page_keeps_its_corrected_line(alice, alice_client, page_and_job, generated):
    page, job = page_and_job
    alice_client.patch(f"/api/lines/{first_line(job).id}/", {"text": "HELLO WORLD !"}, format="json")
    second = record(services.reprocess_page(page), generated, readings={"HELLO": "HELL0", "WORLD": "WOLD"},
                    shift=3)
    assert second.text == "HELLO WORLD !\nFORM 42"
    line = second.lines.get(order=0)
    assert line.is_corrected and line.corrected_by == alice and line.original_text == "HELL0 WOLD"
    assert LabeledSample.objects.filter(job=second).count() == 0


def test_words_are_laid_out_in_proportion_to_their_letters():
    boxes = lay_out_words(Box(100, 10, 90, 30), ["AB", "C", "DEF"])  # 2 + 1 + 1 + 1 + 3 = 8 cells of 11.25
    assert [b.as_list() for b in boxes] == [[100, 10, 22, 30], [134, 10, 11, 30], [156, 10, 34, 30]]
