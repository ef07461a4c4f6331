"""Facts: read from a profile, from a form record (through ``mappings.yaml``), or both.

A profile is ``{"facts": {fact id: value}}``.  A record is a form's record (the JSON
``xieyi render --data`` takes), named by its form: ``{"form": "shanxi-application",
"record": {...}}``; a profile may ride along (``"facts"``).  A filled PDF is read by the
parser into such a record first (:func:`record_from_pdf`).

Every fact keeps where it came from (``source``), so each finding can say where its
measured value was read.  When a profile and a record both give a fact, the profile
(what agency staff entered or verified) is used and the disagreement is reported.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from forms import get_form, validate_record
from forms.errors import FieldProblem, InputInvalid, UnknownName

from ._loader import fact_defs, mappings, violation_types
from ._model import CATEGORIES, KINDS, FactDef, FormCheck, FormMapping, MappingEntry


@dataclass(frozen=True)
class Source:
    """Where a fact's value was read."""

    kind: str  # profile, record, argument
    form: str | None = None
    fields: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    #: pdf: the record was read from a filled PDF by the parser; for an argument, the
    #: channel it came by (cli: a flag, http: a request parameter)
    via: str | None = None

    def text_zh(self) -> str:
        if self.kind == "profile":
            return "档案（profile）"
        if self.kind == "argument":
            channel = "请求参数" if self.via == "http" else "命令参数"
            return f"{channel} {', '.join(self.fields)}"
        pairs = "、".join(f"{lb}（{f}）" for lb, f in zip(self.labels, self.fields, strict=True))
        via = "（由填好的 PDF 读出）" if self.via == "pdf" else ""
        return f"表单 {self.form}{via}：{pairs}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "form": self.form, "fields": list(self.fields),
                "labels": list(self.labels), "via": self.via, "text_zh": self.text_zh()}


@dataclass
class FactValue:
    value: Any
    source: Source


@dataclass
class Facts:
    """The facts of one validation, with their sources, notes and the form's checks."""

    values: dict[str, FactValue] = field(default_factory=dict)
    #: the form's consistency checks, already evaluated (see :func:`run_checks`)
    checks: list[dict] = field(default_factory=list)
    #: things worth saying about how facts were read (an unreadable 等级…)
    notes: list[str] = field(default_factory=list)
    #: the form the record came from, if any
    form: str | None = None

    def get(self, fact_id: str) -> Any:
        fv = self.values.get(fact_id)
        return None if fv is None else fv.value

    def has(self, fact_id: str) -> bool:
        return fact_id in self.values

    def merge(self, other: Facts) -> Facts:
        """``other`` (a profile) over ``self`` (a record); disagreements become checks."""
        out = Facts(dict(self.values), self.checks + other.checks, self.notes + other.notes,
                    self.form or other.form)
        for fid, fv in other.values.items():
            mine = self.values.get(fid)
            if mine is not None and to_json(mine.value) != to_json(fv.value):
                label = fact_defs()[fid].label
                out.checks.append({
                    "id": f"profile_record_conflict.{fid}",
                    "title": f"档案与表单记录一致：{label}",
                    "type": "conflict", "status": "fail", "status_zh": "不一致",
                    "message_zh": (f"{label}：档案为 {_show(fv.value)}，{mine.source.text_zh()}为 "
                                   f"{_show(mine.value)}；检查按档案的值进行"),
                    "fields": list(mine.source.fields),
                    "values": {"profile": to_json(fv.value), "record": to_json(mine.value)},
                })
            out.values[fid] = fv
        return out


def to_json(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        # an exact decimal as a JSON number: integral values stay whole (6, not 6.0)
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    return v


def _show(v: Any) -> str:
    v = to_json(v)
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, list):
        return "、".join(_show(x) for x in v) if v else "（无）"
    if isinstance(v, dict):
        return "，".join(f"{k}={_show(x)}" for k, x in v.items())
    return str(v)


# -- typed values -------------------------------------------------------------------------

class _Bad(Exception):
    def __init__(self, code: str, zh: str, en: str):
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            pass
    raise _Bad("type_date", "应为日期（YYYY-MM-DD）", "must be a date (YYYY-MM-DD)")


