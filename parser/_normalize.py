"""Text as printed in a PDF, made comparable and turned into typed values.

Two uses, two strengths:

* ``key`` (matching official labels and titles): NFKC, CJK radicals to their
  ideographs, every space dropped.  NFKC merges full- and half-width forms, so
  a label printed ``（元）`` matches ``(元)``.
* ``clean_text`` (a value read from the page): only what a PDF producer adds and
  a person never meant: Kangxi and supplement radicals and compatibility
  ideographs (fonts map glyphs to them: ``⽇`` for ``日``), zero-width characters,
  spaces between two Chinese characters (justified or distributed text), the
  padding around a value.  Full-width punctuation stays as typed: ``（）；“”`` are
  the value, NFKC would turn them into ASCII.

Typed values: integers and decimals with their units (``120张``, ``1,234.50 元``,
full-width digits), dates (``2024年7月1日``, ``2024.7.1``, ``2024-07-01``,
``二〇二四年七月一日``, blanks left in ``　　年　月　日``), checkbox glyphs
(``□☐`` empty, ``■☑☒✓√`` ticked, Wingdings and Wingdings 2 codes told apart by
font name).  A value that cannot be read is reported (``Problem``), never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

# CJK Radicals Supplement characters that stand for a simplified character: NFKC maps the
# Kangxi Radicals block (U+2F00-U+2FD5) but, for this block, only U+2E9F and U+2EF3
CJK_RADICALS_SUPPLEMENT = {
    "\u2e8c": "小", "\u2e8d": "小", "\u2e95": "彐", "\u2e9c": "日", "\u2ea0": "民",
    "\u2ea3": "灬", "\u2ea4": "爫", "\u2ea6": "丬", "\u2ea8": "犭", "\u2eab": "罒",
    "\u2eae": "竹", "\u2eb3": "罒", "\u2eb6": "羊", "\u2eb7": "羊", "\u2ebb": "聿",
    "\u2ec4": "西", "\u2ec5": "见", "\u2ec6": "角", "\u2ec8": "讠", "\u2ec9": "贝",
    "\u2ecb": "车", "\u2ecc": "辶", "\u2ecd": "辶", "\u2ed0": "钅", "\u2ed3": "长",
    "\u2ed4": "长", "\u2ed5": "门", "\u2ed8": "青", "\u2eda": "页", "\u2edb": "风",
    "\u2edc": "飞", "\u2edd": "食", "\u2ede": "食", "\u2edf": "食", "\u2ee0": "饣",
    "\u2ee2": "马", "\u2ee3": "骨", "\u2ee4": "鬼", "\u2ee5": "鱼", "\u2ee6": "鸟",
    "\u2ee7": "卤", "\u2ee8": "麦", "\u2ee9": "黄", "\u2eea": "黾", "\u2eeb": "斉",
    "\u2eec": "齐", "\u2eed": "歯", "\u2eee": "齿", "\u2ef0": "龙", "\u2ef2": "亀",
}
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

# ---------------------------------------------------------------- checkbox glyphs

TICKED = frozenset("☑☒■✓✔√▣⌧🗹🗷✅❎◼⬛▪")
EMPTY_BOX = frozenset("□☐◻⬜❑❒▢")
#: an X alone may mean "no" as well as "chosen": reported, not guessed
CROSS = frozenset("✗✘🗶❌╳×xX")
MARKS = TICKED | EMPTY_BOX | CROSS

# Wingdings and Wingdings 2 codes (the font's one-byte code; Word writes them as is, or
# as U+F0xx in the private use area) of boxes and ticks
_WINGDINGS = {0x6E: "■", 0x6F: "□", 0x71: "❑", 0x72: "❒", 0x78: "⌧", 0xA8: "◻",
              0xFB: "🗶", 0xFC: "✔", 0xFD: "🗷", 0xFE: "🗹"}
_WINGDINGS2 = {0x4F: "✗", 0x50: "✓", 0x51: "☒", 0x52: "☑", 0x53: "☒", 0x54: "☒",
               0xA0: "■", 0xA2: "■", 0xA3: "□"}
# a private-use code whose font name is lost (LibreOffice draws Wingdings with OpenSymbol
# and keeps U+F0xx): the two tables agree on no box code, so their union is unambiguous
# for boxes; where both have a glyph (0x6E, 0x6F, 0x78, 0xA8: ⑤⑥❹▣ in Wingdings 2) the
# box reading wins, as only a box makes sense where a box is printed
_SYMBOL_PUA = {**_WINGDINGS2, **_WINGDINGS}
_CID = re.compile(r"^\(cid:(\d+)\)$")


def symbol_char(text: str, fontname: str) -> str:
    """A character as its Unicode box or tick when it comes from a symbol font."""
    name = fontname.lower().replace(" ", "").replace("-", "")
    code = None
    m = _CID.match(text)
    if m:
        code = int(m.group(1))
    elif len(text) == 1:
        code = ord(text)
    if code is None:
        return text
    low = code & 0xFF if 0xF000 <= code <= 0xF0FF else code
    if "wingdings2" in name:
        return _WINGDINGS2.get(low, text)
    if "wingdings" in name:
        return _WINGDINGS.get(low, text)
    if 0xF000 <= code <= 0xF0FF:
        return _SYMBOL_PUA.get(low, text)
    return text


def read_mark(text: str) -> bool | None | str:
    """A checkbox's state from the text printed where its box is.

    ``True`` ticked, ``False`` an empty box, ``None`` nothing there, ``"ambiguous"``
    an X alone or text that is no mark.
    """
    marks = [c for c in text if not c.isspace()]
    if not marks:
        return None
    if any(c in TICKED for c in marks):
        return True
    if any(c in CROSS for c in marks):
        return "ambiguous"
    if all(c in EMPTY_BOX for c in marks):
        return False
    return "ambiguous"


# ---------------------------------------------------------------- text

@lru_cache(maxsize=8192)
def char_key(ch: str) -> str:
    """One character as it is compared: NFKC, radicals mapped, spaces dropped."""
    if ch.isspace():
        return ""
    ch = CJK_RADICALS_SUPPLEMENT.get(ch, ch)
    k = unicodedata.normalize("NFKC", ch)
    return "".join(c for c in k if not c.isspace())


def key(text: str) -> str:
    return "".join(char_key(c) for c in text)


def is_cjk(ch: str) -> bool:
    """Chinese characters and the punctuation set with them (full-width forms, “” ‘’)."""
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFE30 <= o <= 0xFE4F
            or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF or 0x2018 <= o <= 0x201F)


def _fold_char(ch: str) -> str:
    o = ord(ch)
    if 0x2F00 <= o <= 0x2FDF or 0xF900 <= o <= 0xFAFF or 0x2F800 <= o <= 0x2FA1F:
        return unicodedata.normalize("NFKC", ch)
    return CJK_RADICALS_SUPPLEMENT.get(ch, ch)


_CJK_GAP = re.compile(r"(?<=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u2018-\u201f])"
                      r"[ \t\u00a0\u3000]+"
                      r"(?=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u2018-\u201f])")
_PAD = " \t\u00a0\u3000\u2002\u2003\u2007\u2009"


def clean_text(text: str, multiline: bool = False) -> tuple[str, bool]:
    """A value as printed, cleaned (see module doc); also whether anything was changed
    beyond the padding around it (the reading is then less certain)."""
    raw = text
    text = text.translate(_ZERO_WIDTH)
    text = "".join(_fold_char(c) for c in text)
    lines = text.split("\n") if multiline else [text.replace("\n", "")]
    lines = [_CJK_GAP.sub("", ln).strip(_PAD) for ln in lines]
    out = "\n".join(lines).strip("\n") if multiline else lines[0]
    changed = out != raw.strip(_PAD + "\n")
    return out, changed


def clean_field_value(text: str) -> str:
    """A value typed into a PDF form field: only line ends made uniform (\\r\\n, \\r → \\n)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- problems

