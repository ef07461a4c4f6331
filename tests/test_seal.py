"""A round seal found on a grey scan and lifted off it before the boxes are read
(parser/_seal.py): its ring turns to paper, the print under it stays."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageDraw
from scans import filled, printed

from parser import parse_pdf
from parser._seal import find_seals, unseal


@pytest.fixture(scope="module")
def digital() -> tuple[bytes, dict]:
    return filled()


def _stamp(page: Image.Image, cx: float, cy: float, r: float) -> Image.Image:
    """A red seal (a ring and a filled star) stamped at (cx, cy): its ink multiplies with
    the print under it, as scan_set's does."""
    stamp = Image.new("RGB", page.size, "white")
    d = ImageDraw.Draw(stamp)
    red = (225, 30, 30)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=max(2, round(r / 14)))
    d.regular_polygon((cx, cy, r / 3.2), 5, fill=red)
    return ImageChops.multiply(page.convert("RGB"), stamp)


def _jpeg_grey(image: Image.Image, dpi: int, quality: int = 60) -> bytes:
    out = io.BytesIO()
    image.convert("L").save(out, "JPEG", quality=quality, dpi=(dpi, dpi))
    return out.getvalue()


def test_print_under_the_ring_stays_and_the_ring_turns_to_paper():
    """Black bars crossing a seal's ring in grey: after lifting, the ring between the bars
    is paper, and the bars are as dark as before where they cross it."""
    cx, cy, r = 600.0, 750.0, 110.0
    ring = r - round(r / 14) / 2  # the middle of the ring (PIL draws its width inward)
    page = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
    d = ImageDraw.Draw(page)
    bars = (round(cy - ring) - 3, round(cy) - 53, round(cy) + 47)
    for y in bars:
        d.rectangle((300, y, 900, y + 5), fill="black")
    grey = _stamp(page, cx, cy, r).convert("L")
    before = np.asarray(grey)
    lifted, crossed = unseal(grey)
    after = np.asarray(lifted)
    # the ring's leftmost and rightmost points lie between bars: seal, then paper
    for x in (round(cx - ring), round(cx + ring)):
        assert before[round(cy), x] < 140
        assert after[round(cy), x] >= 240
    # where the bars cross the ring, they stay dark
    across = [(round(cx), bars[0] + 3)]
    dx = round(np.sqrt(ring**2 - 50**2))
    across += [(round(cx) + s * dx, y + 3) for y in bars[1:] for s in (-1, 1)]
    for x, y in across:
        assert before[y, x] < 60
        assert after[y, x] < 100, (x, y, after[y, x])
    # and the page away from the seal is untouched
    assert (after[:500] == before[:500]).all()
    # where print crossed the ring is told, and only there
    for x, y in across:
        assert np.hypot(crossed[:, 0] - x, crossed[:, 1] - y).min() < 4
    on_a_bar = np.zeros(len(crossed), bool)
    for y in bars:
        on_a_bar |= (crossed[:, 1] >= y - 1) & (crossed[:, 1] <= y + 6)
    assert on_a_bar.all()


@pytest.mark.parametrize("dpi", [150, 300])
def test_a_page_without_a_seal_has_none(digital, dpi):
    """A filled form's tables and text make no seal: the page is read as it is."""
    pdf, _ = digital
    for page in printed(pdf, dpi):
        grey = page.convert("L")
        assert find_seals(np.asarray(grey)) == []
        for scan in (page, grey):  # in colour, its red channel; in grey, its grey
            lifted, crossed = unseal(scan)
            own = np.asarray(scan.getchannel("R") if scan.mode == "RGB" else scan)
            assert (np.asarray(lifted) == own).all()
            assert len(crossed) == 0


