"""The upload rate and the per-user job cap hold across web processes: two gunicorn
servers (two workers each) on the same database and Redis, requests alternating between
them, let through exactly the configured number, not that number per process."""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from django.conf import settings
from rest_framework.authtoken.models import Token

from tests.helpers.real_services import Api, running_web

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs_redis]


@pytest.fixture
def queue():
    """A queue of its own for the tasks the servers send (no worker reads it); emptied after."""
    name = f"test-limits-{uuid.uuid4().hex[:8]}"
    yield name
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(name)


def two_servers(tmp_path, env: dict):
    from contextlib import ExitStack

    stack = ExitStack()
    bases = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        bases.append(stack.enter_context(running_web(tmp_path / name, env)))
    return stack, bases


def clear_of_a_window_edge(period: float = 60.0, margin: float = 15.0) -> None:
    """Counts are kept per fixed minute: start well inside one so the test's requests share it."""
    into = time.time() % period
    if into > period - margin:
        time.sleep(period - into + 0.5)


def test_the_upload_rate_holds_across_two_servers(alice, small_page_png, tmp_path, queue):
    token = Token.objects.create(user=alice).key
    env = {"HWR_UPLOAD_RATE": "3/min", "HWR_RECOGNITION_QUEUE": queue}
    stack, bases = two_servers(tmp_path, env)
    with stack:
        clients = [Api(base, token) for base in bases]
        clear_of_a_window_edge()
        codes = [clients[i % 2].upload(small_page_png).status_code for i in range(8)]
    assert codes == [201, 201, 201] + [429] * 5, codes


def test_the_job_cap_holds_across_two_servers(alice, bob, small_page_png, tmp_path, queue):
    tokens = [Token.objects.create(user=user).key for user in (alice, bob)]
    env = {"HWR_MAX_ACTIVE_JOBS_PER_USER": "4", "HWR_RECOGNITION_QUEUE": queue}
    stack, bases = two_servers(tmp_path, env)
    with stack:
        alice_on = [Api(base, tokens[0]) for base in bases]
        codes = [alice_on[i % 2].upload(small_page_png).status_code for i in range(6)]
        refused = alice_on[1].upload(small_page_png)
        bob_code = Api(bases[0], tokens[1]).upload(small_page_png).status_code
    assert codes == [201] * 4 + [429] * 2, codes
    assert "the limit is 4" in refused.json()["detail"]
    assert bob_code == 201  # per user
