"""Uploads are judged by their bytes: wrong types are 415, damaged files 400, and files
over the limits 413, each with a JSON message."""

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from recognition.models import Page

pytestmark = pytest.mark.django_db


def post(client, name, data, content_type="image/png"):
    return client.post("/api/pages/", {"image": SimpleUploadedFile(name, data, content_type=content_type)},
                       format="multipart")


def image_bytes(fmt, mode="L", size=(120, 80)):
    out = io.BytesIO()
    Image.new(mode, size, 255).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_png_jpeg_and_tiff_are_accepted(alice_client, fmt):
    response = post(alice_client, f"scan.{fmt.lower()}", image_bytes(fmt))
    assert response.status_code == 201
    assert Page.objects.get().content_type == f"image/{fmt.lower()}"


def test_text_renamed_png_is_415(alice_client):
    response = post(alice_client, "notes.png", b"these are not pixels\n" * 20)
    assert response.status_code == 415
    assert "PNG, JPEG, TIFF or PDF" in response.json()["detail"]
    assert not Page.objects.exists()


def test_gif_is_415_even_when_named_png(alice_client):
    response = post(alice_client, "anim.png", image_bytes("GIF", "P"))
    assert response.status_code == 415
    assert "GIF" in response.json()["detail"]


def test_empty_file_is_400(alice_client):
    response = post(alice_client, "empty.png", b"")
    assert response.status_code == 400


def test_truncated_png_is_400(alice_client):
    data = image_bytes("PNG", size=(400, 400))
    noisy = Image.fromarray(np.random.default_rng(0).integers(0, 255, (400, 400), dtype=np.uint8))
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    data = out.getvalue()
    response = post(alice_client, "cut.png", data[: len(data) // 2])
    assert response.status_code == 400
    assert "damaged or truncated" in response.json()["detail"]


def test_file_over_the_size_limit_is_413(alice_client, settings):
    settings.HWR_MAX_UPLOAD_BYTES = 1000
    response = post(alice_client, "big.png", image_bytes("PNG", size=(2000, 2000)) + b"\0" * 2000)
    assert response.status_code == 413


def test_image_over_the_pixel_limit_is_413(alice_client, settings):
    settings.HWR_MAX_PIXELS = 100 * 100
    response = post(alice_client, "wide.png", image_bytes("PNG", size=(200, 200)))
    assert response.status_code == 413
    assert "pixels" in response.json()["detail"]


def test_the_uploaded_name_never_becomes_a_path(alice_client):
    response = post(alice_client, "../../etc/passwd.png", image_bytes("PNG"))
    assert response.status_code == 201
    page = Page.objects.get()
    assert page.image.name.startswith("pages/") and ".." not in page.image.name
    assert page.original_filename.endswith("passwd.png")
