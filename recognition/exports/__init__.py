"""Results in the formats other tools read: PAGE XML, ALTO, hOCR, plain text and JSON.

Plain functions over the API's result structure (see common.ExportPage); no Django.
A document's PAGE and ALTO come as a ZIP with one XML file per page (each format holds
one page per file, as eScriptorium and Transkribus exchange them); its hOCR, text and
JSON are one file.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from .alto import alto_xml
from .common import ExportDocument, ExportPage
from .hocr import hocr_document, hocr_page
from .page_xml import page_xml
from .text import json_document, json_page, plain_text, plain_text_document

__all__ = ["FORMATS", "Export", "ExportDocument", "ExportPage", "Format", "export_document", "export_page"]


@dataclass(frozen=True)
class Format:
    name: str
    content_type: str
    extension: str
    page: Callable[[ExportPage], bytes]
    # None: a document is a ZIP of the pages' files.
    document: Callable[[ExportDocument], bytes] | None = None


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    filename: str


FORMATS: dict[str, Format] = {
    "page": Format("page", "application/vnd.prima.page+xml", "page.xml", page_xml),
    "alto": Format("alto", "application/alto+xml", "alto.xml", alto_xml),
    "hocr": Format("hocr", "text/html; charset=utf-8", "hocr.html", hocr_page, hocr_document),
    "txt": Format("txt", "text/plain; charset=utf-8", "txt", plain_text, plain_text_document),
    "json": Format("json", "application/json", "json", json_page, json_document),
}


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"Unknown export format {name!r}; use one of {', '.join(FORMATS)}.") from None


def export_page(page: ExportPage, format_name: str) -> Export:
    fmt = get_format(format_name)
    return Export(fmt.page(page), fmt.content_type, f"{page.stem}.{fmt.extension}")


def export_document(document: ExportDocument, format_name: str) -> Export:
    fmt = get_format(format_name)
    if fmt.document is not None:
        return Export(fmt.document(document), fmt.content_type, f"{document.stem}.{fmt.extension}")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        names: set[str] = set()
        for page in document.pages:
            name, copy = f"{page.stem}.{fmt.extension}", 1
            while name in names:  # pages with the same image name
                copy += 1
                name = f"{page.stem}-{copy}.{fmt.extension}"
            names.add(name)
            archive.writestr(name, fmt.page(page))
    return Export(out.getvalue(), "application/zip", f"{document.stem}-{format_name}.zip")