@pytest.mark.parametrize("dpi,turn", [(200, 0), (300, 4.0), (150, -3.0)])
def test_a_seal_is_found_where_it_was_stamped(digital, dpi, turn):
    pdf, truth = digital
    page = printed(pdf, dpi)[0]
    k = dpi / 72
    x0, top, x1, bottom = (v * k for v in truth["fields"]["institution_name"]["bbox"])
    cx, cy, r = (x0 + x1) / 2, (top + bottom) / 2, page.width * 0.085
    sealed = _stamp(page, cx, cy, r).convert("L")
    if turn:
        sealed = sealed.rotate(turn, fillcolor=255, resample=Image.BICUBIC)
        t = np.radians(turn)  # PIL turns anticlockwise round the image's centre
        ox, oy = sealed.width / 2, sealed.height / 2
        cx, cy = (ox + (cx - ox) * np.cos(t) + (cy - oy) * np.sin(t),
                  oy - (cx - ox) * np.sin(t) + (cy - oy) * np.cos(t))
    seals = find_seals(np.asarray(sealed))
    assert len(seals) == 1
    seal = seals[0]
    # the ring's middle, r less half the ring's width
    assert abs(seal.cx - cx) < 2 and abs(seal.cy - cy) < 2
    assert abs(seal.r - (r - round(r / 14) / 2)) < 1.5


@pytest.mark.parametrize("dpi", [150, 200])
def test_values_a_grey_seal_ring_crosses_read_back_for_the_reviewer(digital, dpi):
    """A seal stamped so its ring runs through the institution's name (grey, JPEG): the
    name reads back exactly (before the seal was lifted, the ring's arcs were read as
    strokes), and as the ring crossed its print it goes to the reviewer all the same."""
    pdf, truth = digital
    page = printed(pdf, dpi)[0]
    k = dpi / 72
    name = [v * k for v in truth["fields"]["institution_name"]["bbox"]]
    r = page.width * 0.08
    # the ring's left arc through the name's middle
    cx, cy = (name[0] + name[2]) / 2 + r, (name[1] + name[3]) / 2
    result = parse_pdf(_jpeg_grey(_stamp(page, cx, cy, r), dpi)).to_dict()
    got = result["fields"]["institution_name"]
    assert got["value"] == truth["fields"]["institution_name"]["value"], got
    assert got["confidence"] <= 0.6
    assert any(w["code"] == "ocr_uncertain" and w["field"] == "institution_name"
               for w in result["warnings"])
    # unsealed, the same page's name is sure: the doubt is the seal's
    clean = parse_pdf(_jpeg_grey(page, dpi)).to_dict()["fields"]["institution_name"]
    assert clean["value"] == got["value"] and clean["confidence"] >= 0.9


def test_red_ink_is_divided_out_of_a_colour_page():
    """In a colour JPEG the red channel shows a red star as a grey plate (the colour is
    kept at half resolution, the red is not paper); divided out, the star is paper and
    the print under it is print."""
    page = Image.new("RGB", (1240, 1754), "white")
    d = ImageDraw.Draw(page)
    for y in range(700, 800, 20):
        d.rectangle((520, y, 680, y + 3), fill=(40, 40, 40))  # grey print, thin
    sealed = _stamp(page, 600.0, 750.0, 110.0)
    out = io.BytesIO()
    sealed.save(out, "JPEG", quality=45)
    scan = Image.open(io.BytesIO(out.getvalue())).convert("RGB")
    red = np.asarray(scan.getchannel("R")).astype(int)
    lifted, crossed = unseal(scan)
    got = np.asarray(lifted).astype(int)
    plate = (slice(746, 758), slice(585, 615))  # inside the star, between two bars
    assert red[plate].mean() < 240  # the star is no paper in the red channel...
    assert got[plate].min() >= 245  # ...until its red is divided out
    for y in range(700, 800, 20):  # the print on the star and off it stays print
        assert got[y + 1:y + 3, 590:610].mean() < 110
        assert got[y + 1:y + 3, 525:535].mean() < 110
    assert len(crossed) == 0  # no grey ring: the red one is gone from the channel
