"""A user sees only their own pages and jobs; another user's ids answer 404."""

import pytest

from recognition import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_page(alice, upload):
    return services.create_page(owner=alice, upload=upload())


def test_lists_hold_only_own_objects(alice_page, alice_client, bob_client):
    assert [p["id"] for p in alice_client.get("/api/pages/").json()["results"]] == [alice_page.id]
    assert bob_client.get("/api/pages/").json()["results"] == []
    assert bob_client.get("/api/jobs/").json()["results"] == []


@pytest.mark.parametrize("path", ["/api/pages/{page}/", "/api/pages/{page}/image/", "/api/jobs/{job}/",
                                  "/api/jobs/{job}/overlay/"])
def test_another_users_objects_are_not_found(alice_page, bob_client, path):
    job = alice_page.jobs.get()
    assert bob_client.get(path.format(page=alice_page.id, job=job.id)).status_code == 404


def test_another_user_cannot_reprocess_a_page(alice_page, bob_client):
    assert bob_client.post(f"/api/pages/{alice_page.id}/reprocess/").status_code == 404
    assert alice_page.jobs.count() == 1


def test_staff_see_every_page(alice_page, staff):
    from tests.conftest import token_client

    assert token_client(staff).get(f"/api/pages/{alice_page.id}/").status_code == 200
