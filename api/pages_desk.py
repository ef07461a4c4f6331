"""The review desk's pages, for the logged-in user of the session (``api/session.py``):
the case list (``/desk``), a case (``/desk/cases/<id>``: its documents, the materials the
jurisdiction asks for, its history, the actions the user's role may take), a document
under review (``/desk/documents/<id>``: each page as an image with a box around every
value read, the values with method and confidence, corrections, the findings with their
articles).

Every decision is the desk's (``desk.Desk``): who may see a case (another's is a 404),
who may take which step, the deadlines, the audit trail.  These pages only gather what a
person typed and show what the desk answers; a refusal comes back on the page it was
asked from, in Chinese, and nothing already stored is lost.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import (Blueprint, Response, flash, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_required

from forms import XieyiError

from .desk import desk
from .session import check_csrf

bp = Blueprint("desk_pages", __name__, url_prefix="/desk")

#: a value read with less confidence than this is marked for the reviewer
LOW_CONFIDENCE = 0.9
#: the page image width the review page shows (one of desk's PAGE_WIDTHS)
PAGE_WIDTH = 1000
PER_PAGE = 20


@bp.before_request
def _upload_limit() -> None:
    """Uploads are bounded by the parser's limit, not the JSON routes' MAX_CONTENT_LENGTH;
    set before the CSRF check reads the form."""
    if request.endpoint == "desk_pages.upload":
        from .parse import MULTIPART_OVERHEAD, _limits

        request.max_content_length = _limits().max_bytes + MULTIPART_OVERHEAD


bp.before_request(check_csrf)


@bp.context_processor
def names() -> dict:
    """The Chinese names the desk's pages show for jurisdictions, categories, kinds and
    roles."""
    import rules
    from desk import ROLE_ZH

    return {"jurisdiction_zh": {j: rules.get_rule_set(j).document.name for j in rules.JURISDICTIONS},
            "category_zh": rules.CATEGORY_ZH, "kind_zh": rules.KIND_ZH, "role_zh": ROLE_ZH}


def _actor():
    return current_user.actor


# ------------------------------------------------------------------ the case list

@bp.route("")
@login_required
def cases_page():
    from desk import STATUS_ZH, STATUSES

    a = _actor()
    status = request.args.get("status") or None
    if status not in STATUSES:
        status = None
    before = as_date(request.args.get("before"))
    page = max(1, as_int(request.args.get("page"), 1))
    found = desk().cases(a, status=status, deadline_before=before, page=page,
                          per_page=PER_PAGE)
    pages = max(1, -(-found["total"] // PER_PAGE))
    return render_template("desk.html", me=desk().whoami(a), cases=found, status=status,
                           before=request.args.get("before") or "", statuses=STATUS_ZH,
                           page=page, pages=pages, today=dt.date.today())


@bp.route("/cases", methods=["POST"])
@login_required
def open_case():
    """An institution's user opens a new application of its own institution."""
    a = _actor()
    try:
        case = desk().open_case(a, a.institution_id)
    except XieyiError as e:
        flash(e.message_zh, "error")
        return redirect(url_for("desk_pages.cases_page"))
    flash(f"已新建申请（案件 {case['id']}），请上传申请材料。", "ok")
    return redirect(url_for("desk_pages.case_page", case_id=case["id"]))


# ------------------------------------------------------------------ a case

@bp.route("/cases/<int:case_id>")
@login_required
def case_page(case_id: int):
    return _render_case(case_id)


def _render_case(case_id: int, *, agreement: dict | None = None,
                 agreement_problems: list | None = None, status: int = 200):
    a = _actor()
    case = desk().case(a, case_id)
    me = desk().whoami(a)
    if agreement is None and me["role"] in ("reviewer", "signer") and case["status"] == "approved":
        agreement = _agreement_form(case_id)
    materials = case_materials(case)
    slots = upload_slots(case, materials)
    if me["role"] == "signer":  # the signing office keeps the signed agreement, nothing else
        slots = [s for s in slots if s[0] == "agreement:signed"]
    slot_names = {**dict(slots), "agreement:draft": "服务协议草稿（xieyi 生成）"}
    slot_names.update((s, n) for s, n in _score_slots(case))
    score_tables = []
    if me["role"] == "reviewer" and case["status"] == "in_review":
        from scoring import get_table

        score_tables = [get_table(t) for t in desk().scoring_tables(a, case_id)]
    return render_template("case.html", case=case, me=me, slot_names=slot_names,
                           score_tables=score_tables,
                           materials=materials, slots=slots,
                           articles=_articles(case["jurisdiction"]),
                           agreement=agreement, agreement_problems=agreement_problems or [],
                           **_agreement_words(), **_transition_words()), status


