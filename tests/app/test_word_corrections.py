"""Correcting a word through the API changes the page's text at once and stores the
correction as labelled samples with provenance: character samples when the word's
segmentation matches the new text, a word-level sample otherwise."""

import pytest

from recognition.models import Glyph, LabeledSample
from tests.conftest import token_client
from tests.helpers.review_helpers import generated_page, read_page, word_named

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_and_job(alice, font_glyphs):
    return read_page(alice, generated_page(font_glyphs), readings={"HELLO": "HELL0", "WORLD": "WOLD"},
                     confidences={"HELLO": 0.3, "WORLD": 0.2})


def test_correcting_a_word_updates_word_line_and_page_text(page_and_job, alice_client):
    _page, job = page_and_job
    word = word_named(job, "HELL0")
    response = alice_client.patch(f"/api/words/{word.id}/", {"text": "HELLO"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["text"] == "HELLO" and body["corrected"] and body["original_text"] == "HELL0"
    assert [c["text"] for c in body["chars"]] == list("HELLO")
    assert body["page_text"] == "HELLO WOLD\nFORM 42"
    job.refresh_from_db()
    assert job.text == "HELLO WOLD\nFORM 42"
    assert job.lines.get(order=0).text == "HELLO WOLD"
    result = alice_client.get(f"/api/jobs/{job.id}/").json()["result"]
    assert result["text"] == "HELLO WOLD\nFORM 42"


def test_a_matching_word_correction_yields_character_samples_with_provenance(page_and_job, alice, alice_client):
    page, job = page_and_job
    word = word_named(job, "HELL0")
    alice_client.patch(f"/api/words/{word.id}/", {"text": "HELLO"}, format="json")
    word_sample = LabeledSample.objects.get(kind="word")
    assert (word_sample.old_text, word_sample.new_text, word_sample.source) == ("HELL0", "HELLO", "word_edit")
    assert word_sample.bbox == word.bbox
    assert word_sample.created_by == alice and word_sample.page == page and word_sample.job == job
    assert word_sample.model_version == job.model_version and word_sample.model_version_name == "test-model"
    chars = LabeledSample.objects.filter(kind="char").order_by("x")
    assert [(s.old_text, s.new_text) for s in chars] == [("H", "H"), ("E", "E"), ("L", "L"), ("L", "L"), ("0", "O")]
    glyph_boxes = [g.bbox for g in Glyph.objects.filter(word=word).order_by("order")]
    assert [s.bbox for s in chars] == glyph_boxes
    assert all(s.derived_from == word_sample and s.created_by == alice for s in chars)


def test_a_word_whose_segmentation_does_not_match_is_kept_at_word_level(page_and_job, alice_client):
    _page, job = page_and_job
    word = word_named(job, "WOLD")  # four character boxes, five letters
    response = alice_client.patch(f"/api/words/{word.id}/", {"text": "WORLD"}, format="json")
    assert response.json()["text"] == "WORLD"
    assert [c["text"] for c in response.json()["chars"]] == list("WOLD")
    assert LabeledSample.objects.filter(kind="word", new_text="WORLD").count() == 1
    assert not LabeledSample.objects.filter(kind="char").exists()


def test_correcting_again_supersedes_the_earlier_sample(page_and_job, alice_client):
    _page, job = page_and_job
    word = word_named(job, "HELL0")
    alice_client.patch(f"/api/words/{word.id}/", {"text": "HELLA"}, format="json")
    alice_client.patch(f"/api/words/{word.id}/", {"text": "HELLO"}, format="json")
    current = LabeledSample.objects.filter(superseded=False)
    assert sorted(current.filter(kind="word").values_list("new_text", flat=True)) == ["HELLO"]
    assert current.filter(kind="char").count() == 5
    assert LabeledSample.objects.filter(superseded=True).count() == 6
    word.refresh_from_db()
    assert word.original_text == "HELL0"


def test_saving_the_same_text_confirms_the_word(page_and_job, alice_client):
    _page, job = page_and_job
    word = word_named(job, "FORM")
    body = alice_client.patch(f"/api/words/{word.id}/", {"text": "FORM"}, format="json").json()
    assert body["corrected"] and body["confidence"] == 1.0
    assert LabeledSample.objects.get(kind="word").old_text == "FORM"


@pytest.mark.parametrize("payload", [{"text": "   "}, {}, {"text": "A", "not_text": True}])
def test_a_word_correction_needs_text_or_not_text(page_and_job, alice_client, payload):
    _page, job = page_and_job
    word = word_named(job, "FORM")
    assert alice_client.patch(f"/api/words/{word.id}/", payload, format="json").status_code == 400
    assert not LabeledSample.objects.exists()


def test_another_user_cannot_see_or_correct_a_word(page_and_job, bob_client):
    _page, job = page_and_job
    word = word_named(job, "FORM")
    assert bob_client.get(f"/api/words/{word.id}/").status_code == 404
    assert bob_client.patch(f"/api/words/{word.id}/", {"text": "X"}, format="json").status_code == 404
    word.refresh_from_db()
    assert word.text == "FORM" and not LabeledSample.objects.exists()


def test_staff_can_correct_any_word(page_and_job, staff):
    _page, job = page_and_job
    word = word_named(job, "FORM")
    response = token_client(staff).patch(f"/api/words/{word.id}/", {"text": "FORMS"}, format="json")
    assert response.status_code == 200
    assert LabeledSample.objects.get().created_by == staff
