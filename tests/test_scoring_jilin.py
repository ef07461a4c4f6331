"""Jilin 第十条: the panel's total against 60分以上 (its 评估标准 are not published, so the
total is the one input): 60 passes, 59.99 fails, 100 is the most, anything else is rejected
(exit 2 / HTTP 422); the result and the printed page say the table is derived."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from forms import get_form, validate_record
from forms.errors import ScoreInputInvalid
from scoring import get_table, record_from_result, score

ROOT = Path(__file__).resolve().parent.parent
TID = "jilin-eval"


def _data(total, kind="medical") -> dict:
    return {"kind": kind, "items": {"total": {"score": total}}}


@pytest.mark.parametrize("kind", ["medical", "rehab", "assistive"])
@pytest.mark.parametrize("total,passed", [("60", True), ("59.99", False), ("100", True), ("0", False),
                                          (60, True), (59.99, False), ("75.5", True)])
def test_pass_mark_is_60_inclusive(kind, total, passed):
    r = score(TID, _data(total, kind))
    assert r["passed"] is passed and r["maximum"] == "100"
    assert r["result_zh"] == ("合格" if passed else f"不合格（得分{r['total']}分，未达60分）")
    pm = r["pass_mark"]
    assert (pm["value"], pm["inclusive"], pm["rule"]) == ("60", True, "jilin.all.pass_mark")
    ref = pm["citation"].pop("reference")
    assert pm["citation"] == {"document": "吉人社联〔2026〕3号", "article": "第十条",
                              "quote": "通过履约能力评估（60分以上）的申报机构"}
    # the 办法 is the notice's 附件: its 第十条 is where the citation opens
    assert (ref["jurisdiction"], ref["key"], ref["exact"]) == ("jilin", "附件 第十条", True)
    assert r["derived"] and "附件2-4履约能力评估标准未公开" in r["derived_note"]


@pytest.mark.parametrize("total,code", [("100.01", "score_too_large"), (101, "score_too_large"),
                                        ("-1", "negative"), (-0.01, "negative"), ("六十", "not_a_number"),
                                        (None, "not_a_number"), (True, "not_a_number"),
                                        ("NaN", "not_a_number")])
def test_out_of_range_or_not_a_number_is_rejected(total, code):
    with pytest.raises(ScoreInputInvalid) as info:
        score(TID, _data(total))
    d = info.value.details[0]
    assert (d.field, d.code) == ("items.total.score", code) and d.message_zh and d.message_en


def test_other_bad_input():
    for data, code in ((_data("60", "denture"), "unknown_kind"), ({"items": {"total": {"score": 60}}}, "missing_kind"),
                       ({"kind": "rehab", "items": {"1": {"score": 60}}}, "unknown_item"),
                       ({"kind": "rehab", "items": {"total": {"score": 60, "reason": "x"}}}, "missing_input")):
        with pytest.raises(ScoreInputInvalid) as info:
            score(TID, data)
        assert code in {d.code for d in info.value.details}


def test_cli_exit_2_and_api_422(tmp_path, ):
    run = lambda *a: subprocess.run([sys.executable, "-m", "api.cli", *a], capture_output=True,  # noqa: E731
                                    text=True, cwd=ROOT)
    f = tmp_path / "in.json"
    f.write_text(json.dumps(_data("60")), encoding="utf-8")
    p = run("score", TID, "--data", str(f), "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["passed"] is True
    f.write_text(json.dumps(_data("100.5")), encoding="utf-8")
    p = run("score", TID, "--data", str(f))
    assert p.returncode == 2 and "超过满分100分" in p.stderr and "exceeds" in p.stderr
    from api import create_app

    client = create_app({"TESTING": True}).test_client()
    r = client.post("/api/score", json={"table": TID, **_data("59.99", "rehab")})
    assert r.status_code == 200 and r.get_json()["passed"] is False
    r = client.post("/api/score", json={"table": TID, **_data("-5", "rehab")})
    assert r.status_code == 422 and r.get_json()["details"][0]["field"] == "items.total.score"


def test_blank_and_filled_page_show_the_derived_note():
    from docx import Document
    from pypdf import PdfReader

    from generator.docx import render_docx
    from generator.pdf import render_pdf

    spec = get_form(get_table(TID).form)
    assert spec.derived and spec.derived_note in spec.official_texts()
    assert "60分以上（含60分）" in spec.derived_note and "非官方" in spec.derived_note
    blank = PdfReader(io.BytesIO(render_pdf(spec))).get_fields()
    assert not blank["panel_total"].get("/V")
    data = _data("60", "assistive")
    data.update(institution="长春某辅具中心", date="2026-03-02")
    rec = validate_record(spec, record_from_result(score(TID, data)), complete=False)
    fields = PdfReader(io.BytesIO(render_pdf(spec, rec))).get_fields()
    assert fields["panel_total"]["/V"] == "60" and fields["result"]["/V"] == "通过"
    assert fields["kind"]["/V"] == "辅助器具配置机构"
    text = "".join(p.text for p in Document(io.BytesIO(render_docx(spec, rec))).paragraphs)
    assert spec.derived_note in text
