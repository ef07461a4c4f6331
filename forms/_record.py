"""Records: checking a JSON object against its form, through a marshmallow schema
derived from the description.

A record is a JSON object keyed by field id; a ``rows`` field holds a list of
objects keyed by column id; a ``choice`` field holds the chosen official
label; a ``date`` field an ISO date.  ``validate_record`` returns the typed
record (``int``, ``Decimal``, ``datetime.date``, ``str``) or raises
``RecordInvalid`` with one problem per field, in Chinese and English.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Any

import marshmallow as ma
from marshmallow import fields as mf
from marshmallow import validate as mv

from ._model import Field, FormSpec
from .errors import FieldProblem, RecordInvalid

# marshmallow messages are set to these codes; _PROBLEMS turns a code into text
_CODES = {
    "required": ("必填项未填写", "is required"),
    "null": ("必填项不能为空", "may not be empty"),
    "type_text": ("应为文字", "must be text"),
    "type_integer": ("应为整数", "must be a whole number"),
    "type_decimal": ("应为数字", "must be a number"),
    "type_date": ("应为日期（YYYY-MM-DD）", "must be a date (YYYY-MM-DD)"),
    "type_checkbox": ("应为 true 或 false（勾选与否）", "must be true or false (ticked or not)"),
    "type_rows": ("应为若干行（列表）", "must be a list of rows"),
    "type_row": ("每一行应为一个对象", "each row must be an object"),
    "too_long": ("超过最大长度 {max} 个字", "is longer than {max} characters"),
    "negative": ("不能为负数", "may not be negative"),
    "too_many_rows": ("最多 {max} 行", "has more than {max} rows"),
    "not_a_choice": ("只能选择：{choices}", "must be one of: {choices}"),
    "too_many_places": ("小数最多 {places} 位", "has more than {places} decimal places"),
    "newline": ("单行文字不能换行", "single-line text may not contain a line break"),
    "unknown": ("表单中没有这一项", "is not a field of this form"),
}


class _Text(mf.String):
    default_error_messages = {"invalid": "type_text", "required": "required", "null": "null"}


class _SingleLine(_Text):
    def _deserialize(self, value, attr, data, **kwargs):
        v = super()._deserialize(value, attr, data, **kwargs)
        if "\n" in v or "\r" in v:
            raise ma.ValidationError("newline")
        return v


class _Integer(mf.Integer):
    default_error_messages = {"invalid": "type_integer", "required": "required", "null": "null",
                              "too_large": "type_integer"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):  # JSON true is not the number 1
            raise ma.ValidationError("type_integer")
        return super()._deserialize(value, attr, data, **kwargs)


class _Decimal(mf.Decimal):
    default_error_messages = {"invalid": "type_decimal", "required": "required", "null": "null",
                              "special": "type_decimal"}

    def __init__(self, places: int, **kw):
        super().__init__(**kw)
        self._max_places = places

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ma.ValidationError("type_decimal")
        d = super()._deserialize(value, attr, data, **kwargs)
        exp = d.as_tuple().exponent
        if isinstance(exp, int) and -exp > self._max_places:
            raise ma.ValidationError("too_many_places")
        return d


class _Date(mf.Date):
    default_error_messages = {"invalid": "type_date", "required": "required", "null": "null",
                              "format": "type_date"}


class _Checkbox(mf.Boolean):
    # only JSON true/false: "是", 1 or "on" would hide a typing mistake
    truthy = {True}
    falsy = {False}
    default_error_messages = {"invalid": "type_checkbox", "required": "required", "null": "null"}


class _Rows(mf.List):
    default_error_messages = {"invalid": "type_rows", "required": "required", "null": "null"}


class _Row(mf.Nested):
    default_error_messages = {"type": "type_row", "required": "required", "null": "null"}


def _nonneg(v) -> None:
    if v < 0:
        raise ma.ValidationError("negative")


def _field_schema(f: Field) -> mf.Field:
    kw: dict[str, Any] = {"required": f.required, "allow_none": not f.required,
                          "metadata": {"label": f.label, "description": f.qualified_label}}
    if f.unit:
        kw["metadata"]["unit"] = f.unit
    if f.type in ("text", "multiline"):
        validators = [mv.Length(max=f.max_length, error="too_long")]
        if f.required:
            validators.append(mv.Length(min=1, error="required"))
        cls = _SingleLine if f.type == "text" else _Text
        return cls(validate=validators, **kw)
    if f.type == "integer":
        return _Integer(strict=True, validate=_nonneg, **kw)
    if f.type == "decimal":
        return _Decimal(places=f.places, allow_nan=False, validate=_nonneg, **kw)
    if f.type == "date":
        return _Date(**kw)
    if f.type == "choice":
        return _Text(validate=mv.OneOf(f.choices, error="not_a_choice"), **kw)
    if f.type == "checkbox":
        return _Checkbox(**kw)
    if f.type == "rows":
        row_schema = ma.Schema.from_dict(
            {c.id: _field_schema(c) for c in f.columns}, name=f"Row_{f.id}"
        )
        return _Rows(_Row(row_schema(unknown=ma.RAISE)),
                     validate=mv.Length(max=f.max_rows, error="too_many_rows"), **kw)
    raise AssertionError(f.type)


@lru_cache(maxsize=None)
def record_schema(spec: FormSpec) -> type[ma.Schema]:
    """The marshmallow schema of a form's record, derived from its description."""
    fields = {f.id: _field_schema(f) for f in spec.fields}
    name = "Record_" + spec.id.replace("-", "_")
    schema = ma.Schema.from_dict(fields, name=name)
    schema.Meta = type("Meta", (), {"unknown": ma.RAISE, "ordered": True})
    return schema