def _number(v: Any) -> Decimal:
    if isinstance(v, bool) or not isinstance(v, (int, float, Decimal, str)):
        raise _Bad("type_number", "应为数字", "must be a number")
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        raise _Bad("type_number", "应为数字", "must be a number") from None
    if not d.is_finite():
        raise _Bad("type_number", "应为数字", "must be a number")
    return d


def coerce(fdef: FactDef, v: Any) -> Any:
    """A JSON value as the fact's Python value; raises ``_Bad``."""
    t = fdef.type
    if t == "integer":
        if isinstance(v, bool) or not isinstance(v, int):
            raise _Bad("type_integer", "应为整数", "must be a whole number")
        out: Any = v
    elif t == "number":
        out = _number(v)
    elif t == "boolean":
        if not isinstance(v, bool):
            raise _Bad("type_boolean", "应为 true 或 false", "must be true or false")
        return v
    elif t == "date":
        return _date(v)
    elif t == "choice":
        values = [c for c, _ in fdef.choices]
        if v not in values:
            raise _Bad("not_a_choice", f"只能是：{'、'.join(values)}",
                       f"must be one of: {', '.join(values)}")
        return v
    elif t == "kinds":
        if not isinstance(v, list) or any(k not in KINDS for k in v):
            raise _Bad("type_kinds", f"应为辅助器具类别的列表（{'、'.join(KINDS)}）",
                       f"must be a list of kinds ({', '.join(KINDS)})")
        return list(dict.fromkeys(v))
    elif t == "materials":
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise _Bad("type_materials", "应为材料编号的列表", "must be a list of material keys")
        return list(dict.fromkeys(v))
    elif t == "violations":
        return _violations(v)
    elif t == "staff_bans":
        return _staff_bans(v)
    else:  # pragma: no cover - the loader admits no other type
        raise AssertionError(t)
    if fdef.minimum is not None and out < Decimal(str(fdef.minimum)):
        raise _Bad("too_small", f"不能小于 {fdef.minimum}", f"must be at least {fdef.minimum}")
    if fdef.maximum is not None and out > Decimal(str(fdef.maximum)):
        raise _Bad("too_large", f"不能大于 {fdef.maximum}", f"must be at most {fdef.maximum}")
    return out


def _violations(v: Any) -> list[dict]:
    vtypes = violation_types()
    if not isinstance(v, list):
        raise _Bad("type_violations", "应为记录的列表，每条为 {type, date}",
                   "must be a list of {type, date}")
    out = []
    for i, item in enumerate(v):
        if not isinstance(item, dict) or set(item) - {"type", "date", "note"} \
                or not {"type", "date"} <= set(item):
            raise _Bad("type_violation", f"第 {i + 1} 条应为 {{type, date[, note]}}",
                       f"entry {i + 1} must be {{type, date[, note]}}")
        if item["type"] not in vtypes:
            raise _Bad("unknown_violation_type",
                       f"第 {i + 1} 条的类型 {item['type']} 不认识（可选：{'、'.join(vtypes)}）",
                       f"entry {i + 1}: unknown type {item['type']} (one of: {', '.join(vtypes)})")
        d = _entry_date(item, i)
        entry = {"type": item["type"], "date": d}
        if item.get("note") is not None:
            entry["note"] = str(item["note"])
        out.append(entry)
    return sorted(out, key=lambda e: (e["date"], e["type"]))


def _entry_date(item: dict, i: int):
    """The date of the ``i``-th entry of a list of records (violations, staff bans)."""
    try:
        return _date(item["date"])
    except _Bad:
        raise _Bad("type_date", f"第 {i + 1} 条的日期应为 YYYY-MM-DD",
                   f"entry {i + 1}: date must be YYYY-MM-DD") from None


