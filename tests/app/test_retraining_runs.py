"""Retraining from corrections: staff start a run (API, admin, command) that goes to the
training queue; the run fine-tunes the active model on the labelled samples, reports its
progress, records its parent, data and metrics, and becomes active only if it is not
worse; staff can activate a version by hand and roll back in one click."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from hwr_site.celery import app
from recognition import services, task_reports
from recognition.models import ModelVersion
from recognition.retraining import services as retraining
from recognition.retraining.policy import is_not_worse
from recognition.tasks import recognize_page, train_from_feedback
from tests.conftest import token_client
from tests.helpers.review_helpers import generated_page, read_page, word_named

pytestmark = pytest.mark.django_db

TINY = {"epochs": 1, "base_samples": 200, "segmenter_words": 0, "feedback_copies": 1, "validation_samples": 100,
        "batch_size": 64, "reader_epochs": 1, "reader_base_fields": 64, "reader_feedback_copies": 1,
        "reader_validation_fields": 32, "reader_writer_fields": 16}


@pytest.fixture
def staff_client(staff):
    return token_client(staff)


@pytest.fixture
def sent(monkeypatch):
    """Tasks sent to the broker, as (task name, args)."""
    calls = []
    for task in (train_from_feedback, recognize_page):
        monkeypatch.setattr(task, "apply_async",
                            lambda args=None, *_a, _name=task.name, **_k: calls.append((_name, list(args))))
    return calls


def queue_of(task_name: str) -> str:
    """The queue the settings' routes send a task to, by its name."""
    return app.amqp.router.route({}, task_name)["queue"].name


def test_staff_start_a_run_that_goes_to_the_training_queue(staff_client, sent, settings,
                                                           django_capture_on_commit_callbacks):
    settings.HWR_TRAINING_QUEUE = "training-test"
    assert queue_of("recognition.train_from_feedback") == "training-test"
    assert queue_of("recognition.recognize_page") == settings.HWR_RECOGNITION_QUEUE != "training-test"
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/api/models/train/", {"epochs": 2}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["parent"] == services.ensure_active_model().name
    assert body["name"] == f"{body['parent'].split('-ft')[0]}-ft1" and body["options"] == {"epochs": 2}
    assert sent == [("recognition.train_from_feedback", [body["id"]])]
    assert staff_client.get(f"/api/models/{body['id']}/").json()["progress"] == {"stage": "queued"}


def test_only_one_run_at_a_time(staff_client, sent):
    assert staff_client.post("/api/models/train/", {}, format="json").status_code == 202
    assert staff_client.post("/api/models/train/", {}, format="json").status_code == 409


def test_other_users_may_list_versions_but_not_train_or_activate(alice_client):
    version = services.ensure_active_model()
    names = [v["name"] for v in alice_client.get("/api/models/").json()["results"]]
    assert names == [version.name]
    assert alice_client.post("/api/models/train/", {}, format="json").status_code == 403
    assert alice_client.post(f"/api/models/{version.id}/activate/").status_code == 403
    assert alice_client.post("/api/models/rollback/").status_code == 403


def test_the_command_queues_a_run(sent, capsys):
    call_command("train", "--from-feedback", "--epochs", "3")
    version = ModelVersion.objects.get(status="queued")
    assert version.options == {"epochs": 3}
    assert "queued" in capsys.readouterr().out


def ready_version(name, parent=None):
    return ModelVersion.objects.create(name=name, path=f"/models/{name}", parent=parent, status="ready")


def test_staff_activate_by_hand_and_roll_back_in_one_click(staff_client):
    first = services.ensure_active_model()
    second = ready_version("second", parent=first)
    response = staff_client.post(f"/api/models/{second.id}/activate/")
    assert response.status_code == 200 and response.json()["is_active"]
    assert "by hand" in response.json()["activation_note"]
    response = staff_client.post("/api/models/rollback/")
    assert response.json()["name"] == first.name
    assert ModelVersion.objects.get(is_active=True) == first


def test_a_version_still_training_cannot_be_activated(staff_client):
    training = ModelVersion.objects.create(name="busy", path="/models/busy", status="training")
    assert staff_client.post(f"/api/models/{training.id}/activate/").status_code == 409


