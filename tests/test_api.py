"""The service: routes, shapes, downloads, records, errors.

The renderers are the real ones (generator.pdf, generator.docx); records are
read back with pypdf (field values) and python-docx (text).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from pypdf import PdfReader

from api import create_app
from forms import all_forms, get_form, sample_record, validate_record

FORM = "jingdezhen-application"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ERROR_KEYS = {"code", "message_zh", "message_en", "details"}
DETAIL_KEYS = {"field", "code", "message_zh", "message_en"}
HAN = re.compile(r"[\u4e00-\u9fff]")
#: characters that must come back literally: XML, HTML, Jinja (docxtpl) syntax
NASTY = "& < > \" ' {{ name }} {% if 1 %}堃喆{% endif %}"


# ---------------------------------------------------------------- helpers (test_cli uses them)

STYLES = ("typical", "longest", "special")  # forms.sample_record

def expected_text_values(spec, data) -> dict[str, str]:
    """The text each PDF text field must carry for ``data`` (generator's display strings)."""
    from generator import pdf_values

    return {k: v for k, v in pdf_values(spec, validate_record(spec, data)).items()
            if isinstance(v, str)}


def assert_pdf_carries(pdf: bytes, spec, data) -> None:
    fields = PdfReader(io.BytesIO(pdf)).get_fields() or {}
    expected = expected_text_values(spec, data)
    assert expected, "the form has text fields"
    for name, want in expected.items():
        assert name in fields, f"no PDF field {name}"
        if fields[name].get("/FT") != "/Tx":
            continue  # a radio group shows a choice by its state, not by text
        got = fields[name].get("/V")
        assert (got or "") == want, f"{name}: {got!r} != {want!r}"


def docx_text(data: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]

    def cells(tables):
        for t in tables:
            for row in t.rows:
                for c in row.cells:
                    parts.extend(p.text for p in c.paragraphs)
                    cells(c.tables)

    cells(doc.tables)
    return "\n".join(parts)


def assert_error(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == ERROR_KEYS
    assert HAN.search(body["message_zh"]) and body["message_en"]
    for d in body["details"]:
        assert set(d) == DETAIL_KEYS
        assert HAN.search(d["message_zh"]) and d["message_en"]
    if code:
        assert body["code"] == code
    return body


# ---------------------------------------------------------------- list and describe

def test_list_forms(client):
    resp = client.get("/api/forms")
    assert resp.status_code == 200
    items = resp.get_json()
    assert [i["id"] for i in items] == [s.id for s in all_forms()]
    for item in items:
        assert {"id", "jurisdiction", "jurisdiction_name", "title", "attachment", "version",
                "derived", "valid_from", "valid_to"} <= set(item)
    assert FORM in [i["id"] for i in items]


def test_show_form(client):
    spec = get_form(FORM)
    body = client.get(f"/api/forms/{FORM}").get_json()
    assert body["id"] == FORM and body["title"] == spec.title
    assert {"jurisdiction", "jurisdiction_name", "attachment", "source", "version", "valid_from",
            "valid_to", "derived", "derived_note", "fields"} <= set(body)
    assert body["source"]["document"] == spec.source.document
    assert [f["id"] for f in body["fields"]] == list(spec.field_ids)
    for f in body["fields"]:
        assert {"id", "label", "type", "unit", "choices", "required", "section", "max_length",
                "places"} <= set(f)
    by_id = {f["id"]: f for f in body["fields"]}
    assert by_id["institution_name"]["label"] == "机构名称"
    assert by_id["institution_name"]["required"] is True
    assert by_id["profit_nature"]["choices"] == ["非营利性", "营利性"]
    assert by_id["rated_beds"]["unit"] == "张"


def test_show_matches_cli(client, capsys):
    from api.cli import main

    assert main(["forms", "show", FORM, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == client.get(f"/api/forms/{FORM}").get_json()
    assert main(["forms", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == client.get("/api/forms").get_json()


@pytest.mark.parametrize("path", ["/api/forms/nope", "/api/forms/nope.pdf",
                                  "/api/forms/nope.docx"])
def test_unknown_form_404(client, path):
    assert_error(client.get(path), 404, "unknown_form")


def test_unknown_form_render_404(client):
    assert_error(client.post("/api/forms/nope/render?format=pdf", json={}), 404, "unknown_form")


# ---------------------------------------------------------------- blank downloads

def _disposition_name(resp) -> str:
    cd = resp.headers["Content-Disposition"]
    assert cd.startswith("attachment;")
    m = re.search(r"filename\*=UTF-8''([^;]+)", cd)
    assert m, cd
    assert re.search(r'filename="[\x20-\x7e]+"', cd), "an ASCII fallback name"
    return unquote(m.group(1))


@pytest.mark.parametrize("spec", all_forms(), ids=lambda s: s.id)
def test_blank_pdf(client, spec):
    resp = client.get(f"/api/forms/{spec.id}.pdf")
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF")
    name = _disposition_name(resp)
    assert name.endswith(".pdf") and spec.title in name


@pytest.mark.parametrize("spec", all_forms(), ids=lambda s: s.id)
def test_blank_docx(client, spec):
    resp = client.get(f"/api/forms/{spec.id}.docx")
    assert resp.status_code == 200
    assert resp.mimetype == DOCX_MIME
    assert zipfile.is_zipfile(io.BytesIO(resp.data))
    assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    name = _disposition_name(resp)
    assert name.endswith(".docx") and spec.title in name


# ---------------------------------------------------------------- rendering a record

@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("spec", all_forms(), ids=lambda s: s.id)
def test_render_pdf_carries_record(client, spec, style):
    data = sample_record(spec, style)
    resp = client.post(f"/api/forms/{spec.id}/render?format=pdf", json=data)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/pdf"
    assert resp.headers["Cache-Control"] == "no-store"
    assert_pdf_carries(resp.data, spec, data)


def test_render_defaults_to_pdf(client):
    resp = client.post(f"/api/forms/{FORM}/render", json={"institution_name": "某某医院"})
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")


def test_render_empty_body_is_blank(client):
    resp = client.post(f"/api/forms/{FORM}/render?format=pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("spec", all_forms(), ids=lambda s: s.id)
def test_render_docx_carries_record(client, spec, style):
    data = sample_record(spec, style)
    resp = client.post(f"/api/forms/{spec.id}/render?format=docx", json=data)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == DOCX_MIME
    text = docx_text(resp.data)
    for f in spec.fields:
        if f.type == "text":
            assert data[f.id] in text, f.id


def test_markup_comes_back_literally(client):
    """XML, HTML and template syntax posted as data is data: never executed, never escaped twice."""
    spec = get_form(FORM)
    data = {"institution_name": NASTY, "address": "<script>alert(1)</script>",
            "application_content": "{{ 7*7 }}\n{% for x in y %}&amp;{% endfor %}"}
    resp = client.post(f"/api/forms/{FORM}/render?format=pdf", json=data)
    assert resp.status_code == 200
    fields = PdfReader(io.BytesIO(resp.data)).get_fields()
    assert fields["institution_name"]["/V"] == NASTY
    assert fields["address"]["/V"] == "<script>alert(1)</script>"
    assert fields["application_content"]["/V"] == data["application_content"]
    assert_pdf_carries(resp.data, spec, data)

    resp = client.post(f"/api/forms/{FORM}/render?format=docx", json=data)
    assert resp.status_code == 200
    text = docx_text(resp.data)
    assert NASTY in text and "<script>alert(1)</script>" in text
    assert "{{ 7*7 }}" in text and "49" not in text


# ---------------------------------------------------------------- bad input: 422 with details

def _details(resp) -> dict[str, str]:
    body = assert_error(resp, 422, "record_invalid")
    assert body["details"]
    return {d["field"]: d["code"] for d in body["details"]}


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
@pytest.mark.parametrize(
    "data, field, code",
    [
        ({"no_such_field": "x"}, "no_such_field", "unknown"),
        ({"rated_beds": "三"}, "rated_beds", "type_integer"),
        ({"rated_beds": True}, "rated_beds", "type_integer"),
        ({"rated_beds": -1}, "rated_beds", "negative"),
        ({"institution_name": 123}, "institution_name", "type_text"),
        ({"institution_name": "院" * 61}, "institution_name", "too_long"),
        ({"institution_name": "一行\n两行"}, "institution_name", "newline"),
        ({"profit_nature": "国营"}, "profit_nature", "not_a_choice"),
        ({"license_date": "2024/07/01"}, "license_date", "type_date"),
        ({"total_cost": "1.234"}, "total_cost", "too_many_places"),
    ],
)
def test_bad_record_422(client, fmt, data, field, code):
    resp = client.post(f"/api/forms/{FORM}/render?format={fmt}", json=data)
    assert _details(resp) == {field: code}


def test_bad_record_reports_every_field(client):
    data = {"no_such_field": 1, "rated_beds": "x", "institution_name": "院" * 61,
            "profit_nature": "国营"}
    resp = client.post(f"/api/forms/{FORM}/render?format=pdf", json=data)
    details = _details(resp)
    assert details == {"no_such_field": "unknown", "rated_beds": "type_integer",
                       "institution_name": "too_long", "profit_nature": "not_a_choice"}
    body = resp.get_json()
    zh = {d["field"]: d["message_zh"] for d in body["details"]}
    assert "机构名称" in zh["institution_name"] and "60" in zh["institution_name"]
    assert "非营利性" in zh["profit_nature"]


def test_record_not_an_object_422(client):
    resp = client.post(f"/api/forms/{FORM}/render?format=pdf", json=["not", "an", "object"])
    assert _details(resp) == {"": "type_record"}


def test_bad_format_422(client):
    resp = client.post(f"/api/forms/{FORM}/render?format=xls", json={})
    body = assert_error(resp, 422)
    assert [(d["field"], d["code"]) for d in body["details"]] == [("format", "not_a_choice")]


def test_malformed_json_400(client):
    resp = client.post(f"/api/forms/{FORM}/render?format=pdf", data="{bad",
                       content_type="application/json")
    assert_error(resp, 400, "json_invalid")


def test_not_json_415(client):
    resp = client.post(f"/api/forms/{FORM}/render?format=pdf", data="institution_name=x",
                       content_type="application/x-www-form-urlencoded")
    assert_error(resp, 415, "unsupported_media_type")


def test_too_large_413():
    app = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 1000})
    resp = app.test_client().post(f"/api/forms/{FORM}/render?format=pdf",
                                  json={"application_content": "字" * 2000})
    assert_error(resp, 413, "payload_too_large")


def test_default_limit_is_set(app):
    assert 0 < app.config["MAX_CONTENT_LENGTH"] <= 16 * 1024 * 1024


# ---------------------------------------------------------------- every error has one shape

def test_404_405_shape(client):
    assert_error(client.get("/api/no/such/thing"), 404, "not_found")
    page = client.get("/no/such/page")  # a page's error is a page, in Chinese
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "页面不存在" in page.get_data(as_text=True)
    resp = client.delete("/api/forms")
    assert_error(resp, 405, "method_not_allowed")
    assert "GET" in resp.headers["Allow"]


def test_500_shape_shows_nothing_inside():
    app = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False})

    @app.route("/api/boom")
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    resp = app.test_client().get("/api/boom")
    body = assert_error(resp, 500, "internal_error")
    assert "secret" not in json.dumps(body) and "Traceback" not in resp.get_data(as_text=True)
    page = app.test_client().get("/boom")
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "服务内部错误" in page.get_data(as_text=True)
    assert "secret" not in page.get_data(as_text=True)


def test_config_from_environment(monkeypatch):
    monkeypatch.setenv("XIEYI_MAX_CONTENT_LENGTH", "4096")
    assert create_app().config["MAX_CONTENT_LENGTH"] == 4096


# ---------------------------------------------------------------- OpenAPI and pages

def test_openapi_lists_paths(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for p in ["/api/forms", "/api/forms/{form_id}", "/api/forms/{form_id}.pdf",
              "/api/forms/{form_id}.docx", "/api/forms/{form_id}/render"]:
        assert p in paths
    assert "post" in paths["/api/forms/{form_id}/render"]
    assert "422" in paths["/api/forms/{form_id}/render"]["post"]["responses"]
    schemas = doc["components"]["schemas"]
    assert {"code", "message_zh", "message_en", "details"} <= set(schemas["Error"]["properties"])
    rec = schemas["Record_" + FORM.replace("-", "_")]
    assert rec["properties"]["institution_name"]["maxLength"] == 60


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "src"):
            if a.get(key):
                self.urls.append(a[key])


def test_docs_ui_is_served_locally(client):
    resp = client.get("/api/docs")
    assert resp.status_code == 200
    parser = _Links()
    parser.feed(resp.get_data(as_text=True))
    assert parser.urls, "the UI page loads its scripts"
    for url in parser.urls:
        assert url.startswith("/"), f"{url} is not served here"
        with client.get(url) as asset:
            assert asset.status_code == 200, url


def test_index_page(client):
    resp = client.get("/")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    parser = _Links()
    parser.feed(html)
    for spec in all_forms():
        assert spec.title in html
        assert spec.jurisdiction_name in html
        for ext in ("pdf", "docx"):
            assert f"/api/forms/{spec.id}.{ext}" in parser.urls
        if spec.attachment:
            assert spec.attachment in html
        if spec.derived:
            assert "非官方格式" in html
    for url in parser.urls:
        if url.startswith("/api/forms/") and url.endswith(".pdf"):
            assert client.head(url).status_code == 200
