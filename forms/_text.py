"""Text a user gives (records, profiles, parties, scores): checked once, at the edge.

A lone surrogate cannot be encoded (UTF-8, UTF-16, a PDF string): it would fail deep in a
renderer.  A control character prints as nothing or as a box; a bidi override
(U+202A–U+202E, U+2066–U+2069) makes a value print in an order other than its own, which
on an official form is a way to make a page say something its data does not.  Each is
refused, naming the field.  Line breaks and tabs are text.
"""

from __future__ import annotations

from typing import Any

from .errors import FieldProblem, InputInvalid

_BIDI = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_ALLOWED_CONTROLS = frozenset("\n\r\t")
#: problems listed at the most (a hostile body may hold millions)
MAX_LISTED = 50


class TextInvalid(InputInvalid):
    code = "text_invalid"


def _bad_char(s: str) -> tuple[str, str, str] | None:
    for c in s:
        o = ord(c)
        if 0xD800 <= o <= 0xDFFF:
            return ("unencodable", f"含有无法编码的字符（单独的代理项 U+{o:04X}）",
                    f"holds a character that cannot be encoded (lone surrogate U+{o:04X})")
        if (o < 0x20 and c not in _ALLOWED_CONTROLS) or 0x7F <= o <= 0x9F:
            return ("control_character", f"含有控制字符 U+{o:04X}",
                    f"holds the control character U+{o:04X}")
        if o in _BIDI:
            return ("bidi_control", f"含有改变文字方向的控制字符 U+{o:04X}",
                    f"holds the text-direction control U+{o:04X}")
    return None


def text_problems(data: Any, path: str = "") -> list[FieldProblem]:
    """Every string (and key) of a parsed JSON document that holds such a character."""
    out: list[FieldProblem] = []

    def visit(v: Any, where: str) -> None:
        if len(out) >= MAX_LISTED:
            return
        if isinstance(v, str):
            bad = _bad_char(v)
            if bad:
                name = where or "(body)"
                out.append(FieldProblem(name, bad[0], f"{name}：{bad[1]}", f"{name}: {bad[2]}"))
        elif isinstance(v, dict):
            for k, x in v.items():
                key = f"{where}.{k}" if where else str(k)
                if isinstance(k, str) and _bad_char(k):
                    visit(k, key)
                visit(x, key)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                visit(x, f"{where}.{i}" if where else str(i))

    visit(data, path)
    return out


def check_text(data: Any, what_zh: str, what_en: str) -> Any:
    """``data`` unchanged, or ``TextInvalid`` (HTTP 422, exit 2) listing each field."""
    problems = text_problems(data)
    if problems:
        raise TextInvalid(f"{what_zh}有 {len(problems)} 处文字含有不允许的字符",
                          f"{what_en} has {len(problems)} text value(s) with characters "
                          "that are not allowed", problems)
    return data