@dataclass(frozen=True)
class Problem:
    """Why a printed value could not be read as its type (a warning, never a guess)."""

    code: str
    message_zh: str
    message_en: str


PROBLEMS = {
    "not_a_number": ("不是数字", "is not a number"),
    "not_an_integer": ("不是整数", "is not a whole number"),
    "unit_mismatch": ("单位与表中不符", "carries a unit other than the form's"),
    "date_unreadable": ("不是可识别的日期", "is not a date that can be read"),
    "date_incomplete": ("日期不完整", "is an incomplete date"),
    "date_invalid": ("日期不存在", "is a date that does not exist"),
    "year_ambiguous": ("年份只有两位，无法确定", "has a two-digit year, which is ambiguous"),
    "mark_ambiguous": ("勾选标记无法确定（如只有 ×，或不是勾选符号）",
                       "has a mark that cannot be read as ticked or not (an X alone, or no box)"),
    "choice_ambiguous": ("勾选了多个选项", "has more than one choice ticked"),
    "choice_unknown": ("选中的不是表中的选项", "has a choice the form does not offer"),
    "appearance_clipped": ("填写工具为它绘制的外观超出了格子（汉字之间没有换行），打印件上这个值"
                           "可能显示不全；已按字段的值读取，请核对纸质件",
                           "has an appearance, drawn by the filling tool, that runs out of its "
                           "box: a printed copy may cut the value off; read from the value, "
                           "check the paper copy"),
    "appearance_mismatch": ("填写工具为它绘制的外观显示的文字与字段的值不同，打印件上可能是错字；"
                            "已按字段的值读取，请核对纸质件",
                            "has an appearance, drawn by the filling tool, that shows other text "
                            "than its value: a printed copy may be wrong; read from the value, "
                            "check the paper copy"),
    "text_unreadable": ("文字无法读取（字体缺少字符映射）",
                        "has text that cannot be read (the font maps no characters)"),
    "labels_missing": ("找不到选项文字", "shows none of the form's choice labels"),
    "marks_missing": ("找不到勾选框或勾选标记，无法判断是否勾选",
                      "shows no box and no tick: whether it is ticked cannot be told"),
    "label_not_found": ("页面上找不到其标签，无法确定数值位置",
                        "cannot be located: its label is not on the page"),
    "cell_not_found": ("页面上找不到其所在的表格单元格",
                       "cannot be located: its table cell is not on the page"),
}


