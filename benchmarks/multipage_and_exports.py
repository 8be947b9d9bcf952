"""Time what a multi-page upload and an export cost, outside Django: splitting a PDF of
scanned letters into page images (what POST /api/pages/ does before it answers), and
writing each export format for a page with a long result.

    python -m benchmarks.multipage_and_exports --pages ../shared/data/pages-dev --count 10

Figures and the machine they came from: benchmarks/exports.md.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import numpy as np
from PIL import Image

from recognition.documents import multipage
from recognition.exports import FORMATS, ExportDocument, ExportPage, export_document, export_page
from training.paths import PAGES_DEV_DIR


def scans_as_pdf(folder: Path, count: int, dpi: int) -> bytes:
    images = [Image.open(p).convert("RGB") for p in sorted(folder.glob("*.jpg"))[:count]]
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()


def long_result(lines: int = 40, words: int = 10, chars: int = 6) -> dict:
    rng = np.random.default_rng(0)
    out = []
    for i in range(lines):
        y = 100 + 70 * i
        line_words = []
        for j in range(words):
            x = 100 + 230 * j
            line_chars = [{"id": None, "bbox": [x + 30 * k, y, 28, 50], "text": "abcdef"[k % 6],
                           "confidence": float(rng.random())} for k in range(chars)]
            line_words.append({"id": None, "bbox": [x, y, 30 * chars, 50], "text": "abcdef"[:chars],
                               "confidence": float(rng.random()), "chars": line_chars})
        out.append({"id": None, "bbox": [100, y - 10, 2300, 70], "text": " ".join(w["text"] for w in line_words),
                    "confidence": 0.8, "polygon": [[100, y - 10], [2400, y - 10], [2400, y + 60], [100, y + 60]],
                    "baseline": [[100, y + 45], [2400, y + 45]], "words": line_words})
    return {"text": "\n".join(line["text"] for line in out), "lines": out}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=Path, default=PAGES_DEV_DIR, help="folder of scanned pages (.jpg)")
    parser.add_argument("--count", type=int, default=10, help="pages in the PDF")
    parser.add_argument("--scan-dpi", type=int, default=300, help="resolution the scans are declared at")
    parser.add_argument("--max-pixels", type=int, default=12_000_000, help="HWR_PDF_MAX_PIXELS")
    args = parser.parse_args(argv)

    pdf = scans_as_pdf(args.pages, args.count, args.scan_dpi)
    start = time.perf_counter()
    pages = list(multipage.pdf_pages(pdf, dpi=300, max_pixels=args.max_pixels))
    seconds = time.perf_counter() - start
    megapixels = np.mean([p.width * p.height for p in pages]) / 1e6
    stored = np.mean([len(p.png) for p in pages]) / 1e6
    print(f"PDF of {len(pages)} scans ({len(pdf) / 1e6:.1f} MB): split in {seconds:.2f} s, "
          f"{seconds / len(pages):.2f} s per page; {megapixels:.1f} megapixels and {stored:.1f} MB of PNG per page")

    page = ExportPage("letter.png", 2600, 3000, long_result(), model_version="hwr-cnn-1")
    words = sum(len(line["words"]) for line in page.lines)
    print(f"exports of one page with {len(page.lines)} lines, {words} words, {words * 6} characters:")
    for name in FORMATS:
        start = time.perf_counter()
        for _ in range(5):
            content = export_page(page, name).content
        print(f"  {name:5} {(time.perf_counter() - start) / 5 * 1000:7.1f} ms  {len(content) / 1e3:8.0f} kB")
    document = ExportDocument("letters.pdf", [page] * 20)
    for name in ("page", "hocr"):
        start = time.perf_counter()
        content = export_document(document, name).content
        print(f"  a 20-page document as {name}: {time.perf_counter() - start:.2f} s, {len(content) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
