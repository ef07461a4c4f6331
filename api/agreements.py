"""``/api/agreements``: the service agreements, filled with the parties and ready to sign."""

from __future__ import annotations

from urllib.parse import quote

import marshmallow as ma
from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import fields as mf
from werkzeug.exceptions import UnsupportedMediaType

from .render import MIMETYPES, parse_json
from .schemas import ErrorSchema, FormatQuerySchema

bp = Blueprint("agreements", __name__, url_prefix="/api/agreements",
               description="服务协议：按协议双方信息生成待签署的 PDF 或 DOCX / service agreements "
                           "filled with the parties, as PDF or DOCX ready to sign")


class AgreementSummarySchema(ma.Schema):
    class Meta:
        ordered = True

    id = mf.String(metadata={"description": "协议文本编号 / text id (shanxi-medical)"})
    jurisdiction = mf.String()
    category = mf.String(metadata={"description": "medical, rehab or assistive"})
    title = mf.String()
    attachment = mf.String()
    document = mf.String(metadata={"description": "文件文号 / document number"})
    version = mf.String()
    valid_from = mf.Date()
    valid_to = mf.Date(allow_none=True)
    spec_hash = mf.String(metadata={"description": "sha256 of the text source"})
    articles = mf.Integer(metadata={"description": "条数 / number of articles"})


def _binary(description: str) -> dict:
    return {"description": description,
            "content": {MIMETYPES[f]: {"schema": {"type": "string", "format": "binary"}}
                        for f in ("pdf", "docx")}}


_PARTIES_EXAMPLE = {
    "party_a": {"name": "太原市社会保险中心", "representative": "张三",
                "address": "山西省太原市小店区长治路 123 号", "postcode": "030001",
                "telephone": "0351-4123456"},
    "party_b": {"name": "太原市第一人民医院", "representative": "李四",
                "address": "山西省太原市迎泽区迎泽大街 1 号", "postcode": "030002",
                "telephone": "13812345678", "signed_on": "2024-07-01"},
    "city": "太原",
    "term_years": 1,
}


@bp.route("")
@bp.response(200, AgreementSummarySchema(many=True))
def list_agreements():
    """所有协议文本 / every agreement text"""
    from generator.agreement import all_agreements

    return [{"id": t.id, "jurisdiction": t.jurisdiction, "category": t.category,
             "title": t.title, "attachment": t.attachment, "document": t.source.document,
             "version": t.version, "valid_from": t.valid_from, "valid_to": t.valid_to,
             "spec_hash": t.spec_hash, "articles": sum(1 for _ in t.articles())}
            for t in all_agreements()]


def _disposition(text, typed, fmt: str) -> str:
    from generator.agreement import safe_stem

    name = text.title
    if typed is not None:
        name += "-" + safe_stem(typed["party_b"]["name"])
    return (f'attachment; filename="{text.id}.{fmt}"; '
            f"filename*=UTF-8''{quote(f'{name}.{fmt}', safe='')}")


@bp.route("/<jurisdiction>/<category>", methods=["POST"])
@bp.arguments(FormatQuerySchema, location="query", as_kwargs=True)
@bp.doc(
    requestBody={
        "required": False,
        "description": "协议双方信息；空请求体得到空白协议（手写填写）。 / The party data; an "
                       "empty body gives a blank agreement to fill by hand.",
        "content": {"application/json": {"schema": {"type": "object"},
                                          "example": _PARTIES_EXAMPLE}},
    },
    responses={"200": _binary("服务协议 / the agreement")},
)
@bp.alt_response(400, schema=ErrorSchema, description="请求体不是 JSON / the body is not JSON")
@bp.alt_response(413, schema=ErrorSchema, description="请求体过大 / body too large")
@bp.alt_response(415, schema=ErrorSchema, description="不是 JSON / not JSON")
@bp.alt_response(422, schema=ErrorSchema,
                 description="未知的地区或类别，或协议双方信息有误，details 逐项说明 / unknown "
                             "jurisdiction or category, or bad party data; details names each "
                             "field")
def render_agreement(jurisdiction: str, category: str, format: str):  # noqa: A002
    """生成服务协议 / render a service agreement

    ``party_a`` (甲方, the agency) and ``party_b`` (乙方, the institution) each need
    ``name``, ``representative`` (法定代表人或委托代理人), ``address``, ``postcode``
    (six digits) and ``telephone``; ``signed_on`` (YYYY-MM-DD) is optional.  ``city``
    (the plaque's 山西省（**市）) and ``term_years`` (1 or 2) are optional.
    """
    from generator.agreement import get_agreement, render_typed, validate_parties

    text = get_agreement(jurisdiction, category)
    raw = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413
    typed = None
    if raw.strip():
        if not request.is_json:
            raise UnsupportedMediaType()
        typed = validate_parties(text, parse_json(raw, "请求体", "the request body"))
    data = render_typed(text, typed, format)
    resp = Response(data, mimetype=MIMETYPES[format])
    resp.headers["Content-Disposition"] = _disposition(text, typed, format)
    # a filled agreement carries the parties' data: no cache keeps it
    resp.headers["Cache-Control"] = "no-store" if typed is not None else "no-cache"
    return resp
