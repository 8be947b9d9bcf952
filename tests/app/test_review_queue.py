"""The review queue lists a user's pages whose latest reading has doubtful words (not
confirmed, under the confidence threshold), the largest share of them first; "next"
opens the first of them other than the page just reviewed."""

import pytest

from recognition.review.selectors import review_queue
from tests.helpers.review_helpers import generated_page, read_page, word_named

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(alice, bob, font_glyphs, settings):
    settings.HWR_REVIEW_CONFIDENCE = 0.6
    generated = generated_page(font_glyphs)
    one_doubtful = read_page(alice, generated, confidences={"HELLO": 0.2})  # 1 of 4 words
    three_doubtful = read_page(alice, generated, confidences={"HELLO": 0.2, "WORLD": 0.3, "42": 0.5})
    confident = read_page(alice, generated)
    bobs = read_page(bob, generated, confidences={"HELLO": 0.1, "WORLD": 0.1, "FORM": 0.1, "42": 0.1})
    return one_doubtful, three_doubtful, confident, bobs


def test_pages_are_ordered_by_their_share_of_doubtful_words(pages, alice):
    one_doubtful, three_doubtful, _confident, _bobs = pages
    queue = list(review_queue(alice))
    assert [p.id for p in queue] == [three_doubtful[0].id, one_doubtful[0].id]
    assert (queue[0].doubtful, queue[0].words) == (3, 4)


def test_confirmed_words_leave_the_queue(pages, alice, alice_client):
    one_doubtful, *_ = pages
    word = word_named(one_doubtful[1], "HELLO")
    alice_client.patch(f"/api/words/{word.id}/", {"text": "HELLO"}, format="json")
    assert one_doubtful[0].id not in [p.id for p in review_queue(alice)]


def test_next_opens_the_page_that_most_needs_review(pages, client, alice):
    _one, three_doubtful, *_ = pages
    client.force_login(alice)
    response = client.get("/review/next/")
    assert response.status_code == 302 and response.url == f"/review/pages/{three_doubtful[0].id}/"
    after = client.get(f"/review/next/?after={three_doubtful[0].id}")
    assert after.url == f"/review/pages/{pages[0][0].id}/"


def test_the_queue_page_lists_only_own_pages_and_staff_see_all(pages, client, alice, staff):
    client.force_login(alice)
    html = client.get("/review/").content.decode()
    assert f"/review/pages/{pages[1][0].id}/" in html and f"/review/pages/{pages[3][0].id}/" not in html
    client.force_login(staff)
    html = client.get("/review/").content.decode()
    assert f"/review/pages/{pages[3][0].id}/" in html
    assert [p.id for p in review_queue(staff)][0] == pages[3][0].id  # 4 of 4 words doubtful


def test_with_nothing_to_review_next_goes_to_the_queue(client, bob):
    client.force_login(bob)
    response = client.get("/review/next/")
    assert response.status_code == 302 and response.url == "/review/"
