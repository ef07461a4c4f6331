"""Party data: what fills the blanks of an agreement, checked field by field.

A party data object (JSON)::

    {
      "party_a": {"name": "太原市社会保险中心", "representative": "张三",
                  "address": "太原市…", "postcode": "030001", "telephone": "0351-1234567",
                  "signed_on": "2024-07-01"},
      "party_b": {…the same keys…},
      "city": "太原",          # optional: the plaque's 山西省（**市）; left blank when absent
      "term_years": 1          # optional, 1 (default) or 2 (办法 第十九条)
    }

``signed_on`` is optional (the 年 月 日 of that party's signature, left blank to
write by hand).  Every problem is reported at once, per field, in Chinese and
English (``PartiesInvalid``), with the field's dotted path (``party_b.postcode``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from typing import Any

import marshmallow as ma
from marshmallow import fields as mf

from forms.errors import FieldProblem, PartiesInvalid

from ._model import PARTIES, PARTY_FIELDS, PARTY_NAMES, AgreementText

#: prefecture-level cities per jurisdiction (the plaque names one of them)
CITIES = {
    "shanxi": ("太原", "大同", "阳泉", "长治", "晋城", "朔州", "晋中", "运城", "忻州", "临汾", "吕梁"),
}
#: 办法 第十九条: 期限一般为 1 年，连续三年服务优质的诚信单位，可签订 2 年期限的协议
TERMS = {1: "一年", 2: "两年"}
TERM_SOURCE = "晋人社厅发〔2022〕55号 第十九条"

FIELD_LABELS = {
    "name": "名称", "representative": "法定代表人或委托代理人", "address": "地址",
    "postcode": "邮政编码", "telephone": "联系电话", "signed_on": "签订日期",
    "city": "标牌中的市", "term_years": "协议期限（年）",
}
#: the field path of a problem with the whole object
ROOT = "(parties)"
MAX_LENGTH = {"name": 100, "representative": 50, "address": 200, "telephone": 40}

_POSTCODE = re.compile(r"^[0-9]{6}$")
# a mobile number, a fixed line with its area code (and an extension), or a 400/800 number;
# separators - and spaces, the area code optionally in brackets, +86 optionally in front
_TELEPHONE = re.compile(
    r"^(?:\+?86[ -]?)?(?:"
    r"1[3-9][0-9](?:[ -]?[0-9]{4}){2}"
    r"|(?:0[0-9]{2,3}|\(0[0-9]{2,3}\)|（0[0-9]{2,3}）)[ -]?[2-9][0-9]{2,3}[ -]?[0-9]{4}"
    r"(?:(?:转|-|#|ext\.?)[0-9]{1,6})?"
    r"|[48]00[ -]?[0-9]{3}[ -]?[0-9]{4}"
    r")$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")

# marshmallow messages are codes; _MESSAGES turns them into text
_MESSAGES = {
    "required": ("必填项未填写", "is required"),
    "null": ("必填项不能为空", "may not be empty"),
    "type_text": ("应为文字（加引号）", "must be text (a quoted string)"),
    "type_object": ("应为一个对象（{{…}}）", "must be an object ({{…}})"),
    "type_integer": ("应为整数", "must be a whole number"),
    "type_date": ("应为日期（YYYY-MM-DD）", "must be a date (YYYY-MM-DD)"),
    "too_long": ("超过最大长度 {max} 个字", "is longer than {max} characters"),
    "control": ("不能含换行或控制字符", "may not contain line breaks or control characters"),
    "postcode": ("应为 6 位数字", "must be six digits"),
    "telephone": ("不是有效的电话号码（手机号，或带区号的固定电话，如 0351-4123456）",
                  "is not a telephone number (a mobile number, or a fixed line with its area "
                  "code such as 0351-4123456)"),
    "city": ("只能填写：{choices}", "must be one of: {choices}"),
    "term": ("只能为 1 或 2（{source}：期限一般为 1 年，连续三年服务优质的诚信单位可签订 2 年）",
             "must be 1 or 2 ({source}: one year, or two for an institution of three years' "
             "good standing)"),
    "date_range": ("{date} 不在本协议文本的有效期（{valid}）内", "{date} is outside the validity "
                   "of this agreement text ({valid})"),
    "unknown": ("协议中没有这一项", "is not a field of the party data"),
}


class _Text(mf.String):
    default_error_messages = {"invalid": "type_text", "required": "required", "null": "null"}

    def __init__(self, max_length: int | None = None, **kw):
        super().__init__(**kw)
        self._max = max_length

    def _deserialize(self, value, attr, data, **kwargs):
        v = super()._deserialize(value, attr, data, **kwargs).strip()
        if not v:
            raise ma.ValidationError("required")
        if _CONTROL.search(v):
            raise ma.ValidationError("control")
        if self._max and len(v) > self._max:
            raise ma.ValidationError("too_long")
        return v


class _Postcode(_Text):
    def _deserialize(self, value, attr, data, **kwargs):
        # full-width digits (０３０００１) are the same number typed with a Chinese IME
        v = unicodedata.normalize("NFKC", super()._deserialize(value, attr, data, **kwargs))
        if not _POSTCODE.match(v):
            raise ma.ValidationError("postcode")
        return v


class _Telephone(_Text):
    def _deserialize(self, value, attr, data, **kwargs):
        v = unicodedata.normalize("NFKC", super()._deserialize(value, attr, data, **kwargs))
        if not _TELEPHONE.match(v):
            raise ma.ValidationError("telephone")
        return v


class _Date(mf.Date):
    default_error_messages = {"invalid": "type_date", "required": "required", "null": "null",
                              "format": "type_date"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        return super()._deserialize(value, attr, data, **kwargs)


class _Integer(mf.Integer):
    default_error_messages = {"invalid": "type_integer", "required": "required", "null": "null",
                              "too_large": "type_integer"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):  # JSON true is not the number 1
            raise ma.ValidationError("type_integer")
        if isinstance(value, str) and value.strip().isdigit():  # a CSV cell
            value = int(value.strip())
        v = super()._deserialize(value, attr, data, **kwargs)
        if v not in TERMS:
            raise ma.ValidationError("term")
        return v


class _Nested(mf.Nested):
    default_error_messages = {"type": "type_object", "required": "required", "null": "null"}


class _Schema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    # marshmallow's own message for an unknown key becomes our code
    error_messages = {"unknown": "unknown", "type": "type_object"}


class PartySchema(_Schema):
    name = _Text(MAX_LENGTH["name"], required=True)
    representative = _Text(MAX_LENGTH["representative"], required=True)
    address = _Text(MAX_LENGTH["address"], required=True)
    postcode = _Postcode(required=True)
    telephone = _Telephone(MAX_LENGTH["telephone"], required=True)
    signed_on = _Date(load_default=None, allow_none=True)


class PartiesSchema(_Schema):
    party_a = _Nested(PartySchema, required=True)
    party_b = _Nested(PartySchema, required=True)
    city = _Text(10, load_default=None, allow_none=True)
    term_years = _Integer(load_default=1, allow_none=False)


def _label(path: str) -> str:
    if path == ROOT:
        return "协议双方信息"
    parts = path.split(".")
    names = [PARTY_NAMES.get(p) or FIELD_LABELS.get(p) or p for p in parts]
    return "·".join(names)


def _problem(path: str, code: str, en: dict | None = None, **fmt) -> FieldProblem:
    """One field's problem; ``fmt`` fills both messages, ``en`` overrides it in English."""
    zh, en_msg = _MESSAGES.get(code, ("不合要求：" + code, code))
    fmt_zh = {k: ("、".join(v) if isinstance(v, (list, tuple)) else v) for k, v in fmt.items()}
    fmt_en = {k: (", ".join(v) if isinstance(v, (list, tuple)) else v) for k, v in fmt.items()}
    fmt_en.update(en or {})
    return FieldProblem(path, code, f"{_label(path)}（{path}）：{zh.format(**fmt_zh)}",
                        f"{path}: {en_msg.format(**fmt_en)}")


