"""Scoring tables: data checks, each table's full/missing/veto cases, band and bracket edges,
money to the fen, bad input (exit 2 / HTTP 422), and the filled table's rendering."""

from __future__ import annotations

import copy
import io
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

import scoring
import sources
from forms import get_form
from forms.errors import ScoreInputInvalid, ScoringDataInvalid
from scoring import example_input, get_table, score, settle

ROOT = Path(__file__).resolve().parent.parent
TABLES = scoring.all_tables()
IDS = [t.id for t in TABLES]
#: tables with points (the checklists of tests/test_scoring_tianjin.py have none)
POINTS_IDS = [t.id for t in TABLES if t.purpose != "checklist"]
SEED_OF = {"shanxi": "003_db5c35c3860acea5.txt", "tianjin": "001_bd440ef23e13208b.txt"}


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s).translate(str.maketrans({"（": "(", "）": ")", "：": ":"}))


def corrected_seed(name: str) -> str:
    """The source transcribed in ``name``, every erratum applied (sources/data)."""
    return _norm(sources.by_seed(name).corrected)


# Jilin's table transcribes nothing (its 评估标准 are not published): tests/test_scoring_jilin.py
@pytest.mark.parametrize("tid", [t.id for t in TABLES if t.jurisdiction in SEED_OF])
def test_wording_is_the_seeds(tid):
    t = get_table(tid)
    seed = corrected_seed(SEED_OF[t.jurisdiction])
    # a checklist's 适用 remarks (仅医疗机构…) are ours, as the 备注 of the Shanxi tables are not
    own = ("remark",) if t.purpose == "checklist" else ()
    for it in t.items:
        for key in ("content", "standard", "name", "group", "remark"):
            text = getattr(it, key)
            if text and key not in own:
                assert _norm(text) in seed, (it.id, text)
    for note in t.notes:
        assert _norm(note) in seed, note
    assert _norm(t.citation.quote) in seed


def test_committed_specs_match_the_tables():
    from scoring.__main__ import rendered

    for path, text in rendered().items():
        assert path.read_text(encoding="utf-8") == text, f"{path}: run python -m scoring write-specs"


@pytest.mark.parametrize("tid", POINTS_IDS)
@pytest.mark.parametrize("style", ["full", "missing"])
def test_full_marks_and_all_missing(tid, style):
    t = get_table(tid)
    for kind in t.kinds:
        r = score(tid, example_input(t, style, kind))
        for it in r["items"]:
            if it.get("applies") and it["mode"] != "veto":
                s = Decimal(it["score"])
                assert s >= 0
                item = t.item(it["id"])
                assert s == (item.points if style == "full" else item.floor), (it["id"], s)
        assert Decimal(r["maximum"]) == t.total
        if style == "full":
            assert Decimal(r["total"]) == t.total
            assert r["passed"] in (True, None)
        else:
            assert Decimal(r["total"]) == sum(i.floor for i in t.applicable(kind))
            assert r["passed"] in (False, None)


def test_the_floors_that_the_official_rules_leave():
    floors = {(t.id, i.id): i.floor for t in TABLES for i in t.items if i.floor}
    assert floors == {("shanxi-eval-rehab", "6.1"): 3, ("shanxi-eval-prosthetics", "8.3"): 2,
                      ("shanxi-annual-assistive", "1.1"): 2}


@pytest.mark.parametrize("tid", [t.id for t in TABLES if t.purpose == "admission"])
def test_a_veto_fails_however_many_points(tid):
    t = get_table(tid)
    data = example_input(t, "full")
    data["items"]["3"] = {"met": False}
    r = score(tid, data)
    assert r["total"] == "100" and r["vetoed"] and r["passed"] is False
    assert "单项否决" in r["result_zh"]


def _with_total(tid: str, target: Decimal) -> dict:
    """A full-marks input with panel-free deductions bringing the total to ``target``."""
    t = get_table(tid)
    data = example_input(t, "full")
    left = t.total - target
    for it in t.items:
        if it.mode != "veto" and left > 0:
            d = min(left, it.points)
            data["items"][it.id] = {**data["items"][it.id], "deductions": [{"points": str(d), "reason": "测试"}]}
            left -= d
    return data


