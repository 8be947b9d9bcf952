"""GET /api/samples/ lists the labelled samples of the user's own pages, newest first
and paginated; staff see everyone's."""

import pytest

from tests.conftest import token_client
from tests.helpers.review_helpers import generated_page, read_page, word_named

pytestmark = pytest.mark.django_db


@pytest.fixture
def corrected(alice, bob, font_glyphs, alice_client, bob_client):
    generated = generated_page(font_glyphs)
    _page, alice_job = read_page(alice, generated, readings={"FORM": "F0RM"})
    _page, bob_job = read_page(bob, generated)
    alice_client.patch(f"/api/words/{word_named(alice_job, 'F0RM').id}/", {"text": "FORM"}, format="json")
    bob_client.patch(f"/api/words/{word_named(bob_job, '42').id}/", {"text": "43"}, format="json")
    return alice_job, bob_job


def test_a_user_lists_only_the_samples_of_their_pages(corrected, alice_client):
    alice_job, _ = corrected
    body = alice_client.get("/api/samples/").json()
    assert body["count"] == 5  # the word and its four characters
    assert {s["job"] for s in body["results"]} == {alice_job.id}
    word = next(s for s in body["results"] if s["kind"] == "word")
    assert word["old_text"] == "F0RM" and word["new_text"] == "FORM" and word["created_by"] == "alice"
    assert word["model_version"] == "test-model" and len(word["bbox"]) == 4


def test_samples_are_paginated(corrected, alice_client):
    first = alice_client.get("/api/samples/?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    assert alice_client.get(first["next"]).status_code == 200


def test_another_users_sample_is_not_found(corrected, alice_client, bob_client):
    sample_id = alice_client.get("/api/samples/").json()["results"][0]["id"]
    assert bob_client.get(f"/api/samples/{sample_id}/").status_code == 404


def test_staff_see_every_sample(corrected, staff):
    assert token_client(staff).get("/api/samples/").json()["count"] == 8  # 5 + word "43" and its 2 characters


def test_samples_need_authentication(client):
    assert client.get("/api/samples/").status_code in (401, 403)
