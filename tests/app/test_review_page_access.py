"""The review page is reachable from the admin and at its own URL, for the page's owner
and staff only (others get 404, anonymous users the login page); it shows the scan
through the permission-checked image endpoint, never a public media URL."""

import json
import re

import pytest

from tests.helpers.review_helpers import generated_page, read_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(alice, font_glyphs):
    return read_page(alice, generated_page(font_glyphs), readings={"WORLD": "W0RLD"},
                     confidences={"WORLD": 0.1, "FORM": 0.4})[0]


def test_the_owner_sees_the_scan_the_text_and_the_doubtful_words_first(page, client, alice):
    client.force_login(alice)
    response = client.get(f"/review/pages/{page.id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'src="/api/pages/{page.id}/image/"' in html
    assert "/media" not in html and "media-not-served" not in html
    data = json.loads(re.search(r'<script id="review-data" type="application/json">(.*?)</script>', html, re.S)[1])
    words = {w["id"]: w for w in data["words"]}
    assert [words[i]["text"] for i in data["review_order"]] == ["W0RLD", "FORM", "HELLO", "42"]
    assert data["text"] == "HELLO W0RLD\nFORM 42"
    assert all(len(c["bbox"]) == 4 for w in data["words"] for c in w["chars"])


def test_the_image_endpoint_it_uses_serves_the_owner(page, client, alice):
    client.force_login(alice)
    response = client.get(f"/api/pages/{page.id}/image/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_another_user_gets_404(page, client, bob):
    client.force_login(bob)
    assert client.get(f"/review/pages/{page.id}/").status_code == 404
    assert client.get(f"/review/pages/{page.id}/data/").status_code == 404
    assert client.get(f"/api/pages/{page.id}/image/").status_code == 404


def test_staff_can_review_any_page(page, client, staff):
    client.force_login(staff)
    assert client.get(f"/review/pages/{page.id}/").status_code == 200


def test_anonymous_users_are_sent_to_log_in(page, client):
    response = client.get(f"/review/pages/{page.id}/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert client.get(response.url).status_code == 200


def test_the_admin_links_each_page_to_its_review(page, client, staff):
    client.force_login(staff)
    assert f'href="/review/pages/{page.id}/"' in client.get("/admin/recognition/page/").content.decode()
    detail = client.get(f"/admin/recognition/page/{page.id}/change/").content.decode()
    assert f'href="/review/pages/{page.id}/"' in detail


def test_a_page_still_being_read_says_so(alice, client, upload):
    from recognition import services

    page = services.create_page(owner=alice, upload=upload())
    client.force_login(alice)
    html = client.get(f"/review/pages/{page.id}/").content.decode()
    assert "no finished reading yet" in html and "queued" in html
