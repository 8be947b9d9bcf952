"""A client never believes it chose or filtered something it did not: unknown form fields
and query parameters are a 400 that names them, and several images in one
POST /api/pages/ are a 400 that points to the batch endpoint (nothing is stored)."""

import pytest

from recognition.models import Job, Page

pytestmark = pytest.mark.django_db


def test_unknown_upload_fields_are_named_in_a_400(alice_client, upload):
    response = alice_client.post("/api/pages/", {"image": upload(), "language": "fr", "modle": "x"},
                                 format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["unknown_fields"] == ["language", "modle"]
    assert "language, modle" in body["detail"] and "image" in body["detail"]
    assert Page.objects.count() == 0


def test_two_image_parts_are_refused_and_point_to_the_batch_endpoint(alice_client, upload):
    response = alice_client.post("/api/pages/", {"image": [upload("a.png"), upload("b.png")]}, format="multipart")
    assert response.status_code == 400
    assert "POST /api/documents/" in response.json()["image"][0]
    assert Page.objects.count() == 0 and Job.objects.count() == 0


@pytest.mark.parametrize("url, param", [
    ("/api/pages/", "colour"),
    ("/api/jobs/", "state"),
    ("/api/documents/", "q"),
])
def test_unknown_query_parameters_on_lists_are_named_in_a_400(alice_client, url, param):
    response = alice_client.get(url, {param: "x"})
    assert response.status_code == 400
    assert response.json()["unknown_parameters"] == [param]
    assert param in response.json()["detail"]


def test_known_query_parameters_still_work(alice_client, upload):
    alice_client.post("/api/pages/", {"image": upload()}, format="multipart")
    assert alice_client.get("/api/pages/", {"page": 1, "page_size": 5}).status_code == 200
    assert alice_client.get("/api/pages/", {"format": "json"}).status_code == 200


def test_query_parameters_on_a_single_object_are_refused(alice_client, upload):
    page_id = alice_client.post("/api/pages/", {"image": upload()}, format="multipart").json()["id"]
    response = alice_client.get(f"/api/pages/{page_id}/", {"page_size": 3})
    assert response.status_code == 400 and response.json()["unknown_parameters"] == ["page_size"]


def test_unknown_fields_on_reprocess_and_ground_truth_are_refused(alice_client, upload):
    page_id = alice_client.post("/api/pages/", {"image": upload()}, format="multipart").json()["id"]
    response = alice_client.post(f"/api/pages/{page_id}/reprocess/", {"priority": "high"}, format="json")
    assert response.status_code == 400 and response.json()["unknown_fields"] == ["priority"]
    assert Job.objects.count() == 1
    response = alice_client.post(f"/api/pages/{page_id}/ground-truth/", {"fil": "x"}, format="multipart")
    assert response.status_code == 400 and response.json()["unknown_fields"] == ["fil"]
