"""Rules: the data loads and cites its seeds; loading rejects bad data; every jurisdiction's
YAML cases (rules/data/<j>/cases.yaml) give the expected outcome and failing rules, with
cases at every threshold's boundary; facts come from form records, with the form's checks.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import sys
import types
from pathlib import Path

import pytest
import yaml

import rules
import sources
from forms import InputInvalid, RecordInvalid, XieyiError
from forms.errors import RuleDataInvalid
from rules import (
    JURISDICTIONS,
    add_period,
    facts_from_document,
    facts_from_record,
    get_rule_set,
    level_from_text,
    parse_facts,
    parse_mappings,
    parse_rule_set,
    validate,
)
from rules._deadlines import count_step
from rules._loader import DATA_DIR, fact_defs, violation_types

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------
# the data

def test_every_jurisdiction_loads_with_rules_steps_and_validity():
    counts = {rs.jurisdiction: len(rs.rules) for rs in rules.rule_sets()}
    assert set(counts) == set(JURISDICTIONS)
    assert all(n >= 15 for n in counts.values()), counts
    assert get_rule_set("shanxi").document.valid_to == dt.date(2024, 8, 7)
    assert get_rule_set("hunan").document.valid_to == dt.date(2024, 5, 31)
    assert get_rule_set("tianjin").document.valid_from == dt.date(2024, 7, 1)
    assert get_rule_set("jilin").document.valid_to is None
    for rs in rules.rule_sets():
        for r in rs.rules:
            assert r.valid_from == rs.document.valid_from and r.valid_to == rs.document.valid_to
            assert r.citation.document == rs.document.number
            assert r.citation.article and r.citation.quote
        assert rs.steps, rs.jurisdiction


def test_the_required_facts_are_defined_with_label_type_and_unit():
    defs = fact_defs()
    for fid in ("category", "assistive_kinds", "hospital_level", "practice_license_date",
                "business_start_date", "medical_insurance_designated",
                "work_injury_medical_agreement", "rehab_beds", "rehab_bed_area_m2",
                "rehab_floor_area_m2", "rehab_physicians", "rehab_physicians_senior",
                "rehab_therapists", "senior_clinicians_key_departments",
                "rehab_catalog_coverage", "assistive_rooms_area_m2", "training_room_area_m2",
                "violations", "evaluation_score"):
        assert fid in defs, fid
        assert defs[fid].label and defs[fid].description
    assert defs["hospital_level"].minimum == 1 and defs["hospital_level"].maximum == 3
    assert defs["rehab_catalog_coverage"].maximum == 1
    assert defs["rehab_bed_area_m2"].unit == "㎡"
    assert defs["violations"].type == "violations"


def _seed_text(name: str) -> str:
    """The source transcribed in ``name``, every erratum applied (sources/data)."""
    return re.sub(r"\s+", "", sources.by_seed(name).corrected)


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_every_quotation_is_in_its_seed(jurisdiction):
    """Citations quote the seed verbatim (whitespace aside, recorded errata applied)."""
    rs = get_rule_set(jurisdiction)
    seed = _seed_text(rs.document.seed)
    quotes = [("validity", rs.document.validity_quote)]
    quotes += [(r.id, c.quote) for r in rs.rules for c in (r.citation, *r.also)]
    quotes += [(s.id, s.citation.quote) for s in rs.steps]
    missing = [(i, q) for i, q in quotes if re.sub(r"\s+", "", q) not in seed]
    assert not missing, missing


# ---------------------------------------------------------------------------------------
# loading rejects bad data

def _raw(j: str) -> tuple[dict, dict]:
    return (yaml.safe_load((DATA_DIR / j / "rules.yaml").read_text(encoding="utf-8")),
            yaml.safe_load((DATA_DIR / j / "deadlines.yaml").read_text(encoding="utf-8")))


def _load(raw: dict, steps: dict):
    return parse_rule_set(raw, steps, fact_defs(), violation_types(), where="test")


def _rule(raw: dict, rule_id: str) -> dict:
    return next(r for r in raw["rules"] if r["id"] == rule_id)


def test_the_unchanged_data_loads():
    raw, steps = _raw("tianjin")
    assert len(_load(raw, steps).rules) == len(get_rule_set("tianjin").rules)


@pytest.mark.parametrize("change, message", [
    (lambda r: _rule(r, "tianjin.rehab.beds").update(threshold=30), "unknown keys ['threshold']"),
    (lambda r: _rule(r, "tianjin.rehab.beds").pop("citation"), "needs its citation"),
    (lambda r: _rule(r, "tianjin.rehab.beds")["citation"].pop("quote"), "missing keys ['quote']"),
    (lambda r: _rule(r, "tianjin.rehab.beds")["citation"].update(quote=" "), "non-empty text"),
    (lambda r: _rule(r, "tianjin.rehab.beds").update(fact="rehab_bedz"), "'rehab_bedz' is defined nowhere"),
    (lambda r: _rule(r, "tianjin.assistive.medical_level").update(
        when={"fact": "is_hospital", "op": "is", "value": True}), "'is_hospital' is defined nowhere"),
    (lambda r: _rule(r, "tianjin.rehab.beds").update(op="is", value=True), "is compares a boolean"),
    (lambda r: _rule(r, "tianjin.rehab.beds").update(op="about"), "operator 'about'"),
    (lambda r: _rule(r, "tianjin.rehab.no_penalty")["value"].update(types=["parking_fine"]),
     "violation types"),
    (lambda r: _rule(r, "tianjin.rehab.beds").update(kind="wish"), "kind 'wish'"),
    (lambda r: _rule(r, "tianjin.rehab.beds").update(categories=["hospital"]), "categories"),
    (lambda r: _rule(r, "tianjin.rehab.beds").update(kinds=["wheelchair"]), "kinds"),
    (lambda r: r["rules"].append(copy.deepcopy(_rule(r, "tianjin.rehab.beds"))), "duplicate rule id"),
    (lambda r: _rule(r, "tianjin.rehab.beds").update(id="hunan.rehab.beds"), "must start with tianjin."),
    (lambda r: r["document"].update(valid_from="2024-13-01"), "not an ISO date"),
    (lambda r: r["document"].update(valid_to="2020-01-01"), "valid_to before valid_from"),
    (lambda r: r.update(extra=1), "unknown keys ['extra']"),
])
def test_loading_rejects(change, message):
    raw, steps = _raw("tianjin")
    change(raw)
    with pytest.raises(RuleDataInvalid) as e:
        _load(raw, steps)
    assert message in e.value.message_en
    assert e.value.code == "rules_invalid"


def test_loading_rejects_a_deadline_rule_naming_no_step():
    raw, steps = _raw("jilin")
    _rule(raw, "jilin.all.suspension_limit")["value"]["step"] = "suspension_limits"
    with pytest.raises(RuleDataInvalid, match="not a step"):
        _load(raw, steps)


def test_loading_rejects_a_step_without_citation_or_with_a_bad_count():
    raw, steps = _raw("hunan")
    s2 = copy.deepcopy(steps)
    s2["steps"][0].pop("citation")
    with pytest.raises(RuleDataInvalid, match="missing keys"):
        _load(raw, s2)
    s3 = copy.deepcopy(steps)
    s3["steps"][0]["count"] = -5
    with pytest.raises(RuleDataInvalid, match="positive whole number"):
        _load(raw, s3)


def test_loading_rejects_facts_and_mappings_that_define_nothing_known():
    raw = yaml.safe_load((DATA_DIR / "facts.yaml").read_text(encoding="utf-8"))
    raw["facts"][0]["colour"] = "red"
    with pytest.raises(RuleDataInvalid, match="unknown keys"):
        parse_facts(raw)
    m = yaml.safe_load((DATA_DIR / "mappings.yaml").read_text(encoding="utf-8"))
    m["shanxi-application"]["facts"].append({"fact": "rehab_bedz", "field": "license_date"})
    with pytest.raises(RuleDataInvalid, match="defined nowhere"):
        parse_mappings(m, fact_defs())
    m = yaml.safe_load((DATA_DIR / "mappings.yaml").read_text(encoding="utf-8"))
    m["shanxi-application"]["facts"].append({"fact": "rehab_beds", "field": "bed_count"})
    with pytest.raises(RuleDataInvalid, match="no field 'bed_count'"):
        parse_mappings(m, fact_defs())
    m = yaml.safe_load((DATA_DIR / "mappings.yaml").read_text(encoding="utf-8"))
    m["no-such-form"] = {"facts": []}
    with pytest.raises(RuleDataInvalid, match="no form"):
        parse_mappings(m, fact_defs())


# ---------------------------------------------------------------------------------------
# the YAML cases

def _cases() -> list:
    out = []
    for j in JURISDICTIONS:
        data = yaml.safe_load((DATA_DIR / j / "cases.yaml").read_text(encoding="utf-8"))
        assert set(data) == {"profiles", "cases"}, j
        for case in data["cases"]:
            assert set(case) <= {"name", "on_date", "category", "kind", "profile", "facts", "drop",
                                 "expect"}, case
            out.append(pytest.param(j, case, data["profiles"], id=f"{j}-{case['name']}"))
    return out


CASES = _cases()


def _jsonable(v):
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return v


def run_case(j: str, case: dict, profiles: dict) -> dict:
    facts = copy.deepcopy(profiles[case["profile"]]) if case.get("profile") else {}
    facts.update(copy.deepcopy(case.get("facts") or {}))
    for f in case.get("drop") or []:
        facts.pop(f)
    parsed = facts_from_document({"facts": _jsonable(facts)}, case["category"])
    return validate(parsed, j, case["category"], case.get("kind"), _jsonable(case["on_date"]))


@pytest.mark.parametrize("j, case, profiles", CASES)
def test_case(j, case, profiles):
    report = run_case(j, case, profiles)
    exp = case["expect"]
    assert report["outcome"] == exp["outcome"], report["findings"]
    assert report["outcome"] in rules.OUTCOMES and report["outcome_label_zh"] \
        == rules.OUTCOME_ZH[report["outcome"]]
    assert report["rules_outcome"] == exp.get("rules_outcome", exp["outcome"])
    assert sorted(report["failing_rules"]) == sorted(exp["failing"])
    if "unknown" in exp:
        assert sorted(f["rule"] for f in report["findings"] if f["status"] == "unknown") \
            == sorted(exp["unknown"])
    if "not_applicable" in exp:
        assert sorted(n["rule"] for n in report["not_applicable"]) == sorted(exp["not_applicable"])
    if "advisory" in exp:
        assert sorted(report["advisory_failures"]) == sorted(exp["advisory"])
    if "procedure" in exp:
        assert sorted(report["procedure_failures"]) == sorted(exp["procedure"])
    if "validity" in exp:
        assert report["rule_set"]["validity"] == exp["validity"]
        assert report["rule_set"]["in_force"] == (exp["validity"] == "in_force")
    assert report["provisional"] == exp.get("provisional", False)
    # every failing finding names its rule's citation and says what was required and found
    rs = get_rule_set(j)
    for f in report["findings"]:
        rule = next(r for r in rs.rules if r.id == f["rule"])
        assert f["citation"] == rule.citation.to_dict()
        if f["status"] == "fail" and rule.fact is not None:
            assert f["actual"] is not None and f["source"]["kind"] == "profile"


def _side(value, edge) -> str:
    return "below" if value < edge else "at" if value == edge else "above"


def _boundary(rule, finding: dict, report: dict, case: dict) -> str | None:
    """Where a case's value sits against the rule's threshold: below, at or above."""
    on = dt.date.fromisoformat(report["on"])
    op, want = rule.op, rule.threshold
    actual = report["facts"].get(rule.fact, {}).get("value")
    if op in ("ge", "gt", "le", "lt", "eq"):
        return _side(actual, want)
    if op == "held_for":
        last = add_period(dt.date.fromisoformat(actual), **want)
        return _side(on, last)  # below: the period has not yet run out on the day checked
    if op in ("none_within", "none_in_calendar_years"):
        sides = set()
        for e in actual:
            if e["type"] not in want["types"] or dt.date.fromisoformat(e["date"]) > on:
                continue
            d = dt.date.fromisoformat(e["date"])
            if op == "none_within":
                k = next(k for k in ("years", "months", "days") if k in want)
                last = add_period(d, **{k: want[k]})
            else:
                last = dt.date(d.year + want["years"] - 1, 12, 31)
            sides.add(_side(on, last))
        return sides.pop() if len(sides) == 1 else None
    if op == "none_active":
        sides = {_side(on, add_period(dt.date.fromisoformat(e["date"]), years=e["years"]))
                 for e in actual if dt.date.fromisoformat(e["date"]) <= on}
        return sides.pop() if len(sides) == 1 else None
    if op == "by_deadline":
        step = get_rule_set(rule.jurisdiction).step(want["step"])
        start = dt.date.fromisoformat(report["facts"][want["from"]]["value"])
        return _side(dt.date.fromisoformat(actual), count_step(step, start).due)
    return None


@pytest.mark.parametrize("j", JURISDICTIONS)
def test_cases_reach_every_threshold_below_at_and_above(j):
    """Every rule with a threshold has a case below it, at it and above it; every rule
    (materials aside) fails in some case and passes in another."""
    seen: dict[str, set[str]] = {}
    statuses: dict[str, set[str]] = {}
    rs = get_rule_set(j)
    for param in CASES:
        cj, case, profiles = param.values
        if cj != j:
            continue
        report = run_case(cj, case, profiles)
        for f in report["findings"]:
            statuses.setdefault(f["rule"], set()).add(f["status"])
            rule = next(r for r in rs.rules if r.id == f["rule"])
            if rule.fact is None or f["status"] == "unknown":
                continue
            side = _boundary(rule, f, report, case)
            if side:
                seen.setdefault(rule.id, set()).add(side)
    thresholds = [r for r in rs.rules if r.fact is not None and r.op in (
        "ge", "gt", "le", "lt", "eq", "held_for", "none_within", "none_in_calendar_years",
        "by_deadline", "none_active")]
    short = {r.id: sorted({"below", "at", "above"} - seen.get(r.id, set())) for r in thresholds}
    short = {k: v for k, v in short.items() if v}
    assert not short, f"cases missing at the boundary: {short}"
    for r in rs.rules:
        if r.kind in ("material", "manual"):
            continue
        assert {"pass", "fail"} <= statuses.get(r.id, set()), (r.id, statuses.get(r.id))


# ---------------------------------------------------------------------------------------
# facts and their sources

def test_profile_errors_name_each_fact():
    with pytest.raises(InputInvalid) as e:
        facts_from_document({"facts": {"rehab_bedz": 3, "rehab_beds": "many",
                                       "hospital_level": 4, "practice_license_date": "2020-02-30",
                                       "violations": [{"type": "parking", "date": "2020-01-01"}]}},
                            "rehab")
    codes = {d.field: d.code for d in e.value.details}
    assert codes == {"facts.rehab_bedz": "unknown_fact", "facts.rehab_beds": "type_integer",
                     "facts.hospital_level": "too_large",
                     "facts.practice_license_date": "type_date",
                     "facts.violations": "unknown_violation_type"}
    assert e.value.exit_status == 2 and e.value.http_status == 422
    assert "不认识的事实" in str(e.value)


def test_a_bare_record_without_its_form_is_said_to_need_one():
    with pytest.raises(InputInvalid) as e:
        facts_from_document({"institution_name": "某医院"}, "medical")
    assert "--form" in e.value.message_zh


@pytest.mark.parametrize("text, level", [("三级甲等", 3), ("二级", 2), ("二甲", 2), ("3级", 3),
                                         ("一级乙等", 1), ("未定级", None), ("甲等", None)])
def test_level_from_text(text, level):
    assert level_from_text(text) == level


SHANXI_RECORD = {
    "institution_name": "太原某康复医院",
    "institution_level": "三级甲等",
    "license_date": "2019-04-02",
    "apply_date": "2023-05-10",
    "accept_date": "2023-05-12",
    "doctors_total": 20, "doctors_senior": 5, "doctors_intermediate": 8, "doctors_junior": 6,
    "nurses_total": 30, "nurses_senior": 2, "nurses_intermediate": 10, "nurses_junior": 15,
    "pharmacy_staff_total": 4, "medical_technicians_total": 6, "assistive_technicians_total": 0,
    "staff_sum_total": 60, "staff_sum_senior": 7,
    "departments": [
        {"name": "康复医学科", "beds": 40, "physicians": 8, "nurses": 12},
        {"name": "骨科", "beds": 30, "physicians": 6, "nurses": 10},
        {"name": "神经康复科", "beds": 15, "physicians": 3, "nurses": 6},
    ],
}


def test_facts_from_a_shanxi_record_say_where_they_came_from():
    facts = facts_from_record("shanxi-application", SHANXI_RECORD, "rehab")
    assert facts.get("hospital_level") == 3
    assert facts.get("practice_license_date") == dt.date(2019, 4, 2)
    assert not facts.has("business_start_date")  # the licence date means that for assistive only
    assert facts.get("rehab_beds") == 55  # 康复医学科 40 + 神经康复科 15, not 骨科
    assert facts.get("rehab_physicians") == 11
    assert facts.get("application_date") == dt.date(2023, 5, 10)
    src = facts.values["hospital_level"].source
    assert (src.kind, src.form, src.fields) == ("record", "shanxi-application", ("institution_level",))
    assert "医疗、康复机构等级" in src.text_zh()
    assistive = facts_from_record("shanxi-application", SHANXI_RECORD, "assistive")
    assert assistive.get("business_start_date") == dt.date(2019, 4, 2)
    assert not assistive.has("practice_license_date") and not assistive.has("rehab_beds")


def test_shanxi_staff_totals_are_checked_against_their_parts():
    facts = facts_from_record("shanxi-application", SHANXI_RECORD, "rehab")
    checks = {c["id"]: c for c in facts.checks}
    # 20 + 30 + 4 + 6 + 0 = 60: the 合计 row agrees
    assert checks["shanxi-application.staff_sum_total"]["status"] == "pass"
    # 合计·高级职称 7 = 5 + 2 (blank cells count as 0)
    assert checks["shanxi-application.staff_sum_senior"]["status"] == "pass"
    assert checks["shanxi-application.staff_sum_junior"]["status"] == "unknown"  # total blank
    assert checks["shanxi-application.doctors_titles"]["status"] == "pass"  # 19 <= 20
    assert checks["shanxi-application.departments_physicians"]["status"] == "pass"  # 17 <= 20
    assert checks["shanxi-application.dates_in_order"]["status"] == "pass"
    bad = dict(SHANXI_RECORD, staff_sum_total=61, doctors_senior=9, accept_date="2023-05-01")
    checks = {c["id"]: c for c in facts_from_record("shanxi-application", bad, "rehab").checks}
    assert checks["shanxi-application.staff_sum_total"]["status"] == "fail"
    assert checks["shanxi-application.staff_sum_total"]["values"] == {"sum": 60, "total": 61}
    assert checks["shanxi-application.doctors_titles"]["status"] == "fail"  # 9+8+6 = 23 > 20
    assert checks["shanxi-application.dates_in_order"]["status"] == "fail"
    assert "受理时间" in checks["shanxi-application.dates_in_order"]["message_zh"]


JDZ_RECORD = {
    "institution_name": "景德镇某医院", "fill_date": "2026-03-02", "license_date": "2010-06-01",
    "institution_level": "二级甲等",
    "outpatient_visits": 12000, "outpatient_avg_cost": "250.00", "outpatient_total_cost": "300.00",
    "inpatient_visits": 800, "inpatient_avg_cost": "8000.00", "inpatient_total_cost": "640.00",
    "total_cost": "950.00", "beds": 100, "special_beds": 20, "wards": 4, "special_wards": 1,
}


def test_jingdezhen_averages_are_checked_against_totals_and_counts():
    checks = {c["id"]: c for c in facts_from_record("jingdezhen-application", JDZ_RECORD,
                                                    "medical").checks}
    # 12000 × 250.00 元 = 300.00 万元; 800 × 8000.00 元 = 640.00 万元
    assert checks["jingdezhen-application.outpatient_average"]["status"] == "pass"
    assert checks["jingdezhen-application.inpatient_average"]["status"] == "pass"
    assert checks["jingdezhen-application.total_cost"]["status"] == "pass"  # 940 <= 950
    assert checks["jingdezhen-application.special_beds"]["status"] == "pass"
    # a total off by more than the rounding of its two decimals (50 元 + 12000 × 0.005 元)
    bad = dict(JDZ_RECORD, outpatient_total_cost="301.00", total_cost="900.00", special_beds=120)
    checks = {c["id"]: c for c in facts_from_record("jingdezhen-application", bad,
                                                    "medical").checks}
    assert checks["jingdezhen-application.outpatient_average"]["status"] == "fail"
    assert checks["jingdezhen-application.outpatient_average"]["values"]["tolerance"] == 110
    assert checks["jingdezhen-application.total_cost"]["status"] == "fail"
    assert checks["jingdezhen-application.special_beds"]["status"] == "fail"
    # within rounding: 12001 visits × 250.00 = 3000250 元, printed 300.03 万元
    close = dict(JDZ_RECORD, outpatient_visits=12001, outpatient_total_cost="300.03")
    checks = {c["id"]: c for c in facts_from_record("jingdezhen-application", close,
                                                    "medical").checks}
    assert checks["jingdezhen-application.outpatient_average"]["status"] == "pass"


def test_a_record_and_a_profile_together_and_their_disagreement():
    doc = {"form": "jingdezhen-application", "record": JDZ_RECORD,
           "facts": {"hospital_level": 3, "has_practice_license": True,
                     "medical_insurance_designated": True, "management_rules": True,
                     "network_settlement_ready": True, "violations": []}}
    facts = facts_from_document(doc, "medical")
    report = validate(facts, "jingdezhen", "medical")  # as of the record's 填报日期
    assert report["on"] == "2026-03-02" and "填报日期" in report["on_source"]
    assert report["outcome"] == "eligible"
    assert report["facts"]["hospital_level"]["value"] == 3  # the profile's, not the form's 2
    conflict = next(c for c in report["checks"] if c["id"] == "profile_record_conflict.hospital_level")
    assert conflict["status"] == "fail" and conflict["values"] == {"profile": 3, "record": 2}
    assert report["facts"]["practice_license_date"]["source"]["form"] == "jingdezhen-application"


def test_a_record_that_does_not_fit_its_form_is_refused():
    with pytest.raises(RecordInvalid) as e:
        facts_from_document({"form": "shanxi-application", "record": {"doctors_total": "many"}},
                            "medical")
    assert e.value.exit_status == 2 and e.value.details[0].field == "doctors_total"


def test_materials_from_the_jilin_form_and_the_ones_still_to_provide():
    record = {"category": "工伤康复定点机构", "apply_date": "2026-03-01",
              "rehab_application_form": True, "rehab_practice_license": True,
              "rehab_departments_staff": False, "medical_management_rules": True}
    facts = facts_from_record("jilin-application", record, "rehab")
    assert facts.get("materials_submitted") == ["application_form", "practice_license"]
    report = validate(facts, "jilin", "rehab")
    mats = report["materials"]
    assert mats["complete"] is False
    assert [m["material"] for m in mats["to_provide"]] == ["departments_staff", "management_rules"]
    assert mats["to_provide"][0]["citation"]["article"] == "第六条第（二）项第3目"
    # the form says 康复, the command says 医疗: said, not silently used
    report = validate(facts_from_record("jilin-application", record, "medical"), "jilin", "medical")
    assert any(c["id"] == "category_matches" and c["status"] == "fail" for c in report["checks"])


def test_hunan_commitment_gives_the_applicants_own_word():
    record = {"institution_name": "长沙某医院", "commit_no_dishonesty_record": True,
              "commit_no_fraudulent_application": True, "commit_no_major_incident": True,
              "commit_no_other_violation": True}
    facts = facts_from_record("hunan-commitment", record, "medical")
    assert facts.get("dishonest_list") is False and facts.get("violations") == []
    half = dict(record, commit_no_major_incident=False)
    assert not facts_from_record("hunan-commitment", half, "medical").has("violations")


def test_an_unreadable_level_is_noted_not_guessed():
    facts = facts_from_record("jingdezhen-application", dict(JDZ_RECORD, institution_level="未定级"),
                              "medical")
    assert not facts.has("hospital_level")
    assert any("未定级" in n for n in facts.notes)


def test_bad_names_are_refused_with_their_code():
    facts = facts_from_document({"facts": {}}, "medical")
    for kwargs, code in [
        ({"jurisdiction": "beijing", "category": "medical"}, "unknown_jurisdiction"),
        ({"jurisdiction": "tianjin", "category": "dental"}, "unknown_category"),
        ({"jurisdiction": "tianjin", "category": "assistive", "kind": "wheelchair"},
         "unknown_kind"),
        ({"jurisdiction": "tianjin", "category": "medical", "kind": "hearing_aid"},
         "input_invalid"),
    ]:
        with pytest.raises(InputInvalid) as e:
            validate(facts, on="2026-03-10", **kwargs)
        assert e.value.code == code and e.value.exit_status == 2
    with pytest.raises(InputInvalid, match="--on"):
        validate(facts, "tianjin", "medical")  # no date given and none in the input
    with pytest.raises(InputInvalid, match="not a valid date"):
        validate(facts, "tianjin", "medical", on="2026-02-30")
    with pytest.raises(InputInvalid) as e:
        validate(facts_from_document({"facts": {"materials_submitted": ["passport"]}}, "medical"),
                 "jilin", "medical", on="2026-03-10")
    assert e.value.code == "unknown_material"


def test_a_kind_the_document_does_not_tell_apart_is_checked_by_the_general_conditions():
    facts = facts_from_document({"facts": {"evaluation_score": 75, "complaint_verified": False,
                                             "first_application": True}},
                                "assistive")
    report = validate(facts, "jilin", "assistive", "hearing_aid", "2026-03-10")
    assert report["outcome"] == "eligible"
    assert any("不区分辅助器具类别" in w for w in report["warnings"])


def test_an_expired_rule_set_is_said_in_the_report():
    facts = facts_from_document({"facts": {"rehab_beds": 60}}, "rehab")
    report = validate(facts, "hunan", "rehab", on="2026-03-10")
    assert report["rule_set"]["validity"] == "expired"
    assert report["rule_set"]["in_force"] is False
    assert "2024-05-31" in report["warnings"][0] and "已失效" in report["warnings"][0]
    report = validate(facts, "shanxi", "rehab", on="2022-08-07")
    assert report["rule_set"]["validity"] == "not_yet_in_force"
    assert "尚未施行" in report["rule_set"]["message_zh"]


# ---------------------------------------------------------------------------------------
# filled PDFs: read by whoever holds the file (api/), then judged as a record

def test_a_filled_pdf_is_parsed_at_the_edge_and_judged_as_its_record():
    from api.cli_rules import is_pdf, load_facts
    from forms import get_form, validate_record
    from generator.pdf import render_pdf

    spec = get_form("shanxi-application")
    pdf = render_pdf(spec, validate_record(spec, SHANXI_RECORD, complete=False),
                     typing_font="viewer")
    assert is_pdf(b"  %PDF-1.7") and not is_pdf(b"{}")
    facts = load_facts(pdf, "filled.pdf", "rehab")
    assert facts.values["rehab_beds"].source.via == "pdf"
    assert "PDF" in facts.values["rehab_beds"].source.text_zh()
    # rules judge records: no PDF reader, no parser import in rules/
    src = "".join(p.read_text(encoding="utf-8") for p in (Path(rules.__file__).parent).glob("*.py"))
    assert "import parser" not in src and "from parser" not in src and "importlib" not in src


def test_errors_are_xieyi_errors():
    assert issubclass(RuleDataInvalid, XieyiError)


# ---------------------------------------------------------------------------------------
# outcomes the review asked for: incomplete (需补正) with its deadline, expired, manual checks

def _jingdezhen_medical(**extra) -> dict:
    return {"has_practice_license": True, "medical_insurance_designated": True,
            "management_rules": True, "network_settlement_ready": True, "violations": [], **extra}


def test_a_missing_material_makes_the_outcome_incomplete_with_items_and_deadline():
    rs = get_rule_set("jingdezhen")
    every = [r.material for r in rs.rules if r.kind == "material" and r.applies_to("medical")]
    given = [m for m in every if m != "commitment"]
    facts = facts_from_document({"facts": _jingdezhen_medical(
        materials_submitted=given, supplement_notice_date="2026-09-28")}, "medical")
    report = validate(facts, "jingdezhen", "medical", on="2026-09-28")
    assert report["outcome"] == "incomplete" and report["outcome_label_zh"] == "申请材料不全，需补正"
    sup = report["supplement"]
    assert sup["required"] and [i["material"] for i in sup["items"]] == ["commitment"]
    assert sup["items"][0]["citation"]["article"] == "二、1.（九）"
    # 5 working days from 2026-09-28 (Mon): 09-29, 09-30, then 国庆 10-01..10-07, 10-08,
    # 10-09, and 10-10 (a make-up Saturday)
    assert sup["deadline"]["due"] == "2026-10-10" and sup["deadline"]["citation"]["article"] == "二、2."
    assert "2026-10-10" in sup["deadline_zh"] and "逾期不补正的视作放弃申请" in sup["deadline_zh"]
    # all given: eligible; none listed: materials are not judged (complete None), eligible
    facts = facts_from_document({"facts": _jingdezhen_medical(materials_submitted=every)}, "medical")
    assert validate(facts, "jingdezhen", "medical", on="2026-09-28")["outcome"] == "eligible"
    facts = facts_from_document({"facts": _jingdezhen_medical()}, "medical")
    r = validate(facts, "jingdezhen", "medical", on="2026-09-28")
    assert r["outcome"] == "eligible" and r["materials"]["complete"] is None


def test_an_expired_rule_set_never_answers_eligible():
    facts = facts_from_document({"facts": {"rehab_beds": 60}}, "rehab")
    report = validate(facts, "hunan", "rehab", on="2024-06-01")
    assert report["outcome"] == "expired" and report["outcome_label_zh"] == "规则已失效"
    assert "2024-05-31" in report["outcome_zh"]
    report = validate(facts, "hunan", "rehab", on="2024-05-31")
    assert report["outcome"] != "expired"


@pytest.mark.parametrize("j", JURISDICTIONS)
def test_conduct_no_application_shows_is_listed_as_checked_by_a_person(j):
    category = "medical" if j != "jilin" else "rehab"
    report = validate(facts_from_document({"facts": {}}, category), j, category, on="2026-03-10")
    manual = report["manual_checks"]
    assert manual, f"{j}: no manual checks listed"
    for m in manual:
        assert m["citation"]["reference"] is not None and m["citation"]["quote"]
