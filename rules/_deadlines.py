"""Deadlines: a jurisdiction's timed step, or N working days, counted from a date.

The result says the due date, the count and its unit, the citation, every rest day
skipped (and make-up working day counted) with its reason, and ``provisional`` with a
plain warning when the count ran into a year whose official holiday calendar is not
known.  It also says whether the step's document was in force on the starting date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from forms.errors import InputInvalid, UnknownName

from ._calendar import COUNT_ZH, UNIT_ZH, WEEKDAY_ZH, Count, count_period, day_info, period_end
from ._loader import get_rule_set
from ._model import BOUND_ZH, RuleSet, Step


def parse_date(value: Any, name: str) -> dt.date:
    """A user's date (YYYY-MM-DD); ``InputInvalid`` naming the parameter otherwise."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputInvalid(f"{name} 不是有效日期（应为 YYYY-MM-DD）：{value}",
                           f"{name} is not a valid date (YYYY-MM-DD): {value}") from None


def parse_count(value: Any, name: str = "--working-days") -> int:
    if isinstance(value, bool):
        value = None
    try:
        n = int(str(value), 10)
    except (TypeError, ValueError):
        raise InputInvalid(f"{name} 应为整数：{value}", f"{name} must be a whole number: {value}"
                           ) from None
    if n < 0:
        raise InputInvalid(f"{name} 不能为负数：{n}", f"{name} may not be negative: {n}")
    if n > 10000:
        raise InputInvalid(f"{name} 过大：{n}（最多 10000）", f"{name} too large: {n} (at most 10000)")
    return n


def validity(rs: RuleSet, on: dt.date) -> dict:
    """Whether the rule set's document was in force on ``on``, said plainly."""
    doc = rs.document
    state = rs.validity(on)
    until = f"至 {doc.valid_to}" if doc.valid_to else "未定终止日期"
    if state == "in_force":
        zh = f"{doc.number}（{doc.valid_from} 起施行，{until}）在 {on} 有效。"
        en = f"{doc.number} was in force on {on}."
    elif state == "not_yet_in_force":
        zh = f"{doc.number}自 {doc.valid_from} 起施行，{on} 尚未施行；以下结果仅供参考。"
        en = f"{doc.number} takes effect on {doc.valid_from}: it was not yet in force on {on}."
    else:
        zh = f"{doc.number}有效期至 {doc.valid_to}，{on} 已失效；以下结果仅供参考。"
        en = f"{doc.number} expired on {doc.valid_to}: it was no longer in force on {on}."
    return {"document": doc.number, "title": doc.title, "jurisdiction": doc.jurisdiction,
            "jurisdiction_name": doc.name, "valid_from": doc.valid_from.isoformat(),
            "valid_to": doc.valid_to.isoformat() if doc.valid_to else None,
            "validity_quote": doc.validity_quote, "validity_note": doc.validity_note,
            "on": on.isoformat(), "in_force": state == "in_force", "validity": state,
            "message_zh": zh, "message_en": en}


def _result(c: Count, *, unit: str, count: int | None) -> dict:
    return {
        "from": c.start.isoformat(),
        "count": count,
        "unit": unit,
        "unit_zh": UNIT_ZH.get(unit, "固定日期"),
        "direction": c.direction,
        "due": c.due.isoformat(),
        "due_weekday": WEEKDAY_ZH[c.due.weekday()],
        "last_day_before_moving": c.moved_from.isoformat() if c.moved_from else None,
        "skipped": [d.to_dict() for d in c.skipped],
        "makeup_workdays": [d.to_dict() for d in c.makeup],
        "provisional": c.provisional,
        "warnings": c.warnings_zh(),
        "warnings_en": c.warnings_en(),
    }