@pytest.mark.parametrize("tid", [t.id for t in TABLES if t.purpose == "admission"])
@pytest.mark.parametrize("total,passed", [("90", True), ("89.99", False), ("89.75", False), ("100", True)])
def test_pass_mark_edges(tid, total, passed):
    r = score(tid, _with_total(tid, Decimal(total)))
    assert Decimal(r["total"]) == Decimal(total)
    assert r["passed"] is passed
    assert r["pass_mark"]["citation"]["article"] == "第十五条"


@pytest.mark.parametrize("tid", ["shanxi-annual-medical", "shanxi-annual-assistive"])
@pytest.mark.parametrize("total,share", [("100", "1"), ("90", "1"), ("89.99", "0.9"), ("80", "0.9"),
                                         ("79.99", "0.8"), ("70", "0.8"), ("69.99", "0.7"),
                                         ("60", None), ("59.99", "0"), ("0", "0")])
def test_refund_bracket_edges(tid, total, share):
    r = score(tid, _with_total(tid, Decimal(total)))
    assert r["total"] == scoring.fmt(Decimal(total))
    assert r["refund"]["share"] == share
    assert r["refund"]["citation"]["article"] == "第三十四条"
    if share is None:  # exactly 60: 60分以下 and 60分（含60分）-70分 both claim it
        assert r["decisions_needed"] == ["refund"]
        data = _with_total(tid, Decimal(total))
        data["resolve"] = {"refund": "返还70%"}
        assert score(tid, data)["refund"]["share"] == "0.7"


def test_medical_and_rehab_on_the_same_annual_table_each_total_100():
    t = get_table("shanxi-annual-medical")
    med = score(t.id, example_input(t, "full", "medical"))
    reh = score(t.id, example_input(t, "full", "rehab"))
    assert med["total"] == reh["total"] == med["maximum"] == reh["maximum"] == "100"
    na = {i["id"] for i in med["items"] if not i["applies"]}
    assert na == {"5.10"}
    assert {i["id"] for i in reh["items"] if not i["applies"]} == {"5.4", "5.6"}


def test_one_vote_veto_zeroes_the_assessment():
    t = get_table("shanxi-annual-medical")
    data = example_input(t, "full", "rehab")
    data["one_vote_veto"]["false_materials"] = True
    r = score(t.id, data)
    assert r["total"] == "0" and r["subtotal"] == "100" and r["refund"]["share"] == "0"


@pytest.mark.parametrize("area,points", [("199.99", 3), ("200", 6), ("150.01", 3), ("149.99", 0),
                                         ("0", 0)])
def test_prosthetics_area_bands(area, points):
    t = get_table("shanxi-eval-prosthetics")
    data = example_input(t, "full")
    data["items"]["7.1"] = {"area": area}
    r = score(t.id, data)
    assert next(i for i in r["items"] if i["id"] == "7.1")["score"] == str(points)
    assert r["warnings"] == [] and r["decisions_needed"] == []


def test_prosthetics_exactly_150_is_a_gap_the_panel_decides():
    """大于150m² and 小于150m² both leave out 150m²: a warning, the rule text, no score."""
    t = get_table("shanxi-eval-prosthetics")
    data = example_input(t, "full")
    data["items"]["7.1"] = {"area": "150"}
    r = score(t.id, data)
    it = next(i for i in r["items"] if i["id"] == "7.1")
    assert it["score"] is None and it["pending"] and r["decisions_needed"] == ["7.1"]
    assert r["total"] is None and r["passed"] is None
    w = next(w for w in r["warnings"] if w["item"] == "7.1")
    assert w["code"] == "band_gap" and not w["resolved"]
    assert "大于150m²小于200平方米得3分" in w["message_zh"] and "评估小组" in w["message_zh"]
    assert {c["band"] for c in it["decision"]["choices"]} == {"0", "3"}
    data["resolve"] = {"7.1": "3"}
    r = score(t.id, data)
    it = next(i for i in r["items"] if i["id"] == "7.1")
    assert it["score"] == "3" and it["decision"]["decided_by"] == "panel"
    assert r["total"] == "97" and r["decisions_needed"] == []
    data["items"]["7.1"] = {"area": "160"}  # nothing to decide: the choice is refused
    with pytest.raises(ScoreInputInvalid, match="resolve"):
        score(t.id, data)