# ------------------------------------------------------------------ the agreement

def _agreement_words() -> dict:
    from generator.agreement import CITIES, FIELD_LABELS, PARTY_FIELDS, PARTY_NAMES, TERMS

    return {"party_fields": [(f, FIELD_LABELS[f]) for f in PARTY_FIELDS],
            "party_names": PARTY_NAMES, "terms": TERMS, "cities": CITIES,
            "field_labels": FIELD_LABELS}


def _agreement_form(case_id: int) -> dict:
    """The agreement form's first values: 甲方 as this reviewer last gave it, 乙方 from the
    case's application form."""
    from flask import session

    defaults = desk().agreement_defaults(_actor(), case_id)
    return {"agreement": defaults["agreement"], "party_a": dict(session.get("party_a") or {}),
            "party_b": defaults["party_b"], "city": session.get("agreement_city") or "",
            "term_years": 1, "format": "pdf"}


def _posted_agreement(form) -> dict:
    from generator.agreement import PARTY_FIELDS

    out = {p: {f: (form.get(f"{p}.{f}") or "").strip() for f in PARTY_FIELDS}
           for p in ("party_a", "party_b")}
    out["party_b"]["signed_on"] = (form.get("party_b.signed_on") or "").strip()
    for p in ("party_a", "party_b"):
        out[p] = {k: v for k, v in out[p].items() if v}
    out["city"] = (form.get("city") or "").strip()
    out["term_years"] = as_int(form.get("term_years"), 1)
    out["format"] = form.get("format") if form.get("format") in ("pdf", "docx") else "pdf"
    return out


@bp.route("/cases/<int:case_id>/agreement", methods=["POST"])
@login_required
def draft_agreement(case_id: int):
    """The approved case's agreement, drafted from the form (甲方 typed, 乙方 from the case)
    and kept as the case's ``agreement:draft``; its page shows it for a look before printing."""
    from flask import session

    a = _actor()
    form = _posted_agreement(request.form)
    try:
        doc = desk().draft_agreement(a, case_id, party_a=form["party_a"],
                                      party_b=form["party_b"], city=form["city"] or None,
                                      term_years=form["term_years"], fmt=form["format"])
    except XieyiError as e:
        if e.http_status == 404:
            raise
        form["agreement"] = desk().agreement_defaults(a, case_id)["agreement"]
        return _render_case(case_id, agreement=form, status=422,
                            agreement_problems=[e.message_zh] + [d.message_zh for d in e.details])
    session["party_a"], session["agreement_city"] = form["party_a"], form["city"]
    flash(f"已生成服务协议（第 {doc['version']} 版），请核对后打印签署。", "ok")
    return redirect(url_for("desk_pages.document_page", doc_id=doc["id"]))


def _transition_words() -> dict:
    from desk import STATUS_ZH, TRANSITIONS

    return {"status_zh": STATUS_ZH,
            "action_zh": {(t.source, t.target): t.zh for t in TRANSITIONS}}


def case_materials(case: dict) -> list[dict]:
    """The materials the case's jurisdiction asks of its kind of institution, each with the
    case's newest document for it (``material:<key>``, or the form the material is)."""
    import rules

    from .pages import form_of_material

    from forms import all_forms

    inst = case["institution"]
    specs = [s for s in all_forms() if s.jurisdiction == case["jurisdiction"]
             and case["category"] in s.categories]
    latest = {d["slot"]: d for d in case.get("documents", [])}
    out = []
    for r in rules.get_rule_set(case["jurisdiction"]).rules:
        if r.kind != "material" or case["category"] not in r.categories:
            continue
        if r.kinds and inst.get("sub_kind") and inst["sub_kind"] not in r.kinds:
            continue
        form = form_of_material(r.title, specs)
        slot = form.id if form is not None else f"material:{r.material}"
        out.append({"key": r.material, "title": r.title, "citation": r.citation,
                    "advisory": r.advisory, "slot": slot, "form": form,
                    "document": latest.get(slot)})
    return out


