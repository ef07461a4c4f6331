"""The shapes the command line and the service give out, as marshmallow schemas.

``forms --json`` / ``GET /api/forms`` give :class:`FormSummarySchema` items,
``forms show --json`` / ``GET /api/forms/<id>`` a :class:`FormDescriptionSchema`,
every error an :class:`ErrorSchema`.  Both the command line and the service dump
through these schemas (:func:`summary`, :func:`description`), so the two agree
key for key, and the OpenAPI document describes exactly what is sent.
"""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from marshmallow import fields as mf
from marshmallow import validate as mv

from forms import Field, FormSpec, form_errata

FORMATS = ("pdf", "docx")


class _Ordered(ma.Schema):
    class Meta:
        ordered = True


class SourceSchema(_Ordered):
    seed = mf.String(metadata={"description": "种子文件 / the seed file the form comes from"})
    document = mf.String(metadata={"description": "文件名称或文号 / document number"})
    article = mf.String(metadata={"description": "条款或附件 / article or attachment"})
    quote = mf.String(allow_none=True, metadata={"description": "原文摘录 / quotation"})


class FieldSchema(_Ordered):
    id = mf.String(metadata={"description": "字段 id，即记录中的键 / the key in a record"})
    label = mf.String(metadata={"description": "表上的官方标签 / the official label"})
    type = mf.String(metadata={"description": "text, multiline, integer, decimal, date, choice, "
                                              "checkbox, rows"})
    section = mf.String(allow_none=True, metadata={"description": "所属栏目 / heading"})
    unit = mf.String(allow_none=True, metadata={"description": "单位 / unit"})
    choices = mf.List(mf.String(), metadata={"description": "可选项（choice）/ choices"})
    required = mf.Boolean()
    max_length = mf.Integer(allow_none=True, metadata={"description": "最多字数 / max characters"})
    places = mf.Integer(allow_none=True, metadata={"description": "小数位数 / decimal places"})
    hint = mf.String(allow_none=True)
    max_rows = mf.Integer(allow_none=True, metadata={"description": "行数（rows）/ rows offered"})
    columns = mf.List(mf.Nested(lambda: FieldSchema()),
                      metadata={"description": "每行的列（rows）/ the columns of one row"})


JURISDICTIONS = ("jilin", "tianjin", "jingdezhen", "shanxi", "hunan")
STATUSES = ("in_force", "expired", "not_yet_in_force")


class ValidityTodaySchema(_Ordered):
    status = mf.String(validate=mv.OneOf(STATUSES))
    status_zh = mf.String()
    expired = mf.Boolean()
    as_of = mf.String(metadata={"description": "判断所用的日期 / the date it was judged on"})
    valid_from = mf.String()
    valid_to = mf.String(allow_none=True)
    message_zh = mf.String(metadata={"description": "对使用者意味着什么 / what it means"})
    message_en = mf.String()


class ErratumSchema(_Ordered):
    source = mf.String(validate=mv.OneOf(JURISDICTIONS))
    where = mf.String()
    printed = mf.String(metadata={"description": "原文（转录本原样）/ as printed"})
    corrected = mf.String(metadata={"description": "改正后 / as corrected"})
    certainty = mf.String(validate=mv.OneOf(("certain", "probable")))
    certainty_zh = mf.String()
    reason = mf.String()
    reason_zh = mf.String(metadata={"description": "改正的理由 / why, in Chinese"})


class FormSummarySchema(_Ordered):
    id = mf.String()
    jurisdiction = mf.String()
    jurisdiction_name = mf.String()
    title = mf.String()
    attachment = mf.String(allow_none=True)
    kind = mf.String()
    categories = mf.List(mf.String())
    version = mf.String()
    valid_from = mf.Date()
    valid_to = mf.Date(allow_none=True)
    derived = mf.Boolean(metadata={"description": "无官方格式、依据条文编制 / built from the "
                                                  "articles, not an official layout"})
    derived_note = mf.String(allow_none=True)
    validity = mf.Nested(ValidityTodaySchema, metadata={
        "description": "今天是否有效，对使用者意味着什么 / in force today, and what that means"})


class FormDescriptionSchema(FormSummarySchema):
    source = mf.Nested(SourceSchema)
    errata = mf.List(mf.Nested(ErratumSchema), metadata={
        "description": "表上用到的勘误（certainty：certain 确定，probable 推断）/ the corrections "
                       "of the source text this form uses, with their certainty"})
    spec_hash = mf.String(metadata={"description": "sha256 of the description"})
    fields = mf.List(mf.Nested(FieldSchema))


