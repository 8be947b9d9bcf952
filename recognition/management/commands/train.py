"""Train a character classifier from EMNIST and record it as a model version.

    python manage.py train --version hwr-cnn-2 --epochs 10
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from recognition import services


class Command(BaseCommand):
    help = "Train the character classifier (see training/train.py for every option)."

    def add_arguments(self, parser):
        parser.add_argument("--version", required=True, help="name of the new model version")
        parser.add_argument("--out", help="model directory (default: training/models/<version>)")
        parser.add_argument("--emnist", default=str(settings.HWR_DATA_DIR / "emnist" / "emnist-byclass.npz"))
        parser.add_argument("--epochs", type=int, default=10)
        parser.add_argument("--copies", type=int, default=1)
        parser.add_argument("--limit", type=int, default=0)
        parser.add_argument("--activate", action="store_true", help="make it the active model")

    def handle(self, *args, **opts):
        from training import train

        out = Path(opts["out"] or settings.BASE_DIR / "training" / "models" / opts["version"])
        train.main([
            "--emnist", opts["emnist"], "--out", str(out), "--version", opts["version"],
            "--epochs", str(opts["epochs"]), "--copies", str(opts["copies"]), "--limit", str(opts["limit"]),
        ])
        version = services.register_model_version(out, activate=opts["activate"])
        self.stdout.write(f"recorded model version {version.name}" + (" (active)" if version.is_active else ""))
