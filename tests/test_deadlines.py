"""Deadlines in Chinese working days: the 2026 Spring Festival and National Day with their
make-up working days, 第二百零一条 (the start day not counted), 第二百零二条 (months end on
the corresponding day), 第二百零三条 (a period ending on a rest day moves to the next
working day), and counts that run into 2027, whose official calendar is not known.

2026 (国务院办公厅 2026 年部分节假日安排, as chinese-calendar 1.11.0 holds it):
春节 2月15日-23日 off, 2月14日 (Sat) and 2月28日 (Sat) working; 中秋 9月25日-27日 off;
国庆 10月1日-7日 off, 9月20日 (Sun) and 10月10日 (Sat) working.
"""

from __future__ import annotations

import datetime as dt

import pytest

from forms import InputInvalid
from rules import (
    add_period,
    calendar_known,
    count_period,
    day_info,
    get_rule_set,
    step_deadline,
    working_days_deadline,
)

D = dt.date.fromisoformat


def dates(items: list[dict]) -> list[str]:
    return [i["date"] for i in items]


def test_the_calendar_knows_2026_and_not_2027():
    assert calendar_known(2026) and calendar_known(2004)
    assert not calendar_known(2027) and not calendar_known(2003)
    assert day_info(D("2026-02-14")).workday and day_info(D("2026-02-14")).makeup
    assert day_info(D("2026-02-14")).reason == "春节调休上班日"
    assert not day_info(D("2026-02-16")).workday and day_info(D("2026-02-16")).reason == "春节假期"
    assert not day_info(D("2026-10-03")).workday and day_info(D("2026-10-03")).reason == "国庆节假期"
    assert day_info(D("2026-09-20")).workday  # a Sunday, made a working day for 国庆
    assert day_info(D("2026-03-07")).reason == "周六"
    info = day_info(D("2027-01-01"))  # a Friday of an unknown year: taken as working, flagged
    assert info.workday and not info.known


def test_spring_festival_publicity_hunan():
    """湖南 公示 5个工作日 from 2026-02-12 (Thu): 13th (1), 14th make-up Saturday (2),
    15th-23rd off, 24th (3), 25th (4), 26th (5)."""
    d = step_deadline("hunan", "publicity", "2026-02-12")
    assert d["due"] == "2026-02-26" and d["due_weekday"] == "周四"
    assert (d["count"], d["unit"], d["unit_zh"]) == (5, "working_days", "工作日")
    assert dates(d["skipped"]) == [f"2026-02-{n}" for n in range(15, 24)]
    assert {s["reason"] for s in d["skipped"]} == {"春节假期"}
    assert dates(d["makeup_workdays"]) == ["2026-02-14"]
    assert d["makeup_workdays"][0]["reason"] == "春节调休上班日"
    ref = d["citation"].pop("reference")
    assert d["citation"] == {"document": "湘人社规〔2022〕10号", "article": "第十一条第（五）项",
                             "quote": "公示时间为5个工作日"}
    # the deadline's reference opens the item it counts from
    assert (ref["jurisdiction"], ref["key"], ref["exact"]) == ("hunan", "第十一条 （五）", True)
    assert d["provisional"] is False
    # the 办法 expired 2024-05-31: said, not hidden, and still counted
    assert d["rule_set"]["validity"] == "expired" and "已失效" in d["warnings"][0]


def test_spring_festival_second_make_up_day_jingdezhen():
    """景德镇 补正 5个工作日 from 2026-02-24 (Tue): 25, 26, 27, 28 (make-up Sat), 3月2日."""
    d = step_deadline("jingdezhen", "supplement_reply", "2026-02-24")
    assert d["due"] == "2026-03-02"
    assert dates(d["makeup_workdays"]) == ["2026-02-28"]
    assert dates(d["skipped"]) == ["2026-03-01"]
    assert d["rule_set"]["in_force"] is True and d["warnings"] == []


