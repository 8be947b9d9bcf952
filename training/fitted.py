"""What every trained network of a version writes beside its weights: its meta.json
(what it is, where it came from, what it learned from, how well it did, how long it
took) and its history.json; shared by the glyph classifier's and the field reader's
trainers."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from recognition.pipeline import bundle


def network_meta(head: dict, model, metrics: dict, data_counts: dict, started: float, *, parent: str | None = None,
                 recipe: dict | None = None, command: str | None = None) -> dict:
    """`head` (version, kind, what the network reads) followed by the parent it was
    fine-tuned from, when and on what it was trained, its figures, the fine-tuning
    recipe, its size, its training time and the command that made it."""
    meta = dict(head)
    if parent is not None:
        meta["parent"] = parent
    meta.update(created=datetime.now(UTC).isoformat(timespec="seconds"), data=data_counts, metrics=metrics)
    if recipe is not None:
        meta["finetune"] = recipe
    meta.update(parameters=int(model.count_params()), train_seconds=round(time.time() - started, 1))
    if command is not None:
        meta["command"] = command
    return meta


def save_network(folder: Path, model, history, meta: dict) -> None:
    """The trained network (without optimizer state), its meta.json and its history.json -> `folder`."""
    bundle.save_network(folder, bundle.inference_copy(model), meta)
    (Path(folder) / "history.json").write_text(json.dumps(history))