def _staff_bans(v: Any) -> list[dict]:
    """``[{name, date, years[, role, note]}]``: staff whose 工伤保险服务资格 was stopped."""
    if not isinstance(v, list):
        raise _Bad("type_staff_bans", "应为记录的列表，每条为 {name, date, years}",
                   "must be a list of {name, date, years}")
    out = []
    for i, item in enumerate(v):
        if not isinstance(item, dict) or set(item) - {"name", "role", "date", "years", "note"} \
                or not {"name", "date", "years"} <= set(item):
            raise _Bad("type_staff_ban", f"第 {i + 1} 条应为 {{name, date, years[, role, note]}}",
                       f"entry {i + 1} must be {{name, date, years[, role, note]}}")
        if not isinstance(item["name"], str) or not item["name"].strip():
            raise _Bad("type_staff_ban", f"第 {i + 1} 条的 name 应为人员姓名",
                       f"entry {i + 1}: name must be the person's name")
        years = item["years"]
        if isinstance(years, bool) or not isinstance(years, int) or years <= 0:
            raise _Bad("type_staff_ban", f"第 {i + 1} 条的 years 应为正整数（停止服务资格的年数）",
                       f"entry {i + 1}: years must be a positive whole number")
        d = _entry_date(item, i)
        entry = {"name": item["name"], "date": d, "years": years}
        for k in ("role", "note"):
            if item.get(k) is not None:
                entry[k] = str(item[k])
        out.append(entry)
    return sorted(out, key=lambda e: (e["date"], e["name"]))


def parse_profile(raw: Any, where_zh: str = "档案", where_en: str = "the profile") -> Facts:
    """``{fact id: value}`` as typed facts; every problem is reported at once."""
    if not isinstance(raw, dict):
        raise InputInvalid(f"{where_zh}的 facts 应为一个 JSON 对象（事实编号: 值）",
                           f"the facts of {where_en} must be a JSON object (fact id: value)")
    defs = fact_defs()
    problems: list[FieldProblem] = []
    facts = Facts()
    for fid, v in raw.items():
        fdef = defs.get(fid)
        if fdef is None:
            problems.append(FieldProblem(f"facts.{fid}", "unknown_fact",
                                         f"{fid}：不认识的事实（xieyi rules --facts 列出全部事实）",
                                         f"{fid}: unknown fact (xieyi rules --facts lists them)"))
            continue
        if v is None:
            continue  # null: not known, as if left out
        try:
            facts.values[fid] = FactValue(coerce(fdef, v), Source("profile"))
        except _Bad as b:
            problems.append(FieldProblem(f"facts.{fid}", b.code, f"{fdef.label}（{fid}）：{b.zh}",
                                         f"{fid}: {b.en}"))
    if problems:
        e = InputInvalid(f"{where_zh}有 {len(problems)} 处错误",
                         f"{where_en} has {len(problems)} error(s)", problems)
        e.code = "facts_invalid"
        raise e
    return facts


# -- records ------------------------------------------------------------------------------

_LEVELS = {"一": 1, "二": 2, "三": 3, "1": 1, "2": 2, "3": 3}
_LEVEL_RE = re.compile(r"([一二三123])\s*级|([一二三])\s*[甲乙丙]")


def level_from_text(text: str) -> int | None:
    """三级甲等, 二级, 3级, 三甲 -> 3, 2, 3, 3; anything else -> None."""
    m = _LEVEL_RE.search(text)
    if not m:
        return None
    return _LEVELS[m.group(1) or m.group(2)]


def _label(spec, path: str) -> str:
    head, _, col = path.partition(".")
    f = spec.field(head)
    return f"{f.qualified_label}·{f.column(col).label}" if col else f.qualified_label


def _entry_value(spec, e: MappingEntry, rec: dict, notes: list[str]) -> Any:
    """The fact value a mapping entry reads from a typed record; ``None`` when not filled."""
    if e.transform == "copy":
        return rec.get(e.fields[0])
    if e.transform == "level_text":
        text = rec.get(e.fields[0])
        if text is None:
            return None
        level = level_from_text(text)
        if level is None:
            notes.append(f"表单 {spec.id} 的“{_label(spec, e.fields[0])}”为“{text}”，"
                         f"无法识别为一级、二级或三级，未作为{fact_defs()[e.fact].label}使用。")
        return level
    if e.transform == "choice_map":
        v = rec.get(e.fields[0])
        return None if v is None else e.params["map"][v]
    if e.transform == "materials":
        ticked = [e.params["map"][f] for f in e.fields if rec.get(f) is True]
        # an unticked box may be an unfilled one: with nothing ticked there is nothing to say
        return ticked if any(f in rec for f in e.fields) else None
    if e.transform == "sum_rows":
        rows = rec.get(e.fields[0])
        if not rows:
            return None
        col, needle = e.params["column"], e.params.get("name_contains", "")
        picked = [r for r in rows if needle in (r.get("name") or "")]
        if not picked:
            return None
        return sum(r.get(col) or 0 for r in picked)
    if e.transform == "if_all_true":
        return e.params["value"] if all(rec.get(f) is True for f in e.fields) else None
    raise AssertionError(e.transform)  # pragma: no cover


