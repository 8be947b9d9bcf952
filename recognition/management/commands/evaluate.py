"""Print the classifier's held-out EMNIST figures and save curves and a confusion matrix.

    python manage.py evaluate --out var/reports/hwr-2
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from .recognize import resolve_model_dir


class Command(BaseCommand):
    help = "Evaluate a model on the held-out EMNIST split; write curves.png and confusion.png."

    def add_arguments(self, parser):
        parser.add_argument("--model", help="model directory (default: the active model)")
        parser.add_argument("--emnist", default=str(settings.HWR_DATA_DIR / "emnist" / "emnist-byclass.npz"))
        parser.add_argument("--out", default=None, help="report folder (default: var/reports/<model name>)")

    def handle(self, *args, **opts):
        from training import evaluate

        model_dir = resolve_model_dir(opts["model"])
        out = Path(opts["out"]) if opts["out"] else settings.VAR_DIR / "reports" / model_dir.name
        report = evaluate.evaluate(model_dir, Path(opts["emnist"]), out)
        evaluate.print_report(report)
        self.stdout.write(f"curves and confusion matrix written to {out}")
