"""Export recognition results as PAGE XML, ALTO, hOCR, plain text or JSON.

    python manage.py export --page 12 --format alto --output page-12.xml
    python manage.py export --document 3 --format page --output var/exports/   # a ZIP of PAGE files
    python manage.py export --document 3 --format txt                          # to standard output
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recognition.documents import selectors
from recognition.exports import FORMATS, export_document, export_page
from recognition.models import Document, Page


class Command(BaseCommand):
    help = "Export a page's or a document's latest results in PAGE XML, ALTO, hOCR, text or JSON."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--page", type=int, help="page id")
        which.add_argument("--document", type=int, help="document id (PAGE and ALTO: a ZIP with a file per page)")
        parser.add_argument("--format", required=True, choices=list(FORMATS))
        parser.add_argument("--output", default="-",
                            help="file, or folder to write the export under its own name (default: standard output)")

    def handle(self, *args, **opts):
        try:
            if opts["page"] is not None:
                export = export_page(selectors.page_export(Page.objects.get(pk=opts["page"])), opts["format"])
            else:
                document = Document.objects.get(pk=opts["document"])
                export = export_document(selectors.document_export(document), opts["format"])
        except (Page.DoesNotExist, Document.DoesNotExist) as exc:
            raise CommandError(f"No such {'page' if opts['page'] is not None else 'document'}.") from exc
        except selectors.NothingToExport as exc:
            raise CommandError(str(exc)) from exc
        if opts["output"] == "-":
            sys.stdout.buffer.write(export.content)
            sys.stdout.buffer.flush()
            return
        path = Path(opts["output"])
        if path.is_dir():
            path = path / export.filename
        path.write_bytes(export.content)
        self.stderr.write(f"wrote {path} ({len(export.content)} bytes, {export.content_type})")