def upload_slots(case: dict, materials: list[dict]) -> list[tuple[str, str]]:
    """What may be uploaded to the case: (slot, the name a person reads); ``materials`` as
    ``case_materials`` gives them."""
    from forms import all_forms

    out = [(s.id, f"{s.full_title}（表单）") for s in all_forms()
           if s.jurisdiction == case["jurisdiction"] and case["category"] in s.categories]
    seen = {slot for slot, _ in out}
    for m in materials:
        if m["slot"] not in seen:
            out.append((m["slot"], m["title"]))
            seen.add(m["slot"])
    out.append(("agreement:signed", "双方签字盖章的服务协议"))
    return out


def _score_slots(case: dict) -> list[tuple[str, str]]:
    """The panel's scored tables of the case's kind (``score:<table>``), by name."""
    from scoring import all_tables

    return [(f"score:{t.id}", f"评分：{t.title}") for t in all_tables()
            if t.jurisdiction == case["jurisdiction"]]


def _articles(jurisdiction: str) -> list[tuple[str, str]]:
    """The articles the jurisdiction's rules cite, for choosing a rejection's ground."""
    import rules

    seen: dict[str, str] = {}
    for r in rules.get_rule_set(jurisdiction).rules:
        seen.setdefault(r.citation.article, r.title)
    return sorted(seen.items())


@bp.route("/cases/<int:case_id>/documents", methods=["POST"])
@login_required
def upload(case_id: int):
    from .parse import _limits

    a = _actor()
    limits = _limits()
    f = request.files.get("file")
    slot = request.form.get("slot") or ""
    if f is None or not f.filename:
        flash("请选择要上传的文件。", "error")
        return redirect(url_for("desk_pages.case_page", case_id=case_id))
    data = f.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        flash(f"文件过大，上限 {limits.max_bytes // (1024 * 1024)} MB。", "error")
        return redirect(url_for("desk_pages.case_page", case_id=case_id))
    try:
        doc = desk().attach(a, case_id, slot=slot, filename=f.filename, data=data,
                             media_type=(f.mimetype or "application/octet-stream")[:100])
    except XieyiError as e:
        if e.http_status == 404:
            raise
        flash(e.message_zh, "error")
        return redirect(url_for("desk_pages.case_page", case_id=case_id))
    if doc["state"] == "unreadable" and doc.get("error"):
        flash(f"已保存“{doc['filename']}”，但无法读取：{doc['error']['message_zh']}", "error")
    else:
        flash(f"已上传“{doc['filename']}”。", "ok")
    return redirect(url_for("desk_pages.case_page", case_id=case_id))


@bp.route("/cases/<int:case_id>/move", methods=["POST"])
@login_required
def move(case_id: int):
    """A step of the case: the items to correct, the reasons with their articles."""
    a = _actor()
    to = request.form.get("to") or ""
    items: list | None = None
    if to == "returned":
        items = request.form.getlist("item") + [
            line.strip() for line in (request.form.get("items_text") or "").splitlines()
            if line.strip()]
    elif to == "rejected":
        items = []
        for i in range(5):
            reason = (request.form.get(f"reason_{i}") or "").strip()
            article = (request.form.get(f"article_{i}") or "").strip()
            if reason or article:
                items.append({"reason": reason, "article": article})
    try:
        desk().move(a, case_id, to, reason=(request.form.get("note") or "").strip() or None,
                     items=items, working_days=as_int(request.form.get("working_days"), None),
                     expected_version=as_int(request.form.get("version"), None))
    except XieyiError as e:
        if e.http_status == 404:
            raise
        details = "；".join(d.message_zh for d in e.details)
        flash(e.message_zh + (f"：{details}" if details else ""), "error")
        return redirect(url_for("desk_pages.case_page", case_id=case_id))
    from desk import STATUS_ZH

    flash(f"案件已改为“{STATUS_ZH.get(to, to)}”。", "ok")
    return redirect(url_for("desk_pages.case_page", case_id=case_id))


