"""``/api/forms``: the forms, their descriptions, blank and pre-filled renderings."""

from __future__ import annotations

from flask import Response, request
from flask_smorest import Blueprint
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.routing import BaseConverter

from forms import all_forms, get_form

from .render import MIMETYPES, content_disposition, parse_json, render
from .schemas import (
    ErrorSchema,
    FormDescriptionSchema,
    FormSummarySchema,
    RenderQuerySchema,
    TypingFontQuerySchema,
    description_data,
    summary_data,
)

bp = Blueprint("forms", __name__, url_prefix="/api/forms",
               description="表单：列表、说明、空白表与预填表 / forms: list, description, "
                           "blank and pre-filled renderings")


class FormIdConverter(BaseConverter):
    """A form id in a path: anything but a slash or a dot (``<id>.pdf`` stays apart)."""

    regex = r"[^/.]+"


def form_id_param(converter: BaseConverter) -> dict:
    return {"type": "string", "pattern": r"^[a-z]+-[a-z0-9-]+$",
            "example": "jingdezhen-application"}


def _binary(description: str, *fmts: str) -> dict:
    return {"description": description,
            "content": {MIMETYPES[f]: {"schema": {"type": "string", "format": "binary"}}
                        for f in fmts}}


_NOT_FOUND = {"schema": ErrorSchema, "description": "未知的表单 / unknown form"}


def file_response(spec, fmt: str, data: bytes, *, store: bool) -> Response:
    resp = Response(data, mimetype=MIMETYPES[fmt])
    resp.headers["Content-Disposition"] = content_disposition(spec, fmt)
    # a pre-filled form carries someone's data: no cache keeps it
    resp.headers["Cache-Control"] = "no-cache" if store else "no-store"
    return resp


@bp.route("")
@bp.response(200, FormSummarySchema(many=True))
def list_forms():
    """所有表单 / every form

    Ordered by jurisdiction, then id.
    """
    return [summary_data(s) for s in all_forms()]


@bp.route("/<formid:form_id>")
@bp.response(200, FormDescriptionSchema)
@bp.alt_response(404, **_NOT_FOUND)
def show_form(form_id: str):
    """表单说明 / a form's description

    Identity, source, version, validity and every field (id, label, type, unit,
    choices, required…): what a record for the form may hold.
    """
    return description_data(get_form(form_id))


@bp.route("/<formid:form_id>.pdf")
@bp.arguments(TypingFontQuerySchema, location="query", as_kwargs=True)
@bp.doc(responses={"200": _binary("空白的可填写 PDF / the blank fillable PDF", "pdf")})
@bp.alt_response(404, **_NOT_FOUND)
@bp.alt_response(422, schema=ErrorSchema, description="参数不对 / a bad parameter")
def blank_pdf(form_id: str, typing_font: str):
    """空白 PDF / the blank form as a fillable PDF"""
    spec = get_form(form_id)
    return file_response(spec, "pdf", render(spec, "pdf", typing_font=typing_font), store=True)


@bp.route("/<formid:form_id>.docx")
@bp.doc(responses={"200": _binary("空白的 Word 文档 / the blank DOCX", "docx")})
@bp.alt_response(404, **_NOT_FOUND)
def blank_docx(form_id: str):
    """空白 DOCX / the blank form as a Word document"""
    spec = get_form(form_id)
    return file_response(spec, "docx", render(spec, "docx"), store=True)


@bp.route("/<formid:form_id>/render", methods=["POST"])
@bp.arguments(RenderQuerySchema, location="query", as_kwargs=True)
@bp.doc(
    requestBody={
        "required": False,
        "description": "表单记录：键为字段 id（见表单说明的 fields），可只填一部分；"
                       "空请求体得到空白表。每个表单的记录结构见 components.schemas 中的 "
                       "Record_<表单 id>。 / A record keyed by field id (see the description's "
                       "fields); any field may be left out; an empty body gives the blank form. "
                       "Each form's record is components.schemas.Record_<form id>.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    responses={"200": _binary("预填的表 / the pre-filled form", "pdf", "docx")},
)
@bp.alt_response(400, schema=ErrorSchema, description="请求体不是 JSON / the body is not JSON")
@bp.alt_response(404, **_NOT_FOUND)
@bp.alt_response(413, schema=ErrorSchema, description="请求体过大 / body too large")
@bp.alt_response(415, schema=ErrorSchema, description="不是 JSON / not JSON")
@bp.alt_response(422, schema=ErrorSchema,
                 description="记录不合表单，details 逐项说明 / the record does not fit the form; "
                             "details names each field")
def render_form(form_id: str, format: str,  # noqa: A002 - the query parameter's name
                typing_font: str):
    """预填表单 / render a form pre-filled with a record

    The record is checked against the schema derived from the form's
    description: unknown keys, wrong types, text too long, a choice the form
    does not offer are each reported in ``details`` (HTTP 422).
    """
    spec = get_form(form_id)
    raw = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413
    data = None
    if raw.strip():
        if not request.is_json:
            raise UnsupportedMediaType()
        data = parse_json(raw, "请求体", "the request body")
    return file_response(spec, format, render(spec, format, data, typing_font), store=False)