def facts_from_record(form_id: str, data: Any, category: str | None, via: str | None = None
                      ) -> Facts:
    """The facts a form record gives (for ``category``), and the form's checks run on it."""
    spec = get_form(form_id)
    mapping = mappings().get(form_id) or FormMapping(form_id, (), ())
    rec = validate_record(spec, data, complete=False)  # RecordInvalid: exit 2 / HTTP 422
    facts = Facts(form=form_id)
    defs = fact_defs()
    for e in mapping.entries:
        if category is not None and category not in e.categories:
            continue
        v = _entry_value(spec, e, rec, facts.notes)
        if v is None:
            continue
        src = Source("record", form_id, e.fields, tuple(_label(spec, f) for f in e.fields), via)
        try:
            v = coerce(defs[e.fact], v)
        except _Bad as b:
            facts.notes.append(f"表单 {form_id} 的 {src.text_zh()} 不能作为"
                               f"{defs[e.fact].label}：{b.zh}")
            continue
        prev = facts.values.get(e.fact)
        if prev is not None and isinstance(prev.value, list):  # materials from several groups
            v = list(dict.fromkeys(prev.value + v))
            src = Source("record", form_id, prev.source.fields + src.fields,
                         prev.source.labels + src.labels, via)
        facts.values[e.fact] = FactValue(v, src)
    facts.checks = run_checks(spec, mapping.checks, rec)
    return facts


# -- the form's own consistency checks ------------------------------------------------------

def _values(rec: dict, path: str) -> tuple[list[Any], bool]:
    """The value(s) at ``path`` (``rows.column`` gives one per row) and whether it is filled."""
    head, _, col = path.partition(".")
    if col:
        rows = rec.get(head) or []
        vals = [r.get(col) for r in rows if isinstance(r, dict)]
        return [v for v in vals if v is not None], bool(rows)
    v = rec.get(head)
    return ([v] if v is not None else []), v is not None


def _places(spec, path: str) -> int:
    head, _, col = path.partition(".")
    f = spec.field(head)
    f = f.column(col) if col else f
    return f.places or 0