def _walk(messages: Any, path: list[str], out: list[FieldProblem]) -> None:
    if isinstance(messages, dict):
        for k, v in messages.items():
            _walk(v, path + [str(k)], out)
        return
    if isinstance(messages, list):
        for m in messages:
            _walk(m, path, out)
        return
    code = str(messages)
    # marshmallow files a nested object's own error (not an object) under "_schema"
    p = ".".join(x for x in path if x != "_schema") or ROOT
    fmt: dict[str, Any] = {}
    if code == "too_long":
        fmt["max"] = MAX_LENGTH.get(path[-1], 10)
    if code == "term":
        fmt["source"] = TERM_SOURCE
    out.append(_problem(p, code, **fmt))


def validate_parties(text: AgreementText, data: Any, *, where_zh: str = "",
                     where_en: str = "") -> dict:
    """The typed party data for ``text`` (strings stripped, dates as ``date``, the city
    without 市, ``term_years`` defaulted), or ``PartiesInvalid`` with every problem."""
    if not isinstance(data, dict):
        raise PartiesInvalid([_problem(ROOT, "type_object")], where_zh, where_en)
    problems: list[FieldProblem] = []
    valid: dict = {}
    try:
        typed = PartiesSchema().load(data)
    except ma.ValidationError as e:
        _walk(e.messages, [], problems)
        typed = None
        valid = e.valid_data if isinstance(e.valid_data, dict) else {}
    # checks that need the text: the city list, the text's validity
    cities = CITIES.get(text.jurisdiction, ())
    city = data.get("city")
    if isinstance(city, str) and city.strip():
        c = city.strip()
        c = c[:-1] if c.endswith("市") else c
        if cities and c not in cities:
            problems.append(_problem("city", "city", choices=cities))
        elif typed is not None:
            typed["city"] = c
    checked = typed if typed is not None else valid
    for party in PARTIES:
        p = checked.get(party)
        d = p.get("signed_on") if isinstance(p, dict) else None
        if d is not None:
            if d < text.valid_from or (text.valid_to and d > text.valid_to):
                # DOMAIN.md: a date outside a text's validity is said plainly, never applied
                frm = text.valid_from.isoformat()
                until = text.valid_to.isoformat() if text.valid_to else ""
                doc = text.source.document
                problems.append(_problem(
                    f"{party}.signed_on", "date_range", date=d.isoformat(),
                    valid=f"{frm} 至 {until}，{doc}", en={"valid": f"{frm} to {until}, {doc}"}))
    if problems:
        # one message per field, in the order of the data's fields
        paths = [ROOT] + [x for p in PARTIES
                          for x in (p, *(f"{p}.{f}" for f in (*PARTY_FIELDS, "signed_on")))]
        order = {x: i for i, x in enumerate(paths)}
        problems.sort(key=lambda pr: order.get(pr.field, len(order)))
        raise PartiesInvalid(problems, where_zh, where_en)
    return typed


