"""The review desk over HTTP: every route tried anonymously and as each role, one institution
reading another's case by id, log-in and lock-out, and a case taken through its review
by the routes alone.  Answers are checked against the OpenAPI document's schemas."""

from __future__ import annotations

import io

import pytest

from api import create_app
from forms import get_form, record_to_json, sample_record, validate_record
from generator.pdf import render_pdf

A_CODE = "91350100M000100Y43"
B_CODE = "91440300708461136T"
PASSWORD = "correct horse battery"


@pytest.fixture
def world(tmp_path):
    """A service with its own migrated data directory; an admin, an auditor, reviewers of
    Jingdezhen and Hunan, and users of two Jingdezhen hospitals A and B; A's open case
    with a filled form, in review."""
    from desk import SYSTEM, Desk, DeskSettings, upgrade_database

    settings = DeskSettings.from_mapping({"DATA_DIR": str(tmp_path)})
    upgrade_database(settings)
    d = Desk(settings)
    a = d.register_institution(SYSTEM, name="景德镇市第一人民医院", credit_code=A_CODE,
                               category="medical", jurisdiction="jingdezhen")
    b = d.register_institution(SYSTEM, name="景德镇市第二人民医院", credit_code=B_CODE,
                               category="medical", jurisdiction="jingdezhen")
    accounts = {"admin": {"role": "admin"}, "auditor": {"role": "auditor"},
                "reviewer": {"role": "reviewer", "jurisdiction": "jingdezhen"},
                "other_reviewer": {"role": "reviewer", "jurisdiction": "hunan"},
                "hospital_a": {"role": "institution", "institution_id": a["id"]},
                "hospital_b": {"role": "institution", "institution_id": b["id"]}}
    for name, kw in accounts.items():
        d.add_user(SYSTEM, name=name, password=PASSWORD, **kw)
    d.close()
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)})
    client = app.test_client()
    tokens = {}
    for name in accounts:
        r = client.post("/api/tokens", json={"name": name, "password": PASSWORD})
        assert r.status_code == 201, r.get_json()
        tokens[name] = r.get_json()["token"]
    w = World(client, tokens, a, b)
    case = w.call("hospital_a", "POST", "/api/cases", json={"institution_id": a["id"]})
    w.case = case.get_json()["id"]
    spec = get_form("jingdezhen-application")
    rec = record_to_json(spec, validate_record(spec, sample_record(spec, "typical")))
    w.pdf = render_pdf(spec, validate_record(spec, rec), typing_font="viewer")
    doc = w.upload("hospital_a", w.case, "jingdezhen-application", w.pdf)
    assert doc.status_code == 201, doc.get_json()
    w.doc = doc.get_json()["id"]
    assert w.call("reviewer", "POST", f"/api/cases/{w.case}/transitions",
                  json={"to": "in_review"}).status_code == 200
    yield w
    ext = app.extensions.get("xieyi-desk")
    if ext:
        ext.close()


class World:
    def __init__(self, client, tokens, a, b):
        self.client, self.tokens, self.a, self.b = client, tokens, a, b

    def call(self, who, method, url, **kw):
        headers = kw.pop("headers", {})
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return self.client.open(url, method=method, headers=headers, **kw)

    def upload(self, who, case, slot, data, name="申请表.pdf"):
        return self.call(who, "POST", f"/api/cases/{case}/documents",
                         data={"slot": slot, "file": (io.BytesIO(data), name)},
                         content_type="multipart/form-data")


#: the reviewer of the case's jurisdiction goes last: a move it may make changes the case
ROLES = [None, "admin", "auditor", "other_reviewer", "hospital_a", "hospital_b", "reviewer"]


