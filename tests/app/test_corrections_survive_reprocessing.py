"""When a page is read again, its corrections are carried over to the new reading's
words and characters whose boxes overlap them, so the page keeps its corrected text."""

import pytest

from recognition import services
from recognition.models import LabeledSample
from tests.helpers.review_helpers import generated_page, read_page, record, word_named

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated(font_glyphs):
    return generated_page(font_glyphs)


def test_a_reprocessed_page_keeps_its_corrected_words(alice, alice_client, generated):
    page, job = read_page(alice, generated, readings={"HELLO": "HELL0", "WORLD": "W0RLD"})
    alice_client.patch(f"/api/words/{word_named(job, 'HELL0').id}/", {"text": "HELLO"}, format="json")
    alice_client.patch(f"/api/words/{word_named(job, 'W0RLD').id}/", {"not_text": True}, format="json")
    second = services.reprocess_page(page)
    second = record(second, generated, readings={"HELLO": "HELL0", "WORLD": "W0RLD"}, shift=3)
    assert second.text == "HELLO\nFORM 42"
    word = word_named(second, "HELLO")
    assert word.is_corrected and word.original_text == "HELL0" and word.corrected_by == alice
    assert "".join(word.glyphs.order_by("order").values_list("text", flat=True)) == "HELLO"
    assert alice_client.get(f"/api/jobs/{second.id}/").json()["result"]["text"] == "HELLO\nFORM 42"
    # Re-applying writes no new samples.
    assert LabeledSample.objects.filter(job=second).count() == 0


def test_a_corrected_character_is_carried_over(alice, alice_client, generated):
    page, job = read_page(alice, generated, readings={"FORM": "F0RM"})
    zero = word_named(job, "F0RM").glyphs.get(order=1)
    alice_client.patch(f"/api/chars/{zero.id}/", {"text": "O"}, format="json")
    second = record(services.reprocess_page(page), generated, readings={"FORM": "F0RM"}, shift=2)
    assert second.text.endswith("FORM 42")


def test_a_correction_without_a_counterpart_stays_a_sample_only(alice, alice_client, generated, font_glyphs):
    page, job = read_page(alice, generated, readings={"FORM": "F0RM"})
    alice_client.patch(f"/api/words/{word_named(job, 'F0RM').id}/", {"text": "FORM"}, format="json")
    # The new reading finds its words far from where the corrected one was.
    second = record(services.reprocess_page(page), generated, readings={"FORM": "F0RM"}, shift=400)
    assert "F0RM" in second.text
    assert LabeledSample.objects.filter(new_text="FORM", superseded=False).exists()


def test_a_word_and_then_one_of_its_characters_come_back_as_they_were_left(alice, alice_client, generated):
    page, job = read_page(alice, generated, readings={"WORLD": "W0RLD"})
    word = word_named(job, "W0RLD")
    alice_client.patch(f"/api/words/{word.id}/", {"text": "WORLD"}, format="json")
    last = word.glyphs.get(order=4)
    alice_client.patch(f"/api/chars/{last.id}/", {"text": "T"}, format="json")
    job.refresh_from_db()
    assert job.text.startswith("HELLO WORLT")
    second = record(services.reprocess_page(page), generated, readings={"WORLD": "W0RLD"}, shift=2)
    assert second.text == job.text
