"""Printing our PDFs as a scanner sees them, for the scan tests (test_page_marks, test_ocr)."""

from __future__ import annotations

import pypdfium2 as pdfium
from PIL import Image


def printed(pdf: bytes, dpi: int) -> list[Image.Image]:
    """Each page of ``pdf`` as printed (the fields' values drawn), an RGB image at ``dpi``."""
    doc = pdfium.PdfDocument(pdf)
    doc.init_forms()
    try:
        return [doc[i].render(scale=dpi / 72, may_draw_forms=True).to_pil().convert("RGB")
                for i in range(len(doc))]
    finally:
        doc.close()
