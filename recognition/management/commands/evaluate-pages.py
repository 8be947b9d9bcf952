"""End-to-end page reading against ground truth: CER and WER per line kind (see
training/evaluate_pages.py).

    python manage.py evaluate-pages --pages ../shared/data/pages-dev
    python manage.py evaluate-pages --pages ../shared/data/pages --split val --true-lines
    python manage.py evaluate-pages --engine tesseract [--true-lines]
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from training import evaluate_pages


class Command(BaseCommand):
    help = "Evaluate page reading (CER/WER per line kind) on pages with ALTO or pages/ JSON ground truth."

    def add_arguments(self, parser):
        # Defaults stay in training/evaluate_pages.py: only options given are passed on.
        parser.add_argument("--pages", help="ALTO folder, or the pages/ folder (default: pages-dev)")
        parser.add_argument("--split", help="with pages/: train or val")
        parser.add_argument("--model", help="model version folder (default: the shipped model)")
        parser.add_argument("--true-lines", action="store_true", help="read the annotated lines, not the found ones")
        parser.add_argument("--limit", type=int, help="first N pages only")
        parser.add_argument("--json", help="also write the figures to this file")
        parser.add_argument("--only", nargs="+", metavar="NAME", help="these pages only (image names, no suffix)")
        parser.add_argument("--engine", choices=("service", "tesseract"),
                            help="who reads the pages: the service (default) or Tesseract, when installed")

    def handle(self, *args, **opts):
        argv = []
        for key in ("pages", "split", "model", "limit", "json", "engine"):
            if opts.get(key) is not None:
                argv += [f"--{key}", str(opts[key])]
        if opts.get("true_lines"):
            argv.append("--true-lines")
        if opts.get("only"):
            argv += ["--only", *opts["only"]]
        try:
            evaluate_pages.main(argv)
        except SystemExit as exc:
            raise CommandError(str(exc)) from exc
