"""Recognise image files in-process with the same pipeline the workers run.

    python manage.py recognize scans/ --layout word --charset upper --output out.csv
"""

from __future__ import annotations

import contextlib
import csv
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from recognition.pipeline import (
    LAYOUTS,
    CharsetError,
    Lexicon,
    RecognitionOptions,
    UnreadableImage,
    get_classifier,
    load_image,
    parse_charset,
    recognize_image,
)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def collect_images(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        elif path.exists():
            files.append(path)
        else:
            raise CommandError(f"{path} does not exist")
    return files


def resolve_model_dir(explicit: str | None) -> Path:
    """--model, else the active model version recorded in the database, else the shipped one."""
    from django.conf import settings

    if explicit:
        return Path(explicit)
    try:
        from recognition.selectors import active_model_version

        active = active_model_version()
        if active is not None:
            return Path(active.path)
    except Exception:  # no database yet (fresh checkout): the shipped model is fine
        pass
    return Path(settings.HWR_MODEL_DIR)


class Command(BaseCommand):
    help = "Recognise image files or folders and write CSV (file,text,confidence) or JSON."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="image files or folders")
        parser.add_argument("--layout", choices=LAYOUTS, default="page")
        parser.add_argument("--charset", default="any", help="upper, digits, alnum, any, or e.g. A-Z -'")
        parser.add_argument("--lexicon", help="word list file, one entry per line")
        parser.add_argument("--output", "-o", help="CSV or .json file; default: CSV on stdout")
        parser.add_argument("--model", help="model directory (default: the active model)")

    def handle(self, *args, **opts):
        try:
            charset = parse_charset(opts["charset"])
        except CharsetError as exc:
            raise CommandError(f"--charset: {exc}") from exc
        lexicon = Lexicon.from_file(opts["lexicon"]) if opts["lexicon"] else None
        options = RecognitionOptions(layout=opts["layout"], charset=charset, lexicon=lexicon)
        classifier = get_classifier(resolve_model_dir(opts["model"]))
        files = collect_images(opts["paths"])
        rows = []
        for path in tqdm(files, desc="recognising", unit="image", file=sys.stderr, disable=len(files) < 2):
            try:
                result = recognize_image(load_image(path), classifier, options)
            except UnreadableImage as exc:
                self.stderr.write(f"{path}: cannot read: {exc}")
                rows.append((path, None))
                continue
            rows.append((path, result))
        self.write(rows, opts["output"])

    def write(self, rows, output: str | None) -> None:
        if output and output.endswith(".json"):
            payload = [
                {"file": str(path), "result": result.to_dict() if result else None,
                 "model_version": result.model_version if result else None}
                for path, result in rows
            ]
            Path(output).write_text(json.dumps(payload, indent=1))
            return
        with open(output, "w", newline="") if output else contextlib.nullcontext(sys.stdout) as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "text", "confidence"])
            for path, result in rows:
                if result is None:
                    writer.writerow([path.name, "", ""])
                else:
                    writer.writerow([path.name, result.text, f"{result.confidence:.4f}"])