def _field_for(spec: FormSpec, path: list[str]) -> Field | None:
    try:
        f = spec.field(path[0])
    except KeyError:
        return None
    if len(path) >= 3 and f.type == "rows":
        try:
            return f.column(path[2])
        except KeyError:
            return None
    return f


def _problems(spec: FormSpec, messages: Any, path: list[str]) -> list[FieldProblem]:
    out: list[FieldProblem] = []
    if isinstance(messages, dict):
        for k, v in messages.items():
            out.extend(_problems(spec, v, path + [str(k)]))
        return out
    if isinstance(messages, list):
        for m in messages:
            out.extend(_problems(spec, m, path))
        return out
    code = str(messages)
    if code == "Unknown field.":
        code = "unknown"
    zh, en = _CODES.get(code, ("数据不合要求", code))
    f = _field_for(spec, path)
    params: dict[str, Any] = {}
    if f is not None:
        params = {"max": f.max_rows if code == "too_many_rows" else f.max_length,
                  "choices": "、".join(f.choices), "places": f.places}
        zh = f"{f.label}：{zh.format(**params)}"
        en = f"{'.'.join(path)}: {en.format(**params)}"
    else:
        en = f"{'.'.join(path)}: {en}"
        zh = f"{'.'.join(path)}：{zh}"
    return [FieldProblem(".".join(path), code, zh, en)]


def validate_record(spec: FormSpec, data: Any, complete: bool = False) -> dict[str, Any]:
    """Check ``data`` against the form; return the typed record.

    A record to pre-fill a form may leave any field out (``complete=False``);
    a record taken as an application (``complete=True``) must hold every
    required field.  Empty strings count as not filled in and are dropped.
    """
    if not isinstance(data, dict):
        raise RecordInvalid(spec.id, [FieldProblem("", "type_record", "数据应为一个 JSON 对象",
                                                   "the record must be a JSON object")])
    cleaned = {k: v for k, v in data.items()
               if not (v == "" and (not complete or _optional(spec, k)))}
    try:
        loaded = record_schema(spec)().load(cleaned, partial=not complete)
    except ma.ValidationError as e:
        raise RecordInvalid(spec.id, _problems(spec, e.messages, [])) from None
    return {k: v for k, v in loaded.items() if v is not None}


def _optional(spec: FormSpec, key: str) -> bool:
    try:
        return not spec.field(key).required
    except KeyError:
        return False


def record_to_json(spec: FormSpec, record: dict[str, Any]) -> dict[str, Any]:
    """A typed record as plain JSON values (dates ISO, decimals as exact strings)."""

    def conv(v: Any) -> Any:
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, Decimal):
            return str(v)  # exact: "12.50" stays "12.50"
        if isinstance(v, list):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return v

    return {k: conv(v) for k, v in record.items()}
