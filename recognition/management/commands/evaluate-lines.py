"""Line segmentation against ALTO ground truth: precision, recall and F1 per page and
overall, for all lines and for handwritten lines (see training/evaluate_lines.py).

    python manage.py evaluate-lines --pages ../shared/data/pages-dev --json var/reports/lines.json
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from training import evaluate_lines


class Command(BaseCommand):
    help = "Evaluate line segmentation on pages with ALTO ground truth (see training/evaluate_lines.py)."

    def add_arguments(self, parser):
        # Defaults stay in training/evaluate_lines.py: only options given are passed on.
        parser.add_argument("--pages", help="ALTO folder, or the pages/ collection (default: pages-dev)")
        parser.add_argument("--split", help="with pages/: train or val")
        parser.add_argument("--model", help="model version whose line finder to measure (default: the shipped one)")
        parser.add_argument("--rules", action="store_true", help="measure the rule-based finder of lines.py")
        parser.add_argument("--iou", type=float, help="IoU at which a found line matches a true line (0.5)")
        parser.add_argument("--box", choices=("polygon", "ink"),
                            help="compare the box of each found line's polygon (default) or of its ink")
        parser.add_argument("--draw", help="folder for overlays of truth and found lines")
        parser.add_argument("--json", help="also write the figures to this file")
        parser.add_argument("--threads", type=int, help="OpenCV threads (1: time it on one core)")

    def handle(self, *args, **opts):
        argv = []
        for key in ("pages", "split", "model", "iou", "box", "draw", "json", "threads"):
            if opts.get(key) is not None:
                argv += [f"--{key}", str(opts[key])]
        if opts.get("rules"):
            argv.append("--rules")
        try:
            evaluate_lines.main(argv)
        except SystemExit as exc:  # no ALTO files with images in the folder
            raise CommandError(str(exc)) from exc
