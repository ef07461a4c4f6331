"""The review desk on both databases: SQLite (the embedded default) and a throwaway
PostgreSQL started for these tests (``tests/postgres.py``).

What a user of the desk relies on: an unmigrated database is refused with the command
that fixes it; a case moves only along the allowed transitions (409 otherwise, in
words); a return for correction carries its items and the deadline counted in working
days from the jurisdiction's rules; a rejection cites articles; uploads are kept byte for
byte before anything reads them, once per content; corrections keep the parsed value;
nobody sees another institution's case; the audit trail detects any edit or deletion.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import text

from desk import (
    SYSTEM,
    Actor,
    Conflict,
    DatabaseNotMigrated,
    Desk,
    DeskSettings,
    Forbidden,
    InstitutionInvalid,
    NotFound,
    TransitionNotAllowed,
    current_revision,
    head_revision,
    upgrade_database,
)
from forms import get_form, record_to_json, sample_record, validate_record
from forms.errors import InputInvalid
from generator.pdf import render_pdf

JDZ_CODE = "91350100M000100Y43"
OTHER_CODE = "91440300708461136T"
ADMIN = Actor("admin", "admin")
AUDITOR = Actor("auditor", "auditor")
REVIEWER = Actor("reviewer", "reviewer", jurisdiction="jingdezhen")


@pytest.fixture(scope="session")
def postgres():
    from postgres import Postgres

    pg = Postgres()
    yield pg
    pg.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'xieyi.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres").new_database()
    return DeskSettings(database_url=url, store_url=str(tmp_path / "store"))


@pytest.fixture
def desk(settings):
    upgrade_database(settings)
    d = Desk(settings)
    yield d
    d.close()


@pytest.fixture
def jdz(desk):
    """A Jingdezhen hospital, its user, and its open case."""
    inst = desk.register_institution(ADMIN, name="景德镇市第一人民医院", credit_code=JDZ_CODE,
                                     category="medical", jurisdiction="jingdezhen")
    user = Actor("hospital", "institution", institution_id=inst["id"])
    case = desk.open_case(user, inst["id"])
    return inst, user, case


def _form_pdf(form_id: str = "jingdezhen-application", **values) -> bytes:
    spec = get_form(form_id)
    rec = record_to_json(spec, validate_record(spec, sample_record(spec, "typical")))
    rec.update(values)
    return render_pdf(spec, validate_record(spec, rec), typing_font="viewer")


# ---------------------------------------------------------------- the database

def test_an_unmigrated_database_is_refused_with_the_command_that_fixes_it(settings):
    with pytest.raises(DatabaseNotMigrated) as e:
        Desk(settings)
    assert "xieyi db upgrade" in e.value.message_zh and e.value.http_status == 503
    before, after = upgrade_database(settings)
    assert (before, after) == (None, head_revision())
    d = Desk(settings)
    assert current_revision(d.engine) == head_revision()
    assert upgrade_database(settings) == (head_revision(), head_revision())  # idempotent
    d.close()


def test_the_migrations_create_exactly_the_models(desk):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from desk._models import Base

    with desk.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode(tmp_path):
    s = DeskSettings(f"sqlite:///{tmp_path / 'x.sqlite3'}", str(tmp_path / "store"))
    upgrade_database(s)
    d = Desk(s)
    with d.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    d.close()


# ---------------------------------------------------------------- institutions

def test_a_credit_code_with_a_wrong_check_character_is_refused_naming_it(desk):
    with pytest.raises(InstitutionInvalid) as e:
        desk.register_institution(ADMIN, name="某医院", credit_code="91350100M000100Y44",
                                  category="medical", jurisdiction="jingdezhen")
    [d] = e.value.details
    assert d.field == "credit_code" and "第 18 位应为 3" in d.message_zh
    assert e.value.http_status == 422


def test_a_credit_code_is_registered_once(desk, jdz):
    with pytest.raises(Conflict) as e:
        desk.register_institution(ADMIN, name="另一家", credit_code=JDZ_CODE.lower(),
                                  category="medical", jurisdiction="jingdezhen")
    assert e.value.http_status == 409 and JDZ_CODE in e.value.message_zh


def test_an_assistive_provider_needs_its_kind(desk):
    with pytest.raises(InstitutionInvalid) as e:
        desk.register_institution(ADMIN, name="某假肢公司", credit_code=OTHER_CODE,
                                  category="assistive", jurisdiction="shanxi")
    assert [d.field for d in e.value.details] == ["sub_kind"]
    inst = desk.register_institution(ADMIN, name="某假肢公司", credit_code=OTHER_CODE,
                                     category="assistive", jurisdiction="shanxi",
                                     sub_kind="prosthetics_orthotics")
    assert inst["sub_kind"] == "prosthetics_orthotics"


# ---------------------------------------------------------------- the workflow

def test_a_case_opens_with_the_agencys_notice_deadline_in_working_days(desk, jdz):
    _, _, case = jdz
    assert case["status"] == "submitted" and case["status_zh"] == "已提交"
    opened = dt.date.fromisoformat(case["opened_at"][:10])
    from rules import step_deadline

    assert case["deadline"] == step_deadline("jingdezhen", "supplement_notice",
                                             opened.isoformat())["due"]
    assert case["deadline_step"]["step"] == "supplement_notice"


def test_the_whole_path_to_a_signed_agreement(desk, jdz):
    _, user, case = jdz
    cid = case["id"]
    assert desk.move(REVIEWER, cid, "in_review")["allowed"] == ["returned", "approved",
                                                                "rejected"]
    returned = desk.move(REVIEWER, cid, "returned", items=["补充执业许可证副本复印件"],
                         reason="材料不齐")
    from rules import step_deadline

    today = dt.date.today().isoformat()
    assert returned["deadline"] == step_deadline("jingdezhen", "supplement_reply", today)["due"]
    assert returned["events"][-1]["items"] == ["补充执业许可证副本复印件"]
    assert desk.case(user, cid)["allowed"] == ["resubmitted"]
    desk.move(user, cid, "resubmitted")
    desk.move(REVIEWER, cid, "in_review")
    approved = desk.move(REVIEWER, cid, "approved")
    assert approved["status_zh"] == "通过" and approved["deadline"] is None
    with pytest.raises(TransitionNotAllowed) as e:
        desk.move(REVIEWER, cid, "signed")
    assert "签字盖章的协议" in e.value.message_zh and e.value.http_status == 409
    desk.attach(REVIEWER, cid, slot="agreement:signed", filename="协议.pdf",
                data=b"%PDF-1.4 signed scan")
    signed = desk.move(REVIEWER, cid, "signed")
    assert [(e["from"], e["to"]) for e in signed["events"]] == [
        (None, "submitted"), ("submitted", "in_review"), ("in_review", "returned"),
        ("returned", "resubmitted"), ("resubmitted", "in_review"), ("in_review", "approved"),
        ("approved", "signed")]


def test_an_illegal_transition_is_409_in_words_and_changes_nothing(desk, jdz):
    _, _, case = jdz
    with pytest.raises(TransitionNotAllowed) as e:
        desk.move(REVIEWER, case["id"], "approved")
    assert e.value.http_status == 409
    assert "当前为“已提交”，不能改为“通过”" in e.value.message_zh and "审查中" in e.value.message_zh
    assert desk.case(REVIEWER, case["id"])["status"] == "submitted"
    with pytest.raises(InputInvalid):
        desk.move(REVIEWER, case["id"], "archived")


def test_each_move_belongs_to_a_role(desk, jdz):
    _, user, case = jdz
    with pytest.raises(Forbidden) as e:
        desk.move(user, case["id"], "in_review")  # an institution cannot review itself
    assert e.value.http_status == 403
    with pytest.raises(Forbidden):
        desk.move(ADMIN, case["id"], "in_review")


def test_where_the_rules_set_no_period_the_reviewer_gives_working_days(desk):
    inst = desk.register_institution(ADMIN, name="天津某医院", credit_code=OTHER_CODE,
                                     category="medical", jurisdiction="tianjin")
    rev = Actor("tj", "reviewer", jurisdiction="tianjin")
    case = desk.open_case(rev, inst["id"])
    assert case["deadline"] is None  # tianjin's rules set no notice period
    desk.move(rev, case["id"], "in_review")
    with pytest.raises(InputInvalid) as e:
        desk.move(rev, case["id"], "returned", items=["补充材料"])
    assert e.value.details[0].field == "working_days"
    assert desk.case(rev, case["id"])["status"] == "in_review"  # nothing changed
    from rules import working_days_deadline

    got = desk.move(rev, case["id"], "returned", items=["补充材料"], working_days=10)
    assert got["deadline"] == working_days_deadline(10, dt.date.today().isoformat())["due"]


def test_a_rejection_cites_articles_of_the_jurisdictions_document(desk, jdz):
    _, _, case = jdz
    desk.move(REVIEWER, case["id"], "in_review")
    with pytest.raises(InputInvalid) as e:
        desk.move(REVIEWER, case["id"], "rejected",
                  items=[{"reason": "不符合条件", "article": "第九十九条"}])
    assert e.value.details[0].field == "items.0.article"
    with pytest.raises(InputInvalid):
        desk.move(REVIEWER, case["id"], "rejected", items=[{"reason": "不符合条件"}])
    got = desk.move(REVIEWER, case["id"], "rejected",
                    items=[{"reason": "申请机构不具备相应资质", "article": "一"}])
    [reason] = got["events"][-1]["items"]
    assert reason["article"] == reason["reference"]["key"]
    assert reason["reference"]["jurisdiction"] == "jingdezhen"
    assert got["allowed"] == []


def test_two_reviewers_acting_at_once_do_not_both_win(desk, jdz):
    _, _, case = jdz
    desk.move(REVIEWER, case["id"], "in_review")
    outcomes = []

    def act(to: str, **kw):
        try:
            desk.move(REVIEWER, case["id"], to, **kw)
            outcomes.append("ok")
        except (TransitionNotAllowed, Conflict) as e:
            outcomes.append(e.code)

    threads = [threading.Thread(target=act, args=("approved",)),
               threading.Thread(target=act, args=("rejected",),
                                kwargs={"items": [{"reason": "x", "article": "一"}]})]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1 and len(outcomes) == 2
    assert desk.case(REVIEWER, case["id"])["status"] in ("approved", "rejected")
    assert desk.verify_audit(ADMIN)["ok"]


# ---------------------------------------------------------------- documents

def test_an_upload_is_kept_before_it_is_read_and_given_back_byte_for_byte(desk, jdz):
    _, user, case = jdz
    pdf = _form_pdf()
    seen = {}

    def read(data):  # the parser, watched: the document is committed already
        from parser import parse_pdf

        seen["listed"] = [d["state"] for d in desk.case(user, case["id"])["versions"]]
        return parse_pdf(data)

    doc = desk.attach(user, case["id"], slot="jingdezhen-application", filename="申请表.pdf",
                      data=pdf, read=read)
    assert seen["listed"] == ["stored"]
    assert doc["state"] == "read" and doc["record"]["institution_name"]
    assert doc["report"]["jurisdiction"] == "jingdezhen"
    name, media, data = desk.original(user, doc["id"])
    assert (name, media, data) == ("申请表.pdf", "application/pdf", pdf)


def test_the_same_bytes_twice_are_kept_once_and_linked_twice(desk, jdz):
    _, user, case = jdz
    pdf = _form_pdf()
    a = desk.attach(user, case["id"], slot="jingdezhen-application", filename="a.pdf", data=pdf)
    b = desk.attach(user, case["id"], slot="jingdezhen-application", filename="b.pdf", data=pdf)
    assert (a["version"], b["version"]) == (1, 2) and a["sha256"] == b["sha256"]
    assert len(list(desk.store.list())) == 1
    view = desk.case(user, case["id"])
    assert [d["version"] for d in view["documents"]] == [2]
    assert [d["filename"] for d in view["versions"]] == ["a.pdf", "b.pdf"]
    assert desk.check_store()["ok"] and desk.check_store()["orphans"] == []


def test_a_damaged_file_is_kept_and_marked_unreadable_with_its_typed_error(desk, jdz):
    _, user, case = jdz
    pdf = _form_pdf()[:3000]
    doc = desk.attach(user, case["id"], slot="jingdezhen-application", filename="坏.pdf",
                      data=pdf)
    assert doc["state"] == "unreadable" and doc["error"]["code"] == "pdf_malformed"
    assert desk.original(user, doc["id"])[2] == pdf


def test_the_wrong_form_in_a_slot_is_said(desk, jdz):
    _, user, case = jdz
    doc = desk.attach(user, case["id"], slot="jingdezhen-application", filename="x.pdf",
                      data=_form_pdf("hunan-application"))
    assert doc["state"] == "unreadable" and doc["error"]["code"] == "wrong_form"
    with pytest.raises(InputInvalid) as e:
        desk.attach(user, case["id"], slot="hunan-application", filename="x.pdf",
                    data=_form_pdf("hunan-application"))
    assert e.value.details[0].field == "slot"


def test_an_institution_uploads_only_while_its_case_waits_for_it(desk, jdz):
    _, user, case = jdz
    desk.move(REVIEWER, case["id"], "in_review")
    with pytest.raises(TransitionNotAllowed):
        desk.attach(user, case["id"], slot="material:营业执照", filename="a.pdf",
                    data=b"%PDF-1.4")


def test_a_correction_keeps_the_parsed_value_and_recomputes_the_findings(desk, jdz):
    _, user, case = jdz
    doc = desk.attach(user, case["id"], slot="jingdezhen-application", filename="a.pdf",
                      data=_form_pdf(license_date="2024-07-01"))
    desk.move(REVIEWER, case["id"], "in_review")
    with pytest.raises(Forbidden):
        desk.correct(user, doc["id"], "license_date", "2020-01-01", "核对原件")
    with pytest.raises(InputInvalid):
        desk.correct(REVIEWER, doc["id"], "license_date", "2020-01-01", "  ")
    got = desk.correct(REVIEWER, doc["id"], "license_date", "2020-01-01",
                       "与执业许可证原件核对")
    assert got["result"]["record"]["license_date"] == "2024-07-01"  # as parsed, kept
    assert got["record"]["license_date"] == "2020-01-01"
    [c] = got["corrections"]
    assert (c["parsed"], c["corrected"], c["by"]) == ("2024-07-01", "2020-01-01", "reviewer")
    fact = got["report"]["facts"]["practice_license_date"]
    assert fact["value"] == "2020-01-01"
    with pytest.raises(InputInvalid):  # the form's own type check
        desk.correct(REVIEWER, doc["id"], "license_date", "not a date", "x")
    # the audit trail's before-value is this field's, not the last correction's of another
    parsed_beds = got["result"]["record"]["rated_beds"]
    desk.correct(REVIEWER, doc["id"], "rated_beds", parsed_beds + 1, "核对原件")
    desk.correct(REVIEWER, doc["id"], "license_date", "2021-01-01", "再次核对")
    entries = [e for e in desk.audit_entries(AUDITOR)["items"]
               if e["action"] == "document.correct"]
    assert [(e["before"]["field"], e["before"]["value"]) for e in entries] == [
        ("license_date", "2024-07-01"), ("rated_beds", parsed_beds),
        ("license_date", "2020-01-01")]


# ---------------------------------------------------------------- who sees what

def test_one_institution_never_sees_anothers_case(desk, jdz):
    _, _, case = jdz
    other = desk.register_institution(ADMIN, name="景德镇市第二人民医院",
                                      credit_code=OTHER_CODE, category="medical",
                                      jurisdiction="jingdezhen")
    stranger = Actor("other", "institution", institution_id=other["id"])
    for call in (lambda: desk.case(stranger, case["id"]),
                 lambda: desk.move(stranger, case["id"], "resubmitted"),
                 lambda: desk.attach(stranger, case["id"], slot="material:x", filename="a",
                                     data=b"x")):
        with pytest.raises(NotFound) as e:
            call()
        assert e.value.http_status == 404 and "景德镇市第一人民医院" not in str(e.value)
    assert desk.cases(stranger)["items"] == []
    with pytest.raises(NotFound):
        desk.open_case(stranger, case["institution"]["id"])
    elsewhere = Actor("hn", "reviewer", jurisdiction="hunan")
    with pytest.raises(NotFound):
        desk.case(elsewhere, case["id"])
    assert desk.cases(elsewhere)["total"] == 0
    assert desk.cases(REVIEWER)["total"] == 1 and desk.cases(AUDITOR)["total"] == 1


def test_case_lists_filter_and_page(desk):
    codes = ["91350100M000100Y43", "91440300708461136T", "91110000600037341L"]
    for i, code in enumerate(codes):
        inst = desk.register_institution(ADMIN, name=f"医院{i}", credit_code=code,
                                         category="medical", jurisdiction="jingdezhen")
        desk.open_case(REVIEWER, inst["id"])
    page = desk.cases(REVIEWER, per_page=2)
    assert page["total"] == 3 and len(page["items"]) == 2
    assert len(desk.cases(REVIEWER, per_page=2, page=2)["items"]) == 1
    first = page["items"][0]["id"]
    desk.move(REVIEWER, first, "in_review")
    assert [c["id"] for c in desk.cases(REVIEWER, status="in_review")["items"]] == [first]
    far = dt.date.today() + dt.timedelta(days=60)
    # the case in review has no deadline: Jingdezhen's notice sets no evaluation period
    assert desk.cases(REVIEWER, deadline_before=far)["total"] == 2
    assert desk.cases(REVIEWER, deadline_before=dt.date(2000, 1, 1))["total"] == 0


# ---------------------------------------------------------------- the audit trail

def test_every_step_is_in_the_audit_trail_and_only_admins_and_auditors_read_it(desk, jdz):
    _, user, case = jdz
    desk.move(REVIEWER, case["id"], "in_review")
    entries = desk.audit_entries(AUDITOR)["items"]
    assert [e["action"] for e in entries] == ["institution.register", "case.open",
                                              "case.start_review"]
    assert entries[2]["before"]["status"] == "submitted"
    assert entries[2]["after"]["status"] == "in_review" and entries[2]["role"] == "reviewer"
    for actor in (user, REVIEWER):
        with pytest.raises(Forbidden):
            desk.audit_entries(actor)
        with pytest.raises(Forbidden):
            desk.verify_audit(actor)
    assert desk.verify_audit(AUDITOR) == {"entries": 3, "ok": True, "broken": None}


def test_an_edited_or_deleted_audit_entry_is_detected(desk, jdz):
    _, _, case = jdz
    desk.move(REVIEWER, case["id"], "in_review")
    desk.move(REVIEWER, case["id"], "approved")
    with desk.engine.begin() as conn:
        conn.execute(text("UPDATE audit SET actor = 'someone' WHERE id = 3"))
    got = desk.verify_audit(ADMIN)
    assert not got["ok"] and got["broken"]["id"] == 3 and "改动" in got["broken"]["reason_zh"]
    with desk.engine.begin() as conn:
        conn.execute(text("UPDATE audit SET actor = 'reviewer' WHERE id = 3"))
    assert desk.verify_audit(ADMIN)["ok"]
    with desk.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit WHERE id = 2"))
    got = desk.verify_audit(ADMIN)
    assert not got["ok"] and got["broken"]["id"] == 3 and "删除" in got["broken"]["reason_zh"]


def test_concurrent_uploads_keep_one_chain(desk, jdz):
    _, user, case = jdz
    errors = []

    def upload(i: int):
        try:
            desk.attach(user, case["id"], slot=f"material:附件{i}", filename=f"{i}.pdf",
                        data=f"%PDF-1.4 material {i}".encode())
        except Exception as e:  # noqa: BLE001 — collected, asserted empty
            errors.append(e)

    def same(i: int):  # the same bytes from several clients at once: one blob
        try:
            desk.attach(user, case["id"], slot=f"material:副本{i}", filename="same.pdf",
                        data=b"%PDF-1.4 the same bytes")
        except Exception as e:  # noqa: BLE001 — collected, asserted empty
            errors.append(e)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(8)]
    threads += [threading.Thread(target=same, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    got = desk.verify_audit(ADMIN)
    assert got["ok"] and got["entries"] == 2 + 8 + 6
    assert len(list(desk.store.list())) == 8 + 1


# ---------------------------------------------------------------- the store

def test_the_store_check_names_orphans_and_missing_blobs(desk, jdz):
    _, user, case = jdz
    doc = desk.attach(user, case["id"], slot="material:营业执照", filename="a.pdf",
                      data=b"%PDF-1.4 licence")
    orphan = desk.store.put(b"never committed")
    got = desk.check_store()
    assert got["ok"] and got["orphans"] == [orphan]
    desk.store.path(doc["sha256"]).unlink()
    got = desk.check_store()
    assert not got["ok"] and got["missing"] == [doc["sha256"]]


def test_system_actor_is_an_admin():
    assert SYSTEM.role == "admin"


def test_review_runs_against_the_evaluation_limit_where_the_rules_set_one(desk):
    from rules import step_deadline

    inst = desk.register_institution(ADMIN, name="长沙某康复医院", credit_code=OTHER_CODE,
                                     category="rehab", jurisdiction="hunan")
    rev = Actor("hn", "reviewer", jurisdiction="hunan")
    case = desk.open_case(rev, inst["id"])
    got = desk.move(rev, case["id"], "in_review")
    today = dt.date.today().isoformat()
    assert got["deadline"] == step_deadline("hunan", "evaluation", today)["due"]
    assert got["deadline_step"]["citation"]["article"]


# ---------------------------------------------------------------- the agreement

AGENCY = {"name": "太原市社会保险中心", "representative": "王某", "address": "太原市某路 1 号",
          "postcode": "030000", "telephone": "0351-4123456"}


def test_an_approved_case_gets_its_agreement_filled_from_the_case_then_signed(desk):
    from generator.agreement import parties_hash  # noqa: F401 - the agreement's own API
    from pypdf import PdfReader
    import io

    inst = desk.register_institution(ADMIN, name="太原市某康复医院", credit_code=OTHER_CODE,
                                     category="rehab", jurisdiction="shanxi")
    rev = Actor("sx", "reviewer", jurisdiction="shanxi")
    user = Actor("h", "institution", institution_id=inst["id"])
    case = desk.open_case(user, inst["id"])
    pdf = _form_pdf("shanxi-application", institution_name="太原市某康复医院",
                    legal_rep="李四", address="太原市小店区某街 8 号",
                    legal_rep_phone="0351-7654321")
    desk.attach(user, case["id"], slot="shanxi-application", filename="申请书.pdf", data=pdf)
    desk.move(rev, case["id"], "in_review")
    with pytest.raises(TransitionNotAllowed):  # not before approval
        desk.draft_agreement(rev, case["id"], party_a=AGENCY)
    desk.move(rev, case["id"], "approved")
    with pytest.raises(InputInvalid) as e:  # the form has no postcode: it must be given
        desk.draft_agreement(rev, case["id"], party_a=AGENCY)
    assert any(d.field == "party_b.postcode" for d in e.value.details)
    draft = desk.draft_agreement(rev, case["id"], party_a=AGENCY, term_years=2,
                                 party_b={"postcode": "030006"})
    assert draft["slot"] == "agreement:draft" and draft["state"] == "read"
    b = draft["result"]["parties"]["party_b"]
    assert (b["name"], b["representative"], b["address"], b["telephone"]) == (
        "太原市某康复医院", "李四", "太原市小店区某街 8 号", "0351-7654321")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(
        desk.original(rev, draft["id"])[2])).pages)
    assert "太原市某康复医院" in text and "李四" in text
    with pytest.raises(InputInvalid):  # a draft is generated, never uploaded
        desk.attach(rev, case["id"], slot="agreement:draft", filename="x.pdf", data=b"%PDF")
    desk.attach(rev, case["id"], slot="agreement:signed", filename="签章.pdf",
                data=b"%PDF-1.4 scan of the signed agreement")
    signed = desk.move(rev, case["id"], "signed")
    term = signed["events"][-1]["items"][0]
    today = dt.date.today()
    assert term["term_years"] == 2 and term["from"] == today.isoformat()
    assert signed["deadline"] == term["to"] and signed["deadline_step"]["step"] == "agreement_term"


def test_a_jurisdiction_without_an_agreement_text_says_so(desk, jdz):
    _, _, case = jdz
    desk.move(REVIEWER, case["id"], "in_review")
    desk.move(REVIEWER, case["id"], "approved")
    with pytest.raises(TransitionNotAllowed) as e:
        desk.draft_agreement(REVIEWER, case["id"], party_a=AGENCY)
    assert "没有附服务协议文本" in e.value.message_zh


def test_upgrading_from_the_first_revision_keeps_the_data_and_fills_the_outcome(settings):
    """A database made by an older xieyi, with a document read then, upgraded in place."""
    from alembic import command

    from desk._db import alembic_config, make_engine

    engine = make_engine(settings.database_url)
    command.upgrade(alembic_config(settings.database_url, engine), "0002")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO institutions (id, name, credit_code, category, "
                          "jurisdiction, created_at) VALUES (1, '某医院', :c, 'medical', "
                          "'jingdezhen', CURRENT_TIMESTAMP)"), {"c": JDZ_CODE})
        conn.execute(text("INSERT INTO cases (id, institution_id, jurisdiction, category, "
                          "status, opened_at, updated_at, row_version) VALUES (1, 1, "
                          "'jingdezhen', 'medical', 'in_review', CURRENT_TIMESTAMP, "
                          "CURRENT_TIMESTAMP, 1)"))
        conn.execute(text("INSERT INTO blobs (sha256, size, media_type, stored_at) VALUES "
                          "(:h, 3, 'application/pdf', CURRENT_TIMESTAMP)"), {"h": "a" * 64})
        conn.execute(text("INSERT INTO documents (id, case_id, slot, version, filename, sha256, "
                          "uploaded_by, uploaded_at, state, report) VALUES (1, 1, "
                          "'jingdezhen-application', 1, 'a.pdf', :h, 'h', CURRENT_TIMESTAMP, "
                          "'read', :r)"), {"h": "a" * 64, "r": '{"outcome": "eligible"}'})
    engine.dispose()
    upgrade_database(settings)
    d = Desk(settings)
    assert d.case(ADMIN, 1)["versions"][0]["outcome"] == "eligible"
    d.close()


# ---------------------------------------------------------------- scoring

def test_the_panel_scores_a_case_on_its_jurisdictions_table(desk):
    from scoring import example_input, get_table

    inst = desk.register_institution(ADMIN, name="太原市某康复医院", credit_code=OTHER_CODE,
                                     category="rehab", jurisdiction="shanxi")
    rev = Actor("sx", "reviewer", jurisdiction="shanxi")
    case = desk.open_case(rev, inst["id"])
    with pytest.raises(TransitionNotAllowed):  # not before the review starts
        desk.score_case(rev, case["id"], "shanxi-eval-rehab", {})
    desk.move(rev, case["id"], "in_review")
    with pytest.raises(InputInvalid) as e:  # the medical table is not this institution's
        desk.score_case(rev, case["id"], "shanxi-eval-medical", {})
    assert "shanxi-eval-rehab" in e.value.message_zh
    data = example_input(get_table("shanxi-eval-rehab"))
    data.pop("institution", None)
    doc = desk.score_case(rev, case["id"], "shanxi-eval-rehab", data)
    assert doc["slot"] == "score:shanxi-eval-rehab" and doc["outcome"] == "passed"
    score = doc["result"]["score"]
    assert score["pass_mark"]["citation"]["article"] == "第十五条"
    assert score["institution"] == "太原市某康复医院"
    from parser import parse_pdf

    table = parse_pdf(desk.original(rev, doc["id"])[2])  # the scored table reads back
    assert table.form == "shanxi-eval-rehab" and table.record["institution_name"] == \
        "太原市某康复医院"
    assert str(table.record["total"]) == score["total"]
    with pytest.raises(Forbidden):
        desk.score_case(Actor("h", "institution", institution_id=inst["id"]), case["id"],
                        "shanxi-eval-rehab", data)
    with pytest.raises(InputInvalid):  # generated, never uploaded
        desk.attach(rev, case["id"], slot="score:shanxi-eval-rehab", filename="x.pdf",
                    data=b"%PDF")