def run_checks(spec, checks: tuple[FormCheck, ...], rec: dict) -> list[dict]:
    out = []
    for c in checks:
        res: dict[str, Any] = {"id": f"{spec.id}.{c.id}", "title": c.title, "type": c.type,
                               "fields": list(c.fields)}
        labels = {f: _label(spec, f) for f in c.fields}
        if c.type in ("sum_eq", "sum_le"):
            total_vals, has_total = _values(rec, c.params["total"])
            parts = {p: _values(rec, p) for p in c.params["parts"]}
            if not has_total or not any(filled for _, filled in parts.values()):
                res.update(status="unknown", message_zh="合计或各分项未填写，无法检查")
            else:
                total = Decimal(str(total_vals[0]))
                s = sum((Decimal(str(v)) for vals, _ in parts.values() for v in vals), Decimal(0))
                ok = s == total if c.type == "sum_eq" else s <= total
                rel = "等于" if c.type == "sum_eq" else "不超过"
                res.update(status="pass" if ok else "fail",
                           message_zh=(f"{'、'.join(labels[p] for p in parts)}之和为 {to_json(s)}，"
                                       f"应{rel}{labels[c.params['total']]} {to_json(total)}"
                                       "（空格按0计）"),
                           values={"sum": to_json(s), "total": to_json(total)})
        elif c.type == "date_order":
            filled = [(f, rec[f]) for f in c.fields if rec.get(f) is not None]
            if len(filled) < 2:
                res.update(status="unknown", message_zh="日期未填全，无法检查")
            else:
                wrong = [(a, b) for a, b in itertools.pairwise(filled) if b[1] < a[1]]
                res.update(status="fail" if wrong else "pass",
                           values={f: v.isoformat() for f, v in filled})
                res["message_zh"] = ("；".join(f"{labels[b[0]]}（{b[1]}）早于{labels[a[0]]}（{a[1]}）"
                                              for a, b in wrong)
                                     if wrong else "日期先后正确：" + " ≤ ".join(
                                         f"{labels[f]} {v}" for f, v in filled))
        else:  # avg_total
            tf, cf, af = c.params["total"], c.params["count"], c.params["average"]
            factor = Decimal(str(c.params["factor"]))
            if any(rec.get(f) is None for f in (tf, cf, af)):
                res.update(status="unknown", message_zh="人次、次均费用或总费用未填全，无法检查")
            else:
                total, count, avg = (Decimal(str(rec[tf])), Decimal(rec[cf]),
                                     Decimal(str(rec[af])))
                # the printed values are rounded: the average to its places per visit, the
                # total to its places in its own unit; a difference within both is no error
                tol = (count * Decimal("0.5") * Decimal(10) ** -_places(spec, af)
                       + factor * Decimal("0.5") * Decimal(10) ** -_places(spec, tf))
                product = count * avg
                ok = abs(product - total * factor) <= tol
                res.update(status="pass" if ok else "fail",
                           values={"count_x_average": to_json(product),
                                   "total": to_json(total * factor), "tolerance": to_json(tol)},
                           message_zh=(f"{labels[cf]} {count} × {labels[af]} {to_json(avg)} = "
                                       f"{to_json(product)}，{labels[tf]} {to_json(total)} 即 "
                                       f"{to_json(total * factor)}；允许的舍入误差 {to_json(tol)}"))
        res["status_zh"] = {"pass": "通过", "fail": "不符", "unknown": "无法检查"}[res["status"]]
        out.append(res)
    return out


# -- input documents ----------------------------------------------------------------------

def facts_from_document(doc: Any, category: str | None, form: str | None = None,
                        via: str | None = None) -> Facts:
    """The facts of an input document (profile, record envelope, or bare record with ``form``).

    * ``{"facts": {...}}``: a profile;
    * ``{"form": ID, "record": {...}[, "facts": {...}]}``: a record, with a profile riding along;
    * anything else: a bare record when ``form`` is given, else a bare profile.
    """
    if not isinstance(doc, dict):
        raise InputInvalid("输入应为一个 JSON 对象", "the input must be a JSON object")
    if "form" in doc or "record" in doc:
        unknown = set(doc) - {"form", "record", "facts"}
        if unknown or not {"form", "record"} <= set(doc):
            raise InputInvalid(
                "表单记录应写成 {\"form\": 表单编号, \"record\": {...}}，可另带 \"facts\""
                + (f"；不认识的键：{'、'.join(sorted(unknown))}" if unknown else ""),
                "a record is {\"form\": FORM_ID, \"record\": {...}}, optionally with \"facts\""
                + (f"; unknown keys: {', '.join(sorted(unknown))}" if unknown else ""))
        if form is not None and form != doc["form"]:
            raise InputInvalid(f"--form {form} 与输入中的 form {doc['form']} 不一致",
                               f"--form {form} differs from the input's form {doc['form']}")
        facts = facts_from_record(str(doc["form"]), doc["record"], category, via)
        if doc.get("facts") is not None:
            facts = facts.merge(parse_profile(doc["facts"]))
        return facts
    if form is not None:
        return facts_from_record(form, doc, category, via)
    if set(doc) == {"facts"}:
        return parse_profile(doc["facts"])
    try:
        return parse_profile(doc)
    except InputInvalid as e:
        if e.code == "facts_invalid" and any(d.code == "unknown_fact" for d in e.details):
            e.message_zh += "（如输入是表单记录，请用 --form 指明表单，或写成 {\"form\": …, \"record\": …}）"
            e.message_en += (" (for a form record, name the form with --form, or write "
                             "{\"form\": …, \"record\": …})")
        raise


def check_category(category: str) -> str:
    if category not in CATEGORIES:
        raise UnknownName("category", "机构类别", str(category), CATEGORIES)
    return category
