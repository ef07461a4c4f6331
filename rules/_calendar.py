"""Counting periods the way the regulations mean them: Chinese working days and calendar periods.

* 工作日 are working days: weekends and statutory holidays are off, the announced make-up
  days (调休上班日) are working days.  The official calendar comes from chinese-calendar,
  which knows 2004-2026 (version 1.11.0) and raises ``NotImplementedError`` for any other
  year.  Its ``find_workday`` is off by one when started on a rest day, so we count
  ourselves over ``is_workday``.
* The day of the starting event is not counted; counting begins the next day
  (民法典 第二百零一条).
* A period in months or years ends on the corresponding day of the last month, or on
  that month's last day when it has no such day (第二百零二条).
* A period whose last day is a rest day ends on the next working day (第二百零三条).

For a year whose holiday calendar is not known, the weekends alone are taken as rest
days and every result that touched such a year says so (``provisional``), with a plain
warning; it is never a silent guess.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from dataclasses import dataclass, field
from functools import cache, lru_cache

import chinese_calendar

#: chinese-calendar's English holiday names, in Chinese
HOLIDAY_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
WEEKDAY_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

UNITS = ("working_days", "days", "months", "years")
UNIT_ZH = {"working_days": "工作日", "days": "日（自然日）", "months": "个月", "years": "年"}
#: the unit after a number (5个工作日, 30日, 3个月, 2年)
COUNT_ZH = {"working_days": "个工作日", "days": "日", "months": "个月", "years": "年"}


@dataclass(frozen=True)
class DayInfo:
    date: dt.date
    workday: bool
    #: why the day is off, or why a weekend day is a working day
    reason: str | None
    #: False when the year's official calendar is not known (weekends only)
    known: bool
    #: a weekend day announced as a working day (调休上班)
    makeup: bool = False

    def to_dict(self) -> dict:
        return {"date": self.date.isoformat(), "weekday": WEEKDAY_ZH[self.date.weekday()],
                "reason": self.reason, "official": self.known}


@cache
def calendar_known(year: int) -> bool:
    """Whether chinese-calendar holds the official holiday arrangement of ``year``."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def known_years() -> tuple[int, int]:
    """The first and last year of the official calendar chinese-calendar holds."""
    years = [y for y in range(1990, 2100) if calendar_known(y)]
    return years[0], years[-1]


@lru_cache(maxsize=4096)
def day_info(d: dt.date) -> DayInfo:
    weekend = d.weekday() >= 5
    if not calendar_known(d.year):
        return DayInfo(d, not weekend, WEEKDAY_ZH[d.weekday()] if weekend else None, False)
    workday = chinese_calendar.is_workday(d)
    _, name = chinese_calendar.get_holiday_detail(d)
    holiday = HOLIDAY_ZH.get(name, name) if name else None
    if workday:
        if weekend:  # a make-up working day: name the holiday it makes up for
            return DayInfo(d, True, f"{holiday or ''}调休上班日", True, makeup=True)
        return DayInfo(d, True, None, True)
    if holiday:
        return DayInfo(d, False, f"{holiday}假期", True)
    return DayInfo(d, False, WEEKDAY_ZH[d.weekday()], True)


def add_period(d: dt.date, years: int = 0, months: int = 0, days: int = 0) -> dt.date:
    """``d`` moved by a period (negative counts go back), per 民法典 第二百零二条.

    A period of months or years ends on the corresponding day of the last month; when
    that month has no such day (31 January + 1 month) it ends on the month's last day.
    """
    total = d.year * 12 + (d.month - 1) + years * 12 + months
    y, m = divmod(total, 12)
    m += 1
    last = _cal.monthrange(y, m)[1]
    return dt.date(y, m, min(d.day, last)) + dt.timedelta(days=days)


def period_end(d: dt.date, unit: str, count: int) -> dt.date:
    """The last day of a period of ``count`` ``unit`` (days, months, years) started by ``d``."""
    if unit == "days":
        return add_period(d, days=count)
    if unit == "months":
        return add_period(d, months=count)
    if unit == "years":
        return add_period(d, years=count)
    raise ValueError(unit)


