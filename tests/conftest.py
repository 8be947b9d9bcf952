"""Shared fixtures: users and API clients, generated images, the real data when present."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from training.paths import DATA_DIR

EMNIST = DATA_DIR / "emnist" / "emnist-byclass.npz"


def pytest_collection_modifyitems(config, items):
    """Tests that read the real handwriting skip, with the reason, where ../shared/data
    is not beside the checkout (a clone made elsewhere); CI always has it."""
    if DATA_DIR.exists():
        return
    skip = pytest.mark.skip(reason=f"needs the data in {DATA_DIR}")
    for item in items:
        if "needs_data" in item.keywords:
            item.add_marker(skip)


def png_bytes(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image)
    assert ok
    return buf.tobytes()


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Request counts (throttles) live in the cache: every test starts with none."""
    from contextlib import suppress

    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisUnavailable

    from recognition.api.throttles import forget_counts

    cache.clear()
    with suppress(RedisUnavailable):  # tests that need no Redis run without it
        forget_counts()


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="alice-pass-123")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", password="bob-pass-123")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", "staff-pass-123")


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def alice_client(alice):
    return token_client(alice)


@pytest.fixture
def bob_client(bob):
    return token_client(bob)


@pytest.fixture(scope="session")
def emnist():
    if not EMNIST.exists():
        pytest.skip(f"needs {EMNIST}")
    from training.data import load_emnist, split_indices

    data = load_emnist(EMNIST)
    return data, split_indices(data.labels)


@pytest.fixture(scope="session")
def emnist_glyphs(emnist):
    """Real handwritten glyphs from the held-out test split only."""
    from training.synthetic_pages import EmnistGlyphs

    data, split = emnist
    return EmnistGlyphs(data.images, data.labels, data.mapping, split.test)


@pytest.fixture(scope="session")
def font_glyphs():
    from training.synthetic_pages import FontGlyphs

    return FontGlyphs()


@pytest.fixture
def small_page_png(font_glyphs) -> bytes:
    """A small two-line page drawn from a font, quick to recognise."""
    from training.synthetic_pages import compose_page

    page = compose_page(["HELLO WORLD", "FORM 42"], font_glyphs, np.random.default_rng(3), char_height=40)
    return png_bytes(page.image)


@pytest.fixture
def upload(small_page_png):
    def make(name="page.png", data=None, content_type="image/png"):
        return SimpleUploadedFile(name, small_page_png if data is None else data, content_type=content_type)

    return make


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return Path(settings.HWR_MODEL_DIR)


def jpeg_bytes(image: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(image).save(out, format="JPEG", quality=90)
    return out.getvalue()