def count_step(step: Step, start: dt.date) -> Count:
    """Count ``step`` from ``start``: the Count behind :func:`step_deadline`."""
    if step.unit == "fixed":
        if step.month is None:  # a day of the month of the event, plus month_offset
            y, m = divmod(start.year * 12 + start.month - 1 + step.month_offset, 12)
            due = dt.date(y, m + 1, step.day)
        else:
            due = dt.date(start.year + step.year_offset, step.month, step.day)
        c = Count(start, 0, "fixed", "after", due)
        info = day_info(due)
        if due < start:
            c.notes_zh.append(f"该日期（{due}）早于起算日 {start}，已经过去。")
        if not info.workday:
            c.notes_zh.append(f"该日（{due}）为休息日（{info.reason}）；文件规定的是固定日期，"
                              f"未规定遇休息日顺延，宜在此前的工作日办理。")
        return c
    if step.bound == "ban" and step.unit != "working_days":
        # a ban ends on its last day whatever day that is: 第二百零三条 lengthens periods
        # for doing something, and moving a ban's end would lengthen the ban itself
        sign = 1 if step.direction == "after" else -1
        due = period_end(start, step.unit, sign * step.count)
        return Count(start, step.count, step.unit, step.direction, due)
    return count_period(start, step.count, step.unit, step.direction)


_BOUND_SENTENCE = {
    "deadline": "最迟应于 {due}（含当日）{name}",
    "period": "{name}至 {due} 届满",
    "minimum": "{name}不少于此期间，最早于 {due} 届满",
    "limit": "{name}最长至 {due}（含当日）",
    "ban": "{name}至 {due}（含当日），{next} 起可再次申请",
}


def step_deadline(jurisdiction: str, step_id: str, start: Any) -> dict:
    rs = get_rule_set(jurisdiction)
    step = rs.step(step_id)
    if step is None:
        raise UnknownName("step", "步骤", str(step_id), [s.id for s in rs.steps])
    start = parse_date(start, "--from")
    c = count_step(step, start)
    out = {"jurisdiction": rs.jurisdiction, "jurisdiction_name": rs.document.name,
           "step": step.id, "step_name": step.name, "from_event": step.from_event,
           "bound": step.bound, "bound_zh": BOUND_ZH[step.bound]}
    out.update(_result(c, unit=step.unit, count=step.count))
    if step.unit == "fixed":
        out["fixed"] = {"month": step.month, "day": step.day, "year_offset": step.year_offset,
                        "month_offset": step.month_offset}
    else:
        out["fixed"] = None
    nxt = (c.due + dt.timedelta(days=1)).isoformat()
    sentence = _BOUND_SENTENCE[step.bound].format(due=c.due.isoformat(), name=step.name, next=nxt)
    counted = (f"自{step.from_event}（{start}）的次日起算" if step.unit != "fixed"
               else f"{step.from_event}为 {start}")
    if step.direction == "before":
        counted = f"自{step.from_event}（{start}）往前计算"
    out["explanation_zh"] = f"{counted}，{_amount(step)}：{sentence}。"
    out["note"] = step.note
    out["citation"] = step.citation.to_dict()
    out["rule_set"] = validity(rs, start)
    if not out["rule_set"]["in_force"]:
        out["warnings"] = [out["rule_set"]["message_zh"], *out["warnings"]]
    return out


def _amount(step: Step) -> str:
    if step.unit == "fixed":
        if step.month is None:
            month = "当月" if step.month_offset == 0 else f"其后第{step.month_offset}个月"
            return f"{month}{step.day}日"
        year = {0: "当年", 1: "次年"}.get(step.year_offset, f"第{step.year_offset}年后")
        return f"{year}{step.month}月{step.day}日"
    before = "前" if step.direction == "before" else ""
    return f"{before}{step.count}{COUNT_ZH[step.unit]}"


def working_days_deadline(n: Any, start: Any) -> dict:
    """The ``n``-th working day after ``start`` (start not counted), with no step behind it."""
    n = parse_count(n)
    start = parse_date(start, "--from")
    c = count_period(start, n, "working_days")
    out = {"jurisdiction": None, "jurisdiction_name": None, "step": None, "step_name": None,
           "from_event": None, "bound": "deadline", "bound_zh": BOUND_ZH["deadline"]}
    out.update(_result(c, unit="working_days", count=n))
    out["fixed"] = None
    out["explanation_zh"] = (f"自 {start} 的次日起算第 {n} 个工作日为 {c.due}"
                             f"（跳过休息日 {len(c.skipped)} 天，计入调休上班日 {len(c.makeup)} 天）。")
    out["note"] = None
    out["citation"] = None
    out["rule_set"] = None
    return out
