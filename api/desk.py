"""The review desk over HTTP: ``/api/tokens``, ``/api/users``, ``/api/institutions``,
``/api/cases``, ``/api/documents``, ``/api/audit``.

Every route but ``POST /api/tokens`` needs ``Authorization: Bearer <token>`` (401 without
one); what each role may do and see is decided by ``desk`` itself (403 for an action the
role may not take, 404 for a case the user may not see, exactly as for one that does not
exist).  Bodies are checked against their schemas (unknown keys refused, 422 naming each
field); the answers are the desk's own dicts, described below field by field.
"""

from __future__ import annotations

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import fields as mf
from marshmallow import validate as mv

from desk import ROLES, STATUSES
from forms import InputInvalid
from rules import CATEGORIES, JURISDICTIONS, KINDS

from .parse import FileMissing
from .schemas import ErrorSchema, _Ordered

bp = Blueprint("desk", __name__, url_prefix="/api",
               description="审查台：案件、文件、更正、决定、审计 / the review desk")

SECURITY = [{"bearerAuth": []}]
#: database ids: a number outside is refused as input, never sent to the driver
ID = mv.Range(min=1, max=2**31 - 1)


# ---------------------------------------------------------------- schemas

class TokenRequestSchema(_Ordered):
    name = mf.String(required=True, metadata={"description": "账户名 / account name"})
    password = mf.String(required=True, load_only=True)
    label = mf.String(load_default="api", validate=mv.Length(max=100),
                      metadata={"description": "令牌用途 / what the token is for"})


class UserSchema(_Ordered):
    id = mf.Integer()
    name = mf.String()
    role = mf.String(validate=mv.OneOf(ROLES))
    institution_id = mf.Integer(allow_none=True)
    jurisdiction = mf.String(allow_none=True, validate=mv.OneOf(JURISDICTIONS))
    active = mf.Boolean()
    locked = mf.Boolean()
    created_at = mf.String()


class TokenSchema(_Ordered):
    token = mf.String(metadata={"description": "只显示这一次 / shown this once"})
    expires_at = mf.String()
    user = mf.Nested(UserSchema)


class UserCreateSchema(_Ordered):
    name = mf.String(required=True, validate=mv.Length(min=1, max=100))
    role = mf.String(required=True, validate=mv.OneOf(ROLES))
    institution_id = mf.Integer(load_default=None, allow_none=True, validate=ID)
    jurisdiction = mf.String(load_default=None, allow_none=True,
                             validate=mv.OneOf(JURISDICTIONS))
    password = mf.String(load_default=None, allow_none=True, load_only=True,
                         validate=mv.Length(min=10, max=200),
                         metadata={"description": "不给则生成一个，只显示一次"})


class NewUserSchema(_Ordered):
    user = mf.Nested(UserSchema)
    password = mf.String(metadata={"description": "初始密码，只显示这一次"})


class InstitutionCreateSchema(_Ordered):
    name = mf.String(required=True, validate=mv.Length(min=1, max=200))
    credit_code = mf.String(required=True, metadata={"description": "统一社会信用代码（18 位，校验码）"})
    category = mf.String(required=True, validate=mv.OneOf(CATEGORIES))
    jurisdiction = mf.String(required=True, validate=mv.OneOf(JURISDICTIONS))
    sub_kind = mf.String(load_default=None, allow_none=True, validate=mv.OneOf(KINDS),
                         metadata={"description": "辅助器具配置机构的类型"})


class InstitutionSchema(_Ordered):
    id = mf.Integer()
    name = mf.String()
    credit_code = mf.String()
    category = mf.String(validate=mv.OneOf(CATEGORIES))
    sub_kind = mf.String(allow_none=True, validate=mv.OneOf(KINDS))
    jurisdiction = mf.String(validate=mv.OneOf(JURISDICTIONS))
    created_at = mf.String()


class CaseCreateSchema(_Ordered):
    institution_id = mf.Integer(required=True, validate=ID)


