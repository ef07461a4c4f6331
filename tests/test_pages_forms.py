"""Everyone's pages through the test client: the catalogue, a form's page, the fill page
generated from each form's description (same fields, limits and messages as the API), the
materials a jurisdiction asks for, errors as pages in Chinese."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest

import rules
from forms import all_forms, get_form, sample_record, validate_record
from parser import parse_pdf

FORMS = all_forms()


def _token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _posted(spec, record: dict) -> dict:
    """What a person typing ``record`` into the fill page sends."""

    def text(v):
        if isinstance(v, bool):
            return "1" if v else ""
        if isinstance(v, (dt.date, Decimal, int)):
            return str(v)
        return v

    data = {}
    for f in spec.fields:
        v = record.get(f.id)
        if v is None:
            continue
        if f.type == "rows":
            for i, row in enumerate(v):
                for cid, cv in row.items():
                    data[f"{f.id}.{i}.{cid}"] = text(cv)
        elif text(v):
            data[f.id] = text(v)
    return data


def test_the_catalogue_names_each_form_whole(client):
    html = client.get("/").get_data(as_text=True)
    for spec in FORMS:
        assert f'href="/forms/{spec.id}">{spec.full_title}</a>' in html
        assert f'href="/forms/{spec.id}/fill"' in html
    shanxi = [s.full_title for s in FORMS if s.jurisdiction == "shanxi"]
    assert len(shanxi) == len(set(shanxi))
    assert "山西省工伤保险辅助器具配置协议服务机构准入评估表(假眼配置机构)" in shanxi


def test_a_form_page_describes_every_field_in_chinese(client):
    spec = get_form("shanxi-application")
    html = client.get(f"/forms/{spec.id}").get_data(as_text=True)
    assert f"<title>{spec.full_title} · 山西省 · xieyi</title>" in html
    assert spec.source.article in html and "已失效" in html
    for f in spec.fields:
        assert f'id="field-{f.id}"' in html and f.label in html
    assert "最多 10 行" in html  # departments
    assert "单选；可选：" in html or "可选：" in html


@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.id)
def test_the_fill_page_offers_every_field_with_its_limits(client, spec):
    html = client.get(f"/forms/{spec.id}/fill").get_data(as_text=True)
    for f in spec.fields:
        if f.type == "rows":
            for c in f.columns:
                assert f'name="{f.id}.0.{c.id}"' in html
                assert f'name="{f.id}.{f.max_rows - 1}.{c.id}"' in html
            continue
        tag = re.search(rf'<(input|select|textarea) id="in-{re.escape(f.id)}"[^>]*>', html)
        assert tag, f.id
        assert f'<label for="in-{f.id}">' in html
        if f.max_length and f.type in ("text", "multiline"):
            assert f'maxlength="{f.max_length}"' in tag.group(0)
        if f.required and f.type != "checkbox":
            assert " required" in tag.group(0)
        if f.type == "choice":
            for c in f.choices:
                assert f"<option>{c}</option>" in html


@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.id)
def test_what_is_typed_on_the_page_is_the_record(client, spec):
    """Every form's sample record typed into its page gives the same record (each field
    type, rows and checkboxes included): the page's check finds nothing."""
    from api.pages import record_from_form

    want = validate_record(spec, sample_record(spec, "typical"))
    posted = _posted(spec, want)
    assert validate_record(spec, record_from_form(spec, posted)) == want
    token = _token(client, f"/forms/{spec.id}/fill")
    r = client.post(f"/forms/{spec.id}/check", data={**posted, "csrf_token": token})
    assert r.get_json() == {"problems": []}


