"""Our PDFs in PDFium, the engine of Chrome's and Edge's PDF viewers (where most staff
and institutions open a downloaded form): each form's values drawn in their boxes, the
printed text extracted as it is printed, an agreement's party data too.  poppler is
covered by ``test_pdf``; pdf.js and Foxit were checked by hand in DESIGN §2."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest

from forms import all_forms
from generator import pdf_values
from generator.agreement import render_agreement
from forms.layout import layout_geometry

from test_agreements import PARTIES
from test_pdf import make_record, rendered

FORMS = all_forms()
SCALE = 100 / 72  # 100 dpi
_WS = re.compile(r"\s+")


def _first_page(data: bytes):
    """(page 1 drawn with its form fields as a grey image, page 1's extracted text)."""
    doc = pdfium.PdfDocument(data)
    doc.init_forms()  # before a page is loaded: its widgets' appearances are then drawn
    page = doc[0]
    image = page.render(scale=SCALE, may_draw_forms=True, grayscale=True).to_pil().convert("L")
    text = page.get_textpage().get_text_range()
    return image, text


def _dark(image, box) -> int:
    x0, top, x1, bottom = box
    crop = image.crop((int(x0 * SCALE) + 2, int(top * SCALE) + 2,
                       int(x1 * SCALE) - 2, int(bottom * SCALE) - 2))
    return sum(crop.histogram()[:128])


@pytest.mark.parametrize("spec", FORMS, ids=[s.id for s in FORMS])
def test_pdfium_draws_every_value_box_of_page_one(spec):
    """Every text field on page 1 that holds a value has ink in its box, none when blank;
    the page's printed text comes out with the form's title in it."""
    geo = layout_geometry(spec)
    values = pdf_values(spec, make_record(spec, "special"))
    boxes = {n: f["bbox"] for n, f in geo["pages"][0]["fields"].items()
             if f["kind"] == "text" and values.get(n)}
    assert boxes, "page 1 has no value to look at"
    blank, blank_text = _first_page(rendered(spec, "blank"))
    filled, _text = _first_page(rendered(spec, "special"))
    for name, box in boxes.items():
        assert _dark(blank, box) == 0, name
        assert _dark(filled, box) > 0, f"{name}: {values[name]!r} not drawn"
    assert _WS.sub("", spec.title) in _WS.sub("", blank_text)


def test_pdfium_extracts_an_agreements_party_data():
    """An agreement's party data are page text in the one font of the document (the kind's
    subset extended by their glyphs): PDFium reads them back through its ToUnicode."""
    _image, text = _first_page(render_agreement("shanxi", "medical", PARTIES, "pdf"))
    flat = _WS.sub("", text)
    assert "医疗服务协议" in flat
    for party in ("party_a", "party_b"):
        for field in ("name", "representative"):
            assert _WS.sub("", PARTIES[party][field]) in flat, (party, field)