def parties_json(typed: dict | None) -> dict | None:
    """The typed party data as JSON values (dates ISO), keys in a fixed order."""
    if typed is None:
        return None
    out: dict[str, Any] = {}
    for party in PARTIES:
        p = typed[party]
        out[party] = {k: p.get(k) for k in PARTY_FIELDS}
        out[party]["signed_on"] = p["signed_on"].isoformat() if p.get("signed_on") else None
    out["city"] = typed.get("city")
    out["term_years"] = typed.get("term_years", 1)
    return out


def parties_hash(typed: dict | None) -> str:
    """sha256 of the canonical JSON of the typed party data (sorted keys, UTF-8, no spaces);
    of ``null`` for a blank agreement.  A reader recomputes it from the data it holds."""
    canon = json.dumps(parties_json(typed), ensure_ascii=False, sort_keys=True,
                       separators=(",", ":"))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def format_date(d: dt.date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def display_values(text: AgreementText, typed: dict | None) -> dict[str, str]:
    """Every placeholder's display string: ``party_a.name`` … ``party_b.signed_on``, ``city``,
    ``term``; empty strings for a blank agreement (the term is never blank: 一年)."""
    out: dict[str, str] = {}
    for party in PARTIES:
        p = (typed or {}).get(party) or {}
        for f in PARTY_FIELDS:
            out[f"{party}.{f}"] = p.get(f) or ""
        out[f"{party}.signed_on"] = format_date(p.get("signed_on"))
    out["city"] = (typed or {}).get("city") or ""
    out["term"] = TERMS[(typed or {}).get("term_years") or 1]
    return out
