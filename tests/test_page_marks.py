"""The page mark (forms/_mark.py): every page of every form's PDF carries a QR code in its
bottom margin, clear of the official content, saying which form, version and page it is;
a scan or photograph of the printed page is identified from it (parser.identify_pages),
whatever the resolution, rotation, skew, JPEG quality or colour; a page without it says
so, and a hostile image gets a typed error within the limits."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image, ImageDraw
from scans import printed as print_pages

from forms import all_forms, get_form, mark_text, read_mark, sample_record
from forms._mark import MARK_BOTTOM, MARK_RIGHT, MODULE_PT, mark_modules
from forms.errors import NotPdf, ParseError, ParseResourceLimit
from generator.pdf import render_pdf
from parser import Limits, identify_pages

A4_W = 595.28


def _scan(image: Image.Image, fmt: str = "JPEG", **save) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


@pytest.mark.parametrize("spec", all_forms(), ids=lambda s: s.id)
def test_every_page_carries_its_mark_clear_of_the_form(spec):
    pdf = render_pdf(spec, sample_record(spec))
    pages = print_pages(pdf, 150)
    (found,) = identify_pages(_scan(pages[0], "PNG"))
    assert {k: v for k, v in found.items() if k != "transform"} == {
        "page": 1, "form": spec.id, "version": spec.version, "form_page": 1,
        "title": spec.full_title, "identified_by": "mark"}
    n = len(mark_modules(mark_text(spec.id, spec.version, 1)))
    scale = 150 / 72
    for number, page in enumerate(pages, 1):
        grey = page.convert("L")
        # the QR's quiet zone (4 modules all round) is white: nothing of the form is there
        side = n * MODULE_PT
        x0 = A4_W - MARK_RIGHT - side - 4 * MODULE_PT
        x1 = A4_W - MARK_RIGHT + 4 * MODULE_PT
        y1 = grey.height / scale - MARK_BOTTOM + 4 * MODULE_PT  # from the top
        y0 = y1 - side - 8 * MODULE_PT
        ring = grey.crop((round(x0 * scale), round(y0 * scale), round(x1 * scale),
                          round(y1 * scale)))
        quiet = round(4 * MODULE_PT * scale)
        ring.paste(255, (quiet - 2, quiet - 2, ring.width - quiet + 2, ring.height - quiet + 2))
        assert min(ring.tobytes()) > 200, (spec.id, number)
    # every page of the form says its own number
    assert [p["form_page"] for p in identify_pages(_scan(pages[0], "TIFF", save_all=True,
                                                         append_images=pages[1:],
                                                         compression="tiff_deflate"))
            ] == list(range(1, len(pages) + 1))


@pytest.fixture(scope="module")
def printed() -> list[Image.Image]:
    spec = get_form("jingdezhen-application")
    record = sample_record(spec)
    record["institution_name"] = "景德镇市珠山区堃喆彧昶康复医院"
    return print_pages(render_pdf(spec, record), 300)


def _seal(image: Image.Image) -> Image.Image:
    """A red round seal stamped over the page's upper middle, as institutions do."""
    out = image.copy()
    d = ImageDraw.Draw(out)
    cx, cy, r = out.width // 2, out.height // 4, out.width // 8
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(220, 30, 30), width=out.width // 120)
    return out


@pytest.mark.parametrize("dpi, rotate, skew, quality, grey", [
    (150, 0, 0, 40, False),
    (200, 90, 0, 55, True),
    (300, 180, -5, 70, False),
    (150, 270, 5, 45, True),
    (300, 0, 3, 60, True),
])
def test_a_scan_is_identified_by_its_mark(printed, dpi, rotate, skew, quality, grey):
    page = _seal(printed[0])
    page = page.resize((round(page.width * dpi / 300), round(page.height * dpi / 300)))
    page = page.rotate(rotate + skew, expand=True, fillcolor="white")
    if grey:
        page = page.convert("L")
    found = identify_pages(_scan(page, "JPEG", quality=quality))
    assert found[0]["form"] == "jingdezhen-application" and found[0]["form_page"] == 1


def test_a_page_without_our_mark_is_said_to_be_unknown():
    blank = Image.new("L", (1240, 1754), 255)
    ImageDraw.Draw(blank).text((100, 100), "Some other document", fill=0)
    assert identify_pages(_scan(blank, "PNG")) == [{"page": 1, "form": None}]


