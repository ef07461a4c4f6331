"""Scans read by OCR (issue 16, point 3): a printed, scanned form's values come back in the
record ``parse_pdf`` gives for the PDF itself, each with its box on the scan, method
``ocr`` and a confidence; a value the reader is not sure of is reported, never passed as
certain; a page without our mark is a typed error; a scan's pages get their own time."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageDraw
from scans import FORM, filled, printed

from forms import get_form
from forms.errors import ParseTimeout, PdfNoTextLayer, UnknownTemplate
from parser import Limits, parse_pdf


@pytest.fixture(scope="module")
def digital() -> tuple[bytes, dict]:
    """Our PDF of the record, and what parse_pdf reads from it (the truth)."""
    return filled()


def _sealed(page: Image.Image, box_pt, dpi: int) -> Image.Image:
    """A red round seal stamped over a box: its ink multiplies with the print under it."""
    k = dpi / 72
    x0, top, x1, bottom = (v * k for v in box_pt)
    cx, cy, r = (x0 + x1) / 2, (top + bottom) / 2, page.width * 0.08
    stamp = Image.new("RGB", page.size, "white")
    d = ImageDraw.Draw(stamp)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(225, 30, 30), width=max(2, round(r / 14)))
    d.regular_polygon((cx, cy, r / 3.2), 5, outline=(225, 30, 30), fill=(225, 30, 30))
    return ImageChops.multiply(page, stamp)


def _jpeg(image: Image.Image, dpi: int, quality: int = 60) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, dpi=(dpi, dpi))
    return out.getvalue()


def _flagged(result: dict, name: str) -> bool:
    top = name.split(".")[0]
    return result["fields"][name]["confidence"] < 0.9 or any(
        w["field"] in (name, top) for w in result["warnings"])


def _check(result: dict, truth: dict) -> list[str]:
    """The names read right; asserts that every value read wrong is flagged."""
    right = []
    for name, want in truth["fields"].items():
        got = result["fields"].get(name)
        assert got is not None, f"{name} was not read at all"
        assert got["method"] == "ocr"
        if got["value"] == want["value"]:
            right.append(name)
        else:
            assert _flagged(result, name), (name, want["value"], got)
    return right


def test_a_clean_scan_reads_back_as_the_pdf_does(digital):
    pdf, truth = digital
    page = printed(pdf, 300)[0]
    result = parse_pdf(_jpeg(page, 300, 70)).to_dict()
    assert (result["form"], result["version"], result["method"], result["identified_by"]) == \
        (FORM, get_form(FORM).version, "ocr", "mark")
    right = _check(result, truth)
    # the rare characters, the phone with its space, the number, the date, the choices
    assert result["record"]["institution_name"] == "景德镇市珠山区堃喆彧昶康复医院"
    assert result["record"]["legal_rep_contact"] == "欧阳彧昶 0798-8123456"
    assert result["record"]["rated_beds"] == 128
    for name in ("fill_date", "profit_nature", "ownership"):
        assert result["record"][name] == truth["record"][name]
    assert len(right) >= 0.95 * len(truth["fields"])


@pytest.mark.parametrize("dpi, turn, skew, grey", [
    (150, 90, 2.5, True),
    (200, 180, -4.0, False),
    (300, 270, 1.0, True),
])
def test_a_turned_skewed_sealed_scan_is_read_or_flagged(digital, dpi, turn, skew, grey):
    pdf, truth = digital
    page = printed(pdf, dpi)[0]
    page = _sealed(page, truth["fields"]["institution_name"]["bbox"], dpi)
    page = page.rotate(turn + skew, expand=True, fillcolor="white", resample=Image.BICUBIC)
    if grey:
        page = page.convert("L")
    result = parse_pdf(_jpeg(page, dpi, 55)).to_dict()
    right = _check(result, truth)
    assert len(right) >= 0.85 * len(truth["fields"]), sorted(set(truth["fields"]) - set(right))
    if not grey:  # in colour, the red seal is read through
        assert result["record"]["institution_name"] == "景德镇市珠山区堃喆彧昶康复医院"


def test_each_value_is_boxed_where_it_lies_on_the_scan(digital):
    pdf, truth = digital
    page = printed(pdf, 200)[0]
    result = parse_pdf(_jpeg(page.rotate(180), 200)).to_dict()
    w, h = 595.28, 841.89
    for name in ("institution_name", "rated_beds", "address"):
        x0, top, x1, bottom = truth["fields"][name]["bbox"]
        # turned half round: the box is where the page's opposite corner puts it
        want = (w - x1, h - bottom, w - x0, h - top)
        got = result["fields"][name]["bbox"]
        assert all(abs(a - b) <= 2.5 for a, b in zip(got, want)), (name, got, want)
        assert result["fields"][name]["page"] == 1


def test_an_image_only_pdf_is_read_by_ocr(digital):
    pdf, truth = digital
    page = printed(pdf, 200)[0].convert("L")
    out = io.BytesIO()
    page.save(out, "PDF", resolution=200)
    result = parse_pdf(out.getvalue()).to_dict()
    assert result["method"] == "ocr" and result["form"] == FORM
    assert result["record"]["institution_name"] == truth["record"]["institution_name"]


def test_a_page_without_our_mark_is_not_recognised():
    blank = Image.new("L", (1240, 1754), 255)
    ImageDraw.Draw(blank).text((100, 100), "Some other document", fill=0)
    with pytest.raises(UnknownTemplate) as e:
        parse_pdf(_jpeg(blank, 150))
    assert "页面标记" in e.value.message_zh and "mark" in e.value.message_en
    out = io.BytesIO()
    blank.save(out, "PDF", resolution=150)
    with pytest.raises(PdfNoTextLayer):
        parse_pdf(out.getvalue())


def test_a_scan_gets_time_by_its_pages(digital):
    pdf, _ = digital
    pages = printed(pdf, 150)
    out = io.BytesIO()
    pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:], dpi=(150, 150),
                  compression="tiff_deflate")
    tiff = out.getvalue()
    # the file's own time is short; its pages, once known, are granted theirs
    result = parse_pdf(tiff, limits=Limits(time_limit=0.5, scan_page_time=15))
    assert result.method == "ocr" and result.pages == len(pages)
    with pytest.raises(ParseTimeout):
        parse_pdf(tiff, limits=Limits(time_limit=0.5, scan_page_time=0.01))


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_number_under_a_seal_in_grey_is_read_or_flagged(digital, dpi):
    """In grey, a red seal's star over digits is as dark as a stroke: the digits it hides
    go unread, and the number read is then flagged, never passed as certain."""
    pdf, truth = digital
    page = printed(pdf, dpi)[0]
    for name in ("rated_beds", "address"):
        page = _sealed(page, truth["fields"][name]["bbox"], dpi)
    result = parse_pdf(_jpeg(page.convert("L"), dpi, 60)).to_dict()
    _check(result, truth)
    for name in ("rated_beds", "address"):
        got = result["fields"][name]
        assert got["value"] == truth["fields"][name]["value"] or _flagged(result, name)


def test_print_no_character_was_read_at_makes_the_line_doubtful():
    """Seven digits under a seal's grey star, two of them read far apart: the print
    between and beyond them is unread, whatever the wide pitch of the two read."""
    import numpy as np

    from parser._ocr import _print_core, _unexplained

    line = np.full((40, 220), 255, dtype=np.uint8)
    line[0:40, 60:200] = 70  # the seal's star, grey in a grey scan
    for x in range(10, 190, 25):
        line[10:31, x:x + 15] = 0  # black print
    centres_all = [x + 7.5 for x in range(10, 190, 25)]
    assert not _unexplained(_print_core(line), centres_all)
    assert _unexplained(_print_core(line), [17.5, 117.5])


@pytest.mark.parametrize("dpi", [150, 300])
def test_a_value_its_box_wrapped_before_its_last_character_reads_back(dpi):
    """A narrow box wraps 太原市小店区第二 with 二 alone on its second line: its two
    strokes are one character, not two lines of 一; a lone 一 is read as 一."""
    from forms import sample_record
    from generator.pdf import render_pdf

    spec = get_form("shanxi-annual-medical")
    record = sample_record(spec)
    record.update(score_3_7="太原市小店区第二", score_2_2="长春市朝阳区第一",
                  score_2_4="晋中市榆次区第三")
    page = printed(render_pdf(spec, record), dpi)[0].convert("L")
    out = io.BytesIO()
    page.save(out, "PNG", dpi=(dpi, dpi))
    fields = parse_pdf(out.getvalue()).to_dict()["fields"]
    for name in ("score_3_7", "score_2_2", "score_2_4"):
        assert fields[name]["value"] == record[name]
        assert "\n" in fields[name]["raw"]  # it was wrapped, and read as one value


def _blocks(line, xs, top=10, bottom=31):
    """Character-like print: four strokes in a square at each x (black on white)."""
    for x in xs:
        line[top:bottom, x:x + 3] = 0
        line[top:bottom, x + 18:x + 21] = 0
        line[top:top + 3, x:x + 21] = 0
        line[(top + bottom) // 2:(top + bottom) // 2 + 3, x:x + 21] = 0


def test_a_chinese_character_the_model_skipped_makes_the_line_doubtful():
    """Five characters' print, four read: the one skipped, at either end or between
    two read, is print no character read can be; all five read leave nothing over."""
    import numpy as np

    from parser._ocr import _print_core, _unread_print

    line = np.full((40, 140), 255, dtype=np.uint8)
    xs = [5 + 22 * i for i in range(5)]
    _blocks(line, xs)
    centres = [x + 10.5 for x in xs]
    core = _print_core(line)
    assert not _unread_print(core, list("晋中市榆次"), centres)
    for skipped in (0, 2, 4):
        kept = [c for i, c in enumerate(centres) if i != skipped]
        assert _unread_print(core, list("中市榆次"), kept), skipped
    # a line of digits has no character as tall as the font: left to _unexplained
    assert not _unread_print(core, list("1234"), centres[1:])


def test_a_stroke_crossing_the_line_far_above_and_below_makes_it_doubtful():
    """A seal's ring, as dark as print in a grey scan, runs down through a number: the
    line is flagged; the number alone is not."""
    import numpy as np

    from parser._ocr import _crossed

    line = np.full((110, 140), 255, dtype=np.uint8)
    _blocks(line, [5 + 22 * i for i in range(5)], top=45, bottom=66)
    assert not _crossed(line)
    line[0:110, 70:78] = 60
    assert _crossed(line)


def test_a_seal_star_in_grey_turns_to_paper_and_the_print_on_it_stays():
    """The box's paper follows a grey star's whole shape (a closing), so its edges make no
    lines; a dense character's blob alone is too small to count: its outline stays print
    (closed, all of it would turn to paper)."""
    import numpy as np

    from parser._ocr import _paper

    crop = np.full((80, 210), 245, dtype=np.uint8)
    crop[5:75, 60:150] = 80  # the star's grey fill
    _blocks(crop, [20, 70, 100, 160], top=20, bottom=41)
    paper, _ = _paper(crop)
    assert paper[5:75, 60:150][crop[5:75, 60:150] == 80].min() > 200  # the star is gone
    assert paper[20:41, 70:73].max() < 100  # the print on it stays
    assert paper[20:41, 20:23].max() < 100  # and beside it
    blob = np.full((80, 210), 245, dtype=np.uint8)
    blob[30:46, 50:66] = 30  # a dense character printed bold
    flat, _ = _paper(blob)
    assert flat[30, 50:66].max() < 100 and flat[45, 50:66].max() < 100
    assert flat[30:46, 50].max() < 100 and flat[30:46, 65].max() < 100


def test_a_doubtful_line_is_read_again_and_kept_sure_only_when_two_views_agree():
    """The first read of a line under CHECK_BELOW is checked by three more views of the
    line (more paper, cut tight, sharpened): the text most reads agree on is kept; it is
    sure only where it is the first's and two views read it surely (one view alone is no
    certainty); views agreeing against the first, a tie won by the surer text, or all
    four differing, leave the value doubtful.  The caller may give one more view."""
    import numpy as np

    from parser._ocr import CHECK_BELOW, Recognizer, _views, model_path

    class Scripted(Recognizer):
        """The real model's class, its reads of the views scripted."""

        def __init__(self, first, views):
            super().__init__(model_path())
            self.answers = [first, views]

        def read(self, lines, alphabets=None):
            got = self.answers.pop(0)
            assert len(got) == len(lines)
            return got

    line = np.full((40, 100), 255, dtype=np.uint8)
    line[10:30, 10:90] = 0
    sure = ("景德镇", [0.99, 0.99, 0.99])
    assert Scripted([sure], []).read_checked([line]) == [sure]  # not read again
    assert len(_views(line)) == 3
    first = ("景德镇", [0.5, 0.9, 0.9])
    cases = [
        ([("景德镇", [0.95, 0.97, 0.99]), ("景德镇", [0.92, 0.99, 0.99]), ("景德填", [0.4])],
         "景德镇", True),
        ([("景德镇", [0.95, 0.97, 0.99]), ("景德填", [0.4]), ("暴德镇", [0.3])],
         "景德镇", False),
        ([("景德填", [0.95, 0.97, 0.99]), ("景德填", [0.95, 0.99, 0.99]), ("暴德镇", [0.3])],
         "景德填", False),
        ([("景德镇", [0.91, 0.9, 0.9]), ("景德填", [0.95, 0.97, 0.99]),
          ("景德填", [0.95, 0.99, 0.99])], "景德填", False),
        ([("景德填", [0.7]), ("暴德镇", [0.8]), ("景德真", [0.75])], "暴德镇", False),
    ]
    for views, text, certain in cases:
        [(got, scores)] = Scripted([first], views).read_checked([line])
        assert got == text
        assert (min(scores) >= CHECK_BELOW) is certain, (text, scores)
    # the caller's own view of the line (cut from the page anew, bicubic) is one more
    # vote: here the one that makes the first read sure
    views = [("景德镇", [0.95, 0.97, 0.99]), ("景德填", [0.96]), ("暴德镇", [0.3])]
    [(got, scores)] = Scripted([first], views).read_checked([line])
    assert got == "景德镇" and min(scores) < CHECK_BELOW
    [(got, scores)] = Scripted([first], [*views, ("景德镇", [0.97, 0.98, 0.99])]) \
        .read_checked([line], more=lambda i: line)
    assert got == "景德镇" and min(scores) >= CHECK_BELOW