class ErrorDetailSchema(_Ordered):
    field = mf.String()
    code = mf.String()
    message_zh = mf.String()
    message_en = mf.String()


class ErrorSchema(_Ordered):
    """Every error the service returns, whatever its status."""

    code = mf.String(metadata={"description": "稳定的错误代码 / stable error code"})
    message_zh = mf.String()
    message_en = mf.String()
    details = mf.List(mf.Nested(ErrorDetailSchema))


TYPING_FONTS = ("embedded", "song", "viewer")


class TypingFontQuerySchema(ma.Schema):
    typing_font = mf.String(
        load_default="embedded",
        validate=mv.OneOf(TYPING_FONTS, error="not_a_choice"),
        metadata={"description": "PDF 中输入新值所用的字体：embedded 内嵌完整的 GBK 黑体（约"
                                 " 1.6 MB，任何阅读器和重绘字段的工具都显示正确），song 内嵌与表格"
                                 "正文相同的宋体（GBK 及扩展 A 区，约 9 MB），viewer 用阅读器自带的"
                                 "宋体（文件约 40–100 KB）/ the font typed values are drawn with: "
                                 "embedded (a GBK Hei, any viewer), song (the form's own Song, "
                                 "GBK and CJK Extension A, about 9 MB), viewer (small files)"},
    )


class FormatQuerySchema(ma.Schema):
    format = mf.String(
        load_default="pdf",
        validate=mv.OneOf(FORMATS, error="not_a_choice"),
        metadata={"description": "pdf（可填写的 PDF）或 docx / pdf (fillable) or docx"},
    )


class RenderQuerySchema(FormatQuerySchema, TypingFontQuerySchema):
    """A form's rendering: the format, and for a PDF the font typed values are drawn with
    (an agreement has nothing to type but signatures: FormatQuerySchema alone)."""


DERIVED_MARK = "依据条文编制（非官方格式）"


def derived_mark(spec: FormSpec) -> str | None:
    """The mark of a form the seed gives no layout for (its note says which articles); else None."""
    return DERIVED_MARK if spec.derived else None


def _field_dict(f: Field) -> dict:
    return {
        "id": f.id, "label": f.label, "type": f.type, "section": f.section, "unit": f.unit,
        "choices": list(f.choices), "required": f.required, "max_length": f.max_length,
        "places": f.places, "hint": f.hint, "max_rows": f.max_rows,
        "columns": [_field_dict(c) for c in f.columns],
    }


def summary_data(spec: FormSpec) -> dict:
    """A form's list entry, as Python values (to dump through FormSummarySchema)."""
    return {
        "id": spec.id, "jurisdiction": spec.jurisdiction,
        "jurisdiction_name": spec.jurisdiction_name, "title": spec.title,
        "attachment": spec.attachment, "kind": spec.kind, "categories": list(spec.categories),
        "version": spec.version, "valid_from": spec.valid_from, "valid_to": spec.valid_to,
        "derived": spec.derived, "derived_note": spec.derived_note,
        "validity": form_validity(spec),
    }


def form_validity(spec: FormSpec, today: dt.date | None = None) -> dict:
    """Whether the form's document is in force today (the catalogue's date: the clock)."""
    from sources import validity_on

    return validity_on(spec.valid_from, spec.valid_to, spec.source.document,
                       today or dt.date.today())


def description_data(spec: FormSpec) -> dict:
    """A form's whole description, as Python values (to dump through FormDescriptionSchema)."""
    d = summary_data(spec)
    d["source"] = {"seed": spec.source.seed, "document": spec.source.document,
                   "article": spec.source.article, "quote": spec.source.quote}
    d["spec_hash"] = spec.spec_hash
    d["errata"] = form_errata(spec)
    d["fields"] = [_field_dict(f) for f in spec.fields]
    return d


def summary(spec: FormSpec) -> dict:
    """One entry of the list of forms, as JSON values."""
    return FormSummarySchema().dump(summary_data(spec))


def description(spec: FormSpec) -> dict:
    """A form's whole description (identity, source, version, validity, fields), as JSON values."""
    return FormDescriptionSchema().dump(description_data(spec))