@pytest.mark.parametrize("area,points", [("30.01", 10), ("29.99", 6), ("20", 6), ("19.99", 0)])
def test_hearing_area_bands(area, points):
    t = get_table("shanxi-eval-hearing")
    data = example_input(t, "full")
    data["items"]["7.1"] = {"area": area}
    assert next(i for i in score(t.id, data)["items"] if i["id"] == "7.1")["score"] == str(points)


def test_hearing_exactly_30_is_an_overlap_the_panel_decides():
    t = get_table("shanxi-eval-hearing")
    data = example_input(t, "full")
    data["items"]["7.1"] = {"area": "30"}
    r = score(t.id, data)
    assert next(i for i in r["items"] if i["id"] == "7.1")["score"] is None
    assert next(w for w in r["warnings"] if w["item"] == "7.1")["code"] == "band_overlap"
    data["resolve"] = {"7.1": "10"}
    assert next(i for i in score(t.id, data)["items"] if i["id"] == "7.1")["score"] == "10"


def test_deductions_stop_at_zero_inside_the_item():
    t = get_table("shanxi-eval-rehab")
    data = example_input(t, "full")
    data["items"]["8.4"] = {"area": False, "assessment_system": False, "workstations": 0}  # 5+2+3 on 5
    r = score(t.id, data)
    it = next(i for i in r["items"] if i["id"] == "8.4")
    assert it["score"] == "0" and it["floored"] and r["total"] == "95"
    data["items"]["6.1"] = {"senior_physicians": 3, "other_physicians": 6, "therapists": 19}
    it = next(i for i in score(t.id, data)["items"] if i["id"] == "6.1")
    assert it["score"] == "13.75"  # 15 - 1 - 0.25, exact


def test_bands_with_a_gap_or_overlap_are_rejected():
    raw = yaml.safe_load((ROOT / "scoring/data/shanxi-eval-prosthetics.yaml").read_text(encoding="utf-8"))
    bad = copy.deepcopy(raw)
    bad["items"][8]["checks"][0]["bands"][2]["min"] = 201  # 200 < x < 201 in no band
    with pytest.raises(ScoringDataInvalid, match="undeclared gap"):
        scoring.parse_table(bad)
    bad = copy.deepcopy(raw)
    bad["items"][8]["checks"][0]["bands"][1]["max_inclusive"] = True  # 200 in two bands
    with pytest.raises(ScoringDataInvalid, match="undeclared overlap"):
        scoring.parse_table(bad)
    bad = copy.deepcopy(raw)
    bad["items"][8]["checks"][0]["bands"][1]["min_inclusive"] = True  # the gap at 150 closed
    with pytest.raises(ScoringDataInvalid, match="declared gaps the bands do not leave"):
        scoring.parse_table(bad)
    bad = copy.deepcopy(raw)
    bad["items"][6]["points"] = 11
    with pytest.raises(ScoringDataInvalid, match="add up"):
        scoring.parse_table(bad)
    bad = copy.deepcopy(raw)
    bad["items"][6]["weight"] = 1
    with pytest.raises(ScoringDataInvalid, match="unknown keys"):
        scoring.parse_table(bad)


# -- bad input ---------------------------------------------------------------------------

def _bad(tid: str, change) -> list:
    t = get_table(tid)
    data = example_input(t, "full")
    change(data["items"])
    with pytest.raises(ScoreInputInvalid) as info:
        score(tid, data)
    return info.value.details


