"""A reviewer relabels one character, merges two, splits one, or marks a character or
a word as not text; the word, line and page text follow, and each change is a sample."""

import pytest

from recognition.models import Glyph, LabeledSample
from tests.helpers.review_helpers import generated_page, read_page, word_named

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(alice, font_glyphs):
    return read_page(alice, generated_page(font_glyphs), readings={"HELLO": "HELL0", "WORLD": "WORLLD"})[1]


def chars_of(word):
    return list(Glyph.objects.filter(word=word).order_by("order"))


def test_relabelling_one_character_changes_the_word_and_the_page(job, alice_client):
    word = word_named(job, "HELL0")
    zero = chars_of(word)[-1]
    response = alice_client.patch(f"/api/chars/{zero.id}/", {"text": "O"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["text"] == "HELLO"
    job.refresh_from_db()
    assert job.text.startswith("HELLO WORLLD")
    sample = LabeledSample.objects.get()
    assert (sample.kind, sample.source, sample.old_text, sample.new_text) == ("char", "char_edit", "0", "O")
    assert sample.glyph_id == zero.id and sample.bbox == zero.bbox


def test_a_character_label_is_one_character(job, alice_client):
    glyph = chars_of(word_named(job, "HELL0"))[0]
    assert alice_client.patch(f"/api/chars/{glyph.id}/", {"text": "AB"}, format="json").status_code == 400


def test_merging_two_characters_makes_one_box_with_one_label(job, alice_client):
    word = word_named(job, "WORLLD")
    chars = chars_of(word)
    first, second = chars[3], chars[4]
    response = alice_client.post(f"/api/chars/{first.id}/merge/", {"other": second.id, "text": "L"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["text"] == "WORLD"
    merged = Glyph.objects.get(pk=first.id)
    assert not Glyph.objects.filter(pk=second.id).exists()
    assert merged.x == min(first.x, second.x) and merged.x + merged.w == max(first.x + first.w, second.x + second.w)
    sample = LabeledSample.objects.get()
    assert (sample.source, sample.old_text, sample.new_text) == ("merge", "LL", "L")
    assert sample.bbox == merged.bbox


def test_only_neighbouring_characters_of_one_word_merge(job, alice_client):
    chars = chars_of(word_named(job, "WORLLD"))
    response = alice_client.post(f"/api/chars/{chars[0].id}/merge/", {"other": chars[2].id, "text": "W"},
                                 format="json")
    assert response.status_code == 400
    other_word = chars_of(word_named(job, "HELL0"))[0]
    response = alice_client.post(f"/api/chars/{chars[0].id}/merge/", {"other": other_word.id, "text": "W"},
                                 format="json")
    assert response.status_code == 400


def test_splitting_a_character_makes_two_labelled_boxes(job, alice_client):
    word = word_named(job, "HELL0")
    first = chars_of(word)[0]
    response = alice_client.post(f"/api/chars/{first.id}/split/", {"texts": ["H", "X"]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["text"] == "HXELL0"
    left, right = chars_of(word)[:2]
    assert left.x == first.x and left.x + left.w == right.x and right.x + right.w == first.x + first.w
    assert [c.order for c in chars_of(word)] == sorted({c.order for c in chars_of(word)})
    samples = LabeledSample.objects.order_by("x")
    assert [(s.source, s.new_text) for s in samples] == [("split", "H"), ("split", "X")]


def test_a_split_must_cut_inside_the_box(job, alice_client):
    glyph = chars_of(word_named(job, "HELL0"))[0]
    response = alice_client.post(f"/api/chars/{glyph.id}/split/", {"texts": ["H", "X"], "at": glyph.x},
                                 format="json")
    assert response.status_code == 400


def test_a_character_marked_not_text_leaves_the_text_and_becomes_a_reject_sample(job, alice_client):
    word = word_named(job, "HELL0")
    zero = chars_of(word)[-1]
    response = alice_client.patch(f"/api/chars/{zero.id}/", {"not_text": True}, format="json")
    assert response.json()["text"] == "HELL"
    sample = LabeledSample.objects.get()
    assert (sample.source, sample.new_text) == ("not_text", "")
    result = alice_client.get(f"/api/jobs/{job.id}/").json()["result"]
    assert [c["id"] for c in result["lines"][0]["words"][0]["chars"]] == [c.id for c in chars_of(word)[:-1]]
    # ...and back again: the sample is superseded.
    response = alice_client.patch(f"/api/chars/{zero.id}/", {"not_text": False}, format="json")
    assert response.json()["text"] == "HELL0"
    assert not LabeledSample.objects.filter(superseded=False).exists()


def test_a_word_marked_not_text_leaves_the_page_text(job, alice_client):
    word = word_named(job, "WORLLD")
    assert alice_client.patch(f"/api/words/{word.id}/", {"not_text": True}, format="json").status_code == 200
    job.refresh_from_db()
    assert job.text == "HELL0\nFORM 42"
    result = alice_client.get(f"/api/jobs/{job.id}/").json()["result"]
    assert [w["text"] for w in result["lines"][0]["words"]] == ["HELL0"]
    assert LabeledSample.objects.get().kind == "word"


def test_another_user_cannot_change_characters(job, bob_client):
    glyph = chars_of(word_named(job, "HELL0"))[-1]
    assert bob_client.patch(f"/api/chars/{glyph.id}/", {"text": "O"}, format="json").status_code == 404
    assert bob_client.post(f"/api/chars/{glyph.id}/split/", {"texts": ["O", "O"]}, format="json").status_code == 404
    assert not LabeledSample.objects.exists()
