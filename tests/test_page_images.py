"""Page images for the review page (parser.page_sizes, parser.page_image): the page as
PDFium draws it, the typed value inside the box the parser read it from, and the same
typed errors and limits as a parse for hostile files."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from forms import get_form, sample_record
from forms.errors import ParseError, PdfMalformed, PdfTooManyPages
from generator.pdf import render_pdf
from parser import Limits, page_image, page_sizes, parse_pdf

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
A4 = (595.28, 841.89)


@pytest.fixture(scope="module")
def filled() -> bytes:
    spec = get_form("jingdezhen-application")
    record = sample_record(spec)
    record["institution_name"] = "景德镇市珠山区堃喆康复医院"
    return render_pdf(spec, record)


@pytest.fixture(scope="module")
def blank() -> bytes:
    return render_pdf(get_form("jingdezhen-application"), None)


def _ink(png: bytes, bbox, page_width: float) -> float:
    """The share of dark pixels inside ``bbox`` (points, top-left origin) on the image."""
    im = Image.open(io.BytesIO(png)).convert("L")
    s = im.width / page_width
    x0, top, x1, bottom = bbox
    region = im.crop((round(x0 * s) + 2, round(top * s) + 2, round(x1 * s) - 2, round(bottom * s) - 2))
    dark = sum(1 for v in region.tobytes() if v < 128)
    return dark / (region.width * region.height)


def test_page_sizes_are_the_pages_in_points(filled):
    sizes = page_sizes(filled)
    assert len(sizes) == len(PdfReader(io.BytesIO(filled)).pages) >= 1
    for w, h in sizes:
        assert (w, h) == pytest.approx(A4, abs=0.5)


def test_the_value_is_drawn_inside_its_box(filled, blank):
    box = parse_pdf(filled).fields["institution_name"]
    page = box.get("page", 1)
    png = page_image(filled, page, width=1000)
    im = Image.open(io.BytesIO(png))
    assert im.format == "PNG" and im.width == 1000
    assert abs(im.height - 1000 * A4[1] / A4[0]) <= 1
    width = page_sizes(filled)[page - 1][0]
    # the typed name is ink inside the box; the blank form's same box is (nearly) white
    assert _ink(png, box["bbox"], width) > 0.03
    assert _ink(page_image(blank, page, width=1000), box["bbox"], width) < 0.01


def test_a_wider_image_is_the_same_page_scaled(filled):
    small = Image.open(io.BytesIO(page_image(filled, 1, width=500)))
    large = Image.open(io.BytesIO(page_image(filled, 1, width=1600)))
    assert large.width == 1600 and abs(large.height / large.width - small.height / small.width) < 0.01


def test_a_page_the_file_does_not_have_is_a_typed_error(filled):
    n = len(page_sizes(filled))
    with pytest.raises(PdfMalformed) as e:
        page_image(filled, n + 1)
    assert f"第 {n + 1} 页" in e.value.message_zh and f"page {n + 1}" in e.value.message_en


@pytest.mark.parametrize("width", [0, -5, 5000])
def test_widths_out_of_range_are_refused_before_any_work(filled, width):
    with pytest.raises(ValueError):
        page_image(filled, 1, width=width)


@pytest.mark.parametrize("name", ["not-a-pdf.pdf", "truncated.pdf", "encrypted.pdf",
                                  "zero-pages.pdf", "too-many-pages.pdf", "broken-xref.pdf",
                                  "bomb.pdf", "slow.pdf", "docx-renamed.pdf"])
def test_hostile_files_give_a_typed_error_or_an_image_within_the_limits(name):
    data = (HOSTILE / name).read_bytes()
    limits = Limits(time_limit=3.0)
    t = time.monotonic()
    try:
        png = page_image(data, 1, limits=limits)
        assert png.startswith(b"\x89PNG")
    except ParseError as e:
        assert e.message_zh and e.message_en and e.http_status in (413, 422, 500)
    assert time.monotonic() - t < limits.time_limit + 2.0


def test_the_page_limit_holds_for_images():
    data = (HOSTILE / "too-many-pages.pdf").read_bytes()
    with pytest.raises(PdfTooManyPages):
        page_sizes(data, limits=Limits(max_pages=2))


def test_a_scanned_image_has_pages_too(filled):
    """A JPEG scan at 200 dpi: its page is A4 in points, drawn at the width asked."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(filled)
    scan = doc[0].render(scale=200 / 72).to_pil().convert("RGB")
    doc.close()
    out = io.BytesIO()
    scan.save(out, "JPEG", quality=60, dpi=(200, 200))
    (w, h), = page_sizes(out.getvalue())
    assert (w, h) == pytest.approx(A4, abs=1.0)
    png = Image.open(io.BytesIO(page_image(out.getvalue(), 1, width=1000)))
    assert png.width == 1000 and abs(png.height - 1000 * A4[1] / A4[0]) <= 2
    with pytest.raises(PdfMalformed):
        page_image(out.getvalue(), 2)
