"""``xieyi rules|validate|deadline`` and ``/api/rules``, ``POST /api/validate``,
``GET /api/deadline``: the same JSON from both, readable Chinese reports, and bad input
as a bilingual message with exit status 2 / HTTP 422."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main

PROFILE = {"facts": {
    "has_practice_license": True, "practice_license_date": "2020-05-01", "hospital_level": 2,
    "work_injury_medical_agreement": True, "violations": [], "management_rules": True,
    "network_settlement_ready": True, "rehab_beds": 28, "rehab_bed_area_m2": 6.5,
    "rehab_floor_area_m2": 600, "rehab_independent_rooms": True, "rehab_physicians": 5,
    "rehab_physicians_senior": 2, "rehab_therapists": 12, "rehab_catalog_coverage": 0.8,
    "complaint_verified": False,
}}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def profile(tmp_path) -> Path:
    p = tmp_path / "profile.json"
    p.write_text(json.dumps(PROFILE, ensure_ascii=False), encoding="utf-8")
    return p


# ---------------------------------------------------------------------------------- rules

def test_rules_lists_each_jurisdiction_with_citations(capsys):
    status, out, _ = run(capsys, "rules", "--jurisdiction", "tianjin", "--category", "rehab")
    assert status == 0
    assert "tianjin.rehab.beds" in out and "康复病房床位数 ≥ 30张" in out
    assert "附件2 五、（一）1." in out and "设有独立的康复病房，床位数达到30张以上" in out
    assert "tianjin.medical" not in out  # the category filter
    assert "publicity" in out  # the steps, for xieyi deadline


def test_rules_json_equals_the_service(capsys, client):
    status, out, _ = run(capsys, "rules", "--json", "-j", "shanxi", "-c", "medical")
    assert status == 0
    cli = json.loads(out)
    api = client.get("/api/rules?jurisdiction=shanxi&category=medical")
    assert api.status_code == 200 and api.get_json() == cli
    rule = next(r for r in cli[0]["rules"] if r["id"] == "shanxi.medical.pass_mark")
    assert (rule["fact"], rule["op"], rule["threshold"], rule["unit"]) == (
        "evaluation_score", "ge", 90, "分")
    ref = rule["citation"].pop("reference")
    assert rule["citation"] == {"document": "晋人社厅发〔2022〕55号", "article": "第十五条",
                                "quote": "得分90分以上的为合格"}
    assert (ref["key"], ref["exact"]) == ("第十五条", True)
    assert (rule["valid_from"], rule["valid_to"]) == ("2022-08-08", "2024-08-07")
    assert cli[0]["document"]["number"] == "晋人社厅发〔2022〕55号"


def test_rules_facts(capsys, client):
    status, out, _ = run(capsys, "rules", "--facts", "--json")
    assert status == 0
    data = json.loads(out)
    assert client.get("/api/rules/facts").get_json() == data
    beds = next(f for f in data["facts"] if f["id"] == "rehab_beds")
    assert (beds["label"], beds["type"], beds["unit"]) == ("康复病房床位数", "integer", "张")
    status, out, _ = run(capsys, "rules", "--facts")
    assert status == 0 and "rehab_catalog_coverage" in out and "major_incident" in out


# ---------------------------------------------------------------------------------- validate

def test_validate_prints_a_chinese_report(capsys, profile):
    status, out, err = run(capsys, "validate", str(profile), "-j", "tianjin", "-c", "rehab",
                           "--on", "2026-03-10")
    assert status == 0, err
    assert "结论：不符合条件（ineligible）" in out
    assert "✗ 不符合  tianjin.rehab.beds" in out
    assert "要求 ≥ 30张，实际 28张" in out
    assert "来源：档案（profile）" in out
    assert "依据：市人社局关于进一步规范工伤保险服务机构协议管理有关工作的通知 附件2 五、（一）1." in out


def test_validate_json_equals_the_service(capsys, profile, client):
    status, out, _ = run(capsys, "validate", str(profile), "-j", "tianjin", "-c", "rehab",
                         "--on", "2026-03-10", "--json")
    assert status == 0
    cli = json.loads(out)
    api = client.post("/api/validate", json={"jurisdiction": "tianjin", "category": "rehab",
                                             "on": "2026-03-10", **PROFILE})
    assert api.status_code == 200
    # the same report, but for how each names what it was given: flags, parameters
    assert (cli["on_source"], api.get_json()["on_source"]) == ("命令参数 --on", "请求参数 on")
    got = api.get_json()
    assert (cli["facts"]["category"]["source"]["text_zh"],
            got["facts"]["category"]["source"]["text_zh"]) == ("命令参数 --category",
                                                               "请求参数 category")
    got["facts"]["category"] = cli["facts"]["category"]
    assert {**got, "on_source": cli["on_source"]} == cli
    assert cli["outcome"] == "ineligible" and cli["failing_rules"] == ["tianjin.rehab.beds"]
    beds = next(f for f in cli["findings"] if f["rule"] == "tianjin.rehab.beds")
    assert (beds["status"], beds["required"], beds["actual"], beds["unit"]) == ("fail", 30, 28, "张")
    assert beds["source"]["kind"] == "profile"
    assert beds["citation"]["quote"] == "设有独立的康复病房，床位数达到30张以上"


def test_validate_a_bare_record_with_its_form_and_a_profile(capsys, tmp_path, client):
    record = {"institution_name": "太原某康复医院", "institution_level": "三级甲等",
              "license_date": "2019-04-02", "apply_date": "2023-05-10",
              "doctors_total": 20, "nurses_total": 30, "staff_sum_total": 49}
    rec = tmp_path / "record.json"
    rec.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    prof = tmp_path / "p.json"
    prof.write_text(json.dumps({"facts": {"evaluation_score": 92}}), encoding="utf-8")
    status, out, err = run(capsys, "validate", str(rec), "--form", "shanxi-application",
                           "--facts", str(prof), "-j", "shanxi", "-c", "medical", "--json")
    assert status == 0, err
    cli = json.loads(out)
    assert cli["on"] == "2023-05-10" and "申请时间" in cli["on_source"]
    assert cli["facts"]["hospital_level"]["value"] == 3
    assert cli["facts"]["evaluation_score"]["source"]["kind"] == "profile"
    total = next(c for c in cli["checks"] if c["id"] == "shanxi-application.staff_sum_total")
    assert total["status"] == "fail"  # 20 + 30 = 50, 合计 says 49
    api = client.post("/api/validate", json={"jurisdiction": "shanxi", "category": "medical",
                                             "form": "shanxi-application", "record": record,
                                             "facts": {"evaluation_score": 92}})
    got = api.get_json()
    # the same report; the category is named as each channel was given it
    assert got["facts"]["category"]["source"]["fields"] == ["category"]
    got["facts"]["category"] = cli["facts"]["category"]
    assert got == cli
    status, out, _ = run(capsys, "validate", str(rec), "--form", "shanxi-application",
                         "-j", "shanxi", "-c", "medical")
    assert "表单一致性检查" in out and "合计·总人数" in out


def test_validate_says_when_the_rule_set_was_not_in_force(capsys, profile):
    status, out, _ = run(capsys, "validate", str(profile), "-j", "hunan", "-c", "rehab",
                         "--on", "2026-03-10", "--json")
    assert status == 0
    report = json.loads(out)
    assert report["rule_set"]["validity"] == "expired" and report["rule_set"]["in_force"] is False
    status, out, _ = run(capsys, "validate", str(profile), "-j", "hunan", "-c", "rehab",
                         "--on", "2026-03-10")
    assert "已失效" in out


@pytest.mark.parametrize("argv, code", [
    (["-j", "beijing", "-c", "rehab"], "unknown_jurisdiction"),
    (["-j", "tianjin", "-c", "dental"], "unknown_category"),
    (["-j", "tianjin", "-c", "assistive", "--kind", "wheelchair", "--on", "2026-03-10"],
     "unknown_kind"),
    (["-j", "tianjin", "-c", "rehab", "--on", "2026-02-30"], "input_invalid"),
    (["-j", "tianjin", "-c", "rehab"], "input_invalid"),  # no date to check as of
])
def test_validate_bad_input_exits_2_in_both_languages(capsys, profile, argv, code):
    status, out, err = run(capsys, "validate", str(profile), *argv)
    assert status == 2
    assert f"[{code}]" in err and "错误" in err and "error" in err
    assert "Traceback" not in err and out == ""


def test_validate_an_unknown_fact_and_a_missing_file(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"facts": {"rehab_bedz": 3}}), encoding="utf-8")
    status, _, err = run(capsys, "validate", str(bad), "-j", "tianjin", "-c", "rehab",
                         "--on", "2026-03-10")
    assert status == 2 and "[facts_invalid]" in err and "rehab_bedz" in err
    status, _, err = run(capsys, "validate", str(tmp_path / "nope.json"), "-j", "tianjin",
                         "-c", "rehab")
    assert status == 2 and "无法读取" in err


def test_validate_a_pdf_goes_through_the_parser(capsys, tmp_path):
    pdf = tmp_path / "filled.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")  # a PDF that is none of our forms
    status, _, err = run(capsys, "validate", str(pdf), "-j", "shanxi", "-c", "medical")
    assert status == 3 and "[pdf_" in err and "/" in err


# ---------------------------------------------------------------------------------- service

def test_service_validate_errors_are_422_in_the_one_shape(client):
    r = client.post("/api/validate", json={"jurisdiction": "tianjin", "category": "rehab",
                                           "on": "2026-03-10", "facts": {"rehab_bedz": 1}})
    assert r.status_code == 422
    body = r.get_json()
    assert body["code"] == "facts_invalid" and body["details"][0]["field"] == "facts.rehab_bedz"
    r = client.post("/api/validate", json={"jurisdiction": "x", "category": "rehab",
                                           "facts": {}})
    assert r.status_code == 422 and r.get_json()["code"] == "unknown_jurisdiction"
    r = client.post("/api/validate", json={"category": "rehab", "facts": {}, "colour": "red"})
    assert r.status_code == 422
    assert {d["field"] for d in r.get_json()["details"]} == {"jurisdiction", "colour"}
    r = client.post("/api/validate", json={"jurisdiction": "tianjin", "category": "rehab"})
    assert r.status_code == 422 and "facts" in r.get_json()["message_zh"]
    r = client.post("/api/validate", data="jurisdiction=tianjin",
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415


def test_deadline_json_equals_the_service(capsys, client):
    status, out, _ = run(capsys, "deadline", "-j", "tianjin", "-s", "publicity",
                         "--from", "2026-09-28", "--json")
    assert status == 0
    cli = json.loads(out)
    api = client.get("/api/deadline?jurisdiction=tianjin&step=publicity&from=2026-09-28")
    assert api.status_code == 200 and api.get_json() == cli
    assert cli["due"] == "2026-10-10" and cli["unit"] == "working_days"
    status, out, _ = run(capsys, "deadline", "--working-days", "60", "--from", "2026-12-01",
                         "--json")
    cli = json.loads(out)
    api = client.get("/api/deadline?working_days=60&from=2026-12-01")
    assert api.get_json() == cli and cli["provisional"] is True and cli["due"] == "2027-02-23"


def test_deadline_prints_the_days_it_skipped(capsys):
    status, out, _ = run(capsys, "deadline", "-j", "hunan", "-s", "publicity",
                         "--from", "2026-02-12")
    assert status == 0
    assert "截止日：2026-02-26（周四）" in out
    assert "2026-02-16 周一  春节假期" in out and "2026-02-14 周六  春节调休上班日" in out
    assert "依据：湘人社规〔2022〕10号 第十一条第（五）项：“公示时间为5个工作日”" in out
    status, out, _ = run(capsys, "deadline", "-n", "60", "--from", "2026-12-01")
    assert "【临时结果 provisional】" in out and "2027年" in out


@pytest.mark.parametrize("argv, code", [
    (["--working-days", "-3", "--from", "2026-02-12"], "input_invalid"),
    (["--working-days", "x", "--from", "2026-02-12"], "input_invalid"),
    (["-j", "hunan", "-s", "nope", "--from", "2026-02-12"], "unknown_step"),
    (["-j", "hunan", "-s", "publicity", "--from", "2026-02-30"], "input_invalid"),
    (["-j", "hunan", "--from", "2026-02-12"], "input_invalid"),
    (["-j", "hunan", "-s", "publicity", "-n", "3", "--from", "2026-02-12"], "input_invalid"),
    (["--from", "2026-02-12"], "input_invalid"),
])
def test_deadline_bad_input_exits_2(capsys, argv, code):
    status, _, err = run(capsys, "deadline", *argv)
    assert status == 2 and f"[{code}]" in err and "Traceback" not in err


@pytest.mark.parametrize("query, code", [
    ("working_days=-3&from=2026-02-12", "input_invalid"),
    ("jurisdiction=hunan&step=nope&from=2026-02-12", "unknown_step"),
    ("jurisdiction=hunan&step=publicity&from=2026-02-30", "input_invalid"),
    ("jurisdiction=hunan&step=publicity", "input_invalid"),
])
def test_service_deadline_bad_input_is_422(client, query, code):
    r = client.get(f"/api/deadline?{query}")
    assert r.status_code == 422 and r.get_json()["code"] == code
    assert r.get_json()["message_zh"] and r.get_json()["message_en"]


def test_the_openapi_document_describes_the_routes(client):
    doc = client.get("/api/openapi.json").get_json()
    assert {"/api/rules", "/api/rules/facts", "/api/validate", "/api/deadline"} <= set(doc["paths"])
    assert "post" in doc["paths"]["/api/validate"]
    schemas = doc["components"]["schemas"]
    assert "Validation" in schemas and "Deadline" in schemas and "Finding" in schemas
