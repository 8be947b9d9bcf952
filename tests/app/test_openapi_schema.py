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
