"""Pages for everyone, in Chinese: the form catalogue (``/``), each form's page
(``/forms/<id>``), filling a form in the browser (``/forms/<id>/fill``) and the
materials a jurisdiction asks of each kind of institution (``/materials``).

The fill page is generated from the form's description: the same labels, types,
lengths and choices as the record the API takes, checked by the same code
(``forms.validate_record``), so the page and the API say the same words.  The browser
checks what HTML can (required, length, number, date) as the user types; a small
script asks the server (``/forms/<id>/check``) for the rest when a value changes.
"""

from __future__ import annotations

import re
from itertools import groupby

from flask import Blueprint, abort, jsonify, render_template, request

from forms import Field, FormSpec, all_forms, form_errata, get_form, validate_record
from forms.errors import RecordInvalid, UnknownForm

from .schemas import derived_mark, form_validity
from .session import check_csrf

bp = Blueprint("pages", __name__)

#: a field's type as the page says it
TYPE_ZH = {"text": "文字（单行）", "multiline": "文字（可多行）", "integer": "整数",
           "decimal": "数字", "date": "日期", "choice": "单选", "checkbox": "勾选",
           "rows": "表格"}
KIND_ZH = {"application": "申请表", "commitment": "承诺书", "evaluation": "评估表",
           "assessment": "考核表", "survey": "调查表"}
CATEGORY_ZH = {"medical": "医疗机构", "rehab": "康复机构", "assistive": "辅助器具配置机构"}

_INTEGER = re.compile(r"-?\d{1,18}")


bp.before_request(check_csrf)


def _spec(form_id: str) -> FormSpec:
    try:
        return get_form(form_id)
    except UnknownForm:
        abort(404)


def _page_helpers() -> dict:
    return {"derived_mark": derived_mark, "form_validity": form_validity, "TYPE_ZH": TYPE_ZH,
            "KIND_ZH": KIND_ZH, "CATEGORY_ZH": CATEGORY_ZH, "describe": describe,
            "categories_zh": lambda s: "、".join(CATEGORY_ZH[c] for c in s.categories)}


@bp.route("/")
def index():
    groups = []
    for key, specs in groupby(all_forms(), key=lambda s: s.jurisdiction):
        specs = list(specs)
        # a document's state is the same for each of its forms: said once, above its table
        validity = form_validity(specs[0])
        groups.append({"jurisdiction": key, "name": specs[0].jurisdiction_name, "forms": specs,
                       "validity": validity})
    return render_template("index.html", groups=groups, **_page_helpers())


def describe(f: Field) -> str:
    """What a field takes, in words (the form page's and the fill page's hint)."""
    parts = [TYPE_ZH[f.type]]
    if f.max_length:
        parts.append(f"最多 {f.max_length} 字")
    if f.type == "decimal" and f.places is not None:
        parts.append(f"最多 {f.places} 位小数")
    if f.type in ("integer", "decimal"):
        parts.append("不能为负数")
    if f.type == "date":
        parts.append("年-月-日")
    if f.unit:
        parts.append(f"单位：{f.unit}")
    if f.type == "choice":
        parts.append("可选：" + "、".join(f.choices))
    if f.type == "rows" and f.max_rows:
        parts.append(f"最多 {f.max_rows} 行")
    if f.required:
        parts.append("必填")
    return "；".join(parts)


@bp.route("/forms/<formid:form_id>")
def form_page(form_id: str):
    spec = _spec(form_id)
    return render_template("form.html", spec=spec, errata=form_errata(spec), **_page_helpers())


# ------------------------------------------------------------------ filling in the browser

def _input_name(field_id: str, row: int | None = None, column: str | None = None) -> str:
    return field_id if row is None else f"{field_id}.{row}.{column}"


def _typed(f: Field, raw: str):
    """A posted string as the JSON value the record schema takes; what does not convert
    stays a string, so the schema's own message names the problem."""
    if f.type == "integer" and _INTEGER.fullmatch(raw.strip()):
        return int(raw.strip())
    if f.type in ("decimal", "date", "choice"):
        return raw.strip()
    # text keeps what was typed; the browser sends a textarea's line breaks as CRLF
    return raw.replace("\r\n", "\n") if f.type == "multiline" else raw


def record_from_form(spec: FormSpec, form) -> dict:
    """The record a posted fill page holds: empty inputs left out, rows with any value kept."""
    data: dict = {}
    for f in spec.fields:
        if f.type == "checkbox":
            # a box on the page is answered either way: unticked is "no", as on paper
            data[f.id] = bool(form.get(f.id))
            continue
        if f.type == "rows":
            rows = []
            for i in range(_shown_rows(f)):
                row = {}
                for c in f.columns:
                    raw = form.get(_input_name(f.id, i, c.id), "")
                    if c.type == "checkbox":
                        if raw:
                            row[c.id] = True
                    elif raw.strip():
                        row[c.id] = _typed(c, raw)
                if row:
                    rows.append(row)
            if rows:
                data[f.id] = rows
            continue
        raw = form.get(f.id, "")
        if raw.strip():
            data[f.id] = _typed(f, raw)
    return data


