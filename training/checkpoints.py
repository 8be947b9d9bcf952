"""Training state in a work folder (weights, optimizer slots, progress), so a killed
training run resumes where it stopped: shared by the line finder's and the line
reader's trainers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


class Checkpoints:
    """Weights, optimizer slots and progress in a work folder, so a killed run resumes."""

    def __init__(self, work: Path, initial: dict):
        self.work = work
        self.initial = initial
        work.mkdir(parents=True, exist_ok=True)

    @property
    def state_path(self) -> Path:
        return self.work / "state.json"

    def state(self) -> dict:
        if self.state_path.exists():
            return json.loads(self.state_path.read_text())
        return dict(self.initial)

    def save(self, model, optimizer, state: dict) -> None:
        model.save_weights(self.work / "last.weights.h5")
        np.savez(self.work / "optimizer.npz", *[v.numpy() for v in optimizer.variables])
        self.write_state(state)

    def write_state(self, state: dict) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self.state_path)

    def restore(self, model, optimizer) -> bool:
        if not (self.work / "last.weights.h5").exists():
            return False
        model.load_weights(self.work / "last.weights.h5")
        optimizer.build(model.trainable_variables)
        slots = np.load(self.work / "optimizer.npz")
        for v, k in zip(optimizer.variables, sorted(slots.files, key=lambda s: int(s.split("_")[1])), strict=True):
            v.assign(slots[k])
        return True
