"""``/api/agreements``: the service agreements, filled with the parties and ready to sign."""

from __future__ import annotations

from urllib.parse import quote

import marshmallow as ma
from flask import Response, request, url_for
from marshmallow import validate as mv
from flask_smorest import Blueprint
from marshmallow import fields as mf
from werkzeug.exceptions import UnsupportedMediaType

from ._jobs import STATES, jobs
from .render import MIMETYPES, parse_json
from .schemas import FORMATS, ErrorDetailSchema, ErrorSchema, FormatQuerySchema

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


# ------------------------------------------------------------------ batches

#: rows a batch may hold: a city's institutions with room to spare, and a bound on the work
#: one request can queue
MAX_BATCH_ROWS = 2000


class BatchRowSchema(ma.Schema):
    class Meta:
        ordered = True

    row = mf.Integer(required=True, metadata={"description": "数据行序号（从 1 起）/ data row, from 1"})
    line = mf.Integer(allow_none=True, metadata={"description": "CSV 文件中的行号 / line of the CSV"})
    details = mf.List(mf.Nested(ErrorDetailSchema), required=True)


class BatchJobSchema(ma.Schema):
    class Meta:
        ordered = True

    id = mf.String(required=True, metadata={"description": "任务编号（凭此查询与下载）/ job id"})
    agreement = mf.String(required=True, metadata={"description": "协议文本编号 / text id"})
    format = mf.String(required=True, validate=mv.OneOf(FORMATS))
    state = mf.String(required=True, validate=mv.OneOf(STATES), metadata={
        "description": "queued 排队，running 生成中，done 完成，failed 失败"})
    total = mf.Integer(required=True, metadata={"description": "数据行数 / rows"})
    done = mf.Integer(required=True, metadata={"description": "已生成的份数 / files written"})
    skipped = mf.List(mf.Nested(BatchRowSchema), required=True, metadata={
        "description": "有错误、未生成的行及其错误 / rows refused, with their errors"})
    error = mf.Nested(ErrorSchema, allow_none=True, required=True)
    created_at = mf.DateTime(required=True)
    finished_at = mf.DateTime(allow_none=True, required=True)
    status_url = mf.String(required=True)
    zip_url = mf.String(allow_none=True, required=True, metadata={
        "description": "完成后下载全部协议的 zip / the zip, once done"})


def _job_view(job) -> dict:
    from flask import url_for

    return {"id": job.id, "agreement": job.meta["agreement"], "format": job.meta["format"],
            "state": job.state, "total": job.total, "done": job.done,
            "skipped": job.skipped, "error": job.error, "created_at": job.created_at,
            "finished_at": job.finished_at,
            "status_url": url_for("agreements.batch_status", job_id=job.id),
            "zip_url": url_for("agreements.batch_zip", job_id=job.id)
            if job.state == "done" else None}


def _skipped(row, e) -> dict:
    return {"row": row.number, "line": row.line, "details": [d.to_dict() for d in e.details]}


@bp.route("/<jurisdiction>/<category>/batches", methods=["POST"])
@bp.arguments(FormatQuerySchema, location="query", as_kwargs=True)
@bp.doc(requestBody={
    "required": True,
    "description": "每个机构一行：CSV（表头为 party_b.name 等列名，UTF-8 或 GB18030）或 JSON（协议双方"
                   "信息的列表，或 {\"common\": {…}, \"rows\": […]}，common 为各行共同的值，如甲方）。/ "
                   "One row per institution: CSV with a header of column names, or JSON (a list of "
                   "party data, or {\"common\": …, \"rows\": […]}).",
    "content": {"text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"},
                                     "example": {"common": {"party_a": _PARTIES_EXAMPLE["party_a"]},
                                                 "rows": [{"party_b": _PARTIES_EXAMPLE["party_b"]}]}}}})
@bp.response(202, BatchJobSchema, description="任务已排队；按 status_url 查询进度 / queued")
@bp.alt_response(400, schema=ErrorSchema, description="JSON 无效 / invalid JSON")
@bp.alt_response(413, schema=ErrorSchema, description="请求体过大 / body too large")
@bp.alt_response(415, schema=ErrorSchema, description="不是 CSV 或 JSON / neither CSV nor JSON")
@bp.alt_response(422, schema=ErrorSchema, description="未知的地区或类别，文件格式有误，没有数据行或"
                                                      "行数超过上限 / unknown text, bad file, no rows"
                                                      " or too many")
@bp.alt_response(503, schema=ErrorSchema, description="排队的任务已满 / the queue is full")
def start_batch(jurisdiction: str, category: str, format: str):  # noqa: A002
    """批量生成服务协议（任务）/ start a batch of agreements

    Each row is checked on its own: a bad row is listed in ``skipped`` with its errors and
    the others are written.  Ask ``status_url`` for progress; when ``state`` is ``done``,
    ``zip_url`` gives every agreement in one zip (kept for an hour)."""
    from forms import InputInvalid
    from generator.agreement import get_agreement, rows_from_csv, rows_from_json, run_batch

    from .render import MediaTypeUnsupported

    text = get_agreement(jurisdiction, category)
    raw = request.get_data(cache=False)
    if request.mimetype == "text/csv":
        rows, common = rows_from_csv(raw, "CSV"), {}
    elif request.is_json:
        rows, common = rows_from_json(raw, "JSON")
    else:
        raise MediaTypeUnsupported("text/csv", "application/json")
    if not rows:
        raise InputInvalid("没有数据行", "there are no data rows")
    if len(rows) > MAX_BATCH_ROWS:
        raise InputInvalid(f"一批最多 {MAX_BATCH_ROWS} 行，收到 {len(rows)} 行，请分批提交",
                           f"at most {MAX_BATCH_ROWS} rows a batch, {len(rows)} given: split it")

    def work(job) -> None:
        # in one of the service's threads, not in forked processes: a fork of a threaded
        # server is not safe
        result = run_batch(text, rows, format, job.folder, common=common, jobs=1,
                           progress=lambda done, _good: setattr(job, "done", done),
                           on_skip=lambda row, e: job.skipped.append(_skipped(row, e)))
        job.output = result.zip_path
        job.output_name = (f"{text.id}-{format}.zip", f"{text.title}-{format}.zip")

    job = jobs().submit("agreements", len(rows), work,
                        meta={"agreement": text.id, "format": format})
    return _job_view(job), 202, {"Location": url_for("agreements.batch_status", job_id=job.id)}


@bp.route("/batches/<job_id>")
@bp.response(200, BatchJobSchema)
@bp.alt_response(404, schema=ErrorSchema, description="没有这个任务 / no such job")
def batch_status(job_id: str):
    """批量任务的进度 / a batch's progress"""
    return _job_view(jobs().get(job_id))


@bp.route("/batches/<job_id>/zip")
@bp.doc(responses={"200": {"description": "全部协议 / every agreement",
                           "content": {"application/zip": {"schema": {"type": "string",
                                                                      "format": "binary"}}}}})
@bp.alt_response(404, schema=ErrorSchema, description="没有这个任务 / no such job")
@bp.alt_response(409, schema=ErrorSchema, description="任务尚未完成 / not done yet")
def batch_zip(job_id: str):
    """下载批量生成的协议 / the batch's zip"""
    from ._jobs import output_response

    job, _path = jobs().output(job_id)
    return output_response(job)