def problem(code: str) -> Problem:
    zh, en = PROBLEMS[code]
    return Problem(code, zh, en)


# ---------------------------------------------------------------- numbers

# units as NFKC leaves them (㎡ → m2); longest first so 万元 wins over 元, 人次 over 人
_UNIT_ALIASES = {
    "㎡": ("m2", "平方米", "平米"),
    "万元": ("万元",), "元": ("元",), "人次": ("人次",), "人": ("人", "名"),
    "张": ("张",), "个": ("个",), "种": ("种",), "台": ("台",),
}
_ALIAS_TO_UNIT = sorted(((a, u) for u, al in _UNIT_ALIASES.items() for a in al),
                        key=lambda p: -len(p[0]))
_CONVERT = {("元", "万元"): Decimal("0.0001"), ("万元", "元"): Decimal(10000)}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def _number_text(text: str, unit: str | None) -> tuple[str, str | None]:
    """Digits of ``text`` and the unit written after them (None when none)."""
    t = "".join(char_key(c) for c in text)  # NFKC: full-width digits, ㎡ → m2; no spaces
    t = t.replace("，", ",")
    written = None
    for alias, u in _ALIAS_TO_UNIT:
        if t.endswith(alias) and len(t) > len(alias):
            written = u
            t = t[: -len(alias)]
            break
    if _GROUPED.match(t):
        t = t.replace(",", "")
    return t, written


def parse_number(text: str, unit: str | None, integer: bool,
                 ) -> tuple[int | Decimal | None, Problem | None, bool]:
    """(value, problem, converted): the number printed in ``text`` in the field's ``unit``.

    A unit other than the field's is converted when exact (元 ↔ 万元), else a problem.
    """
    if not text.strip(_PAD + "\n"):
        return None, None, False
    t, written = _number_text(text, unit)
    if not _NUMBER.match(t):
        return None, problem("not_a_number"), False
    try:
        d = Decimal(t)
    except InvalidOperation:
        return None, problem("not_a_number"), False
    converted = False
    if written is not None and unit is not None and written != unit:
        factor = _CONVERT.get((written, unit))
        if factor is None:
            return None, problem("unit_mismatch"), False
        d = (d * factor).normalize()
        if d == d.to_integral_value():
            d = d.quantize(Decimal(1))
        converted = True
    elif written is not None and unit is None:
        return None, problem("unit_mismatch"), False
    if integer:
        if d != d.to_integral_value() or ("." in t and not converted):
            return None, problem("not_an_integer"), False
        return int(d), None, converted
    return d, None, converted