class CaseDocumentSummarySchema(_Ordered):
    id = mf.Integer()
    case_id = mf.Integer()
    slot = mf.String(metadata={"description": "表单编号、material:<名称> 或 agreement:signed"})
    version = mf.Integer()
    filename = mf.String()
    sha256 = mf.String()
    size = mf.Integer()
    uploaded_by = mf.String()
    uploaded_at = mf.String()
    state = mf.String(validate=mv.OneOf(("stored", "read", "unreadable")))
    error = mf.Dict(allow_none=True, metadata={"description": "读取失败的原因（错误的形状）"})
    outcome = mf.String(allow_none=True, metadata={"description": "条件审查的结论"})


class CorrectionSchema(_Ordered):
    id = mf.Integer()
    field = mf.String()
    parsed = mf.Raw(allow_none=True, metadata={"description": "读出的原值"})
    corrected = mf.Raw(allow_none=True)
    by = mf.String()
    at = mf.String()
    reason = mf.String()


class CaseDocumentSchema(CaseDocumentSummarySchema):
    result = mf.Dict(allow_none=True, metadata={"description": "读取结果（同 POST /api/parse）"})
    record = mf.Dict(allow_none=True, metadata={"description": "更正后的记录"})
    corrections = mf.List(mf.Nested(CorrectionSchema))
    report = mf.Dict(allow_none=True, metadata={"description": "条件审查（同 POST /api/validate）"})


class EventSchema(_Ordered):
    from_ = mf.String(data_key="from", allow_none=True, validate=mv.OneOf(STATUSES))
    to = mf.String(validate=mv.OneOf(STATUSES))
    actor = mf.String()
    at = mf.String()
    reason = mf.String(allow_none=True)
    items = mf.List(mf.Raw(), allow_none=True)
    deadline = mf.String(allow_none=True)


class CaseSummarySchema(_Ordered):
    id = mf.Integer()
    institution = mf.Nested(InstitutionSchema)
    jurisdiction = mf.String(validate=mv.OneOf(JURISDICTIONS))
    category = mf.String(validate=mv.OneOf(CATEGORIES))
    status = mf.String(validate=mv.OneOf(STATUSES))
    status_zh = mf.String()
    opened_at = mf.String()
    updated_at = mf.String()
    deadline = mf.String(allow_none=True, metadata={"description": "下一个期限（工作日计算）"})
    deadline_step = mf.Dict(allow_none=True, metadata={"description": "期限的依据与说明"})
    version = mf.Integer(metadata={"description": "每次状态变化加一；转换时可带上以防并发覆盖"})
    allowed = mf.List(mf.String(validate=mv.OneOf(STATUSES)),
                      metadata={"description": "当前用户可转到的状态"})


class CaseSchema(CaseSummarySchema):
    documents = mf.List(mf.Nested(CaseDocumentSummarySchema), metadata={"description": "各文件的最新版本"})
    versions = mf.List(mf.Nested(CaseDocumentSummarySchema), metadata={"description": "全部版本"})
    events = mf.List(mf.Nested(EventSchema))


class CaseListQuerySchema(_Ordered):
    status = mf.String(validate=mv.OneOf(STATUSES))
    jurisdiction = mf.String(validate=mv.OneOf(JURISDICTIONS))
    deadline_before = mf.Date(metadata={"description": "期限早于此日 / deadline before"})
    page = mf.Integer(load_default=1, validate=mv.Range(min=1, max=100000))
    per_page = mf.Integer(load_default=20, validate=mv.Range(min=1, max=100))


class _PageSchema(_Ordered):
    """A page of a list: how many in all, which page, how many a page."""

    total = mf.Integer()
    page = mf.Integer()
    per_page = mf.Integer()


class CaseListSchema(_PageSchema):
    items = mf.List(mf.Nested(CaseSummarySchema))


class TransitionSchema(_Ordered):
    to = mf.String(required=True, validate=mv.OneOf(STATUSES))
    reason = mf.String(load_default=None, allow_none=True, validate=mv.Length(max=2000))
    items = mf.List(mf.Raw(), load_default=None, allow_none=True, metadata={
        "description": "退回补正：需补正的事项（字符串）；不予通过：{reason, article}"})
    working_days = mf.Integer(load_default=None, allow_none=True,
                              validate=mv.Range(min=1, max=60),
                              metadata={"description": "文件未规定补正期限时的工作日数"})
    version = mf.Integer(load_default=None, allow_none=True, validate=ID,
                         metadata={"description": "所见的案件版本；已被他人修改则 409"})