@dataclass
class Count:
    """The result of counting a period from a starting day."""

    start: dt.date
    count: int
    unit: str
    direction: str  # after, before
    due: dt.date
    #: rest days passed over while counting, or moved over at the end (第二百零三条)
    skipped: list[DayInfo] = field(default_factory=list)
    #: make-up working days (调休上班日) counted as working days
    makeup: list[DayInfo] = field(default_factory=list)
    #: the last day before it was moved off a rest day (calendar periods only)
    moved_from: dt.date | None = None
    #: the years touched whose official calendar is not known
    unknown_years: set[int] = field(default_factory=set)
    notes_zh: list[str] = field(default_factory=list)

    @property
    def provisional(self) -> bool:
        return bool(self.unknown_years)

    def warnings_zh(self) -> list[str]:
        out: list[str] = []
        if self.unknown_years:
            lo, hi = known_years()
            years = "、".join(f"{y}年" for y in sorted(self.unknown_years))
            out.append(
                f"{years}的法定节假日和调休安排尚未收入日历数据（chinese-calendar 只含 {lo}–{hi} 年），"
                f"该年只按周六、周日休息计算，未扣除该年的法定节假日（如元旦、春节），也未计入调休上班日，"
                f"实际截止日可能更晚；这是临时结果（provisional），"
                f"国务院公布该年放假安排后须重新计算。"
            )
        return out + self.notes_zh

    def warnings_en(self) -> list[str]:
        if not self.unknown_years:
            return []
        lo, hi = known_years()
        years = ", ".join(str(y) for y in sorted(self.unknown_years))
        return [(f"the official holidays and make-up working days of {years} are not known "
                 f"(chinese-calendar holds {lo}-{hi}); only weekends were taken as rest days "
                 f"there, no statutory holiday was deducted: this result is provisional and "
                 f"must be recounted once the State Council announces that year's arrangement")]


def _look(c: Count, d: dt.date) -> DayInfo:
    info = day_info(d)
    if not info.known:
        c.unknown_years.add(d.year)
    return info


def count_working_days(start: dt.date, n: int, direction: str = "after") -> Count:
    """The ``n``-th working day after (or before) ``start``; ``start`` itself is not counted."""
    if n < 0:
        raise ValueError("negative count")
    step = dt.timedelta(days=1 if direction == "after" else -1)
    c = Count(start, n, "working_days", direction, start)
    d, counted = start, 0
    while counted < n:
        d += step
        info = _look(c, d)
        if info.workday:
            counted += 1
            if info.makeup:
                c.makeup.append(info)
        else:
            c.skipped.append(info)
    c.due = d
    if direction == "before":
        c.skipped.reverse()
        c.makeup.reverse()
    return c


def count_calendar(start: dt.date, n: int, unit: str, direction: str = "after") -> Count:
    """A period of ``n`` days, months or years from ``start``.

    Forward: the last day is moved off a rest day onto the next working day
    (第二百零三条).  Backward (提前…: "no later than N before an event"): the law moves
    nothing, so the day stays, and a note says when it is a rest day.
    """
    if n < 0:
        raise ValueError("negative count")
    sign = 1 if direction == "after" else -1
    last = period_end(start, unit, sign * n)
    c = Count(start, n, unit, direction, last)
    info = _look(c, last)
    if direction == "after":
        if n == 0:
            return c
        d = last
        while not info.workday:
            c.skipped.append(info)
            d += dt.timedelta(days=1)
            info = _look(c, d)
        if d != last:
            c.moved_from = last
            c.due = d
    elif not info.workday:
        c.notes_zh.append(f"该日（{last.isoformat()}）为休息日（{info.reason}）；文件未规定提前期限"
                          f"遇休息日如何处理，宜在此前的工作日办理。")
    return c


def count_period(start: dt.date, n: int, unit: str, direction: str = "after") -> Count:
    if unit not in UNITS:
        raise ValueError(unit)
    if direction not in ("after", "before"):
        raise ValueError(direction)
    if unit == "working_days":
        return count_working_days(start, n, direction)
    return count_calendar(start, n, unit, direction)