# ---------------------------------------------------------------- dates

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "Ｏ": 0, "O": 0, "o": 0,
              "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DATE_NUM = re.compile(r"^(\d{2}|\d{4})[年./\-](\d{1,2})[月./\-](\d{1,2})日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_PARTS = re.compile(r"^(?P<y>[^年]*)年(?P<m>[^月]*)月(?P<d>[^日]*)日?$")
_DATE_CN = re.compile(r"^([〇○零Ｏ一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月"
                      r"([一二三四五六七八九十]{1,3})日$")


def _cn_number(s: str) -> int | None:
    """一 … 三十一 as an integer."""
    if s == "十":
        return 10
    if "十" in s:
        a, _, b = s.partition("十")
        tens = _CN_DIGITS.get(a, 0) if a else 1
        ones = _CN_DIGITS.get(b, 0) if b else 0
        return tens * 10 + ones
    if len(s) == 1:
        return _CN_DIGITS.get(s)
    return None


def make_date(y: str, m: str, d: str) -> tuple[dt.date | None, Problem | None]:
    """A date from its three printed parts (digits, possibly blank)."""
    parts = [p for p in (y, m, d)]
    if not any(parts):
        return None, None
    if not all(parts):
        return None, problem("date_incomplete")
    if not all(p.isdigit() for p in parts):
        return None, problem("date_unreadable")
    if len(y) != 4:
        return None, problem("year_ambiguous" if len(y) == 2 else "date_unreadable")
    try:
        return dt.date(int(y), int(m), int(d)), None
    except ValueError:
        return None, problem("date_invalid")


def parse_date(text: str) -> tuple[dt.date | None, Problem | None]:
    """A date as printed: 2024年7月1日, 2024.7.1, 2024-07-01, 2024/7/1, 20240701,
    二〇二四年七月一日; blanks (``　　年　月　日``) are no date."""
    t = "".join(char_key(c) for c in text)
    if t in ("", "年月日"):
        return None, None
    m = _DATE_NUM.match(t)
    if m:
        return make_date(*m.groups())
    m = _DATE_COMPACT.match(t)
    if m:
        return make_date(*m.groups())
    m = _DATE_CN.match(t)
    if m:
        y = "".join(str(_CN_DIGITS[c]) for c in m.group(1))
        mo, d = _cn_number(m.group(2)), _cn_number(m.group(3))
        if mo is None or d is None:
            return None, problem("date_unreadable")
        return make_date(y, str(mo), str(d))
    m = _DATE_PARTS.match(t)
    if m:  # some parts blank: 2024年月日
        return make_date(m.group("y"), m.group("m"), m.group("d"))
    return None, problem("date_unreadable")


def digits(text: str) -> str:
    """A date part typed into a form field: NFKC (full-width digits), spaces dropped."""
    return "".join(char_key(c) for c in text)


# ---------------------------------------------------------------- choices

def parse_choice(text: str, choices: tuple[str, ...]) -> tuple[str | None, Problem | None]:
    """The choice ticked in printed text such as ``非营利性☑ 营利性□``: each label is followed
    by its box.  Labels are found longest first, so 营利性 is not found inside 非营利性."""
    k = key(text)
    if not k:
        return None, None
    claimed: list[tuple[int, int, str]] = []
    for choice in sorted(choices, key=lambda c: -len(key(c))):
        ck = key(choice)
        i = k.find(ck)
        while i != -1 and any(a < i + len(ck) and i < b for a, b, _ in claimed):
            i = k.find(ck, i + 1)
        if i != -1:
            claimed.append((i, i + len(ck), choice))
    if not claimed:
        return None, problem("labels_missing")
    if not any(c in MARKS for c in k):  # labels but no boxes: drawn, or not printed at all
        return None, problem("marks_missing")
    claimed.sort()
    ticked, unsure = [], False
    for n, (a, b, choice) in enumerate(claimed):
        end = claimed[n + 1][0] if n + 1 < len(claimed) else len(k)
        m = read_mark(k[b:end])
        if m is True:
            ticked.append(choice)
        elif m == "ambiguous":
            unsure = True
    if len(ticked) > 1:
        return None, problem("choice_ambiguous")
    if unsure:
        return None, problem("mark_ambiguous")
    if len(claimed) < len(choices) and not ticked:
        return None, problem("labels_missing")
    return (ticked[0] if ticked else None), None