class CorrectionRequestSchema(_Ordered):
    field = mf.String(required=True)
    value = mf.Raw(required=True, allow_none=True)
    reason = mf.String(required=True, validate=mv.Length(min=1, max=2000))


class AuditQuerySchema(_Ordered):
    object_type = mf.String(validate=mv.OneOf(("institution", "case", "document", "user",
                                               "token")))
    object_id = mf.String()
    page = mf.Integer(load_default=1, validate=mv.Range(min=1, max=100000))
    per_page = mf.Integer(load_default=50, validate=mv.Range(min=1, max=500))


class AuditEntrySchema(_Ordered):
    id = mf.Integer()
    at = mf.String()
    actor = mf.String()
    role = mf.String()
    address = mf.String(allow_none=True)
    action = mf.String()
    object_type = mf.String()
    object_id = mf.String()
    before = mf.Dict(allow_none=True)
    after = mf.Dict(allow_none=True)
    hash = mf.String()


class AuditListSchema(_PageSchema):
    items = mf.List(mf.Nested(AuditEntrySchema))


class BrokenSchema(_Ordered):
    id = mf.Integer()
    reason_zh = mf.String()
    reason_en = mf.String()


class AuditVerifySchema(_Ordered):
    entries = mf.Integer()
    ok = mf.Boolean()
    broken = mf.Nested(BrokenSchema, allow_none=True)


# ---------------------------------------------------------------- the desk and the caller

def desk():
    """The app's desk, opened on first use (a service whose database is not migrated
    answers 503 with the command that fixes it)."""
    d = current_app.extensions.get("xieyi-desk")
    if d is None:
        from desk import Desk, DeskSettings

        d = Desk(DeskSettings.from_mapping(current_app.config))
        current_app.extensions["xieyi-desk"] = d
    return d


def actor():
    from desk import Unauthenticated

    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("请先登录：在请求头 Authorization: Bearer <令牌> 中给出令牌"
                              "（POST /api/tokens 取得）",
                              "log in first: send Authorization: Bearer <token> (from POST "
                              "/api/tokens)")
    return desk().actor_for_token(token.strip(), request.remote_addr)


_401 = {"schema": ErrorSchema, "description": "未登录或令牌无效 / not logged in"}
_403 = {"schema": ErrorSchema, "description": "角色无权 / the role may not"}
_404 = {"schema": ErrorSchema, "description": "不存在或无权查看 / no such object (or not yours)"}
_409 = {"schema": ErrorSchema, "description": "状态不允许或已被他人修改 / not allowed now"}
_422 = {"schema": ErrorSchema, "description": "请求不合要求 / invalid request"}


def _errors(*codes: int):
    table = {401: _401, 403: _403, 404: _404, 409: _409, 422: _422}

    def wrap(f):
        for c in codes:
            f = bp.alt_response(c, **table[c])(f)
        return f

    return wrap


# ---------------------------------------------------------------- routes

@bp.route("/tokens", methods=["POST"])
@bp.arguments(TokenRequestSchema)
@bp.response(201, TokenSchema)
@bp.alt_response(401, schema=ErrorSchema, description="账户名或密码不对 / wrong name or password")
@bp.alt_response(429, schema=ErrorSchema, description="连续输错，账户已锁定 / locked")
@_errors(422)
def create_token(body):
    """登录，取得 API 令牌 / log in: a new API token

    连续输错密码 5 次，账户锁定 15 分钟。The token is shown once; only its hash is kept.
    """
    return desk().log_in(body["name"], body["password"], label=body["label"],
                         address=request.remote_addr)


@bp.route("/me")
@bp.response(200, UserSchema)
@bp.doc(security=SECURITY)
@_errors(401)
def me():
    """当前用户 / who is logged in"""
    return desk().whoami(actor())


@bp.route("/users", methods=["GET"])
@bp.response(200, UserSchema(many=True))
@bp.doc(security=SECURITY)
@_errors(401, 403)
def list_users():
    """账户一览（管理员）/ the accounts (admins)"""
    return desk().users(actor())


@bp.route("/users", methods=["POST"])
@bp.arguments(UserCreateSchema)
@bp.response(201, NewUserSchema)
@bp.doc(security=SECURITY)
@_errors(401, 403, 409, 422)
def create_user(body):
    """新建账户（管理员）/ add an account (admins)"""
    user, password = desk().add_user(actor(), **body)
    return {"user": user, "password": password}