def test_a_number_read_on_two_lines_is_its_longest_line_for_the_reviewer():
    """A number is printed on one line: a seal's arc beside it read as a line of "1" is
    not a digit of it; the value is the longer line, flagged."""
    from parser._ocr import _Text, readings_of

    spec = get_form("shanxi-application")
    where = {"pet_mr_count": (4, (0, 0, 10, 10))}
    got = readings_of(spec, {"pet_mr_count": _Text("1\n708", 0.95)}, where)["pet_mr_count"]
    assert got.value == 708 and got.confidence < 0.9
    got = readings_of(spec, {"pet_mr_count": _Text("708", 0.95)}, where)["pet_mr_count"]
    assert got.value == 708 and got.confidence == 0.95


def _by_shape(text: str):
    """The real model's class, its reads scripted by the line's shape: a line whose ink
    is a few rows tall (a flat stroke) reads "1", any other ``text``."""
    import numpy as np

    from parser._ocr import Recognizer, model_path

    class ByShape(Recognizer):
        def __init__(self):
            super().__init__(model_path())

        def read_checked(self, lines, alphabets=None, more=None):
            out = []
            for line in lines:
                rows = np.nonzero((line < 128).any(axis=1))[0]
                out.append(("1", [0.3]) if rows.max() - rows.min() < 5
                           else (text, [0.99] * len(text)))
            return out

    return ByShape()