@bp.route("/cases/<int:case_id>/forms/<formid:form_id>", methods=["POST"])
@login_required
def submit_form(case_id: int, form_id: str):
    """A form filled in the browser, submitted into the case: checked whole (every required
    field), drawn as our fillable PDF and attached as an upload of that form would be."""
    from forms import UnknownForm, get_form

    from .pages import problems_of, record_from_form, render_fill
    from .render import render_record

    try:
        spec = get_form(form_id)
    except UnknownForm:
        from flask import abort

        abort(404)
    record, problems = problems_of(spec, record_from_form(spec, request.form), complete=True)
    if problems:
        return render_fill(spec, request.form, problems)
    pdf = render_record(spec, "pdf", record)
    try:
        desk().attach(_actor(), case_id, slot=spec.id, filename=f"{spec.full_title}.pdf",
                       data=pdf)
    except XieyiError as e:
        if e.http_status == 404:
            raise
        flash(e.message_zh, "error")
        return render_fill(spec, request.form, [])
    flash(f"已将“{spec.full_title}”提交到案件 {case_id}。", "ok")
    return redirect(url_for("desk_pages.case_page", case_id=case_id))


# ------------------------------------------------------------------ a document

@bp.route("/documents/<int:doc_id>")
@login_required
def document_page(doc_id: int):
    a = _actor()
    doc = desk().document(a, doc_id)
    case = desk().case(a, doc["case_id"])
    spec = _spec_of(doc)
    pages: list[dict] = []
    values: list[dict] = []
    if doc["state"] != "unreadable" or (doc.get("error") or {}).get("code") in (
            "scan_not_read", "wrong_form", "pdf_no_text_layer"):
        try:
            pages = [{"number": i + 1, "width": w, "height": h, "boxes": []}
                     for i, (w, h) in enumerate(desk().page_sizes(a, doc_id))]
        except XieyiError as e:  # not a PDF (a scan as an image, a DOCX draft)
            if e.http_status == 404:
                raise
    if doc.get("result"):
        corrected = {c["field"]: c for c in doc["corrections"]}
        for name, v in (doc["result"].get("fields") or {}).items():
            top = name.split(".", 1)[0]
            entry = {"name": name, "anchor": _anchor(name), "label": _label(spec, name),
                     "value": _shown(v.get("value")), "raw": v.get("raw"),
                     "method": v.get("method"), "confidence": v.get("confidence"),
                     "low": (v.get("confidence") or 0) < LOW_CONFIDENCE,
                     "page": v.get("page"), "correction": corrected.get(top) if top == name
                     else None, "field": top}
            values.append(entry)
            page, box = v.get("page"), v.get("bbox")
            if page and box and 1 <= page <= len(pages):
                p = pages[page - 1]
                x0, t, x1, b = box
                p["boxes"].append({**entry, "left": 100 * x0 / p["width"],
                                   "top": 100 * t / p["height"],
                                   "w": 100 * (x1 - x0) / p["width"],
                                   "h": 100 * (b - t) / p["height"]})
    return render_template("document.html", doc=doc, case=case, spec=spec, pages=pages,
                           values=values, findings=_findings(doc), me=desk().whoami(a),
                           warnings=(doc.get("result") or {}).get("warnings") or [],
                           page_width=PAGE_WIDTH, **_agreement_words())


def _spec_of(doc: dict):
    from forms import UnknownForm, get_form

    result = doc.get("result") or {}
    if doc["slot"].startswith("score:"):  # a scored table: the form it is printed on
        from scoring import get_table

        try:
            return get_form(get_table(doc["slot"].split(":", 1)[1]).form)
        except (UnknownForm, KeyError, XieyiError):
            return None
    form = result.get("form") or doc["slot"]
    try:
        return get_form(form)
    except UnknownForm:
        return None