def test_the_page_says_what_the_api_says(client):
    spec = get_form("jingdezhen-application")
    bad = {"institution_name": "甲" * 61, "rated_beds": "-2", "total_cost": "1.234",
           "license_date": "2015-13-01", "profit_nature": "其他"}
    api = client.post(f"/api/forms/{spec.id}/render?format=pdf",
                      json={**bad, "rated_beds": -2}).get_json()
    token = _token(client, f"/forms/{spec.id}/fill")
    r = client.post(f"/forms/{spec.id}/fill", data={**bad, "format": "pdf", "csrf_token": token})
    assert r.status_code == 422 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    for d in api["details"]:
        assert d["message_zh"] in html
    # nothing typed is lost: each value is back in its input
    assert 'value="' + "甲" * 61 + '"' in html and 'value="1.234"' in html
    check = client.post(f"/forms/{spec.id}/check", data={**bad, "csrf_token": token}).get_json()
    assert sorted(p["message_zh"] for p in check["problems"]) == \
        sorted(d["message_zh"] for d in api["details"])


def test_a_filled_page_downloads_as_pdf_and_docx(client):
    spec = get_form("jingdezhen-application")
    token = _token(client, f"/forms/{spec.id}/fill")
    typed = {"institution_name": "景德镇市堃喆医院", "rated_beds": "120",
             "profit_nature": "非营利性", "license_date": "2015-03-01", "total_cost": "1234.50"}
    r = client.post(f"/forms/{spec.id}/fill", data={**typed, "format": "pdf", "csrf_token": token})
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    assert r.headers["Cache-Control"] == "no-store"
    record = parse_pdf(r.data).record
    assert record["institution_name"] == "景德镇市堃喆医院" and record["rated_beds"] == 120
    assert record["total_cost"] == "1234.50" and record["profit_nature"] == "非营利性"
    r = client.post(f"/forms/{spec.id}/fill", data={**typed, "format": "docx", "csrf_token": token})
    assert r.mimetype.endswith("wordprocessingml.document")
    from docx import Document

    text = "\n".join(c.text for t in Document(io.BytesIO(r.data)).tables
                     for row in t.rows for c in row.cells)
    assert "景德镇市堃喆医院" in text and "1234.50" in text


def test_the_fill_page_posts_only_with_its_csrf_token(client):
    r = client.post("/forms/jingdezhen-application/fill",
                    data={"institution_name": "某医院", "format": "pdf"})
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)
    r = client.post("/forms/jingdezhen-application/check", data={"rated_beds": "1"})
    assert r.status_code == 400


@pytest.mark.parametrize("jur", rules.JURISDICTIONS)
@pytest.mark.parametrize("category", rules.CATEGORIES)
def test_materials_list_what_the_rules_ask_with_articles(client, jur, category):
    html = client.get(f"/materials?jurisdiction={jur}&category={category}").get_data(as_text=True)
    want = [r for r in rules.get_rule_set(jur).rules
            if r.kind == "material" and category in r.categories]
    assert html.count('<li id="material-') == len(want)
    for r in want:
        assert f'id="material-{r.material}"' in html
        assert r.citation.article in html
    if category == "assistive":
        # a kind narrows the list to what that kind of provider submits
        for kind in rules.KIND_ZH:
            narrowed = client.get(f"/materials?jurisdiction={jur}&category=assistive&kind={kind}")
            n = narrowed.get_data(as_text=True).count('<li id="material-')
            assert n == len([r for r in want if not r.kinds or kind in r.kinds])


def test_a_material_that_is_a_form_links_to_filling_it(client):
    html = client.get("/materials?jurisdiction=jingdezhen&category=medical").get_data(as_text=True)
    item = re.search(r'<li id="material-application_form">(.*?)</li>', html, re.S).group(1)
    assert 'href="/forms/jingdezhen-application/fill"' in item
    item = re.search(r'<li id="material-commitment">(.*?)</li>', html, re.S).group(1)
    assert 'href="/forms/jingdezhen-commitment/fill"' in item
    html = client.get("/materials?jurisdiction=nowhere&category=medical").get_data(as_text=True)
    assert "请选择地区和机构类别" in html


def test_errors_are_pages_for_pages_and_json_for_the_api(client):
    r = client.get("/forms/no-such-form")
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert "页面不存在" in r.get_data(as_text=True)
    r = client.get("/no/such/page")
    assert r.status_code == 404 and r.mimetype == "text/html"
    r = client.get("/api/forms/no-such-form")
    assert r.status_code == 404 and r.get_json()["code"] == "unknown_form"
