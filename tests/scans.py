"""Printing our PDFs as a scanner sees them, for the scan tests (test_page_marks, test_ocr,
test_unmarked_scans), and the filled form they print."""

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


#: the form the scan tests print, filled with rare characters, a phone, a number
FORM = "jingdezhen-application"


def filled() -> tuple[bytes, dict]:
    """Our PDF of ``FORM`` filled, and what ``parse_pdf`` reads from it (the truth)."""
    from forms import get_form, sample_record
    from generator.pdf import render_pdf
    from parser import parse_pdf

    record = sample_record(get_form(FORM))
    record["institution_name"] = "景德镇市珠山区堃喆彧昶康复医院"
    record["legal_rep_contact"] = "欧阳彧昶 0798-8123456"
    record["rated_beds"] = 128
    pdf = render_pdf(get_form(FORM), record)
    return pdf, parse_pdf(pdf).to_dict()