def _sections(spec: FormSpec) -> list[tuple[str | None, list[Field]]]:
    """The fields in form order, runs of one printed heading (门诊, 住院…) kept together."""
    out: list[tuple[str | None, list[Field]]] = []
    for f in spec.fields:
        if out and out[-1][0] == f.section and f.section is not None:
            out[-1][1].append(f)
        else:
            out.append((f.section, [f]))
    return out


def _shown_rows(f: Field) -> int:
    return f.max_rows or 10


@bp.route("/forms/<formid:form_id>/fill", methods=["GET", "POST"])
def fill_page(form_id: str):
    spec = _spec(form_id)
    values: dict = {}
    problems: list[dict] = []
    if request.method == "POST":
        values = request.form
        data = record_from_form(spec, request.form)
        record, problems = problems_of(spec, data)
        fmt = request.form.get("format")
        if record is not None and fmt in ("pdf", "docx"):
            from .forms import file_response
            from .render import render_record

            return file_response(spec, fmt, render_record(spec, fmt, record), store=False)
    return render_fill(spec, values, problems)


def render_fill(spec: FormSpec, values, problems: list[dict]):
    """The fill page, with what was typed and what is wrong with it (422 then)."""
    return render_template("fill.html", spec=spec, values=values, problems=problems,
                           sections=_sections(spec),
                           by_input={p["field"]: p for p in problems},
                           shown_rows=_shown_rows, input_name=_input_name,
                           open_cases=_open_cases(spec), **_page_helpers()), \
        422 if problems else 200


def _open_cases(spec: FormSpec) -> list[dict]:
    """An institution's cases the form may be submitted into (its jurisdiction, open for
    uploads); none for anyone else."""
    from flask_login import current_user

    if not current_user.is_authenticated or current_user.actor.role != "institution":
        return []
    from .desk import desk

    found = desk().cases(current_user.actor, per_page=100)["items"]
    return [c for c in found if c["jurisdiction"] == spec.jurisdiction
            and c["category"] in spec.categories and c["status"] in ("submitted", "returned")]


def problems_of(spec: FormSpec, data: dict, complete: bool = False):
    """(typed record or None, problems as the page shows them)."""
    try:
        return validate_record(spec, data, complete=complete), []
    except RecordInvalid as e:
        # a problem's path is its input's name (``staff.0.name``: a row's column)
        return None, [{"field": p.field, "message_zh": p.message_zh,
                       "message_en": p.message_en} for p in e.details]


@bp.route("/forms/<formid:form_id>/check", methods=["POST"])
def check_page(form_id: str):
    """The fill page's problems, as the API words them (asked by the page as values change)."""
    spec = _spec(form_id)
    _, problems = problems_of(spec, record_from_form(spec, request.form))
    return jsonify({"problems": problems})


# ------------------------------------------------------------------ materials

@bp.route("/materials")
def materials_page():
    import rules

    jurisdictions = [(j, rules.get_rule_set(j).document) for j in rules.JURISDICTIONS]
    jur = request.args.get("jurisdiction") or ""
    category = request.args.get("category") or ""
    kind = request.args.get("kind") or ""
    known = dict(jurisdictions)
    chosen = jur in known and category in rules.CATEGORIES
    if kind and kind not in rules.KIND_ZH:
        kind = ""
    items: list[dict] = []
    forms_here: list[FormSpec] = []
    rule_set = rules.get_rule_set(jur) if jur in known else None
    if chosen:
        forms_here = [s for s in all_forms() if s.jurisdiction == jur and category in s.categories]
        for r in rule_set.rules:
            if r.kind != "material" or category not in r.categories:
                continue
            if category == "assistive" and kind and r.kinds and kind not in r.kinds:
                continue
            items.append({"rule": r, "form": form_of_material(r.title, forms_here),
                          "kinds": "、".join(rules.KIND_ZH[k] for k in r.kinds)})
    return render_template(
        "materials.html", jurisdictions=jurisdictions, jur=jur, category=category, kind=kind,
        chosen=chosen, items=items, forms_here=forms_here, rule_set=rule_set,
        categories=rules.CATEGORY_ZH, kinds=rules.KIND_ZH, **_page_helpers())


def form_of_material(title: str, specs: list[FormSpec]) -> FormSpec | None:
    """The form a material is (《工伤保险定点服务机构申请表》（附件1）: the 附件1 form)."""
    for s in specs:
        if s.title in title:
            return s
    for s in specs:
        if s.attachment and re.search(rf"[（(]{re.escape(s.attachment)}[)）]", title) \
                and s.kind in ("application", "commitment"):
            return s
    return None