def test_bad_input_named_per_item():
    d = _bad("shanxi-eval-rehab", lambda i: i.update({"99": {"met": True}}))
    assert d[0].field == "items.99" and d[0].code == "unknown_item" and "99" in d[0].message_zh
    d = _bad("shanxi-eval-rehab", lambda i: i["7.2"].update({"beds": -1}))
    assert (d[0].field, d[0].code) == ("items.7.2.beds", "negative")
    d = _bad("shanxi-eval-rehab", lambda i: i["7.1"].update({"area": "八百"}))
    assert (d[0].field, d[0].code) == ("items.7.1.area", "not_a_number")
    d = _bad("shanxi-eval-medical", lambda i: i["6"].update({"deductions": [{"points": 21, "reason": "x"}]}))
    assert d[0].code == "deduction_too_large" and "20" in d[0].message_zh and d[0].message_en
    d = _bad("shanxi-eval-medical", lambda i: i.pop("8"))
    assert d[0].code == "missing_item"


def test_cli_exit_2_and_json(tmp_path):
    t = get_table("shanxi-eval-medical")
    good = tmp_path / "in.json"
    good.write_text(json.dumps(example_input(t, "full")), encoding="utf-8")
    run = lambda *a: subprocess.run([sys.executable, "-m", "api.cli", *a], capture_output=True,  # noqa: E731
                                    text=True, cwd=ROOT)
    p = run("score", t.id, "--data", str(good), "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["total"] == "100"
    data = example_input(t, "full")
    data["items"]["7"]["stock_rate"] = "abc"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    p = run("score", t.id, "--data", str(bad))
    assert p.returncode == 2 and "第7项" in p.stderr and "item 7" in p.stderr


@pytest.fixture(scope="module")
def client():
    from api import create_app

    return create_app({"TESTING": True}).test_client()


def test_api_same_json_and_422(client):
    t = get_table("shanxi-eval-hearing")
    body = {"table": t.id, **example_input(t, "full")}
    r = client.post("/api/score", json=body)
    assert r.status_code == 200 and r.get_json() == score(t.id, example_input(t, "full"))
    body["items"]["6.2"] = {"years": -3}
    r = client.post("/api/score", json=body)
    assert r.status_code == 422
    det = r.get_json()["details"][0]
    assert det["field"] == "items.6.2.years" and det["message_zh"] and det["message_en"]
    r = client.post("/api/settle", json={"mode": "month", "approved": "1000.05"})
    assert r.status_code == 200 and r.get_json()["paid"] == "900.05"
    r = client.post("/api/settle", json={"mode": "month", "approved": "-1"})
    assert r.status_code == 422


# -- money ----------------------------------------------------------------------------------

@pytest.mark.parametrize("approved,paid,retained", [
    ("10000.00", "9000.00", "1000.00"),
    ("0.05", "0.05", "0.00"),      # 0.045 → 0.05 (ROUND_HALF_UP), retained the rest
    ("1000.05", "900.05", "100.00"),  # 900.045 → 900.05
    ("123456.78", "111111.10", "12345.68"),
])
def test_monthly_split_exact_to_the_fen(approved, paid, retained):
    r = settle({"mode": "month", "approved": approved})
    assert (r["payable"], r["retained"]) == (paid, retained)
    assert Decimal(r["payable"]) + Decimal(r["retained"]) == Decimal(approved)
    assert r["citations"][0]["article"] == "第三十三条"


def test_monthly_sample_audit_five_times():
    r = settle({"mode": "month", "approved": "10000.00", "non_compliant": "300.10"})
    assert (r["penalty"], r["paid"], r["penalty_outstanding"]) == ("1500.50", "7499.50", "0.00")
    assert r["citations"][1]["article"] == "第三十七条"
    r = settle({"mode": "month", "approved": "1000.00", "non_compliant": "200.00", "category": "rehab"})
    assert (r["paid"], r["penalty_outstanding"]) == ("0.00", "100.00")
    assert r["citations"][1]["article"] == "第二十九条"


@pytest.mark.parametrize("score_,returned,kept", [
    ("90", "1234.57", "0.00"), ("89.99", "1111.11", "123.46"), ("80", "1111.11", "123.46"),
    ("79.99", "987.66", "246.91"), ("70", "987.66", "246.91"), ("60.01", "864.20", "370.37"),
    ("59.99", "0.00", "1234.57")])
def test_year_end_return_by_bracket(score_, returned, kept):
    r = settle({"mode": "year", "score": score_, "retained": "1234.57"})
    assert (r["returned"], r["kept"]) == (returned, kept)
    assert r["citations"][1]["article"] == "第三十四条"
    assert r["warnings"] == [] and r["decision"] is None


def test_year_end_return_at_exactly_60_waits_for_the_agency():
    """60分以下 (以下 includes 60) and 60分（含60分）-70分 both claim 60: never decided by xieyi."""
    r = settle({"mode": "year", "score": "60", "retained": "1234.57"})
    assert r["returned"] is None and r["share"] is None and r["decisions_needed"] == ["refund"]
    w = r["warnings"][0]
    assert w["code"] == "band_overlap" and "60分以下" in w["message_zh"] and "经办机构" in w["message_zh"]
    assert {c["band"] for c in r["decision"]["choices"]} == {"0", "0.7"}
    r = settle({"mode": "year", "score": "60", "retained": "1234.57", "resolve": {"refund": "0.7"}})
    assert (r["returned"], r["kept"], r["share"]) == ("864.20", "370.37", "0.7")
    assert r["decision"]["decided_by"] == "agency" and r["warnings"][0]["resolved"]
    with pytest.raises(ScoreInputInvalid):
        settle({"mode": "year", "score": "61", "retained": "1", "resolve": {"refund": "0.7"}})


def test_year_end_from_months_and_bad_input():
    r = settle({"mode": "year", "score": 95, "months": ["1000.05", "0.05"]})
    assert r["retained"] == "100.00" and r["monthly_retained"] == ["100.00", "0.00"]
    for bad in ({"mode": "year", "score": "abc", "retained": "1"}, {"mode": "year", "score": 101, "retained": "1"},
                {"mode": "month", "approved": "1.001"}, {"mode": "month", "approved": 1, "non_compliant": -2}):
        with pytest.raises(ScoreInputInvalid):
            settle(bad)


# -- the filled table -----------------------------------------------------------------------

def test_filled_pdf_and_docx_show_the_scores():
    from pypdf import PdfReader

    from generator.docx import render_docx
    from generator.pdf import render_pdf
    from forms import validate_record

    t = get_table("shanxi-eval-rehab")
    data = example_input(t, "full")
    data.update(institution="太原某康复医院", date="2024-05-06")
    data["items"]["6.1"] = {"senior_physicians": 3, "other_physicians": 6, "therapists": 19}
    data["items"]["2"] = {"met": False}
    r = score(t.id, data)
    spec = get_form(t.form)
    rec = validate_record(spec, scoring.record_from_result(r), complete=False)
    fields = PdfReader(io.BytesIO(render_pdf(spec, rec))).get_fields()
    assert fields["score_6_1"]["/V"] == "13.75" and fields["total"]["/V"] == "98.75"
    assert fields["score_2"]["/V"] == "否决" and fields["institution_name"]["/V"] == "太原某康复医院"
    from docx import Document

    doc = Document(io.BytesIO(render_docx(spec, rec)))
    cells = {c.text for tb in doc.tables for row in tb.rows for c in row.cells}
    assert {"13.75", "98.75", "否决"} <= cells


def test_service_quality_is_the_mean_of_the_surveys():
    t, s = get_table("shanxi-annual-assistive"), get_table("shanxi-survey")
    full, low = example_input(s, "full"), example_input(s, "full")
    low["items"]["5"]["satisfaction"] = "一般"  # 19
    low["items"]["7"]["free"] = False          # 18
    data = example_input(t, "full")
    data["items"]["5.1"] = {"surveys": [full, low, low]}
    it = next(i for i in score(t.id, data)["items"] if i["id"] == "5.1")
    assert it["score"] == "18.67"  # (20 + 18 + 18) / 3 = 18.666… → 18.67 (ROUND_HALF_UP)
