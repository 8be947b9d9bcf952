"""A reviewer fixes a page's structure through the API: splits a word box that holds two
words, merges two boxes of one word, draws a missed line, deletes a line, sets a line's
type and its place in reading order. Each edit is a line sample with provenance, the
page's text follows at once, and a new reading of the page repeats the edits."""

import pytest

from recognition import services
from recognition.models import LabeledSample, Line, Word
from tests.helpers.review_helpers import generated_page, merged_into_one_word, read_page, record, word_named

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated(font_glyphs):
    return generated_page(font_glyphs)


@pytest.fixture
def page_and_job(alice, generated):
    return read_page(alice, generated)


def texts(line: Line) -> list[str]:
    return list(line.words.order_by("order").values_list("text", flat=True))


def test_splitting_a_word_makes_two_words_and_a_line_sample(page_and_job, alice, alice_client):
    page, job = page_and_job
    word = merged_into_one_word(job)
    world_x = word_named(job, "HELLOWORLD").glyphs.order_by("order")[5].x
    response = alice_client.post(f"/api/words/{word.id}/split/", {"texts": ["HELLO", "WORLD"], "at": world_x - 2},
                                 format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [w["text"] for w in body["words"]] == ["HELLO", "WORLD"]
    assert body["page_text"] == "HELLO WORLD\nFORM 42"
    hello, world = Line.objects.get(pk=word.line_id).words.order_by("order")
    assert hello.x + hello.w == world.x == world_x - 2
    # Each part keeps the character boxes on its side, labelled with its letters.
    assert "".join(hello.glyphs.order_by("order").values_list("text", flat=True)) == "HELLO"
    assert "".join(world.glyphs.order_by("order").values_list("text", flat=True)) == "WORLD"
    sample = LabeledSample.objects.get()
    assert (sample.kind, sample.source, sample.old_text, sample.new_text) == ("line", "word_split", "HELLOWORLD",
                                                                            "HELLO WORLD")
    assert sample.line_id == word.line_id and sample.created_by == alice and sample.page == page
    assert not LabeledSample.objects.filter(kind="word").exists()


def test_a_split_without_a_column_cuts_between_character_boxes(page_and_job, alice_client):
    _page, job = page_and_job
    word = word_named(job, "WORLD")
    glyph_boxes = [g.bbox for g in word.glyphs.all()]
    body = alice_client.post(f"/api/words/{word.id}/split/", {"texts": ["WO", "RLD"]}, format="json").json()
    assert [w["text"] for w in body["words"]] == ["HELLO", "WO", "RLD"]
    left, right = body["words"][1]["bbox"], body["words"][2]["bbox"]
    at = right[0]
    assert left[0] == word.x and left[0] + left[2] == at and at + right[2] == word.x + word.w
    assert all(x + w <= at or x >= at for x, _y, w, _h in glyph_boxes)  # through no character


def test_characters_follow_the_part_they_fall_on_while_they_spell_it(page_and_job, alice_client):
    _page, job = page_and_job
    word = word_named(job, "WORLD")
    o, r = word.glyphs.get(order=1), word.glyphs.get(order=2)
    at = (o.x + o.w + r.x) // 2
    body = alice_client.post(f"/api/words/{word.id}/split/", {"texts": ["WO", "RLDS"], "at": at},
                             format="json").json()
    wo, rlds = body["words"][1], body["words"][2]
    assert [c["text"] for c in wo["chars"]] == ["W", "O"]
    assert rlds["chars"] == []  # three character boxes cannot spell four letters


@pytest.mark.parametrize("payload", [{"texts": ["ONE"]}, {"texts": ["A", "B C"]}, {"texts": ["A", "B"], "at": 0}])
def test_a_split_that_cannot_be_made_is_refused(page_and_job, alice_client, payload):
    _page, job = page_and_job
    word = word_named(job, "WORLD")
    assert alice_client.post(f"/api/words/{word.id}/split/", payload, format="json").status_code == 400
    assert texts(job.lines.get(order=0)) == ["HELLO", "WORLD"] and not LabeledSample.objects.exists()


def test_merging_two_words_joins_their_boxes_and_characters(page_and_job, alice_client):
    _page, job = page_and_job
    form, forty_two = word_named(job, "FORM"), word_named(job, "42")
    response = alice_client.post(f"/api/words/{form.id}/merge/", {"other": forty_two.id}, format="json")
    assert response.status_code == 200, response.content
    merged = Word.objects.get(pk=form.pk)
    assert merged.text == "FORM42" and merged.original_text == "FORM 42"
    assert merged.x == form.x and merged.x + merged.w == forty_two.x + forty_two.w
    assert "".join(merged.glyphs.order_by("order").values_list("text", flat=True)) == "FORM42"
    assert not Word.objects.filter(pk=forty_two.pk).exists()
    job.refresh_from_db()
    assert job.text == "HELLO WORLD\nFORM42"
    sample = LabeledSample.objects.get()
    assert (sample.source, sample.new_text) == ("word_merge", "FORM42")


def test_only_neighbouring_words_of_one_line_merge(page_and_job, alice_client):
    _page, job = page_and_job
    hello, form = word_named(job, "HELLO"), word_named(job, "FORM")
    response = alice_client.post(f"/api/words/{hello.id}/merge/", {"other": form.id}, format="json")
    assert response.status_code == 400 and "same line" in response.json()["detail"]


def test_drawing_a_line_adds_it_in_reading_order_with_its_text(page_and_job, alice, alice_client):
    page, job = page_and_job
    first, second = job.lines.order_by("order")
    y = first.y + first.h + 2
    bbox = [first.x, y, 200, max(8, second.y - y - 2)]
    response = alice_client.post("/api/lines/", {"job": job.id, "bbox": bbox, "text": "IN BETWEEN"},
                                 format="json")
    assert response.status_code == 201, response.content
    line = Line.objects.get(pk=response.json()["id"])
    assert line.order == 1 and line.bbox == bbox and texts(line) == ["IN", "BETWEEN"]
    assert line.polygon == [[bbox[0], bbox[1]], [bbox[0] + 200, bbox[1]], [bbox[0] + 200, bbox[1] + bbox[3]],
                            [bbox[0], bbox[1] + bbox[3]]]
    job.refresh_from_db()
    assert job.text == "HELLO WORLD\nIN BETWEEN\nFORM 42"
    samples = LabeledSample.objects.order_by("id")
    assert [(s.source, s.new_text) for s in samples] == [("line_added", ""), ("line_edit", "IN BETWEEN")]
    assert all(s.bbox == bbox and s.line == line and s.created_by == alice for s in samples)


def test_a_drawn_line_must_lie_on_the_page_and_belong_to_ones_own_job(page_and_job, alice_client, bob_client):
    _page, job = page_and_job
    off_page = alice_client.post("/api/lines/", {"job": job.id, "bbox": [-50, -50, 40, 40]}, format="json")
    assert off_page.status_code == 400
    assert bob_client.post("/api/lines/", {"job": job.id, "bbox": [10, 10, 50, 20]}, format="json").status_code == 404
    assert job.lines.count() == 2 and not LabeledSample.objects.exists()


def test_deleting_a_line_takes_it_and_its_samples_out(page_and_job, alice_client):
    _page, job = page_and_job
    first = job.lines.get(order=0)
    alice_client.patch(f"/api/words/{word_named(job, 'HELLO').id}/", {"text": "HELLO"}, format="json")
    assert alice_client.delete(f"/api/lines/{first.id}/").status_code == 204
    job.refresh_from_db()
    assert job.text == "FORM 42" and list(job.lines.values_list("order", flat=True)) == [0]
    assert not LabeledSample.objects.filter(superseded=False).exclude(source="line_deleted").exists()
    deleted = LabeledSample.objects.get(source="line_deleted")
    assert (deleted.kind, deleted.old_text, deleted.new_text, deleted.bbox) == ("line", "HELLO WORLD", "", first.bbox)


def test_a_lines_type_is_set_and_recorded(page_and_job, alice_client):
    _page, job = page_and_job
    line = job.lines.get(order=0)
    assert alice_client.patch(f"/api/lines/{line.id}/", {"kind": "typewritten"}, format="json").json()["kind"] == \
        "typewritten"
    alice_client.patch(f"/api/lines/{line.id}/", {"kind": "signature"}, format="json")
    line.refresh_from_db()
    assert line.kind == "signature"
    samples = LabeledSample.objects.filter(source="line_type").order_by("id")
    assert [(s.old_text, s.new_text, s.superseded) for s in samples] == [("", "typewritten", True),
                                                                         ("typewritten", "signature", False)]
    assert alice_client.patch(f"/api/lines/{line.id}/", {"kind": "poem"}, format="json").status_code == 400


def test_moving_a_line_in_reading_order_reorders_the_page_text(page_and_job, alice_client):
    _page, job = page_and_job
    second = job.lines.get(order=1)
    response = alice_client.patch(f"/api/lines/{second.id}/", {"order": 0}, format="json")
    assert response.status_code == 200 and response.json()["order"] == 0
    job.refresh_from_db()
    assert job.text == "FORM 42\nHELLO WORLD"
    sample = LabeledSample.objects.get()
    assert (sample.source, sample.old_text, sample.new_text) == ("reading_order", "1", "0")
    assert alice_client.patch(f"/api/lines/{second.id}/", {"order": 5}, format="json").status_code == 400


def test_a_line_patch_takes_one_change_at_a_time(page_and_job, alice_client):
    _page, job = page_and_job
    line = job.lines.get(order=0)
    response = alice_client.patch(f"/api/lines/{line.id}/", {"text": "A", "kind": "print"}, format="json")
    assert response.status_code == 400 and not LabeledSample.objects.exists()


def test_another_user_cannot_change_a_pages_structure(page_and_job, bob_client):
    _page, job = page_and_job
    line, word = job.lines.get(order=0), word_named(job, "WORLD")
    assert bob_client.delete(f"/api/lines/{line.id}/").status_code == 404
    assert bob_client.patch(f"/api/lines/{line.id}/", {"kind": "print"}, format="json").status_code == 404
    assert bob_client.post(f"/api/words/{word.id}/split/", {"texts": ["W", "ORLD"]}, format="json").status_code == 404
    assert job.lines.count() == 2 and not LabeledSample.objects.exists()


def test_a_new_reading_repeats_drawn_deleted_and_retyped_lines(page_and_job, alice_client, generated):
    page, job = page_and_job
    first, second = job.lines.order_by("order")
    bbox = [first.x, second.y + second.h + 20, 300, 30]
    alice_client.post("/api/lines/", {"job": job.id, "bbox": bbox, "text": "P.S. LATER"}, format="json")
    alice_client.delete(f"/api/lines/{first.id}/")
    alice_client.patch(f"/api/lines/{second.id}/", {"kind": "print"}, format="json")
    again = record(services.reprocess_page(page), generated, shift=3)
    assert again.text == "FORM 42\nP.S. LATER"
    assert list(again.lines.order_by("order").values_list("kind", flat=True)) == ["print", ""]
    assert again.lines.get(order=1).bbox == bbox
    assert LabeledSample.objects.filter(job=again).count() == 0


def test_only_typed_line_texts_are_line_reader_training_data(page_and_job, alice_client):
    from recognition.review.selectors import corrected_line_samples

    _page, job = page_and_job
    first, second = job.lines.order_by("order")
    alice_client.patch(f"/api/lines/{first.id}/", {"text": "HELLO WORLD"}, format="json")
    alice_client.patch(f"/api/lines/{first.id}/", {"kind": "typewritten"}, format="json")
    alice_client.patch(f"/api/lines/{second.id}/", {"order": 0}, format="json")
    alice_client.post(f"/api/words/{word_named(job, 'FORM').id}/split/", {"texts": ["FO", "RM"]}, format="json")
    assert [(s.line_id, s.new_text) for s in corrected_line_samples()] == [(first.id, "HELLO WORLD")]


@pytest.mark.parametrize("url, payload", [
    ("/api/lines/{line}/", {"text": "HELLO", "txet": "typo"}),
    ("/api/words/{word}/split/", {"texts": ["WO", "RLD"], "column": 40}),
])
def test_a_field_the_edit_does_not_read_is_refused_by_name(page_and_job, alice_client, url, payload):
    _page, job = page_and_job
    word = word_named(job, "WORLD")
    url = url.format(line=word.line_id, word=word.id)
    method = alice_client.patch if url.startswith("/api/lines/") else alice_client.post
    response = method(url, payload, format="json")
    assert response.status_code == 400
    assert set(response.json()["unknown_fields"]) <= {"txet", "column"} and response.json()["unknown_fields"]
    assert not LabeledSample.objects.exists()