def test_a_flat_stroke_in_a_digits_box_is_no_digit():
    """A date's month on its blank's underline: the piece of the underline the rules left
    is a flat stroke, and a flat stroke is no digit (it was read as "1": May became 15).
    In a text box the same stroke may be 一, and stays."""
    import numpy as np
    from PIL import Image

    from parser._ocr import SCALE, Affine, read_page

    page = np.full((90, 150), 255, dtype=np.uint8)
    _blocks(page, [60], top=20, bottom=50)  # the digit
    page[70:73, 40:80] = 0  # a piece of the underline, under half the box's width
    gpage = {"fields": {"apply_date.month": {"kind": "text", "bbox": [0, 0, 50, 30]},
                        "note": {"kind": "text", "bbox": [0, 0, 50, 30]}}}
    digits = {"apply_date.month": "0123456789"}.get
    got = read_page(Image.fromarray(page), Affine(SCALE, 0, 0, 0, SCALE, 0), gpage,
                    _by_shape("5"), digits)
    assert got["apply_date.month"].raw == "5" and got["apply_date.month"].confidence == 0.99
    assert got["note"].raw == "5\n1" and got["note"].confidence < 0.9


def test_a_flat_stroke_the_box_wrapped_after_chinese_is_yi():
    """第一 wrapped with 一 alone on the next line, and 一 read as "1": after a line of
    Chinese that fills the box, a lone flat stroke is 一 (for the reviewer all the
    same); after a line the writer ended, it is left as read."""
    import numpy as np
    from PIL import Image

    from parser._ocr import DOUBTFUL, SCALE, Affine, read_page

    gpage = {"fields": {"name": {"kind": "text", "bbox": [0, 0, 50, 30]}}}
    for blocks, want in (([5, 29, 53, 77, 101, 122], "太原市小店区第\n一"),
                         ([5, 29], "太原市小店区第\n1")):
        page = np.full((90, 150), 255, dtype=np.uint8)
        _blocks(page, blocks, top=5, bottom=26)
        page[45:48, 5:26] = 0  # 一, alone on the second line
        got = read_page(Image.fromarray(page), Affine(SCALE, 0, 0, 0, SCALE, 0), gpage,
                        _by_shape("太原市小店区第"))["name"]
        assert got.raw == want
        assert got.confidence <= DOUBTFUL


