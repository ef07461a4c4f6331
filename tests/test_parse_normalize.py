"""Reading printed text: normalisation, typed values, checkbox glyphs, line joining.

Unit tests of ``parser._normalize`` and of the line logic of ``parser._layout``
on characters placed by hand, for what the round trips do not reach: producers
other than LibreOffice (Word's Wingdings boxes, Kangxi radicals, fake bold
printed twice, distributed Chinese text), and every way people write dates,
numbers and ticks.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from parser._layout import (
    Char,
    Line,
    Stream,
    _dedupe,
    _first_unit,
    _line_break,
    _soft_join,
    group_lines,
    span_text,
)
from parser._normalize import (
    clean_text,
    key,
    parse_choice,
    parse_date,
    parse_number,
    read_mark,
    symbol_char,
)

# ---------------------------------------------------------------- dates

@pytest.mark.parametrize("text", [
    "2024年7月1日", "2024年07月01日", "2024 年 7 月 1 日", "2024　年７月１日", "２０２４年７月１日",
    "2024.7.1", "2024-07-01", "2024/7/1", "20240701", "二〇二四年七月一日", "二○二四年七月一日",
    "2024年7月1", "　2024　　年7　月1　日",
])
def test_dates_as_people_write_them(text):
    assert parse_date(text) == (dt.date(2024, 7, 1), None)


def test_chinese_numeral_dates_with_tens():
    assert parse_date("二〇二三年十二月三十一日")[0] == dt.date(2023, 12, 31)
    assert parse_date("二〇二三年十月二十日")[0] == dt.date(2023, 10, 20)


@pytest.mark.parametrize("text", ["", "　　年　月　日", "年月日", "  "])
def test_blank_dates_are_no_date(text):
    assert parse_date(text) == (None, None)


@pytest.mark.parametrize("text,code", [
    ("2024年　月　日", "date_incomplete"), ("2024年7月", "date_incomplete"),
    ("24年7月1日", "year_ambiguous"), ("2023年2月29日", "date_invalid"),
    ("明天", "date_unreadable"), ("2024.13.1", "date_invalid"),
])
def test_dates_that_cannot_be_read(text, code):
    value, problem = parse_date(text)
    assert value is None and problem.code == code
    assert problem.message_zh and problem.message_en


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize("text,unit,integer,expected", [
    ("120", "张", True, 120),
    ("120张", "张", True, 120),
    ("１２０ 张", "张", True, 120),
    (" 12 人", "人", True, 12),
    ("3000人次", "人次", True, 3000),
    ("1,234", "人", True, 1234),
    ("1,234.50 元", "元", False, Decimal("1234.50")),
    ("1，234.50元", "元", False, Decimal("1234.50")),
    ("0.55", "万元", False, Decimal("0.55")),
    ("50㎡", "㎡", False, Decimal(50)),
    ("50 平方米", "㎡", False, Decimal(50)),
    ("12.5万元", "元", False, Decimal(125000)),
    ("5000元", "万元", False, Decimal("0.5")),
])
def test_numbers_with_units(text, unit, integer, expected):
    value, problem, _ = parse_number(text, unit, integer)
    assert problem is None and value == expected and type(value) is type(expected)


def test_a_converted_unit_says_so():
    assert parse_number("1.5万元", "元", False)[2] is True
    assert parse_number("15000元", "元", False)[2] is False


@pytest.mark.parametrize("text,unit,integer,code", [
    ("十二", "张", True, "not_a_number"), ("12.5", "张", True, "not_an_integer"),
    ("12.0", "张", True, "not_an_integer"), ("3张", "人", True, "unit_mismatch"),
    ("12个", None, True, "unit_mismatch"), ("1.2.3", "元", False, "not_a_number"),
    ("约100", "人", True, "not_a_number"),
])
def test_numbers_that_cannot_be_read(text, unit, integer, code):
    value, problem, _ = parse_number(text, unit, integer)
    assert value is None and problem.code == code


def test_no_number_is_no_value():
    assert parse_number("　 ", "张", True) == (None, None, False)


# ---------------------------------------------------------------- checkbox glyphs

@pytest.mark.parametrize("text,state", [
    ("□", False), ("☐", False), ("■", True), ("☑", True), ("☒", True), ("✓", True),
    ("√", True), ("□√", True), ("√□", True), (" ☑ ", True), ("", None), ("  ", None),
    ("×", "ambiguous"), ("✗", "ambiguous"), ("是", "ambiguous"),
])
def test_marks(text, state):
    assert read_mark(text) == state


@pytest.mark.parametrize("text,font,glyph", [
    ("\uf0fe", "ABCDEF+Wingdings-Regular", "🗹"),  # Word: Wingdings ☑ as a private-use code
    ("þ", "Wingdings", "🗹"),  # the same, as the font's one-byte code
    ("(cid:254)", "Wingdings", "🗹"),  # no character map at all
    ("o", "Wingdings", "□"),
    ("¨", "Wingdings", "◻"),
    ("ü", "Wingdings", "✔"),
    ("R", "ABCDEF+Wingdings2", "☑"),  # Wingdings 2: the same code is another glyph
    ("£", "Wingdings 2", "□"),
    ("P", "Wingdings-2", "✓"),
    ("\uf052", "CAAAAA+OpenSymbol", "☑"),  # LibreOffice: font name lost, code kept
    ("\uf0a3", "OpenSymbol", "□"),
    ("R", "DejaVuSans", "R"),  # a letter in a text font is a letter
    ("þ", "TimesNewRoman", "þ"),
])
def test_symbol_fonts_told_apart_by_name(text, font, glyph):
    assert symbol_char(text, font) == glyph


def test_every_symbol_box_reads_as_a_mark():
    for font, codes in (("Wingdings", "onqrx¨ûüýþ"), ("Wingdings 2", "OPQRST£")):
        for c in codes:
            assert read_mark(symbol_char(c, font)) in (True, False, "ambiguous")


# ---------------------------------------------------------------- choices

@pytest.mark.parametrize("text,value", [
    ("非营利性☑ 营利性□", "非营利性"),
    ("非营利性□ 营利性☑", "营利性"),  # 营利性 is not found inside 非营利性
    ("非营利性□√ 营利性□", "非营利性"),
    ("非营利性□ 营利性□", None),
])
def test_choices(text, value):
    assert parse_choice(text, ("非营利性", "营利性")) == (value, None)


def test_choices_that_cannot_be_read():
    assert parse_choice("非营利性☑ 营利性☑", ("非营利性", "营利性"))[1].code == "choice_ambiguous"
    assert parse_choice("非营利性× 营利性□", ("非营利性", "营利性"))[1].code == "mark_ambiguous"
    assert parse_choice("☑", ("非营利性", "营利性"))[1].code == "labels_missing"
    # labels but no box at all (drawn boxes, read from the page's drawing instead)
    assert parse_choice("非营利性 营利性", ("非营利性", "营利性"))[1].code == "marks_missing"


# ---------------------------------------------------------------- text

@pytest.mark.parametrize("printed,value", [
    ("\u2f47\u671f", "日期"),  # Kangxi radical ⽇ for 日 (fonts map glyphs to radicals)
    ("\u2ecb\u8f86", "车辆"),  # CJK radicals supplement ⻋ for 车
    ("\uf900", "豈"),  # a compatibility ideograph
    ("王 堃 喆", "王堃喆"),  # distributed (justified) Chinese text
    ("王\u3000堃喆", "王堃喆"),
    ("景德镇市 第一人民医院", "景德镇市第一人民医院"),
    ("Edge HD 型号", "Edge HD 型号"),  # spaces at Latin words stay
    ("　景德镇　　　", "景德镇"),  # the blank's padding around a typed value
    ("王\u200b堃", "王堃"),
    ("（主任）；“测试”、。：", "（主任）；“测试”、。："),  # full-width punctuation is the value
    ("A&B <C> \"D\" 'E'", "A&B <C> \"D\" 'E'"),
])
def test_clean_text(printed, value):
    assert clean_text(printed)[0] == value


def test_clean_multiline_keeps_lines():
    assert clean_text(" 第一行 \n\n第二行　", multiline=True)[0] == "第一行\n\n第二行"
    assert clean_text("第一\n行")[0] == "第一行"


def test_cleaning_beyond_padding_lowers_certainty():
    assert clean_text("　景德镇　")[1] is False
    assert clean_text("王 堃 喆")[1] is True


def test_keys_match_labels_across_widths_and_radicals():
    assert key("（元）") == key("(元)")
    assert key("\u2f47 期") == key("日期")
    assert key("取得执业\n或营业许\n可证时间") == key("取得执业或营业许可证时间")


# ---------------------------------------------------------------- page text, placed by hand

def _chars(text: str, x: float, top: float, size: float = 10.5, width: float | None = None,
           page: int = 1) -> list[Char]:
    out = []
    for ch in text:
        w = width or (size if not ch.isascii() else size * 0.6)
        out.append(Char(ch, x, x + w, top, top + size, size, page))
        x += w
    return out


def test_doubled_characters_are_printed_once():
    """Fake bold: the same text printed twice, 0.3 pt apart."""
    a = _chars("机构名称", 100, 100)
    b = _chars("机构名称", 100.3, 100.2)
    chars, _ = _dedupe(a + b, ["F"] * 8)
    assert "".join(c.text for c in chars) == "机构名称"
    # the same character side by side is kept: 喆喆 is a value
    two = _chars("喆喆", 100, 100)
    assert len(_dedupe(two, ["F", "F"])[0]) == 2


def test_lines_and_spaces_laid_over_glyphs():
    """LibreOffice prints spaces over the glyphs where Chinese meets Latin; a space typed
    stands in a gap of its own; a gap with no space glyph between Latin words is a space."""
    chars = _chars("位", 100, 100) + [Char(" ", 108.3, 111.9, 100, 110.5, 10.5, 1)] \
        + _chars("ab", 112.5, 100)
    typed = _chars("王", 100, 130) + [Char(" ", 110.5, 113.6, 130, 140.5, 10.5, 1)] \
        + _chars("13", 113.6, 130)
    gap = _chars("Hello", 100, 160) + _chars("World", 135, 160)
    lines = group_lines(chars + typed + gap)
    assert [ln.text for ln in lines] == ["位ab", "王 13", "Hello World"]


def test_spaces_an_export_with_wide_space_fonts_prints_are_read_as_typed():
    """Liberation Serif (what Debian's LibreOffice pulls in) at 12 pt, as exported: the
    autospacing gap between '6' and '西' (2.5 pt) is filled with underline-carrying spaces
    3 pt wide that reach half a point into '西' — no space was typed; a typed space abuts
    its neighbours; one typed space printed in both the Latin and the Chinese font, 0.2 pt
    apart, is one space."""
    six = Char("6", 185.38, 191.38, 400, 412, 12.0, 1)
    west = Char("西", 193.9, 205.9, 400, 412, 12.0, 1)
    fillers = [Char(" ", 191.4, 194.4, 400, 412, 12.0, 1) for _ in range(4)]
    assert [ln.text for ln in group_lines([six, *fillers, west])] == ["6西"]
    x = Char("x", 511.3, 519.18, 300, 312, 12.0, 1)
    twice = [Char(" ", 519.18, 523.62, 300, 312, 12.0, 1), Char(" ", 519.39, 523.58, 300, 312, 12.0, 1)]
    three = Char("3", 523.62, 529.62, 300, 312, 12.0, 1)
    assert [ln.text for ln in group_lines([x, *twice, three])] == ["x 3"]
    # two spaces typed are two spaces
    two = [Char(" ", 519.18, 523.62, 300, 312, 12.0, 1), Char(" ", 523.62, 528.06, 300, 312, 12.0, 1)]
    three = Char("3", 528.06, 534.06, 300, 312, 12.0, 1)
    assert [ln.text for ln in group_lines([x, *two, three])] == ["x  3"]


def _line(text: str, x: float = 100, top: float = 100, size: float = 10.5) -> Line:
    cs = _chars(text, x, top, size)
    return Line(cs, top, top + size)


def test_first_unit_of_a_line():
    assert "".join(c.text for c in _first_unit(_line("“测试”，好"))) == "“测"
    assert "".join(c.text for c in _first_unit(_line("测。），好"))) == "测。），"
    assert "".join(c.text for c in _first_unit(_line("Orthopaedic surgery"))) == "Orthopaedic"


def test_a_wrap_is_joined_and_a_break_kept():
    avail = 10 * 10.5  # ten Chinese characters
    full = _line("一二三四五六七八九十")
    short = _line("一二三")
    nxt = _line("甲乙", top=114)
    assert _line_break(full, nxt, avail, 1.35)[0] == ""  # 甲 did not fit: a wrap
    assert _line_break(short, nxt, avail, 1.35)[0] == "\n"  # it would have: Enter
    after_blank = _line("甲乙", top=128.5)
    assert _line_break(short, after_blank, avail, 1.35)[0] == "\n\n"


def test_latin_wraps_lose_their_space():
    avail = 80.0
    words = _line("Hello World")  # 66 pt
    assert _soft_join(words, _line("Foo", top=114), avail) == " "  # F would have fitted
    one_word = _line("Supercalifragi")  # fills the line: broken inside the word
    assert _soft_join(one_word, _line("listic", top=114), avail) == ""
    assert _soft_join(_line("ab-"), _line("cd", top=114), avail) == ""  # after a hyphen
    assert _soft_join(_line("王堃喆"), _line("abc", top=114), avail) == ""  # Chinese, Latin


def test_unreadable_text_is_reported():
    cs = _chars("AB", 100, 100)
    cs[1].text = "(cid:77)"
    stream = Stream([Line(cs, 100, 110.5)])
    assert span_text(stream, 0, 2, False, 100, 1.3).unreadable
