"""``/api/sources``: the regulation texts xieyi holds, and each article a citation names.

Every citation in a finding, a score or a deadline carries ``reference.url``, which is a
route of this blueprint; it answers with exactly the JSON ``xieyi rules cite --json``
prints (both call :func:`api.cli_rules.cite_article`).
"""

from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint
from marshmallow import fields as mf
from marshmallow import validate as mv

from .cli_rules import cite_article, source_validity, sources_listing
from .schemas import JURISDICTIONS, ErratumSchema, ErrorSchema, ValidityTodaySchema, _Ordered

bp = Blueprint("sources", __name__, url_prefix="/api",
               description="法规原文与条文引用 / the regulation texts and their articles")


class PartSchema(_Ordered):
    key = mf.String()
    title = mf.String(allow_none=True)


class TranscriptionSchema(_Ordered):
    seed = mf.String()
    sha256 = mf.String()


class RegulationSchema(_Ordered):
    jurisdiction = mf.String(validate=mv.OneOf(JURISDICTIONS))
    name = mf.String()
    title = mf.String()
    number = mf.String(allow_none=True)
    document = mf.String(metadata={"description": "引用时的文件名：文号，无文号时为标题"})
    issuing_body = mf.String()
    issued = mf.String(allow_none=True)
    valid_from = mf.String()
    valid_to = mf.String(allow_none=True)
    validity_quote = mf.String()
    validity_note = mf.String(allow_none=True)
    published = mf.Dict(keys=mf.String(), values=mf.String(allow_none=True))
    transcription = mf.Nested(TranscriptionSchema)
    parts = mf.List(mf.Nested(PartSchema))
    validity = mf.Nested(ValidityTodaySchema)
    errata = mf.List(mf.Nested(ErratumSchema))
    articles = mf.List(mf.String(), metadata={"description": "可引用的条款 / citable keys"})


class ArticleSchema(_Ordered):
    jurisdiction = mf.String(validate=mv.OneOf(JURISDICTIONS))
    name = mf.String()
    document = mf.String()
    number = mf.String(allow_none=True)
    title = mf.String()
    part = mf.Nested(PartSchema, allow_none=True)
    query = mf.String(metadata={"description": "所查的条款 / the article asked for"})
    key = mf.String(metadata={"description": "条款的规范名 / the article's key"})
    heading = mf.String()
    kind = mf.String(validate=mv.OneOf(("part", "chapter", "article", "section", "item",
                                        "point", "subpoint")))
    exact = mf.Boolean(metadata={"description": "是否完全找到 / resolved to the end"})
    unresolved = mf.String(allow_none=True)
    text = mf.String(metadata={"description": "改正后的全文 / the corrected text"})
    printed = mf.String(metadata={"description": "转录本原样 / the text as printed"})
    errata = mf.List(mf.Nested(ErratumSchema))
    expired = mf.String(allow_none=True, metadata={"description": "文件的终止日期 / valid to"})
    url = mf.String()
    validity = mf.Nested(ValidityTodaySchema)


_404 = {"schema": ErrorSchema, "description": "没有这个地区或条款 / no such source or article"}


@bp.route("/sources")
@bp.alt_response(200, schema=RegulationSchema(many=True), success=True,
                 description="五地文件 / the five documents")
def list_sources():
    """法规原文一览 / the regulation texts

    Each document xieyi works from: issuing body, 文号, dates, validity today, where it
    was published, the transcription's checksum, its errata (with certainty).
    """
    return jsonify(sources_listing())


@bp.route("/sources/<jurisdiction>")
@bp.alt_response(200, schema=RegulationSchema, success=True, description="一地的文件 / one document")
@bp.alt_response(404, **_404)
def get_source(jurisdiction: str):
    """一地的文件 / one document, with the keys of its citable articles"""
    return jsonify(sources_listing(jurisdiction, with_articles=True)[0])


@bp.route("/sources/<jurisdiction>/articles/<path:article>")
@bp.alt_response(200, schema=ArticleSchema, success=True,
                 description="条文全文 / the article's full text")
@bp.alt_response(404, **_404)
def get_article(jurisdiction: str, article: str):
    """打开一条依据 / open an article

    ``article`` as a citation names it: 第三十四条, 34, 第十一条（六）, 附件1 六. The full
    corrected text, the text as printed, the errata in it, its document and validity.
    """
    return jsonify(cite_article(jurisdiction, article))


__all__ = ["bp", "source_validity"]
