"""``POST /api/parse``: a filled PDF uploaded (multipart, field ``file``), its record back.

The answer is exactly what ``xieyi parse --json`` prints (``ParseResult.to_dict``).
The file is read in a worker process under the limits of ``parser.Limits``, set
by ``PARSE_MAX_BYTES``, ``PARSE_MAX_PAGES``, ``PARSE_TIME_LIMIT``,
``PARSE_MEMORY_LIMIT``, ``PARSE_STREAM_INFLATE_LIMIT``, ``PARSE_INFLATE_LIMIT``
(``XIEYI_PARSE_…`` in the environment) and ``PARSE_WORKERS``.  A PDF is larger than a record, so this route takes uploads
up to ``PARSE_MAX_BYTES`` whatever the service's ``MAX_CONTENT_LENGTH``.

Errors: 413 over the size or page limit, 422 for a file that is no readable form
of ours (``not_pdf``, ``pdf_encrypted``, ``pdf_no_text_layer``, ``unknown_template``,
``pdf_malformed``, ``parse_timeout``…; ``pdf_text_invalid`` naming each field whose value
holds a control, text-direction or unencodable character), 422 ``file_missing`` without a
file.
"""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, jsonify, request
from flask_smorest import Blueprint
from marshmallow import fields as mf
from marshmallow import validate

from forms import InputInvalid
from forms.errors import PdfTooLarge
from parser import IDENTIFIED_BY, METHODS

from .schemas import ErrorSchema

bp = Blueprint("parse", __name__, url_prefix="/api/parse",
               description="读取填好的 PDF / read a filled PDF back into its record")

#: multipart framing around the file: boundaries, headers, the field name
MULTIPART_OVERHEAD = 64 * 1024


class FileMissing(InputInvalid):
    code = "file_missing"


class _Ordered(ma.Schema):
    class Meta:
        ordered = True


class FieldReadingSchema(_Ordered):
    value = mf.Raw(allow_none=True, metadata={"description": "读出的值（与 record 中相同）/ the value"})
    raw = mf.String(allow_none=True, metadata={"description": "页面或表单域中的原文 / raw text"})
    page = mf.Integer(allow_none=True, metadata={"description": "页码，从 1 起 / page, from 1"})
    bbox = mf.List(mf.Float(), allow_none=True,
                   metadata={"description": "位置 [x0, top, x1, bottom]（磅，自页面左上角）"
                                            " / box in points from the page's top-left"})
    method = mf.String(validate=validate.OneOf(METHODS),
                       metadata={"description": "acroform（表单域）、layout（页面文字）或 ocr（扫描件文字识别）"})
    confidence = mf.Float(metadata={"description": "可信度 0-1 / confidence"})


class WarningSchema(_Ordered):
    field = mf.String(metadata={"description": "字段（如 departments.2.beds），文件本身为空"})
    code = mf.String()
    message_zh = mf.String()
    message_en = mf.String()


class ParseResultSchema(_Ordered):
    form = mf.String(metadata={"description": "表单 id"})
    version = mf.String()
    title = mf.String()
    method = mf.String(validate=validate.OneOf(METHODS),
                       metadata={"description": "acroform（表单域）、layout（页面文字）或 ocr（扫描件文字识别）"})
    identified_by = mf.String(validate=validate.OneOf(IDENTIFIED_BY),
                              metadata={"description": "metadata、stamp、fields、text 或 mark（扫描件的页面标记）"})
    pages = mf.Integer()
    record = mf.Dict(metadata={"description": "记录：键为字段 id，见 components.schemas 中的 "
                                              "Record_<表单 id> / the record"})
    fields = mf.Dict(keys=mf.String(), values=mf.Nested(FieldReadingSchema),
                     metadata={"description": "每个填写位置的读取结果 / each value box as read"})
    warnings = mf.List(mf.Nested(WarningSchema))


def _limits():
    from parser import Limits

    try:
        return Limits.from_mapping(current_app.config, "PARSE_")
    except ValueError as e:  # a bad setting is the operator's defect, not the user's
        raise RuntimeError(f"PARSE_* configuration: {e}") from None


@bp.record_once
def _configure(state) -> None:
    workers = state.app.config.get("PARSE_WORKERS")
    if workers:
        from parser import configure_workers

        configure_workers(int(workers))


@bp.route("", methods=["POST"])
@bp.doc(requestBody={
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary",
                                "description": "填好的 PDF，或由本系统打印的表单的扫描件（PDF、JPEG、PNG、TIFF）"
                                               " / the filled PDF, or a scan of a form xieyi "
                                               "printed"}}}}},
})
@bp.response(200, ParseResultSchema)
@bp.alt_response(413, schema=ErrorSchema, description="文件或页数超过上限 / file or pages over "
                                                       "the limit")
@bp.alt_response(422, schema=ErrorSchema,
                 description="不是可读取的本系统表单（not_pdf, pdf_encrypted, pdf_no_text_layer, "
                             "unknown_template, pdf_malformed, parse_timeout, pdf_text_invalid…）或缺少文件 / not a "
                             "readable form of ours, or no file")
def parse_upload():
    """读取填好的 PDF 或扫描件 / read a filled PDF or a scan

    Identifies the form and version, reads every value (form fields of the
    fillable PDF, page text of a PDF exported from Word, WPS, LibreOffice, or,
    for a scan of a form xieyi printed — an image-only PDF, JPEG, PNG or TIFF —
    the text in each box by OCR) and returns the record with each value's raw
    text, page, box and confidence.
    A value that cannot be read is listed in ``warnings``, never guessed.
    """
    from parser import parse_pdf

    limits = _limits()
    allowed = limits.max_bytes + MULTIPART_OVERHEAD
    if request.content_length is not None and request.content_length > allowed:
        raise PdfTooLarge(f"上传的文件过大，上限 {limits.max_bytes} 字节",
                          f"the upload is too large: the limit is {limits.max_bytes} bytes")
    try:
        request.max_content_length = allowed  # this route's own limit (Flask ≥ 3.1)
    except AttributeError:  # Flask 3.0: the service-wide MAX_CONTENT_LENGTH applies
        pass
    upload = request.files.get("file")
    if upload is None:
        raise FileMissing("请以 multipart/form-data 上传文件，字段名为 file",
                          "upload the PDF as multipart/form-data in the field 'file'")
    data = upload.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise PdfTooLarge(f"上传的文件过大，上限 {limits.max_bytes} 字节",
                          f"the upload is too large: the limit is {limits.max_bytes} bytes")
    result = parse_pdf(data, limits=limits)
    # the record may hold a person's data: no cache keeps it
    resp = jsonify(result.to_dict())
    resp.headers["Cache-Control"] = "no-store"
    return resp