def _routes(w: World):
    """(name, method, url, body maker) for every desk route but POST /api/tokens."""
    return [
        ("me", "GET", "/api/me", None),
        ("list users", "GET", "/api/users", None),
        ("add user", "POST", "/api/users", lambda who: {"json": {
            "name": f"new-{who}", "role": "auditor"}}),
        ("register institution", "POST", "/api/institutions", lambda who: {"json": {
            "name": "景德镇市某医院", "credit_code": "91110000600037341L",
            "category": "medical", "jurisdiction": "jingdezhen"}}),
        ("open case", "POST", "/api/cases", lambda who: {"json": {
            "institution_id": w.a["id"]}}),
        ("list cases", "GET", "/api/cases", None),
        ("read case", "GET", f"/api/cases/{w.case}", None),
        ("move case", "POST", f"/api/cases/{w.case}/transitions", lambda who: {"json": {
            "to": "returned", "items": ["补充材料"]}}),
        ("upload", "POST", f"/api/cases/{w.case}/documents", lambda who: {
            "data": {"slot": "material:营业执照", "file": (io.BytesIO(b"%PDF-1.4 x"), "a.pdf")},
            "content_type": "multipart/form-data"}),
        ("read document", "GET", f"/api/documents/{w.doc}", None),
        ("original", "GET", f"/api/documents/{w.doc}/original", None),
        ("correct", "POST", f"/api/documents/{w.doc}/corrections", lambda who: {"json": {
            "field": "rated_beds", "value": 20, "reason": "核对原件"}}),
        ("draft agreement", "POST", f"/api/cases/{w.case}/agreement", lambda who: {"json": {
            "party_a": {"name": "景德镇市社会保险中心", "representative": "王某",
                        "address": "景德镇市某路 1 号", "postcode": "333000",
                        "telephone": "0798-8123456"}}}),
        ("score", "POST", f"/api/cases/{w.case}/scores", lambda who: {"json": {
            "table": "jilin-eval", "input": {"items": {}}}}),
        ("audit", "GET", "/api/audit", None),
        ("audit verify", "GET", "/api/audit/verify", None),
    ]


#: the status each role gets on each route (the case is A's, in review, in Jingdezhen)
EXPECTED = {
    #                       anon admin aud  orev  A    B    rev
    "me":                   (401, 200, 200, 200, 200, 200, 200),
    "list users":           (401, 200, 403, 403, 403, 403, 403),
    "add user":             (401, 201, 403, 403, 403, 403, 403),
    "register institution": (401, 201, 403, 422, 403, 403, 201),
    "open case":            (401, 201, 403, 404, 201, 404, 201),
    "list cases":           (401, 200, 200, 200, 200, 200, 200),
    "read case":            (401, 200, 200, 404, 200, 404, 200),
    "move case":            (401, 403, 403, 404, 403, 404, 200),
    "upload":               (401, 403, 403, 404, 409, 404, 201),
    "read document":        (401, 200, 200, 404, 200, 404, 200),
    "original":             (401, 200, 200, 404, 200, 404, 200),
    "correct":              (401, 403, 403, 404, 403, 403, 201),
    "draft agreement":      (401, 403, 403, 404, 403, 403, 409),
    "score":                (401, 403, 403, 404, 403, 403, 422),
    "audit":                (401, 200, 200, 403, 403, 403, 403),
    "audit verify":         (401, 200, 200, 403, 403, 403, 403),
}


@pytest.mark.parametrize("route", list(EXPECTED))
def test_every_route_as_each_role_and_anonymously(world, route):
    name, method, url, body = next(r for r in _routes(world) if r[0] == route)
    got = {}
    for who in ROLES:
        kw = body(who) if body else {}
        if route == "register institution":  # a new credit code each time
            kw["json"]["credit_code"] = _codes.pop()
        r = world.call(who, method, url, **kw)
        got[who] = r.status_code
        if r.status_code >= 400:
            err = r.get_json()
            assert err["code"] and err["message_zh"] and err["message_en"], (who, err)
            assert "景德镇市第一人民医院" not in r.get_data(as_text=True), who
        if r.status_code == 401:
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert tuple(got[w] for w in ROLES) == EXPECTED[route], got


_codes = ["91350100M000100Y43"[:0] + c for c in (
    "91110000600037341L", "91110108MA01K9XB1D", "91330100799655058B", "911101087226226958",
    "91310000MA1FL4EH8Q", "91110000100001781E", "91110105MA00BWRY1M", "91440101MA59UN0G5A",
    "91110000101124427U", "91110000710935732K", "91440300MA5ELPB95W", "91310115MA1H7GEM1B",
    "91110000102035917E", "91110000633705596D")]


def _valid_codes():
    from forms._credit_code import credit_code_problem

    return [c for c in _codes if credit_code_problem(c) is None]


_codes[:] = _valid_codes() * 3


def test_one_institution_reading_anothers_case_by_id_gets_404_never_the_data(world):
    for url in (f"/api/cases/{world.case}", f"/api/documents/{world.doc}",
                f"/api/documents/{world.doc}/original"):
        r = world.call("hospital_b", "GET", url)
        assert r.status_code == 404
        text = r.get_data(as_text=True)
        assert "景德镇市第一人民医院" not in text and "%PDF" not in text
    r = world.call("hospital_b", "GET", "/api/cases")
    assert r.get_json()["total"] == 0
    missing = world.call("hospital_b", "GET", "/api/cases/999999")
    assert missing.status_code == 404 and missing.get_json()["code"] == \
        world.call("hospital_b", "GET", f"/api/cases/{world.case}").get_json()["code"]


