"""Plain text (lines joined by newlines, pages by form feeds) and JSON (the API's
result structure with each page's size, image and job)."""

from __future__ import annotations

import json

from .common import ExportDocument, ExportPage

PAGE_BREAK = "\f"


def plain_text(page: ExportPage) -> bytes:
    text = page.text
    return (text + "\n" if text else "").encode("utf-8")


def plain_text_document(document: ExportDocument) -> bytes:
    # A form feed ends every page, as pdftotext writes it, so page n is split n - 1.
    return "".join(page.text + "\n" + PAGE_BREAK for page in document.pages).encode("utf-8")


def page_dict(page: ExportPage) -> dict:
    return {
        "id": page.page_id,
        "number": page.number,
        "image": page.image_name,
        "width": page.width,
        "height": page.height,
        "job": page.job_id,
        "status": page.status,
        "model_version": page.model_version,
        "result": page.result,
    }


def json_page(page: ExportPage) -> bytes:
    return json.dumps(page_dict(page), ensure_ascii=False, indent=1).encode("utf-8")


def json_document(document: ExportDocument) -> bytes:
    body = {"id": document.document_id, "name": document.name, "pages": [page_dict(p) for p in document.pages]}
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