def test_two_lines_a_blur_ran_together_are_read_as_two():
    """A blurred scan (or a seal's edge) leaves a little ink between two lines of a
    value: they are parted at their sparsest row where the run is a line too tall (taller
    by half than the box's other line, or as wide as three characters are tall with a
    bare row between).  Two characters of two parts one over the other (李喆) stay one
    line."""
    import numpy as np

    from parser._ocr import _text_lines

    def bridged(img, y):  # two inked pixels a row over three rows: one run of rows
        img[y, 3:5] = 0
        img[y + 2, 3:5] = 0

    # three lines, the first two run together: parted by the third's height
    img = np.full((90, 160), 255, dtype=np.uint8)
    _blocks(img, [8, 32, 56, 80, 104, 128], top=4, bottom=25)
    _blocks(img, [8, 32, 56, 80, 104, 128], top=30, bottom=51)
    bridged(img, 26)
    _blocks(img, [8, 32], top=60, bottom=81)
    assert len(_text_lines(img)) == 3
    # two lines and nothing else, bare between: parted by their width
    img = np.full((60, 160), 255, dtype=np.uint8)
    _blocks(img, [8, 32, 56, 80, 104, 128], top=4, bottom=25)
    _blocks(img, [8, 32, 56], top=31, bottom=52)
    bridged(img, 26)
    img[29:31, 3:5] = 0
    assert len(_text_lines(img)) == 2
    # two lines, the first filling the box, twice as wide as the run is tall
    # (and in a wider box, which they do not fill, they stay as they are)
    for width, lines in ((104, 2), (200, 1)):
        img = np.full((60, width), 255, dtype=np.uint8)
        _blocks(img, [2, 26, 50, 74], top=4, bottom=23)
        _blocks(img, [2, 26], top=27, bottom=46)
        bridged(img, 24)
        assert len(_text_lines(img)) == lines
    # 李喆: each character's parts one over the other, a bare row between them
    img = np.full((60, 80), 255, dtype=np.uint8)
    for x in (8, 32):
        _blocks(img, [x], top=8, bottom=19)
        _blocks(img, [x], top=21, bottom=32)
    bridged(img, 19)
    assert len(_text_lines(img)) == 1


