"""Requests generated from the OpenAPI schema (schemathesis) never get a 5xx: every
operation, with valid and invalid parameters and bodies, as a logged-in user who owns
a page with a finished job. Bounded: HWR_FUZZ_EXAMPLES examples per operation."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from tests.helpers.review_helpers import generated_page, read_page

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("HWR_FUZZ_EXAMPLES", "12"))


# The schema endpoint needs no database: it is read once, when the tests are collected.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def alice_token(settings, alice, font_glyphs):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"uploads": "100000/min", "token": "100000/min"}}
    settings.HWR_MAX_ACTIVE_JOBS_PER_USER = 100000
    read_page(alice, generated_page(font_glyphs))  # ids 1.. exist, with lines, words and characters
    # The requests run in this thread, inside the test's transaction: keep Django from
    # closing that connection between requests (its test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield Token.objects.get_or_create(user=alice)[0].key
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                     phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case, alice_token):
    response = case.call(headers={"Authorization": f"Token {alice_token}"})
    case.validate_response(response, checks=[not_a_server_error])