def test_other_qr_codes_are_not_taken_for_marks():
    assert read_mark("https://example.com/xieyi/1/jingdezhen-application/2022.1/1") is None
    assert read_mark("xieyi/2/jingdezhen-application/2022.1/1") is None
    assert read_mark("xieyi/1/jingdezhen-application/2022.1/0") is None
    with pytest.raises(ValueError):
        mark_text("Bad Form", "1", 1)


@pytest.mark.parametrize("data, error", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, NotPdf),
    (b"GIF89a" + b"\x00" * 64, NotPdf),
    (b"\xff\xd8\xff\xe0" + b"garbage" * 20, NotPdf),
])
def test_a_broken_image_is_a_typed_error(data, error):
    with pytest.raises(error) as e:
        identify_pages(data)
    assert e.value.message_zh and e.value.message_en


def test_an_image_bomb_is_stopped_within_the_limits():
    # a PNG that says it is 60,000 × 60,000 pixels, in a few kilobytes
    big = Image.new("1", (60_000, 60_000), 1)
    data = _scan(big, "PNG", optimize=True)
    assert len(data) < 1_000_000
    t = time.monotonic()
    with pytest.raises(ParseError) as e:
        identify_pages(data, limits=Limits(time_limit=5.0))
    assert isinstance(e.value, ParseResourceLimit)
    assert time.monotonic() - t < 7.0


def test_a_red_seal_stamped_across_the_mark_is_read_through(printed):
    """The seal's ink multiplies with the print: in grey the mark is lost under it, in the
    red channel the seal fades to paper and the mark reads again."""
    from PIL import ImageChops

    page = printed[0]
    k = 300 / 72
    side = len(mark_modules(mark_text("jingdezhen-application", "2022.1", 1))) * MODULE_PT
    cx = (A4_W - MARK_RIGHT - side / 2) * k
    cy = page.height - (MARK_BOTTOM + side / 2) * k
    stamp = Image.new("RGB", page.size, "white")
    d = ImageDraw.Draw(stamp)
    r = side * k * 0.9
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(225, 30, 30), width=round(r / 6))
    d.regular_polygon((cx, cy, r / 2.5), 5, fill=(225, 30, 30))
    sealed = ImageChops.multiply(page, stamp)
    sealed = sealed.resize((sealed.width // 2, sealed.height // 2))  # 150 dpi
    import zxingcpp

    assert not zxingcpp.read_barcodes(sealed.convert("L"))  # the seal does hide it in grey
    found = identify_pages(_scan(sealed, "JPEG", quality=60))
    assert found[0]["form"] == "jingdezhen-application"


def _expected(x: float, y: float, size: tuple[int, int], dpi: int, angle: float):
    """Where PIL puts the form's point (x, y) after resizing a 300-dpi page to ``dpi`` and
    rotating it by ``angle`` degrees (counter-clockwise, the canvas expanded)."""
    import math

    k = dpi / 72
    w, h = round(size[0] * dpi / 300), round(size[1] * dpi / 300)
    t = math.radians(angle)
    nw = abs(w * math.cos(t)) + abs(h * math.sin(t))
    nh = abs(w * math.sin(t)) + abs(h * math.cos(t))
    du, dv = x * k - w / 2, y * k - h / 2
    return (du * math.cos(t) + dv * math.sin(t) + nw / 2,
            -du * math.sin(t) + dv * math.cos(t) + nh / 2)


@pytest.mark.parametrize("dpi, angle", [(150, 0), (150, 3), (200, 90), (300, 177),
                                        (150, 268), (300, -4.5)])
def test_the_mark_places_the_page_in_the_scan(printed, dpi, angle):
    """Coarse registration from the mark alone: every point of the form lands within 8 pt
    of where it is in the scan at the page's far corners, within 4 pt at its middle."""
    import math

    page = printed[0]
    scan = page.resize((round(page.width * dpi / 300), round(page.height * dpi / 300)))
    scan = scan.rotate(angle, expand=True, fillcolor="white", resample=3)
    (found,) = identify_pages(_scan(scan, "PNG"))
    a, b, c, d, e, f = found["transform"]
    for (x, y), within in (((60, 60), 8), ((535, 60), 8), ((60, 780), 8), ((535, 780), 8),
                           ((300, 420), 4)):
        got = (a * x + b * y + c, d * x + e * y + f)
        error = math.dist(got, _expected(x, y, page.size, dpi, angle)) / (dpi / 72)
        assert error <= within, ((x, y), round(error, 1))
