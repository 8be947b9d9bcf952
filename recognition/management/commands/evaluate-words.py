"""Word accuracy, CER, confusions, confidence ranking and an HTML report of the worst
errors on labelled field images.

    python manage.py evaluate-words --images ../shared/data/names-dev/images \
        --labels ../shared/data/names-dev/labels.csv --charset upper --report var/reports/names-dev.html
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from training import evaluate_words

from .recognize import resolve_model_dir


class Command(BaseCommand):
    help = "Evaluate word recognition on labelled images (see training/evaluate_words.py)."

    def add_arguments(self, parser):
        for action in evaluate_words.parser()._actions:
            if action.dest in ("help", "model"):
                continue
            kwargs = {"default": action.default, "help": action.help}
            if action.type is not None:
                kwargs["type"] = action.type
            if action.choices:
                kwargs["choices"] = action.choices
            parser.add_argument(*action.option_strings, **kwargs)
        parser.add_argument("--model", default=None, help="model directory (default: the active model)")

    def handle(self, *args, **opts):
        argv = ["--model", str(resolve_model_dir(opts["model"]))]
        for key in ("images", "labels", "layout", "charset", "lexicon", "limit", "report", "json", "reliability"):
            if opts.get(key) not in (None, ""):
                argv += [f"--{key}", str(opts[key])]
        evaluate_words.main(argv)