@bp.route("/institutions", methods=["POST"])
@bp.arguments(InstitutionCreateSchema)
@bp.response(201, InstitutionSchema)
@bp.doc(security=SECURITY)
@_errors(401, 403, 409, 422)
def create_institution(body):
    """登记申请机构（管理员、本地区审查人员）/ register an institution"""
    return desk().register_institution(actor(), **body)


@bp.route("/cases", methods=["POST"])
@bp.arguments(CaseCreateSchema)
@bp.response(201, CaseSummarySchema)
@bp.doc(security=SECURITY)
@_errors(401, 404, 422)
def create_case(body):
    """提交申请（开案）/ open an application case"""
    return desk().open_case(actor(), body["institution_id"])


@bp.route("/cases", methods=["GET"])
@bp.arguments(CaseListQuerySchema, location="query")
@bp.response(200, CaseListSchema)
@bp.doc(security=SECURITY)
@_errors(401, 422)
def list_cases(query):
    """案件一览：期限最近的在前 / the cases, closest deadline first"""
    return desk().cases(actor(), **query)


@bp.route("/cases/<int:case_id>")
@bp.response(200, CaseSchema)
@bp.doc(security=SECURITY)
@_errors(401, 404)
def get_case(case_id: int):
    """案件：文件、各版本、经过 / a case with its documents and history"""
    return desk().case(actor(), case_id)


@bp.route("/cases/<int:case_id>/transitions", methods=["POST"])
@bp.arguments(TransitionSchema)
@bp.response(200, CaseSchema)
@bp.doc(security=SECURITY)
@_errors(401, 403, 404, 409, 422)
def move_case(body, case_id: int):
    """改变案件状态：开始审查、退回补正、提交补正、通过、不予通过、签约 / move a case"""
    return desk().move(actor(), case_id, body["to"], reason=body["reason"],
                       items=body["items"], working_days=body["working_days"],
                       expected_version=body["version"])


@bp.route("/cases/<int:case_id>/documents", methods=["POST"])
@bp.doc(security=SECURITY, requestBody={
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file", "slot"], "additionalProperties": False,
        "properties": {
            "file": {"type": "string", "format": "binary"},
            "slot": {"type": "string", "description": "表单编号、material:<名称> 或 "
                                                      "agreement:signed"}}}}}})
@bp.response(201, CaseDocumentSchema)
@_errors(401, 404, 409, 422)
def upload_document(case_id: int):
    """上传文件：原件先保存，再读取与审查 / upload a document of the case"""
    from parser import Limits

    from .parse import MULTIPART_OVERHEAD, _limits

    a = actor()
    limits: Limits = _limits()
    try:
        request.max_content_length = limits.max_bytes + MULTIPART_OVERHEAD
    except AttributeError:
        pass
    upload = request.files.get("file")
    slot = request.form.get("slot")
    if upload is None or not slot:
        raise FileMissing("请以 multipart/form-data 上传，字段 file（文件）与 slot（文件类别）",
                          "upload as multipart/form-data with the fields file and slot")
    unknown = set(request.form) - {"slot"} | set(request.files) - {"file"}
    if unknown:
        raise InputInvalid(f"未知的字段：{'、'.join(sorted(unknown))}",
                           f"unknown fields: {', '.join(sorted(unknown))}")
    data = upload.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        from forms.errors import PdfTooLarge

        raise PdfTooLarge(f"上传的文件过大，上限 {limits.max_bytes} 字节",
                          f"the upload is too large: the limit is {limits.max_bytes} bytes")
    media = upload.mimetype or "application/octet-stream"
    return desk().attach(a, case_id, slot=slot, filename=upload.filename or "upload",
                         data=data, media_type=media[:100],
                         read=lambda b: _read(b, limits))


def _read(data: bytes, limits):
    from parser import parse_pdf

    return parse_pdf(data, limits=limits)


class PartyInSchema(_Ordered):
    name = mf.String(metadata={"description": "名称"})
    representative = mf.String(metadata={"description": "法定代表人或委托代理人"})
    address = mf.String(metadata={"description": "地址"})
    postcode = mf.String(metadata={"description": "邮政编码（6 位）"})
    telephone = mf.String(metadata={"description": "电话"})
    signed_on = mf.String(allow_none=True, metadata={"description": "签订日期 YYYY-MM-DD"})