def test_the_admin_shows_progress_and_its_buttons_queue_and_roll_back(client, staff, sent):
    client.force_login(staff)
    first = services.ensure_active_model()
    response = client.post("/admin/recognition/modelversion/retrain/", follow=True)
    assert "Queued" in response.content.decode()
    run = ModelVersion.objects.get(status="queued")
    retraining.start_training(run.id)
    task_reports.record_training_progress(run.id, {"stage": "training", "epoch": 2, "epochs": 6, "loss": 0.5,
                                                   "accuracy": 0.875})
    listing = client.get("/admin/recognition/modelversion/").content.decode()
    assert "training: epoch 2/6, loss 0.5000, accuracy 0.8750" in listing
    second = ready_version("second", parent=first)
    retraining.activate_by_hand(second)
    client.post("/admin/recognition/modelversion/rollback/")
    assert ModelVersion.objects.get(is_active=True) == first


@pytest.mark.needs_data
def test_a_run_learns_from_corrections_and_is_recorded(alice, alice_client, staff, staff_client, client, font_glyphs,
                                                       settings, tmp_path, sent):
    settings.HWR_MODELS_DIR = tmp_path / "models"
    generated = generated_page(font_glyphs)
    page, job = read_page(alice, generated, readings={"HELLO": "HELL0", "WORLD": "W0RLD", "FORM": "F0RM"})
    for text, right in (("HELL0", "HELLO"), ("W0RLD", "WORLD"), ("F0RM", "FORM"), ("42", "42")):
        alice_client.patch(f"/api/words/{word_named(job, text).id}/", {"text": right}, format="json")
    parent = services.ensure_active_model()
    run = retraining.queue_training(options=TINY, enqueue=False)

    train_from_feedback(run.id)  # the task's body, in this process

    body = staff_client.get(f"/api/models/{run.id}/").json()
    assert body["status"] == "ready", body["error"]
    assert body["parent"] == parent.name
    assert [e["epoch"] for e in body["progress"]["history"]] == [1]
    assert {"loss", "accuracy", "val_accuracy"} <= set(body["progress"]["history"][0])
    assert body["data"]["char_samples"] == 16 and body["data"]["feedback_pages"] == 1
    assert body["data"]["feedback_samples"] + body["data"]["holdout_samples"] == 16
    assert {"emnist", "parent_emnist", "feedback_holdout", "parent_feedback_holdout"} <= set(body["metrics"])
    assert json.loads((Path(body_path := ModelVersion.objects.get(pk=run.id).path) / "meta.json").read_text())[
        "version"] == run.name
    assert Path(body_path).parent == tmp_path / "models"
    if (Path(parent.path) / "reader").exists():
        # The version's sequence reader learnt from the corrected words too.
        reader_meta = json.loads((Path(body_path) / "reader" / "meta.json").read_text())
        assert reader_meta["parent"] and reader_meta["data"]["feedback_words"] + reader_meta["data"][
            "holdout_words"] == body["data"]["word_strips"] + body["data"]["word_strips_holdout"] > 0
        assert "feedback_holdout" in body["metrics"]["reader"]
    for figure in ("curves_url", "confusion_url"):
        image = staff_client.get(body[figure])
        assert image.status_code == 200 and image["Content-Type"] == "image/png"
    client.force_login(staff)
    admin_page = client.get(f"/admin/recognition/modelversion/{run.id}/change/").content.decode()
    assert body["curves_url"] in admin_page and "ready after 1 epochs" in admin_page
    run.refresh_from_db()
    expected, _why = is_not_worse(run.metrics, settings.HWR_ACTIVATION_TOLERANCE)
    assert run.is_active is expected and run.activation_note
    # Staff activate it by hand; a page reprocessed now is read by it, and keeps its corrections.
    staff_client.post(f"/api/models/{run.id}/activate/")
    again = services.reprocess_page(page)
    recognize_page(again.id)
    again.refresh_from_db()
    assert again.model_version == run and again.model_version_name == run.name
    assert again.status == "succeeded"