def test_the_start_day_is_not_counted_even_when_it_is_a_working_day():
    # from the make-up Saturday itself: the next working day is after the whole holiday
    d = working_days_deadline(1, "2026-02-14")
    assert d["due"] == "2026-02-24" and len(d["skipped"]) == 9
    d = working_days_deadline(1, "2026-02-13")
    assert d["due"] == "2026-02-14" and dates(d["makeup_workdays"]) == ["2026-02-14"]
    assert working_days_deadline(0, "2026-02-15")["due"] == "2026-02-15"


def test_national_day_publicity_tianjin():
    """天津 公示期5个工作日 from 2026-09-28 (Mon): 29 (1), 30 (2), 10月1日-7日 off,
    8 (3), 9 (4), 10 (make-up Saturday, 5)."""
    d = step_deadline("tianjin", "publicity", "2026-09-28")
    assert d["due"] == "2026-10-10" and d["due_weekday"] == "周六"
    assert dates(d["skipped"]) == [f"2026-10-0{n}" for n in range(1, 8)]
    assert {s["reason"] for s in d["skipped"]} == {"国庆节假期"}
    assert dates(d["makeup_workdays"]) == ["2026-10-10"]
    assert d["rule_set"]["in_force"] is True


def test_mid_autumn_and_the_national_day_make_up_sunday():
    d = working_days_deadline(3, "2026-09-18")  # Fri: 20 (Sun, working), 21, 22
    assert d["due"] == "2026-09-22"
    assert dates(d["skipped"]) == ["2026-09-19"]
    assert dates(d["makeup_workdays"]) == ["2026-09-20"]
    d = working_days_deadline(3, "2026-09-24")  # Thu: 25-27 中秋 off, 28, 29, 30
    assert d["due"] == "2026-09-30"
    assert [s["reason"] for s in d["skipped"]] == ["中秋节假期"] * 3


def test_a_calendar_period_ending_in_a_holiday_moves_to_the_next_working_day():
    """吉林 公示 为期5天 from 2026-09-28: the 5th day, 10月3日, is 国庆: moved to 10月8日."""
    d = step_deadline("jilin", "publicity", "2026-09-28")
    assert d["unit"] == "days" and d["count"] == 5
    assert d["last_day_before_moving"] == "2026-10-03"
    assert d["due"] == "2026-10-08"
    assert dates(d["skipped"]) == ["2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06",
                                   "2026-10-07"]
    # 备案 30天 from 2026-01-16 ends 2月15日, in 春节: moved to 2月24日
    d = step_deadline("jilin", "filing", "2026-01-16")
    assert (d["last_day_before_moving"], d["due"]) == ("2026-02-15", "2026-02-24")
    assert d["note"] and "签订服务协议之日" in d["note"]


def test_a_month_period_ends_on_the_corresponding_day_or_the_month_end():
    assert add_period(D("2026-01-31"), months=1) == D("2026-02-28")
    assert add_period(D("2024-02-29"), years=1) == D("2025-02-28")
    assert add_period(D("2023-12-31"), months=-3) == D("2023-09-30")
    # 湖南 限期改正 1个月 from 1月31日: 2月28日, a make-up Saturday: a working day, not moved
    d = step_deadline("hunan", "rectification_limit", "2026-01-31")
    assert d["due"] == "2026-02-28" and d["last_day_before_moving"] is None
    # 吉林 暂停 6个月 from 4月5日 ends 10月5日 (国庆): moved to 10月8日
    d = step_deadline("jilin", "suspension_limit", "2026-04-05")
    assert (d["last_day_before_moving"], d["due"]) == ("2026-10-05", "2026-10-08")


def test_jilin_suspension_request_thirty_working_days_across_spring_festival():
    d = step_deadline("jilin", "suspension_request", "2026-02-10")
    assert d["due"] == "2026-03-30"
    assert dates(d["makeup_workdays"]) == ["2026-02-14", "2026-02-28"]


