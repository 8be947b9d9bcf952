"""Every write of a retraining run: queue it (sent by name; the settings route it to the
training queue), claim it, record its result, and decide by the activation policy
whether the new version becomes active; activate or roll back by hand. Its progress is
recorded with every task's, in task_reports.py."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import reaper, services
from ..errors import Refusal
from ..jobs import send_task
from ..models import ModelVersion
from .policy import is_not_worse

BUSY = (ModelVersion.Status.QUEUED, ModelVersion.Status.TRAINING)
TRAIN_FROM_FEEDBACK = "recognition.train_from_feedback"


class TrainingRefused(Refusal):
    """A run that cannot start now, or a version that cannot be activated."""

    status = 409


def next_version_name(parent: ModelVersion) -> str:
    root = parent.name.split("-ft")[0]
    taken = set(ModelVersion.objects.filter(name__startswith=f"{root}-ft").values_list("name", flat=True))
    n = 1
    while f"{root}-ft{n}" in taken:
        n += 1
    return f"{root}-ft{n}"


def queue_training(*, user=None, options: dict | None = None, enqueue: bool = True) -> ModelVersion:
    """Create the new version, fine-tuned from the active one, and send its training task
    once the row is committed (unless the caller runs it itself). One run at a time."""
    parent = services.ensure_active_model()
    reaper.reap()  # a run still "training" past its hard time limit lost its worker
    with transaction.atomic():
        if ModelVersion.objects.select_for_update().filter(status__in=BUSY).exists():
            raise TrainingRefused("A training run is already queued or running.")
        name = next_version_name(parent)
        version = ModelVersion.objects.create(
            name=name, path=str(Path(settings.HWR_MODELS_DIR) / name), parent=parent,
            status=ModelVersion.Status.QUEUED, options=options or {},
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            progress={"stage": "queued"},
        )
        if enqueue:
            transaction.on_commit(lambda: send_task(TRAIN_FROM_FEEDBACK, version.id))
    return version


def start_training(version_id: int) -> ModelVersion | None:
    """Claim a queued run; None when it was already taken or finished."""
    claimed = ModelVersion.objects.filter(pk=version_id, status=ModelVersion.Status.QUEUED).update(
        status=ModelVersion.Status.TRAINING, started=timezone.now(), progress={"stage": "starting"}
    )
    if not claimed:
        return None
    return ModelVersion.objects.select_related("parent").get(pk=version_id)


@transaction.atomic
def finish_training(version_id: int, meta: dict, counts: dict | None = None) -> ModelVersion:
    """Record the trained version's figures and make it active if it is not worse than
    its parent on the fixed evaluation sets (policy.py)."""
    version = ModelVersion.objects.select_for_update().get(pk=version_id)
    version.status = ModelVersion.Status.READY
    version.metrics = meta.get("metrics", {})
    version.data = {**meta.get("data", {}), **(counts or {})}
    version.finished = timezone.now()
    version.progress = {**version.progress, "stage": "done"}
    ok, why = is_not_worse(version.metrics, settings.HWR_ACTIVATION_TOLERANCE)
    parent_active = version.parent is not None and version.parent.is_active
    if ok and parent_active:
        version.activation_note = f"Activated automatically: {why}."
    elif ok:
        version.activation_note = f"Not activated: its parent is no longer the active version ({why})."
    else:
        version.activation_note = f"Not activated: {why}."
    version.save()
    if ok and parent_active:
        services.activate_model_version(version)
    return version


def fail_training(version_id: int, message: str) -> None:
    ModelVersion.objects.filter(pk=version_id).exclude(status=ModelVersion.Status.READY).update(
        status=ModelVersion.Status.FAILED, error=message[:5000], finished=timezone.now()
    )


def activate_by_hand(version: ModelVersion, user=None) -> ModelVersion:
    if version.status != ModelVersion.Status.READY:
        raise TrainingRefused("Only a finished model version can be activated.")
    services.activate_model_version(version)
    who = getattr(user, "username", "") or "staff"
    ModelVersion.objects.filter(pk=version.pk).update(
        activation_note=f"Activated by hand by {who} on {timezone.now():%Y-%m-%d %H:%M} UTC."
    )
    version.refresh_from_db()
    return version


def rollback(user=None) -> ModelVersion:
    """Make the version that was active before the current one active again (its parent
    when no earlier activation is known)."""
    current = ModelVersion.objects.filter(is_active=True).first()
    if current is None:
        raise TrainingRefused("No model version is active.")
    earlier = (
        ModelVersion.objects.filter(status=ModelVersion.Status.READY, activated_at__isnull=False)
        .exclude(pk=current.pk)
        .order_by("-activated_at")
        .first()
    )
    target = earlier or current.parent
    if target is None:
        raise TrainingRefused("There is no earlier version to roll back to.")
    return activate_by_hand(target, user)