def test_the_tip_of_a_seal_star_left_above_a_line_is_no_line():
    """The box's closing leaves the tip of a grey star cut off by the box's edge: a small
    dark shape above the value, once read as a line ("A").  A line of 二 (two long
    strokes) is still a line."""
    import numpy as np

    from parser._ocr import _text_lines

    img = np.full((70, 160), 255, dtype=np.uint8)
    for i, y in enumerate(range(4, 12)):
        img[y, 60 - i // 2:62 + i // 2] = 90  # the tip, widening downwards
    img[15, 50:53] = 120  # its faint sides
    img[15, 70:73] = 120
    _blocks(img, [8, 32, 56, 80, 104, 128], top=30, bottom=51)
    assert len(_text_lines(img)) == 1
    img[4:7, 40:62] = 0  # 二's upper stroke
    img[12:15, 36:66] = 0  # and its lower one
    img[15] = 255
    assert len(_text_lines(img)) == 2


def test_a_mark_along_a_grey_star_s_edge_makes_the_value_doubtful():
    """A grey star's blurred edge is darker than the box's closing follows: a trace of it
    stays, as dark as faint print (read as a "，" after 天津市).  A value with such a mark
    in its box is never sure; the same print without the star is."""
    import numpy as np
    from PIL import ImageFilter

    from parser._ocr import _paper

    crop = Image.new("L", (210, 80), 245)
    ImageDraw.Draw(crop).polygon([(105, 2), (170, 40), (140, 78), (70, 78), (40, 40)],
                                 fill=90)
    sealed = np.asarray(crop.filter(ImageFilter.GaussianBlur(2.5))).copy()
    plain = np.full((80, 210), 245, dtype=np.uint8)
    for img in (sealed, plain):
        _blocks(img, [20, 70, 100, 160], top=25, bottom=46)
    paper, traced = _paper(sealed)
    assert traced
    assert paper[25:46, 70:73].max() < 100  # the print on the star stays
    assert _paper(plain)[1] is False


def test_a_value_written_or_corrected_by_hand_goes_to_the_reviewer():
    """Our values are printed black: a pen's blue in a box was written by hand.  An
    address written in an empty box, and a typed phone corrected in pen, are never
    sure (nor is the box read as surely empty); the printed values beside them, and the
    same page without the pen, stay sure.  A red seal is no pen."""
    from PIL import ImageFont

    from forms import sample_record
    from forms.layout import layout_geometry
    from forms.layout._font import prepared_font_path
    from generator.pdf import render_pdf
    from parser._ocr import pen_ink

    spec = get_form(FORM)
    record = sample_record(spec)
    record["address"] = None
    dpi = 200
    page = printed(render_pdf(spec, record), dpi)[0]
    boxes = layout_geometry(spec)["pages"][0]["fields"]
    k = dpi / 72
    page = _sealed(page, boxes["application_content"]["bbox"], dpi)
    clean = _jpeg(page, dpi)
    assert len(pen_ink(Image.open(io.BytesIO(clean)))) == 0
    pen = (35, 60, 175)  # a ballpoint's blue
    draw = ImageDraw.Draw(page)
    x0, top, _, _ = boxes["address"]["bbox"]
    font = ImageFont.truetype(str(prepared_font_path("song")), round(11 * k))
    draw.text((x0 * k + 10, top * k + 12), "南昌路8号", fill=pen, font=font)
    x0, top, x1, bottom = boxes["contact_person_phone"]["bbox"]
    draw.line((x0 * k + 5, (top + bottom) / 2 * k, x1 * k - 5, (top + bottom) / 2 * k),
              fill=pen, width=3)  # struck through
    draw.text((x0 * k + 5, bottom * k - 14 * k), "13907981234", fill=pen, font=font)
    written = parse_pdf(_jpeg(page, dpi)).to_dict()
    before = parse_pdf(clean).to_dict()
    for name in ("address", "contact_person_phone"):
        assert _flagged(written, name), written["fields"][name]
        assert not _flagged(before, name), before["fields"][name]
    assert before["fields"]["address"]["value"] is None
    for name in ("legal_rep_contact", "rated_beds", "institution_name"):
        assert written["fields"][name]["value"] == before["fields"][name]["value"]
        assert not _flagged(written, name), written["fields"][name]