def _anchor(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _label(spec, name: str) -> str:
    if spec is None:
        return name
    parts = name.split(".")
    try:
        f = spec.field(parts[0])
    except KeyError:
        return name
    if len(parts) == 3 and f.type == "rows":
        try:
            return f"{f.qualified_label} 第 {int(parts[1]) + 1} 行 {f.column(parts[2]).label}"
        except (KeyError, ValueError):
            return name
    return f.qualified_label


def _shown(v) -> str:
    if v is None:
        return "（空）"
    if v is True:
        return "☑ 已勾选"
    if v is False:
        return "☐ 未勾选"
    return str(v)


def _findings(doc: dict) -> list[dict]:
    """The report's findings that need a person's eye first: failures, then the undecided."""
    from sources import SourceError, cite

    report = doc.get("report") or {}
    order = {"fail": 0, "unknown": 1, "pass": 2}
    out = []
    for f in sorted(report.get("findings") or [], key=lambda f: order.get(f.get("status"), 3)):
        c = f.get("citation") or {}
        ref = c.get("reference") or {}
        try:
            text = cite(ref["jurisdiction"], ref["key"])["text"] if ref.get("key") else None
        except (SourceError, KeyError):
            text = None
        out.append({**f, "full_text": text})
    return out


@bp.route("/documents/<int:doc_id>/pages/<int:page>.png")
@login_required
def page_image(doc_id: int, page: int):
    png = desk().page_image(_actor(), doc_id, page, as_int(request.args.get("w"), PAGE_WIDTH))
    resp = Response(png, mimetype="image/png")
    # the image of a stored original never changes; it is still someone's data
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp


@bp.route("/documents/<int:doc_id>/original")
@login_required
def original(doc_id: int):
    from urllib.parse import quote

    name, media, data = desk().original(_actor(), doc_id)
    resp = Response(data, mimetype=media)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/documents/<int:doc_id>/corrections", methods=["POST"])
@login_required
def correct(doc_id: int):
    field = request.form.get("field") or ""
    back = url_for("desk_pages.document_page", doc_id=doc_id) + f"#v-{_anchor(field)}"
    value = _correction_value(doc_id, field, request.form.get("value") or "")
    try:
        desk().correct(_actor(), doc_id, field, value, request.form.get("reason") or "")
    except XieyiError as e:
        if e.http_status == 404:
            raise
        details = "；".join(d.message_zh for d in e.details)
        flash(e.message_zh + (f"：{details}" if details else ""), "error")
        return redirect(back)
    flash("更正已保存，读出的原值保留在旁。", "ok")
    return redirect(back)


def _correction_value(doc_id: int, field: str, raw: str):
    """A typed correction as the record's JSON value (a number as a number, a tick as
    true/false); what does not convert is passed on for the desk to refuse in words."""
    doc = desk().document(_actor(), doc_id)
    spec = _spec_of(doc)
    try:
        f = spec.field(field) if spec is not None else None
    except KeyError:
        f = None
    raw = raw.strip()
    if f is None:
        return raw
    if f.type == "integer" and re.fullmatch(r"-?\d{1,18}", raw):
        return int(raw)
    if f.type == "checkbox":
        return raw in ("1", "true", "是", "on")
    return raw or None


# ------------------------------------------------------------------ helpers

def as_int(v, default):
    """A query or form value as a whole number, ``default`` when it is none."""
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def as_date(v) -> dt.date | None:
    """A query or form value as a date (YYYY-MM-DD), None when it is none."""
    try:
        return dt.date.fromisoformat(v) if v else None
    except ValueError:
        return None


__all__ = ["bp", "actor_in", "as_date", "as_int", "case_materials", "names", "upload_slots"]


# ------------------------------------------------------------------ agreements in a batch

def actor_in(*roles: str):
    """The session's actor, if its role is one of ``roles``; anyone else gets the 403 page."""
    from flask import abort

    a = _actor()
    if a.role not in roles:
        abort(403)
    return a


@bp.route("/agreements", methods=["GET", "POST"])
@login_required
def agreements_page():
    """Every approved case of the reviewer's jurisdiction, ticked: their agreements drafted
    at once with the same 甲方, kept in each case, and given as one zip."""
    from flask import session

    from generator.agreement import PARTY_FIELDS

    # the batch page is a reviewer's or the signing office's
    a = actor_in("reviewer", "signer")
    found = desk().cases(a, status="approved", page=1, per_page=500)["items"]
    for c in found:  # 乙方 as each case's application gives it, to complete here
        c["party_b"] = desk().agreement_defaults(a, c["id"])["party_b"]
        if request.method == "POST":
            c["party_b"] = {f: (request.form.get(f"b{c['id']}.{f}") or "").strip()
                            for f in PARTY_FIELDS}
    agreement = {"party_a": dict(session.get("party_a") or {}),
                 "city": session.get("agreement_city") or "", "term_years": 1, "format": "pdf"}
    problems: list[str] = []
    if request.method == "POST":
        agreement = _posted_agreement(request.form)
        chosen = [cid for cid in (as_int(v, None) for v in request.form.getlist("case"))
                  if cid is not None]
        if not chosen:
            problems.append("请至少选择一个案件。")
        else:
            parties_b = {c["id"]: {k: v for k, v in c["party_b"].items() if v}
                         for c in found if c["id"] in chosen}
            job = _start_agreement_batch(a, [cid for cid in chosen if cid in parties_b],
                                         parties_b, agreement)
            session["party_a"], session["agreement_city"] = agreement["party_a"], agreement["city"]
            return redirect(url_for("desk_pages.agreement_job", job_id=job.id))
    return render_template("agreements.html", me=desk().whoami(a), cases=found,
                           agreement=agreement, problems=problems, **_agreement_words()), \
        (422 if problems else 200)


def _start_agreement_batch(actor, case_ids: list[int], parties_b: dict[int, dict], form: dict):
    import zipfile

    from generator.agreement import safe_stem, unique_name

    from ._jobs import jobs

    the_desk = desk()  # the thread has no request: the desk is taken along

    def work(job) -> None:
        used: set[str] = set()
        out = job.folder / "agreements.zip"
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
            for cid in case_ids:
                try:
                    doc = the_desk.draft_agreement(actor, cid, party_a=form["party_a"],
                                               party_b=parties_b[cid], city=form["city"] or None,
                                               term_years=form["term_years"], fmt=form["format"])
                    _name, _media, data = the_desk.original(actor, doc["id"])
                except XieyiError as e:
                    job.skipped.append({"row": cid, "line": None, "details": [
                        {"field": "", "code": e.code, "message_zh": e.message_zh,
                         "message_en": e.message_en}] + [d.to_dict() for d in e.details]})
                    continue
                party_b = (doc.get("result") or {}).get("parties", {}).get("party_b", {})
                stem = safe_stem(party_b.get("name") or "", f"case-{cid}")
                zf.writestr(unique_name(stem, form["format"], used), data)
                job.done += 1
        if not job.done:
            from forms import InputInvalid

            raise InputInvalid("没有生成任何协议（各案件的原因见下）",
                               "no agreement was drafted (each case's reason below)")
        job.output = out
        job.output_name = (f"agreements-{job.done}.zip", f"服务协议-{job.done}份.zip")

    return jobs().submit("case-agreements", len(case_ids), work,
                         meta={"owner": actor.name, "format": form["format"]})


def _own_job(job_id: str):
    from flask import abort

    from ._jobs import JobNotFound, jobs

    try:
        job = jobs().get(job_id)
    except JobNotFound:
        abort(404)
    if job.kind != "case-agreements" or job.meta.get("owner") != _actor().name:
        abort(404)  # another's job is as unknown as none
    return job


@bp.route("/agreements/jobs/<job_id>")
@login_required
def agreement_job(job_id: str):
    job = _own_job(job_id)
    return render_template("agreement_job.html", me=desk().whoami(_actor()), job=job)


@bp.route("/agreements/jobs/<job_id>/zip")
@login_required
def agreement_zip(job_id: str):
    from flask import abort

    from ._jobs import output_response

    job = _own_job(job_id)
    if job.state != "done" or job.output is None:
        abort(404)
    return output_response(job)