class AgreementRequestSchema(_Ordered):
    party_a = mf.Nested(PartyInSchema, required=True, metadata={
        "description": "甲方（经办机构）/ the agency"})
    party_b = mf.Nested(PartyInSchema, load_default=None, allow_none=True, metadata={
        "description": "乙方：缺省取自申请表的机构名称、法人代表、地址、电话，此处给出的覆盖之"})
    city = mf.String(load_default=None, allow_none=True)
    term_years = mf.Integer(load_default=1, validate=mv.Range(min=1, max=5),
                            metadata={"description": "协议期限（年）"})
    format = mf.String(load_default="pdf", validate=mv.OneOf(("pdf", "docx")))


@bp.route("/cases/<int:case_id>/agreement", methods=["POST"])
@bp.arguments(AgreementRequestSchema)
@bp.response(201, CaseDocumentSchema)
@bp.doc(security=SECURITY)
@_errors(401, 403, 404, 409, 422)
def draft_agreement(body, case_id: int):
    """为通过的案件生成服务协议（审查人员）/ the agreement for an approved case"""
    return desk().draft_agreement(actor(), case_id, party_a=body["party_a"],
                                  party_b=body["party_b"], city=body["city"],
                                  term_years=body["term_years"], fmt=body["format"])


class ScoreRequestSchema(_Ordered):
    table = mf.String(required=True, metadata={
        "description": "评分表编号（本地区、本类机构的评估表，如 shanxi-eval-rehab）"})
    input = mf.Dict(required=True, metadata={
        "description": "各项评分（同 POST /api/score 的输入：items、one_vote_veto…）"})


@bp.route("/cases/<int:case_id>/scores", methods=["POST"])
@bp.arguments(ScoreRequestSchema)
@bp.response(201, CaseDocumentSchema)
@bp.doc(security=SECURITY)
@_errors(401, 403, 404, 409, 422)
def score_case(body, case_id: int):
    """评审组评分（审查人员）：合计、否决、合格线，存为已填的评分表 / score a case"""
    return desk().score_case(actor(), case_id, body["table"], body["input"])


@bp.route("/documents/<int:doc_id>")
@bp.response(200, CaseDocumentSchema)
@bp.doc(security=SECURITY)
@_errors(401, 404)
def get_document(doc_id: int):
    """文件：读取结果、更正、审查 / a document with its record, corrections, findings"""
    return desk().document(actor(), doc_id)


@bp.route("/documents/<int:doc_id>/original")
@bp.doc(security=SECURITY, responses={"200": {
    "description": "上传的原件，逐字节相同 / the upload, byte for byte",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
@_errors(401, 404)
def get_original(doc_id: int):
    """原件下载 / the original, byte for byte"""
    from urllib.parse import quote

    from flask import Response

    name, media, data = desk().original(actor(), doc_id)
    resp = Response(data, mimetype=media)
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_"
                         for c in name)
    resp.headers["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                           f"filename*=UTF-8''{quote(name, safe='')}")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/documents/<int:doc_id>/corrections", methods=["POST"])
@bp.arguments(CorrectionRequestSchema)
@bp.response(201, CaseDocumentSchema)
@bp.doc(security=SECURITY)
@_errors(401, 403, 404, 409, 422)
def correct_document(body, doc_id: int):
    """更正一个读出的值（审查人员）：原值保留，审查重算 / correct a value"""
    return desk().correct(actor(), doc_id, body["field"], body["value"], body["reason"])


@bp.route("/audit")
@bp.arguments(AuditQuerySchema, location="query")
@bp.response(200, AuditListSchema)
@bp.doc(security=SECURITY)
@_errors(401, 403, 422)
def list_audit(query):
    """审计记录（管理员、审计人员）/ the audit trail"""
    return desk().audit_entries(actor(), **query)


@bp.route("/audit/verify")
@bp.response(200, AuditVerifySchema)
@bp.doc(security=SECURITY)
@_errors(401, 403)
def verify_audit():
    """审计记录哈希链校验 / verify the audit trail's hash chain"""
    return desk().verify_audit(actor())


