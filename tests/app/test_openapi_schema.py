"""The OpenAPI schema is generated from the code and describes the public endpoints."""

import pytest
import yaml

pytestmark = pytest.mark.django_db


def test_schema_lists_the_pages_and_jobs_endpoints(alice_client):
    response = alice_client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    for path in ["/api/pages/", "/api/pages/{id}/", "/api/pages/{id}/reprocess/", "/api/jobs/", "/api/jobs/{id}/"]:
        assert path in paths
    assert "multipart/form-data" in paths["/api/pages/"]["post"]["requestBody"]["content"]
    job = schema["components"]["schemas"]["Job"]["properties"]
    assert {"status", "progress", "result", "overlay_url", "model_version"} <= set(job)


def test_schema_describes_batches_models_webhooks_and_input_errors(alice_client):
    schema = yaml.safe_load(alice_client.get("/api/schema/").content)
    paths, components = schema["paths"], schema["components"]["schemas"]
    upload = components["PageUploadRequest"]["properties"]
    assert {"image", "model", "callback_url"} <= set(upload)
    batch = paths["/api/documents/"]["post"]
    form = batch["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert components[form]["properties"]["file"]["type"] == "array"
    assert {"201", "400"} <= set(batch["responses"])
    assert {"accepted", "rejected"} <= set(components["BatchCreated"]["properties"])
    assert "model" in components["PageReprocessRequest"]["properties"]
    assert "layouts" in components["DocumentReprocessRequest"]["properties"]
    for path in ("/api/pages/", "/api/jobs/", "/api/documents/"):
        assert "400" in paths[path]["get"]["responses"]
    assert "400" in paths["/api/pages/"]["post"]["responses"]
    assert {"unknown_fields", "unknown_parameters"} <= set(components["InputError"]["properties"])
    event = components["WebhookEvent"]["properties"]
    assert {"event", "delivery", "status", "job", "document", "result_url"} <= set(event)
    assert "/api/webhook-deliveries/" in paths and "/api/webhooks/secret/" in paths
