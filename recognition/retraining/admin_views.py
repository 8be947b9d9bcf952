"""What the admin shows and does for retraining: progress, figures, and the buttons
that queue a run, activate a version or roll back."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ..errors import Refusal
from ..models import ModelVersion
from . import services as retraining


def progress_summary(version: ModelVersion) -> str:
    progress = version.progress or {}
    if version.status == ModelVersion.Status.FAILED:
        return f"failed: {version.error[:120]}"
    if version.status == ModelVersion.Status.READY:
        return "ready" if not progress.get("history") else f"ready after {len(progress['history'])} epochs"
    stage = progress.get("stage", version.status)
    if progress.get("epochs"):
        figures = ", ".join(f"{key} {progress[key]:.4f}" for key in ("loss", "accuracy", "val_accuracy")
                            if isinstance(progress.get(key), float))
        return f"{stage}: epoch {progress.get('epoch', 0)}/{progress['epochs']}" + (f", {figures}" if figures else "")
    return stage


def figures_html(version: ModelVersion) -> str:
    if version.status != ModelVersion.Status.READY:
        return "-"
    urls = [reverse("model-figure", args=[version.id, name]) for name in ("curves", "confusion", "confusion-feedback")]
    return format_html_join(
        "", '<a href="{0}"><img src="{0}" alt="" style="max-width: 32%; margin-right: 1%"></a>', ((u,) for u in urls)
    )


def queue_from_admin(model_admin, request, *_args) -> None:
    def queue() -> str:
        version = retraining.queue_training(user=request.user)
        return format_html("Queued <b>{}</b>, fine-tuned from {} on the training queue.", version.name,
                           version.parent.name)

    _as_message(model_admin, request, queue)


def activate_from_admin(model_admin, request, version: ModelVersion) -> None:
    def activate() -> str:
        retraining.activate_by_hand(version, request.user)
        return f"{version.name} is now the active model."

    _as_message(model_admin, request, activate)


def rollback_from_admin(model_admin, request) -> None:
    def roll_back() -> str:
        return f"Rolled back: {retraining.rollback(request.user).name} is the active model again."

    _as_message(model_admin, request, roll_back)


def _as_message(model_admin, request, action: Callable[[], str]) -> None:
    """Run an admin action: what it says as a success message, a refusal as an error."""
    try:
        message = action()
    except Refusal as exc:
        model_admin.message_user(request, exc.message, messages.ERROR)
        return
    model_admin.message_user(request, message, messages.SUCCESS)


def post_only(request, model_admin, handler):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    handler(model_admin, request)
    return HttpResponseRedirect(reverse("admin:recognition_modelversion_changelist"))
