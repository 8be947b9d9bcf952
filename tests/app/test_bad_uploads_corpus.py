"""Every file of the bad and odd corpus (tests/helpers/bad_files.py) goes through the API: a
refused file gets its status and a JSON message that says what was wrong; an accepted
one becomes a job that a worker takes to `succeeded` or to `failed` with a readable
error, never left running and never a 500."""

from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from recognition.models import Job, Page
from recognition.tasks import recognize_page
from tests.helpers.bad_files import ACCEPTED, REFUSED

pytestmark = pytest.mark.django_db


def test_the_corpus_holds_at_least_thirty_files():
    assert len(REFUSED) + len(ACCEPTED) >= 30
    assert len({case.id for case in REFUSED + ACCEPTED}) == len(REFUSED) + len(ACCEPTED)


def post(client, case):
    upload = SimpleUploadedFile(case.filename, case.make(), content_type="image/png")
    return client.post("/api/pages/", {"image": upload}, format="multipart")


@pytest.mark.parametrize("case", REFUSED, ids=lambda case: case.id)
def test_a_bad_file_is_refused_with_a_clear_message(alice_client, settings, case):
    for name, value in case.settings.items():
        setattr(settings, name, value)
    response = post(alice_client, case)
    assert response.status_code == case.status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    message = body.get("detail") or " ".join(str(m) for messages in body.values() for m in messages)
    assert case.message.lower() in message.lower()
    assert not Page.objects.exists() and not Job.objects.exists()


@pytest.mark.parametrize("case", ACCEPTED, ids=lambda case: case.id)
def test_an_odd_file_is_accepted_and_its_job_ends(alice_client, case):
    response = post(alice_client, case)
    assert response.status_code == 201, response.content[:500]
    job_id = response.json()["job"]["id"]

    recognize_page.apply(args=[job_id])  # what a worker does with the message

    job = alice_client.get(f"/api/jobs/{job_id}/").json()
    assert job["status"] in ("succeeded", "failed")
    if case.job != "finished":
        assert job["status"] == case.job, job["error"]
    if job["status"] == "failed":
        assert job["error"] and "Traceback" not in job["error"]
    else:
        assert alice_client.get(job["overlay_url"]).status_code == 200
    if case.check:
        db_job = Job.objects.get(pk=job_id)
        case.check(db_job.page, db_job)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_damaged_copies_of_good_images_are_read_or_refused_cleanly(fmt, settings):
    """Bytes flipped at random in good files: the upload check either refuses them as
    UploadRejected or accepts them, and then the worker's decoder reads them too."""
    import numpy as np

    from recognition.pipeline import decode_image
    from recognition.uploads import UploadRejected, inspect_image
    from tests.helpers.bad_files import encode, writing

    good = encode(Image.fromarray(writing()), fmt)
    rng = np.random.default_rng(11)
    outcomes = Counter()
    for _ in range(60):
        data = bytearray(good)
        for position in rng.integers(0, len(data), size=int(rng.integers(1, 8))):
            data[position] = int(rng.integers(0, 256))
        try:
            inspect_image(SimpleUploadedFile("x", bytes(data)))
        except UploadRejected as exc:
            assert exc.status in (400, 413, 415)
            outcomes[exc.status] += 1
        else:
            assert decode_image(bytes(data)).ndim == 2
            outcomes[201] += 1
    assert sum(outcomes.values()) == 60, outcomes