def test_a_period_counted_back_is_not_moved_but_a_rest_day_is_said():
    d = step_deadline("shanxi", "renewal_request", "2026-12-31")
    assert d["due"] == "2026-09-30" and d["direction"] == "before"
    d = step_deadline("jilin", "termination_notice", "2026-10-31")
    assert d["due"] == "2026-10-01" and d["last_day_before_moving"] is None
    assert any("休息日" in w for w in d["warnings"])


def test_a_ban_ends_on_its_last_day_whatever_day_it_is():
    d = step_deadline("jingdezhen", "reapplication_ban", "2024-10-05")
    assert d["due"] == "2026-10-05" and d["bound"] == "ban"
    assert "2026-10-06 起可再次申请" in d["explanation_zh"]
    d = step_deadline("hunan", "reapplication_ban", "2023-05-20")  # 2个年度（含当年度）
    assert d["due"] == "2024-12-31" and d["unit"] == "fixed"


def test_fixed_dates():
    d = step_deadline("shanxi", "annual_signing", "2023-01-05")
    assert d["due"] == "2023-03-15" and d["count"] is None
    assert any("休息日" in w for w in step_deadline("shanxi", "annual_signing", "2026-01-05")["warnings"])
    assert step_deadline("shanxi", "monthly_data_entry", "2023-12-20")["due"] == "2024-01-05"
    assert step_deadline("shanxi", "year_end_settlement", "2023-07-01")["due"] == "2024-03-31"
    assert step_deadline("jilin", "agreement_term", "2026-03-01")["due"] == "2026-12-31"
    late = step_deadline("shanxi", "monthly_payment", "2023-05-28")
    assert late["due"] == "2023-05-25" and any("已经过去" in w for w in late["warnings"])


def test_a_count_into_2027_is_provisional_and_says_so():
    """天津 联网测试验收 60个工作日 from 2026-12-01: 22 working days left in 2026, then 38 in
    2027 counted over weekdays only (2027's holidays are not announced in the data)."""
    d = step_deadline("tianjin", "network_test", "2026-12-01")
    assert d["due"] == "2027-02-23"
    assert d["provisional"] is True
    assert "2027年" in d["warnings"][0] and "provisional" in d["warnings"][0]
    assert "2027" in d["warnings_en"][0]
    official = {s["date"][:4]: s["official"] for s in d["skipped"]}
    assert official == {"2026": True, "2027": False}
    # a count that stays in 2026 is not provisional
    assert step_deadline("tianjin", "network_test", "2026-06-01")["provisional"] is False


def test_calendar_days_ending_in_2027_and_generic_working_days_into_2027():
    d = step_deadline("jilin", "filing", "2026-12-15")
    assert d["due"] == "2027-01-14" and d["provisional"] is True
    d = working_days_deadline(15, "2026-12-20")
    assert d["provisional"] is True and d["due"] == "2027-01-08"
    assert working_days_deadline(5, "2026-12-01")["provisional"] is False


def test_count_period_rejects_a_negative_count():
    with pytest.raises(ValueError):
        count_period(D("2026-01-05"), -1, "working_days")


@pytest.mark.parametrize("call, code", [
    (lambda: step_deadline("beijing", "publicity", "2026-01-05"), "unknown_jurisdiction"),
    (lambda: step_deadline("hunan", "publicity_period", "2026-01-05"), "unknown_step"),
    (lambda: step_deadline("hunan", "publicity", "2026-13-05"), "input_invalid"),
    (lambda: working_days_deadline(-1, "2026-01-05"), "input_invalid"),
    (lambda: working_days_deadline("five", "2026-01-05"), "input_invalid"),
])
def test_bad_input_is_refused(call, code):
    with pytest.raises(InputInvalid) as e:
        call()
    assert e.value.code == code and e.value.exit_status == 2 and e.value.http_status == 422


def test_every_step_of_every_jurisdiction_counts_from_a_date():
    for j in ("jilin", "tianjin", "jingdezhen", "shanxi", "hunan"):
        for s in get_rule_set(j).steps:
            d = step_deadline(j, s.id, "2026-03-02")
            assert D(d["due"]) and d["citation"]["quote"], (j, s.id)
            assert d["explanation_zh"]
