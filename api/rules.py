"""``/api/rules``, ``POST /api/validate``, ``GET /api/deadline``: rules, validation, deadlines.

The views answer with exactly the JSON the command line prints with ``--json``: both call
the same functions (``api.cli_rules``), and the marshmallow schemas below document that
JSON in the OpenAPI document without reshaping it.  Bad input is an ``InputInvalid``
(HTTP 422, the one error shape of api/errors.py).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import jsonify, request
from flask_smorest import Blueprint
from marshmallow import fields as mf
from marshmallow import validate as mv

from forms import FieldProblem, InputInvalid
from rules import OUTCOMES

from .cli_rules import API_NAMES, deadline_result, facts_listing, load_facts, rules_listing
from .schemas import ErrorSchema

bp = Blueprint("rules", __name__, url_prefix="/api",
               description="规则、校验与期限 / rules, validation and deadlines")


class _Ordered(ma.Schema):
    class Meta:
        ordered = True


# -- documented shapes ----------------------------------------------------------------------

class ReferenceSchema(_Ordered):
    jurisdiction = mf.String()
    key = mf.String(metadata={"description": "条款的规范名 / the article's key"})
    exact = mf.Boolean(metadata={"description": "条款完全找到 / resolved to the end"})
    url = mf.String(metadata={"description": "GET 此地址得条文全文 / GET it for the full text"})


class CitationSchema(_Ordered):
    document = mf.String(metadata={"description": "文号（无文号时为文件标题）/ document number"})
    article = mf.String(metadata={"description": "条款项目 / article and item"})
    quote = mf.String(metadata={"description": "原文摘录 / the seed's words"})
    reference = mf.Nested(ReferenceSchema, allow_none=True,
                          metadata={"description": "条文所在 / where the article opens "
                                                   "(xieyi rules cite, /api/sources/…)"})


class DocumentSchema(_Ordered):
    jurisdiction = mf.String()
    name = mf.String()
    number = mf.String()
    title = mf.String()
    seed = mf.String()
    issued = mf.String(allow_none=True)
    valid_from = mf.String()
    valid_to = mf.String(allow_none=True)
    validity_quote = mf.String()
    validity_note = mf.String(allow_none=True)


class RuleSchema(_Ordered):
    id = mf.String()
    jurisdiction = mf.String()
    kind = mf.String(metadata={"description": "eligibility, exclusion, ban, pass_mark, material, "
                                              "term, suspension, renewal, termination"})
    kind_zh = mf.String()
    categories = mf.List(mf.String())
    kinds = mf.List(mf.String())
    title = mf.String()
    fact = mf.String(allow_none=True, metadata={"description": "所读事实（组合条件时为空）"})
    op = mf.String(allow_none=True, metadata={"description": "比较（组合条件时为空）"})
    threshold = mf.Raw(allow_none=True)
    unit = mf.String(allow_none=True)
    condition = mf.Raw(allow_none=True)
    when = mf.Raw(allow_none=True)
    advisory = mf.Boolean(metadata={"description": "原则上：不符合时不影响结论"})
    strength = mf.String(validate=mv.OneOf(("binding", "advisory")),
                         metadata={"description": "binding（约束性）或 advisory（原则性）"})
    strength_zh = mf.String()
    material = mf.String(allow_none=True)
    note = mf.String(allow_none=True)
    citation = mf.Nested(CitationSchema)
    also = mf.List(mf.Nested(CitationSchema))
    valid_from = mf.String()
    valid_to = mf.String(allow_none=True)
    requirement_zh = mf.String()


class StepSchema(_Ordered):
    id = mf.String()
    jurisdiction = mf.String()
    name = mf.String()
    from_event = mf.String()
    count = mf.Integer(allow_none=True)
    unit = mf.String(metadata={"description": "working_days, days, months, years, fixed"})
    direction = mf.String()
    bound = mf.String(metadata={"description": "deadline, period, minimum, limit, ban"})
    bound_zh = mf.String()
    fixed = mf.Raw(allow_none=True)
    note = mf.String(allow_none=True)
    citation = mf.Nested(CitationSchema)
    valid_from = mf.String()
    valid_to = mf.String(allow_none=True)


class RuleSetSchema(_Ordered):
    jurisdiction = mf.String()
    jurisdiction_name = mf.String()
    document = mf.Nested(DocumentSchema)
    kinds = mf.List(mf.String())
    rules = mf.List(mf.Nested(RuleSchema))
    steps = mf.List(mf.Nested(StepSchema))


class FactDefSchema(_Ordered):
    id = mf.String()
    label = mf.String()
    type = mf.String()
    unit = mf.String(allow_none=True)
    description = mf.String()
    minimum = mf.Float(allow_none=True)
    maximum = mf.Float(allow_none=True)
    choices = mf.List(mf.Dict())


class FactsListingSchema(_Ordered):
    facts = mf.List(mf.Nested(FactDefSchema))
    violation_types = mf.List(mf.Dict())


class ValiditySchema(_Ordered):
    document = mf.String()
    title = mf.String()
    jurisdiction = mf.String()
    jurisdiction_name = mf.String()
    valid_from = mf.String()
    valid_to = mf.String(allow_none=True)
    validity_quote = mf.String()
    validity_note = mf.String(allow_none=True)
    on = mf.String()
    in_force = mf.Boolean()
    validity = mf.String(metadata={"description": "in_force, not_yet_in_force, expired"})
    message_zh = mf.String()
    message_en = mf.String()


class FindingSchema(_Ordered):
    rule = mf.String()
    kind = mf.String()
    kind_zh = mf.String()
    title = mf.String()
    status = mf.String(metadata={"description": "pass, fail, unknown"})
    status_zh = mf.String()
    advisory = mf.Boolean()
    fact = mf.String(allow_none=True)
    facts = mf.List(mf.String())
    op = mf.String()
    required = mf.Raw(allow_none=True, metadata={"description": "要求的值 / the threshold"})
    requirement_zh = mf.String()
    actual = mf.Raw(allow_none=True, metadata={"description": "实际的值 / the measured value"})
    unit = mf.String(allow_none=True)
    source = mf.Raw(allow_none=True, metadata={"description": "实际值的来源 / where it was read"})
    detail_zh = mf.String()
    citation = mf.Nested(CitationSchema)
    also = mf.List(mf.Nested(CitationSchema))
    note = mf.String(allow_none=True)


class ValidationSchema(_Ordered):
    jurisdiction = mf.String()
    jurisdiction_name = mf.String()
    category = mf.String()
    category_zh = mf.String()
    kinds = mf.List(mf.String())
    on = mf.String()
    on_source = mf.String()
    rule_set = mf.Nested(ValiditySchema)
    outcome = mf.String(validate=mv.OneOf(OUTCOMES), metadata={
        "description": "结论，按此顺序取第一个成立的 / the first that holds: " + ", ".join(OUTCOMES)})
    outcome_label_zh = mf.String(metadata={"description": "结论的名称 / the outcome's label"})
    outcome_zh = mf.String(metadata={"description": "结论全文（缘由、材料、期限）/ in full"})
    outcome_en = mf.String()
    rules_outcome = mf.String(validate=mv.OneOf(OUTCOMES), metadata={
        "description": "不论文件是否有效，规则本身的结论（文件失效时仅供参考）"})
    rules_outcome_zh = mf.String()
    summary = mf.Dict(keys=mf.String(), values=mf.Integer())
    failing_rules = mf.List(mf.String())
    advisory_failures = mf.List(mf.String())
    procedure_failures = mf.List(mf.String(), metadata={
        "description": "经办程序规则的不符合（不影响申请机构的结论）/ the agency's procedure"})
    undecided_rules = mf.List(mf.String())
    missing_facts = mf.List(mf.Dict())
    findings = mf.List(mf.Nested(FindingSchema))
    materials = mf.Dict(metadata={"description": "complete, items (findings), to_provide"})
    supplement = mf.Dict(metadata={"description": "需补正：required, items, deadline（工作日，"
                                                  "依据）, deadline_zh / what to supply, by when"})
    manual_checks = mf.List(mf.Dict(), metadata={
        "description": "需人工核查的条件（申请材料不能证明），附依据 / checked by a person"})
    checks = mf.List(mf.Dict(), metadata={"description": "表单一致性检查 / the form's checks"})
    not_applicable = mf.List(mf.Dict())
    not_checked = mf.List(mf.Dict())
    facts = mf.Dict(metadata={"description": "用到的事实、值与来源 / facts, values, sources"})
    provisional = mf.Boolean()
    warnings = mf.List(mf.String())


class DayInfoSchema(_Ordered):
    date = mf.String()
    weekday = mf.String()
    reason = mf.String(allow_none=True)
    official = mf.Boolean(metadata={"description": "该年官方放假安排已知 / official calendar"})


class DeadlineSchema(_Ordered):
    jurisdiction = mf.String(allow_none=True)
    jurisdiction_name = mf.String(allow_none=True)
    step = mf.String(allow_none=True)
    step_name = mf.String(allow_none=True)
    from_event = mf.String(allow_none=True)
    bound = mf.String()
    bound_zh = mf.String()
    from_ = mf.String(data_key="from")
    count = mf.Integer(allow_none=True)
    unit = mf.String()
    unit_zh = mf.String()
    direction = mf.String()
    due = mf.String()
    due_weekday = mf.String()
    last_day_before_moving = mf.String(allow_none=True)
    skipped = mf.List(mf.Nested(DayInfoSchema))
    makeup_workdays = mf.List(mf.Nested(DayInfoSchema))
    provisional = mf.Boolean()
    warnings = mf.List(mf.String())
    warnings_en = mf.List(mf.String())
    fixed = mf.Raw(allow_none=True)
    explanation_zh = mf.String()
    note = mf.String(allow_none=True)
    citation = mf.Nested(CitationSchema, allow_none=True)
    rule_set = mf.Nested(ValiditySchema, allow_none=True)


# -- inputs ---------------------------------------------------------------------------------

class RulesQuerySchema(ma.Schema):
    jurisdiction = mf.String(metadata={"description": "jilin, tianjin, jingdezhen, shanxi, hunan"})
    category = mf.String(metadata={"description": "medical, rehab, assistive"})


class ValidateRequestSchema(_Ordered):
    jurisdiction = mf.String(required=True)
    category = mf.String(required=True)
    kind = mf.String(allow_none=True)
    on = mf.String(allow_none=True, metadata={"description": "YYYY-MM-DD；缺省为申请日期"})
    facts = mf.Dict(allow_none=True, metadata={"description": "档案：事实编号 → 值"})
    form = mf.String(allow_none=True, metadata={"description": "表单编号 / form id"})
    record = mf.Dict(allow_none=True, metadata={"description": "该表单的记录 / the form record"})


class ValidatePdfQuerySchema(ma.Schema):
    jurisdiction = mf.String(required=True)
    category = mf.String(required=True)
    kind = mf.String()
    on = mf.String()


class DeadlineQuerySchema(ma.Schema):
    jurisdiction = mf.String()
    step = mf.String()
    working_days = mf.String(metadata={"description": "工作日数（不与 step 同用）"})
    from_ = mf.String(required=True, data_key="from", metadata={"description": "YYYY-MM-DD"})


_MESSAGES = {
    "Unknown field.": ("unknown", "不认识的键", "unknown key"),
    "Missing data for required field.": ("required", "缺少必填项", "missing required value"),
    "Not a valid string.": ("type_text", "应为文字", "must be text"),
    "Not a valid mapping type.": ("type_object", "应为 JSON 对象", "must be a JSON object"),
    "Field may not be null.": ("null", "不能为空", "may not be null"),
}


def _load(schema: ma.Schema, data: Any, what_zh: str, what_en: str) -> dict:
    """Load with a schema; its messages as one InputInvalid naming each key."""
    if not isinstance(data, dict):
        raise InputInvalid(f"{what_zh}应为一个 JSON 对象", f"{what_en} must be a JSON object")
    try:
        return schema.load(data)
    except ma.ValidationError as e:
        problems = []
        for key, msgs in sorted(e.messages.items()):
            for m in msgs if isinstance(msgs, list) else [msgs]:
                code, zh, en = _MESSAGES.get(str(m), ("invalid", str(m), str(m)))
                problems.append(FieldProblem(key, code, f"{key}：{zh}", f"{key}: {en}"))
        raise InputInvalid(f"{what_zh}有 {len(problems)} 处错误",
                           f"{what_en} has {len(problems)} error(s)", problems) from None


# -- views ------------------------------------------------------------------------------------

_422 = {"schema": ErrorSchema,
        "description": "输入有误（未知的地区、类别、类别、步骤或事实，日期无效，负数…）"
                       " / bad input"}


@bp.route("/rules")
@bp.arguments(RulesQuerySchema, location="query", as_kwargs=True)
@bp.alt_response(200, schema=RuleSetSchema(many=True), success=True,
                 description="各地的规则与期限步骤 / each jurisdiction's rules and steps")
@bp.alt_response(422, **_422)
def list_rules(jurisdiction: str | None = None, category: str | None = None):
    """规则一览 / the rules

    Each jurisdiction's document (number, validity), its rules (for ``category`` if given)
    with fact, operator, threshold, unit and citation, and its timed steps.
    """
    return jsonify(rules_listing(jurisdiction, category))


@bp.route("/rules/facts")
@bp.alt_response(200, schema=FactsListingSchema, success=True,
                 description="规则读取的事实 / the facts rules read")
def list_facts():
    """事实一览 / the facts

    Every fact a rule reads: id, Chinese label, type, unit, meaning; and the types of
    ``violations`` entries.
    """
    return jsonify(facts_listing())


@bp.route("/validate", methods=["POST"])
@bp.doc(requestBody={
    "required": True,
    "description": "JSON：{jurisdiction, category, kind?, on?, facts?, form?, record?}"
                   "——档案（facts）、表单记录（form + record）或两者。或以 application/pdf 提交"
                   "填好的 PDF，jurisdiction、category、kind、on 放在查询参数中。"
                   " / JSON with a profile (facts), a form record (form + record) or both; or "
                   "a filled PDF as application/pdf with the parameters in the query.",
    "content": {"application/json": {"schema": ValidateRequestSchema},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}}},
})
@bp.alt_response(200, schema=ValidationSchema, success=True,
                 description="检查结果 / the validation report")
@bp.alt_response(400, schema=ErrorSchema, description="请求体不是 JSON / the body is not JSON")
@bp.alt_response(415, schema=ErrorSchema, description="不是 JSON 或 PDF / neither JSON nor PDF")
@bp.alt_response(422, **_422)
def validate_input():
    """按规则检查 / validate a profile, a form record or a filled PDF

    Outcome (eligible, ineligible, incomplete), findings (rule, status, citation,
    required, actual, unit, source), materials still to provide, the form's consistency
    checks, and whether the rule set was in force on the date.
    """
    from rules import check_category, facts_from_document, get_rule_set, validate

    from .render import MediaTypeUnsupported, parse_json

    raw = request.get_data(cache=False)
    if request.mimetype == "application/pdf":
        q = _load(ValidatePdfQuerySchema(), request.args.to_dict(), "查询参数",
                  "the query parameters")
        get_rule_set(q["jurisdiction"])
        check_category(q["category"])
        facts = load_facts(raw, "PDF", q["category"])
        return jsonify(validate(facts, q["jurisdiction"], q["category"], q.get("kind"),
                                q.get("on"), channel="http"))
    if not request.is_json:
        raise MediaTypeUnsupported("application/json", "application/pdf")
    body = _load(ValidateRequestSchema(), parse_json(raw, "请求体", "the request body"),
                 "请求体", "the request body")
    get_rule_set(body["jurisdiction"])
    check_category(body["category"])
    doc = {k: body[k] for k in ("form", "record", "facts") if body.get(k) is not None}
    if not doc:
        raise InputInvalid("请求体应含 facts（档案）或 form 与 record（表单记录）",
                           "the body needs facts (a profile) or form and record (a form record)")
    if "facts" in doc and "form" not in doc and "record" not in doc:
        doc = {"facts": doc["facts"]}
    facts = facts_from_document(doc, body["category"])
    return jsonify(validate(facts, body["jurisdiction"], body["category"], body.get("kind"),
                            body.get("on"), channel="http"))


@bp.route("/deadline")
@bp.arguments(DeadlineQuerySchema, location="query")
@bp.alt_response(200, schema=DeadlineSchema, success=True,
                 description="截止日与跳过的休息日 / the due date and the days skipped")
@bp.alt_response(422, **_422)
def deadline(q: dict):
    """计算期限 / a deadline

    ``jurisdiction`` and ``step`` (a timed step of that jurisdiction's document), or
    ``working_days``, counted from ``from`` (not counted itself).  ``provisional`` is
    true, with a warning, when the count runs into a year whose official holiday
    calendar is not known.
    """
    return jsonify(deadline_result(q.get("jurisdiction"), q.get("step"), q.get("working_days"),
                                   q["from_"], API_NAMES))
