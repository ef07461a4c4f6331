"""Scans of pages without our mark (issue 16, point 2): printed before pages carried one,
or with the mark cut off or covered.  Such a page is told by the labels printed on it:
which form and page it is, and where it lies on the scan, so its values are read as a
marked page's are, and the result says it was identified by its text.  A page that is
none of our forms stays a typed error, never a made-up record."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from PIL import Image, ImageDraw, ImageFont
from scans import FORM, filled, printed

from forms import get_form, sample_record
from forms._mark import MARK_BOTTOM, MARK_RIGHT, MODULE_PT
from forms.errors import UnknownTemplate
from forms.layout import PAGE_H, PAGE_W, prepared_font_path
from generator.docx import render_docx
from generator.pdf import render_pdf
from parser import identify_pages, parse_pdf

#: the mark with its quiet zone is within this much of the page's bottom right corner
MARK_REACH = 45 * MODULE_PT


@pytest.fixture(scope="module")
def digital() -> tuple[bytes, dict]:
    return filled()


def _unmarked(page: Image.Image, dpi: int) -> Image.Image:
    """The printed page with its mark covered (as a page printed before marks were)."""
    k = dpi / 72
    page = page.copy()
    ImageDraw.Draw(page).rectangle(
        (round((PAGE_W - MARK_RIGHT - MARK_REACH) * k), round((PAGE_H - MARK_BOTTOM - MARK_REACH)
                                                              * k), page.width, page.height),
        fill="white")
    return page


def _png(image: Image.Image, dpi: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


def test_the_mark_is_covered(digital):
    pdf, _ = digital
    (found,) = identify_pages(_png(_unmarked(printed(pdf, 150)[0], 150), 150))
    # told by its labels, not its mark: the page does not say its version
    assert (found["form"], found["form_page"], found["identified_by"], found["version"]) == \
        (FORM, 1, "text", None)


@pytest.mark.parametrize("dpi, turn", [(200, 0), (150, 90), (300, 180)])
def test_a_page_without_its_mark_is_told_by_its_labels_and_read(digital, dpi, turn):
    pdf, truth = digital
    page = _unmarked(printed(pdf, dpi)[0], dpi).rotate(turn + 1.5, expand=True,
                                                       fillcolor="white",
                                                       resample=Image.BICUBIC)
    result = parse_pdf(_png(page, dpi)).to_dict()
    assert (result["form"], result["method"], result["identified_by"]) == (FORM, "ocr", "text")
    # said, and read with the current version's layout
    (note,) = [w for w in result["warnings"] if w["code"] == "identified_by_text"]
    assert "标题和标签" in note["message_zh"] and get_form(FORM).version in note["message_zh"]
    assert result["record"]["institution_name"] == "景德镇市珠山区堃喆彧昶康复医院"
    assert result["record"]["rated_beds"] == 128
    right = [n for n, f in truth["fields"].items()
             if result["fields"].get(n, {}).get("value") == f["value"]]
    assert len(right) >= 0.9 * len(truth["fields"])


def test_a_page_marked_and_others_not_are_read_as_one_form():
    spec = get_form("hunan-application")
    pdf = render_pdf(spec, sample_record(spec))
    truth = parse_pdf(pdf).to_dict()
    pages = printed(pdf, 150)
    assert len(pages) > 1
    out = io.BytesIO()
    pages[0].save(out, "TIFF", save_all=True, dpi=(150, 150), compression="tiff_deflate",
                  append_images=[_unmarked(p, 150) for p in pages[1:]])
    result = parse_pdf(out.getvalue()).to_dict()
    # the mark names the form; the unmarked pages are told by their labels, said so, read
    assert (result["form"], result["identified_by"]) == (spec.id, "mark")
    told = [w for w in result["warnings"] if w["code"] == "identified_by_text"]
    assert len(told) == len(pages) - 1
    later = [n for n, f in truth["fields"].items() if f["page"] > 1]
    assert later
    right = [n for n in later if result["fields"].get(n, {}).get("value")
             == truth["fields"][n]["value"]]
    assert len(right) >= 0.9 * len(later), sorted(set(later) - set(right))


def test_a_page_of_another_document_is_not_recognised():
    """A notice set in the same typeface, with words our forms use too: not one of ours."""
    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(prepared_font_path("song")), 36)
    small = ImageFont.truetype(str(prepared_font_path("song")), 26)
    draw.text((300, 150), "关于开展年度安全生产检查工作的通知", font=font, fill=0)
    for i, line in enumerate([
            "各区县人民政府，市直有关部门：", "为做好本年度安全生产工作，现将检查工作通知如下。",
            "一、检查范围：全市各类生产经营单位。", "二、检查时间：自通知之日起至年底。",
            "联系人：张三", "联系电话：0798-8123456", "机构地址：景德镇市珠山区",
            "三、各单位要高度重视，认真组织实施。"]):
        draw.text((150, 300 + 70 * i), line, font=small, fill=0)
    with pytest.raises(UnknownTemplate) as e:
        parse_pdf(_png(page, 150))
    assert "标题和标签" in e.value.message_zh and "labels" in e.value.message_en
    assert identify_pages(_png(page, 150)) == [{"page": 1, "form": None}]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_a_docx_printed_is_told_but_not_read_where_our_pdf_puts_values(tmp_path):
    """Printed from the DOCX, the page has our labels but not our PDF's layout: it is named,
    and said not to be readable, rather than read at the wrong places."""
    spec = get_form(FORM)
    (tmp_path / "form.docx").write_bytes(render_docx(spec, sample_record(spec)))
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "form.docx")],
                   check=True, capture_output=True, timeout=180)
    page = printed((tmp_path / "form.pdf").read_bytes(), 200)[0]
    (found,) = identify_pages(_png(page, 200))[:1]
    assert (found["form"], found["form_page"], found["transform"]) == (FORM, 1, None)
    with pytest.raises(UnknownTemplate) as e:
        parse_pdf(_png(page, 200))
    assert "DOCX" in e.value.message_zh and spec.title in e.value.message_zh


def test_the_direction_model_tells_printed_labels_upside_down(digital):
    """The labels of a printed page, cut out as lines, are upright to PP-OCR's direction
    classifier, and upside down once turned half round."""
    import numpy as np

    from forms.layout import ASCENT, layout, prepared_font
    from parser._labels import direction

    pdf, _ = digital
    dpi = 200
    page = np.asarray(printed(pdf, dpi)[0].convert("L"))
    k = dpi / 72
    lines = []
    for t in layout(get_form(FORM), prepared_font("song")).pages[0].texts:
        if len(t.text) >= 3:
            top = t.baseline - ASCENT * t.size
            lines.append(page[round((top - 2) * k):round((top + t.size + 2) * k),
                              round((t.x - 2) * k):round((t.x + t.width + 2) * k)])
    lines = lines[:12]
    assert len(lines) >= 6
    model = direction()
    assert model.upside_down(lines) < 0.2
    assert model.upside_down([ln[::-1, ::-1] for ln in lines]) > 0.8


def test_a_page_is_looked_at_larger_only_where_it_shows_our_labels(monkeypatch):
    """The page's lines are found on it drawn small first.  Another document, showing
    too few of any form's labels, is not looked at again larger; a page named from its
    labels but not placed by them is."""
    import numpy as np

    from forms import all_forms
    from parser import _labels
    from parser._normalize import key

    specs = list(all_forms())
    sides: list[int] = []

    def reading(lines):
        def read_lines(image, loading, side):
            sides.append(side)
            yield lines
        return read_lines

    notice = [(key("本通知自发布之日起施行"), np.array([100.0, 80.0]))]
    monkeypatch.setattr(_labels, "read_lines", reading(notice))
    assert _labels.identify(None, specs) is None
    assert sides == [_labels.DETECT_SIDES[0]]

    sides.clear()
    # every label of the form's first page read, all at one place: named, never placed
    ours = [(k, np.array([100.0, 80.0]))
            for k, _ in _labels.page_labels(get_form(FORM))[0]]
    monkeypatch.setattr(_labels, "read_lines", reading(ours))
    found = _labels.identify(None, specs)
    assert (found.form, found.form_page, found.transform) == (FORM, 1, None)
    assert sides == list(_labels.DETECT_SIDES)
