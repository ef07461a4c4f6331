"""Reading a scoring input, for point tables and checklists alike: the problems found
(each naming its item), numbers as decimals, yes/no, and the header (kind, date,
institution)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from forms.errors import FieldProblem

from ._model import ScoringTable


class _Problems:
    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, field: str, code: str, zh: str, en: str) -> None:
        # the command line prints messages without the field path: name the item in them
        parts = field.split(".")
        if parts[0] == "items" and len(parts) > 1:
            item = ".".join(parts[1:3]) if len(parts) > 2 and parts[2].isdigit() else parts[1]
            if not zh.startswith(f"第{item}项"):
                zh, en = f"第{item}项：{zh}", f"item {item}: {en}"
        self.items.append(FieldProblem(field, code, zh, en))


def _number(v: Any, where: str, label: str, probs: _Problems, integer: bool = False) -> Decimal | None:
    if isinstance(v, bool) or not isinstance(v, (int, float, str, Decimal)):
        probs.add(where, "not_a_number", f"{label}应为数字，收到：{v!r}",
                  f"{label}: expected a number, got {v!r}")
        return None
    try:
        # str(): a JSON float 800.5 is taken as the decimal 800.5 the user wrote
        d = Decimal(str(v).strip())
    except InvalidOperation:
        probs.add(where, "not_a_number", f"{label}应为数字，收到：{v!r}",
                  f"{label}: expected a number, got {v!r}")
        return None
    if not d.is_finite():
        probs.add(where, "not_a_number", f"{label}应为有限的数字", f"{label}: not a finite number")
        return None
    if d < 0:
        probs.add(where, "negative", f"{label}不能为负数：{v}", f"{label}: must not be negative: {v}")
        return None
    if integer and d != d.to_integral_value():
        probs.add(where, "not_an_integer", f"{label}应为整数：{v}", f"{label}: must be a whole number: {v}")
        return None
    return d


def _bool(v: Any, where: str, label: str, probs: _Problems) -> bool | None:
    if not isinstance(v, bool):
        probs.add(where, "not_boolean", f"{label}应为是（true）或否（false），收到：{v!r}",
                  f"{label}: expected true or false, got {v!r}")
        return None
    return v



def read_header(table: ScoringTable, data: dict, kind: str | None, probs: _Problems,
                noun_zh: str) -> tuple[str | None, str | None, Any]:
    """The kind of institution, the date and the institution of a scoring input, shared
    by point tables and checklists (``noun_zh``: 该表 or 该标准, as the messages say)."""
    kind = kind or data.get("kind") or (table.kinds[0] if len(table.kinds) == 1 else None)
    if kind is None:
        probs.add("kind", "missing_kind",
                  f"{noun_zh}适用于多类机构，请指明 kind（{'、'.join(table.kinds)}）",
                  f"this table is for several kinds: give kind ({', '.join(table.kinds)})")
    elif kind not in table.kinds:
        probs.add("kind", "unknown_kind",
                  f"{noun_zh}不适用于 {kind}（可选：{'、'.join(table.kinds)}）",
                  f"kind {kind!r} is not one of {list(table.kinds)}")
        kind = None
    date = data.get("date")
    if date is not None:
        try:
            date = dt.date.fromisoformat(str(date)).isoformat()
        except ValueError:
            probs.add("date", "not_a_date", f"日期应为 YYYY-MM-DD：{date!r}", f"not a date: {date!r}")
    inst = data.get("institution")
    if inst is not None and not isinstance(inst, str):
        probs.add("institution", "not_text", "机构名称应为文字", "institution must be text")
    return kind, date, inst