def test_the_original_comes_back_byte_for_byte(world):
    r = world.call("hospital_a", "GET", f"/api/documents/{world.doc}/original")
    assert r.status_code == 200 and r.data == world.pdf
    assert "filename*=UTF-8''%E7%94%B3" in r.headers["Content-Disposition"]


def test_a_wrong_password_five_times_locks_the_account(world):
    for _ in range(4):
        r = world.client.post("/api/tokens", json={"name": "hospital_a", "password": "nope"})
        assert r.status_code == 401 and r.get_json()["code"] == "unauthenticated"
    r = world.client.post("/api/tokens", json={"name": "hospital_a", "password": "nope"})
    assert r.status_code == 401
    r = world.client.post("/api/tokens", json={"name": "hospital_a", "password": PASSWORD})
    assert r.status_code == 429 and r.get_json()["code"] == "account_locked"
    unknown = world.client.post("/api/tokens", json={"name": "nobody", "password": "x"})
    assert unknown.status_code == 401
    actions = [e["action"] for e in world.call("auditor", "GET", "/api/audit?object_type=user"
                                               "&per_page=500").get_json()["items"]]
    assert actions.count("user.login_failed") == 4 and actions.count("user.locked") == 1


def test_a_token_that_is_not_ours_is_401(world):
    r = world.client.get("/api/me", headers={"Authorization": "Bearer xy_forged"})
    assert r.status_code == 401 and "令牌" in r.get_json()["message_zh"]
    r = world.client.get("/api/me", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401


def test_a_case_through_its_review_by_the_routes_alone(world):
    c = world.case
    r = world.call("reviewer", "POST", f"/api/cases/{c}/transitions",
                   json={"to": "returned", "items": ["补充执业许可证复印件"]})
    assert r.status_code == 200 and r.get_json()["status_zh"] == "需补正"
    assert r.get_json()["deadline_step"]["step"] == "supplement_reply"
    bad = world.call("reviewer", "POST", f"/api/cases/{c}/transitions", json={"to": "approved"})
    assert bad.status_code == 409 and "需补正" in bad.get_json()["message_zh"]
    v2 = world.upload("hospital_a", c, "jingdezhen-application", world.pdf, name="补正.pdf")
    assert v2.status_code == 201 and v2.get_json()["version"] == 2
    assert world.call("hospital_a", "POST", f"/api/cases/{c}/transitions",
                      json={"to": "resubmitted"}).status_code == 200
    seen = world.call("reviewer", "GET", f"/api/cases/{c}").get_json()
    assert world.call("reviewer", "POST", f"/api/cases/{c}/transitions",
                      json={"to": "in_review", "version": seen["version"]}).status_code == 200
    stale = world.call("reviewer", "POST", f"/api/cases/{c}/transitions",
                       json={"to": "approved", "version": seen["version"]})
    assert stale.status_code == 409 and stale.get_json()["code"] == "conflict"
    r = world.call("reviewer", "POST", f"/api/cases/{c}/transitions",
                   json={"to": "rejected", "items": [{"reason": "不具备条件", "article": "一"}]})
    assert r.status_code == 200 and r.get_json()["events"][-1]["items"][0]["article"] == "一"
    verify = world.call("auditor", "GET", "/api/audit/verify").get_json()
    assert verify["ok"] and verify["entries"] > 10


@pytest.mark.parametrize("body", [
    {"to": "approved", "extra": 1},          # an undeclared property
    {"to": "archived"},                      # not one of the statuses
    {},                                      # required
    {"to": "returned", "working_days": "x"},
])
def test_bodies_are_checked_against_their_schema(world, body):
    r = world.call("reviewer", "POST", f"/api/cases/{world.case}/transitions", json=body)
    assert r.status_code == 422 and r.get_json()["details"]
    assert world.call("reviewer", "GET", f"/api/cases/{world.case}").get_json()["status"] == \
        "in_review"


def test_answers_match_the_openapi_document(world):
    """The schemas the document declares are the shapes the routes return: every key of an
    answer is declared, every enum holds (a generated client can read them)."""
    doc = world.client.get("/api/openapi.json").get_json()
    schemas = doc["components"]["schemas"]

    def check(value, schema, where):
        if "$ref" in schema:
            schema = schemas[schema["$ref"].split("/")[-1]]
        if "allOf" in schema:
            for s in schema["allOf"]:
                check(value, s, where)
            return
        if value is None:
            assert schema.get("nullable") or schema.get("type") is None, where
            return
        t = schema.get("type")
        if t == "object" and "properties" in schema:
            assert isinstance(value, dict), where
            extra = set(value) - set(schema["properties"])
            assert not extra, f"{where}: undeclared {extra}"
            for k, v in value.items():
                check(v, schema["properties"][k], f"{where}.{k}")
        elif t == "array":
            assert isinstance(value, list), where
            for i, v in enumerate(value):
                check(v, schema.get("items", {}), f"{where}[{i}]")
        elif t == "integer":
            assert isinstance(value, int), where
        elif t == "string":
            assert isinstance(value, str), where
            if "enum" in schema:
                assert value in schema["enum"], f"{where}: {value!r} not in enum"
        elif t == "boolean":
            assert isinstance(value, bool), where

    def response_schema(path, method, status):
        op = doc["paths"][path][method]
        return op["responses"][str(status)]["content"]["application/json"]["schema"]

    c, d = world.case, world.doc
    for who, method, url, path, status in [
        ("reviewer", "get", f"/api/cases/{c}", "/api/cases/{case_id}", 200),
        ("reviewer", "get", "/api/cases", "/api/cases", 200),
        ("reviewer", "get", f"/api/documents/{d}", "/api/documents/{doc_id}", 200),
        ("auditor", "get", "/api/audit", "/api/audit", 200),
        ("auditor", "get", "/api/audit/verify", "/api/audit/verify", 200),
        ("admin", "get", "/api/users", "/api/users", 200),
        ("hospital_a", "get", "/api/me", "/api/me", 200),
        ("hospital_b", "get", f"/api/cases/{c}", "/api/cases/{case_id}", 404),
        (None, "get", "/api/cases", "/api/cases", 401),
    ]:
        r = world.call(who, method.upper(), url)
        assert r.status_code == status, (url, r.get_json())
        check(r.get_json(), response_schema(path, method, status), url)
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    transition = doc["paths"]["/api/cases/{case_id}/transitions"]["post"]
    assert transition["security"] == [{"bearerAuth": []}]


def test_an_expired_token_is_401_and_changes_nothing(world):
    from sqlalchemy import text

    d = world.client.application.extensions["xieyi-desk"]
    with d.engine.begin() as conn:
        conn.execute(text("UPDATE api_tokens SET expires_at = '2000-01-01 00:00:00'"))
    r = world.call("reviewer", "POST", f"/api/cases/{world.case}/transitions",
                   json={"to": "approved"})
    assert r.status_code == 401 and "过期" in r.get_json()["message_zh"]
    fresh = world.client.post("/api/tokens", json={"name": "reviewer", "password": PASSWORD})
    world.tokens["reviewer"] = fresh.get_json()["token"]
    assert world.call("reviewer", "GET", f"/api/cases/{world.case}").get_json()["status"] == \
        "in_review"


def test_an_oversize_or_empty_upload_is_refused_and_nothing_is_kept(world):
    app = world.client.application
    app.config["PARSE_MAX_BYTES"] = 64 * 1024
    before = world.call("reviewer", "GET", f"/api/cases/{world.case}").get_json()["versions"]
    big = world.upload("reviewer", world.case, "material:大文件", b"%PDF-1.4 " + b"0" * 70_000)
    assert big.status_code == 413 and "65536 字节" in big.get_json()["message_zh"]
    empty = world.upload("reviewer", world.case, "material:空文件", b"")
    assert empty.status_code == 422
    missing = world.call("reviewer", "POST", f"/api/cases/{world.case}/documents",
                         data={"slot": "material:x"}, content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.get_json()["code"] == "file_missing"
    after = world.call("reviewer", "GET", f"/api/cases/{world.case}").get_json()["versions"]
    assert after == before


def test_an_id_beyond_any_row_is_404_or_422_never_a_driver_overflow(world):
    huge = 10**30
    assert world.call("reviewer", "GET", f"/api/cases/{huge}").status_code == 404
    assert world.call("reviewer", "GET", f"/api/documents/{huge}").status_code == 404
    r = world.call("admin", "POST", "/api/cases", json={"institution_id": huge})
    assert r.status_code == 422 and r.get_json()["details"][0]["field"] == "institution_id"


PUBLIC = ["/", "/api/forms", "/api/forms/jingdezhen-application", "/api/rules",
          "/api/sources", "/api/agreements", "/api/openapi.json",
          "/api/deadline?jurisdiction=hunan&step=publicity&from=2026-02-12"]


def test_the_public_routes_answer_everyone_alike(world):
    """The form catalogue, rules, sources and deadlines are public documents: the same
    answer anonymously and as each role (a token changes nothing there)."""
    for url in PUBLIC:
        answers = {who: world.call(who, "GET", url) for who in ROLES}
        assert {r.status_code for r in answers.values()} == {200}, url
        assert len({r.get_data() for r in answers.values()}) == 1, url
