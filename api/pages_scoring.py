"""The panel's scoring in the browser: a case in review scored on one of its jurisdiction's
evaluation tables, a form generated from the table's data (each item's checks as the input
they take: a tick, a number, the elements present, a choice), totals, vetoes and the pass
mark computed by ``scoring`` on the server, the scored table kept in the case.

The form posts what a person ticked and typed; ``scoring_input`` turns it into the input
``scoring.score`` reads, so the browser and ``POST /api/cases/<id>/scores`` take one path."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forms import XieyiError

from .desk import desk
from .pages_desk import names
from .session import check_csrf

bp = Blueprint("score_pages", __name__, url_prefix="/desk")
bp.before_request(check_csrf)
bp.context_processor(names)

#: check types answered with a number
NUMBER_CHECKS = ("per_unit_short", "per_count", "minimum", "bands")


def _table_for(case_id: int, table_id: str):
    """The table, if the desk says it applies to the case (else a 404: a table that does not
    apply to a case has no page under it)."""
    from scoring import get_table

    a = current_user.actor
    case = desk().case(a, case_id)
    if a.role != "reviewer":
        abort(403)  # the panel's work: the institution sees the scored table in its case
    if table_id not in desk().scoring_tables(a, case_id):
        abort(404)
    return case, get_table(table_id)


def _kind(case: dict) -> str:
    return case["institution"].get("sub_kind") or case["category"]


def inputs_of(table, kind: str) -> list[dict]:
    """The items of ``table`` that apply to ``kind``, each with the inputs it takes."""
    out = []
    for it in table.items:
        if not it.applies(kind) or it.fact:
            continue  # a condition that is a fact of the institution is answered above
        if it.checks:
            fields = [_check_input(it, c) for c in it.checks]
        elif it.mode == "entered":
            fields = [{"name": f"item.{it.id}.score", "type": "number", "label": "得分",
                       "key": "score", "max": str(it.points) if it.points is not None else ""}]
        else:
            fields = [{"name": f"item.{it.id}.met", "type": "tick", "key": "met",
                       "label": "符合" if it.mode != "veto" else "符合（不符合即否决）"}]
        out.append({"item": it, "fields": fields, "gaps": _gaps(it),
                    "when": [(dict(table.facts).get(f, f), v) for f, v in it.when]})
    return out


def _gaps(it) -> list[dict]:
    """The stretches an item's printed bands leave open or claim twice, each with the
    choices the panel has there (``resolve``: a band by its points)."""
    from scoring import fmt
    from scoring._bands import band_text

    out = []
    for c in it.checks:
        for g in c.gaps:
            out.append({"where": g.describe(c.unit or ""), "kind": g.kind, "note": g.note,
                        "choices": [(fmt(b.value), band_text(b)) for b in g.choices]})
    return out



def _check_input(it, c) -> dict:
    base = {"name": f"item.{it.id}.{c.id}", "key": c.id, "label": c.label, "unit": c.unit or ""}
    if c.type in ("required", "each"):
        return {**base, "type": "tick"}
    if c.type == "per_missing" and c.elements:
        return {**base, "type": "elements", "elements": c.elements}
    if c.type == "choice":
        return {**base, "type": "choice", "options": [o for o, _ in c.options]}
    return {**base, "type": "number",
            "integer": c.type in ("per_unit_short", "per_count") or c.type == "per_missing"}


def scoring_input(table, kind: str, form) -> dict:
    """What the form posted, as ``scoring.score`` reads it (a tick absent is a no; a number
    left empty stays empty, and the scorer names it)."""
    facts = {f: form.get(f"fact.{f}") == "on" for f, _ in table.facts}
    items: dict = {}
    resolve: dict = {}
    for entry in inputs_of(table, kind):
        it = entry["item"]
        if table.facts and not it.applies_given(facts):
            continue  # a condition the institution's facts make void is not answered
        if entry["gaps"] and (form.get(f"resolve.{it.id}") or "").strip():
            resolve[it.id] = form.get(f"resolve.{it.id}").strip()
        given: dict = {}
        for f in entry["fields"]:
            if f["type"] == "tick":
                given[f["key"]] = form.get(f["name"]) == "on"
            elif f["type"] == "elements":
                given[f["key"]] = form.getlist(f["name"])
            else:
                given[f["key"]] = (form.get(f["name"]) or "").strip()
        items[entry["item"].id] = given
    data: dict = {"kind": kind, "items": items}
    if resolve:
        data["resolve"] = resolve
    if table.one_vote_veto:
        data["one_vote_veto"] = {c: form.get(f"ovv.{c}") == "on"
                                 for c, _ in table.one_vote_veto.conditions}
    if table.facts:
        data["facts"] = facts
    return data


@bp.route("/cases/<int:case_id>/scores/<table_id>", methods=["GET", "POST"])
@login_required
def score_page(case_id: int, table_id: str):
    case, table = _table_for(case_id, table_id)
    kind = _kind(case)
    if case["status"] != "in_review":
        from flask import flash

        flash(f"案件为“{case['status_zh']}”，审查中才能评分。", "error")
        return redirect(url_for("desk_pages.case_page", case_id=case_id))
    problems: list = []
    status = 200
    doc = None
    if request.method == "POST":
        from scoring import score

        data = scoring_input(table, kind, request.form)
        try:
            # a number in a gap of the printed bands waits for the panel's decision: asked
            # for here, before anything is kept
            pending = [w["message_zh"] for w in score(table_id, data, kind).get("warnings") or []
                       if w.get("code") in ("band_gap", "band_overlap") and not w.get("resolved")]
            doc = None if pending else desk().score_case(current_user.actor, case_id,
                                                          table_id, data)
        except XieyiError as e:
            if e.http_status == 404:
                raise
            problems = [e.message_zh] + [d.message_zh for d in e.details]
            status = 422
        else:
            if pending:
                problems = ["以下各项须由评估小组决定（在该项的“评估小组的决定”中选择）后才能计分："
                            ] + pending
                status = 422
        if doc is not None:
            from flask import flash

            result = doc["result"]["score"]
            flash(f"已评分：{result.get('result_zh') or ''}，合计 {result.get('total') or '待定'}"
                  f" / {result.get('maximum')}。", "ok")
            return redirect(url_for("desk_pages.document_page", doc_id=doc["id"]))
    return render_template("score.html", case=case, table=table, entries=inputs_of(table, kind),
                           form=request.form, problems=problems,
                           me=desk().whoami(current_user.actor)), status
