"""Pages of the desk's administration: accounts (admins), institutions (admins and
reviewers), the audit trail with its hash-chain verification (admins and auditors).

Who may do what is the desk's to decide (``desk.Forbidden``): these pages show its answer
as the 403 page, and never a link a role cannot follow."""

from __future__ import annotations


from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forms import XieyiError

from .desk import desk
from .pages_desk import actor_in, as_date, as_int, names
from .session import check_csrf

bp = Blueprint("admin_pages", __name__, url_prefix="/admin")
bp.before_request(check_csrf)

PER_PAGE = 50


bp.context_processor(names)


@bp.route("")
@login_required
def index():
    a = current_user.actor
    if a.role == "admin":
        return redirect(url_for("admin_pages.users_page"))
    if a.role == "auditor":
        return redirect(url_for("admin_pages.audit_page"))
    if a.role == "reviewer":
        return redirect(url_for("admin_pages.institutions_page"))
    abort(403)


# ------------------------------------------------------------------ accounts

@bp.route("/users", methods=["GET", "POST"])
@login_required
def users_page():
    a = actor_in("admin")
    created = None
    problems: list[str] = []
    form = {}
    status = 200
    if request.method == "POST":
        form = {k: (request.form.get(k) or "").strip() for k in
                ("name", "role", "institution_id", "jurisdiction", "password")}
        try:
            user, password = desk().add_user(
                a, name=form["name"], role=form["role"],
                institution_id=as_int(form["institution_id"], None)
                if form["role"] == "institution" else None,
                jurisdiction=form["jurisdiction"] or None
                if form["role"] in ("reviewer", "signer") else None,
                password=form["password"] or None)
            # the password is shown on this answer only: never in a redirect's cookie
            created = {"user": user, "password": None if form["password"] else password}
            form = {}
        except XieyiError as e:
            problems = [e.message_zh] + [d.message_zh for d in e.details]
            status = 422
    return render_template("admin_users.html", me=desk().whoami(a), users=desk().users(a),
                           institutions={i["id"]: i for i in desk().institutions(a)},
                           created=created, problems=problems, form=form,
                           **_choices()), status


def _choices() -> dict:
    import rules
    from desk import ROLES

    return {"roles": ROLES, "jurisdictions": rules.JURISDICTIONS}


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@login_required
def set_active(user_id: int):
    a = actor_in("admin")
    active = request.form.get("active") == "1"
    try:
        u = desk().set_user_active(a, user_id, active)
        flash(f"已{'启用' if active else '停用'}账户 {u['name']}。", "ok")
    except XieyiError as e:
        if e.http_status == 404:
            raise
        flash(e.message_zh, "error")
    return redirect(url_for("admin_pages.users_page"))


# ------------------------------------------------------------------ institutions

@bp.route("/institutions", methods=["GET", "POST"])
@login_required
def institutions_page():
    a = actor_in("admin", "reviewer")
    problems: list[str] = []
    form = {}
    status = 200
    if request.method == "POST":
        form = {k: (request.form.get(k) or "").strip() for k in
                ("name", "credit_code", "category", "sub_kind", "jurisdiction")}
        try:
            inst = desk().register_institution(
                a, name=form["name"], credit_code=form["credit_code"],
                category=form["category"], sub_kind=form["sub_kind"] or None,
                jurisdiction=form["jurisdiction"] or (a.jurisdiction or ""))
            flash(f"已登记机构 {inst['name']}（编号 {inst['id']}）。", "ok")
            return redirect(url_for("admin_pages.institutions_page"))
        except XieyiError as e:
            problems = [e.message_zh] + [d.message_zh for d in e.details]
            status = 422
    import rules

    return render_template("admin_institutions.html", me=desk().whoami(a),
                           institutions=desk().institutions(a), problems=problems, form=form,
                           categories=rules.CATEGORIES, kinds=rules.KINDS,
                           **_choices()), status


# ------------------------------------------------------------------ the audit trail

AUDIT_FILTERS = ("actor", "action", "object_type", "object_id", "case", "since", "until")


@bp.route("/audit")
@login_required
def audit_page():
    a = actor_in("admin", "auditor")
    f = {k: (request.args.get(k) or "").strip() for k in AUDIT_FILTERS}
    page = max(1, as_int(request.args.get("page"), 1))
    found = desk().audit_entries(
        a, actor_name=f["actor"] or None, action=f["action"] or None,
        object_type=f["object_type"] or None, object_id=f["object_id"] or None,
        case_id=as_int(f["case"], None), since=as_date(f["since"]), until=as_date(f["until"]),
        newest_first=True, page=page, per_page=PER_PAGE)
    pages = max(1, -(-found["total"] // PER_PAGE))
    for e in found["items"]:
        e["changes"] = audit_changes(e.get("before"), e.get("after"))
    return render_template("admin_audit.html", me=desk().whoami(a), entries=found,
                           filters=f, page=page, pages=pages,
                           verified=desk().verify_audit(a))


def audit_changes(before: dict | None, after: dict | None) -> list[str]:
    """An entry's change as a person reads it: ``key：old → new`` (Chinese kept as is)."""
    import json

    def shown(v) -> str:
        return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)

    before, after = before or {}, after or {}
    out = []
    for k in list(dict.fromkeys([*before, *after])):
        if k in before and k in after:
            if before[k] != after[k]:
                out.append(f"{k}：{shown(before[k])} → {shown(after[k])}")
        elif k in after:
            if after[k] is not None:  # a field the step left empty says nothing
                out.append(f"{k}：{shown(after[k])}")
        else:
            out.append(f"{k}：{shown(before[k])} →（无）")
    return out
