"""The API needs a token or a session; anonymous requests are refused."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/pages/", "/api/jobs/", "/api/pages/1/", "/api/jobs/1/"])
def test_anonymous_requests_are_refused(url):
    assert APIClient().get(url).status_code in (401, 403)


def test_anonymous_upload_is_refused(upload):
    response = APIClient().post("/api/pages/", {"image": upload()}, format="multipart")
    assert response.status_code in (401, 403)


def test_token_authentication_works(alice_client):
    assert alice_client.get("/api/pages/").status_code == 200


def test_session_authentication_works(alice):
    client = APIClient()
    assert client.login(username="alice", password="alice-pass-123")
    assert client.get("/api/jobs/").status_code == 200


def test_a_token_can_be_obtained_with_username_and_password(alice):
    response = APIClient().post("/api/auth/token/", {"username": "alice", "password": "alice-pass-123"})
    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/pages/").status_code == 200


def test_a_wrong_token_is_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/pages/").status_code == 401
