"""Reading the rules data (``rules/data``) with every check the data must pass.

Loading rejects unknown keys, a rule without a citation (article and quotation), a rule
or mapping that reads a fact ``facts.yaml`` does not define, an operator that does not
fit its fact's type, a violation type, step, form or form field nobody defines, and
duplicate ids.  Data that loads is data the validator can apply.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from forms.errors import RuleDataInvalid, UnknownName

from ._model import (
    ADVISORY_WORDS,
    CATEGORIES,
    FACT_TYPES,
    KINDS,
    NUMERIC_OPS,
    OPERATORS,
    RULE_KINDS,
    STEP_BOUNDS,
    STEP_UNITS,
    Citation,
    Condition,
    Document,
    FactDef,
    FormCheck,
    FormMapping,
    MappingEntry,
    Rule,
    RuleSet,
    Step,
    ViolationType,
)
from forms._strict import check_keys
from forms._yaml import load_yaml

DATA_DIR = Path(__file__).parent / "data"
JURISDICTIONS = ("jilin", "tianjin", "jingdezhen", "shanxi", "hunan")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_RULE_ID = re.compile(r"^[a-z]+(\.[a-z0-9_]+)+$")
PERIOD_KEYS = ("years", "months", "days")


def _fail(where: str, msg: str) -> RuleDataInvalid:
    return RuleDataInvalid(f"规则数据有误（{where}）：{msg}", f"rules data invalid ({where}): {msg}")


def _keys(where: str, d: Any, allowed: set[str], required: set[str] = frozenset()) -> dict:
    return check_keys(where, d, allowed, required, _fail)


def _text(where: str, v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise _fail(where, f"expected non-empty text, got {v!r}")
    return v


def _date(where: str, v: Any, optional: bool = False) -> dt.date | None:
    if v is None and optional:
        return None
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise _fail(where, f"not an ISO date: {v!r}") from None


def _read(path: Path) -> Any:
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise _fail(path.name, f"cannot read: {e}") from None
    except yaml.YAMLError as e:
        raise _fail(path.name, f"YAML: {e}") from None


# -- facts ----------------------------------------------------------------------------

_FACT_KEYS = {"id", "label", "type", "unit", "description", "minimum", "maximum", "choices"}


def parse_facts(raw: Any, where: str = "facts.yaml"
                ) -> tuple[dict[str, FactDef], dict[str, ViolationType]]:
    _keys(where, raw, {"facts", "violation_types"}, {"facts", "violation_types"})
    vtypes: dict[str, ViolationType] = {}
    for i, v in enumerate(raw["violation_types"] or []):
        w = f"{where}.violation_types[{i}]"
        _keys(w, v, {"id", "label", "date_means"}, {"id", "label", "date_means"})
        if not isinstance(v["id"], str) or not _ID.match(v["id"]) or v["id"] in vtypes:
            raise _fail(w, f"bad or duplicate id {v['id']!r}")
        vtypes[v["id"]] = ViolationType(v["id"], _text(w, v["label"]), _text(w, v["date_means"]))
    facts: dict[str, FactDef] = {}
    for i, f in enumerate(raw["facts"] or []):
        w = f"{where}.facts[{i}]"
        _keys(w, f, _FACT_KEYS, {"id", "label", "type", "description"})
        fid = f["id"]
        if not isinstance(fid, str) or not _ID.match(fid) or fid in facts:
            raise _fail(w, f"bad or duplicate fact id {fid!r}")
        w = f"{where}.{fid}"
        if f["type"] not in FACT_TYPES:
            raise _fail(w, f"type {f['type']!r} not one of {FACT_TYPES}")
        choices = ()
        if f["type"] == "choice":
            if not f.get("choices"):
                raise _fail(w, "a choice fact needs choices")
            choices = tuple((_text(w, c["value"]), _text(w, c["label"]))
                            for c in (_keys(w, c, {"value", "label"}, {"value", "label"})
                                      for c in f["choices"]))
        elif "choices" in f:
            raise _fail(w, "choices go with type choice only")
        for k in ("minimum", "maximum"):
            if k in f and (f["type"] not in ("integer", "number")
                           or not isinstance(f[k], (int, float)) or isinstance(f[k], bool)):
                raise _fail(w, f"{k} goes with numeric facts, as a number")
        facts[fid] = FactDef(id=fid, label=_text(w, f["label"]), type=f["type"],
                             description=_text(w, f["description"]), unit=f.get("unit"),
                             minimum=f.get("minimum"), maximum=f.get("maximum"), choices=choices)
    return facts, vtypes


# -- conditions -----------------------------------------------------------------------

def _period(where: str, v: dict, allowed: tuple[str, ...] = PERIOD_KEYS) -> None:
    present = [k for k in PERIOD_KEYS if k in v]
    if len(present) != 1 or present[0] not in allowed:
        raise _fail(where, f"give exactly one of {allowed}")
    n = v[present[0]]
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise _fail(where, f"{present[0]} must be a positive whole number")


class _Ctx:
    """What a condition may refer to: facts, violation types, the set's steps."""

    def __init__(self, facts: dict[str, FactDef], vtypes: dict[str, ViolationType],
                 steps: dict[str, Step]):
        self.facts, self.vtypes, self.steps = facts, vtypes, steps


def _leaf(where: str, d: dict, ctx: _Ctx) -> Condition:
    _keys(where, d, {"fact", "op", "value"}, {"fact", "op", "value"})
    fid, op, value = d["fact"], d["op"], d["value"]
    fdef = ctx.facts.get(fid)
    if fdef is None:
        raise _fail(where, f"fact {fid!r} is defined nowhere (rules/data/facts.yaml)")
    if op not in OPERATORS:
        raise _fail(where, f"operator {op!r} not one of {sorted(OPERATORS)}")
    t = fdef.type
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if op in NUMERIC_OPS:
        if t not in ("integer", "number") or not number:
            raise _fail(where, f"{op} compares a numeric fact with a number ({fid} is {t})")
    elif op == "is":
        if t != "boolean" or not isinstance(value, bool):
            raise _fail(where, f"is compares a boolean fact with true/false ({fid} is {t})")
    elif op == "in":
        if not isinstance(value, list) or not value:
            raise _fail(where, "in takes a non-empty list")
        if t == "choice":
            known = {c for c, _ in fdef.choices}
            if set(value) - known:
                raise _fail(where, f"{sorted(set(value) - known)} not choices of {fid}")
        elif t != "integer":
            raise _fail(where, f"in reads a choice or integer fact ({fid} is {t})")
    elif op == "contains":
        if t not in ("materials", "kinds") or not isinstance(value, str):
            raise _fail(where, f"contains reads a list fact with one value ({fid} is {t})")
        if t == "kinds" and value not in KINDS:
            raise _fail(where, f"unknown kind {value!r}")
    elif op == "held_for":
        if t != "date":
            raise _fail(where, f"held_for reads a date fact ({fid} is {t})")
        _keys(where, value, set(PERIOD_KEYS))
        _period(where, value)
    elif op in ("none_within", "none_in_calendar_years"):
        if t != "violations":
            raise _fail(where, f"{op} reads the violations fact ({fid} is {t})")
        _keys(where, value, {"types", *PERIOD_KEYS}, {"types"})
        _period(where, value, ("years",) if op == "none_in_calendar_years" else PERIOD_KEYS)
        types = value["types"]
        if not isinstance(types, list) or not types or set(types) - set(ctx.vtypes):
            raise _fail(where, f"types must name violation types of facts.yaml: {types!r}")
    elif op == "odd":
        if t != "integer" or not isinstance(value, bool):
            raise _fail(where, f"odd reads an integer fact, with true/false ({fid} is {t})")
    elif op == "in_quarter":
        if t != "date":
            raise _fail(where, f"in_quarter reads a date fact ({fid} is {t})")
        _keys(where, value, {"quarter", "year_from"}, {"quarter", "year_from"})
        if value["quarter"] not in (1, 2, 3, 4):
            raise _fail(where, f"quarter must be 1 to 4, got {value['quarter']!r}")
        yf = ctx.facts.get(value["year_from"])
        if yf is None or yf.type != "integer":
            raise _fail(where, f"year_from {value['year_from']!r} must be an integer fact of "
                               "facts.yaml")
    elif op == "none_active":
        if t != "staff_bans":
            raise _fail(where, f"none_active reads a staff_bans fact ({fid} is {t})")
        _keys(where, value, set())
    elif op == "by_deadline":
        if t != "date":
            raise _fail(where, f"by_deadline reads a date fact ({fid} is {t})")
        _keys(where, value, {"step", "from"}, {"step", "from"})
        if value["step"] not in ctx.steps:
            raise _fail(where, f"step {value['step']!r} is not a step of this jurisdiction")
        frm = ctx.facts.get(value["from"])
        if frm is None or frm.type != "date":
            raise _fail(where, f"from {value['from']!r} must be a date fact of facts.yaml")
    return Condition(op=op, fact=fid, value=value)


def _condition(where: str, d: Any, ctx: _Ctx) -> Condition:
    if not isinstance(d, dict):
        raise _fail(where, f"a condition is a mapping, got {d!r}")
    nodes = [k for k in ("all", "any", "not") if k in d]
    if not nodes:
        return _leaf(where, d, ctx)
    if len(d) != 1:
        raise _fail(where, f"a node is one of all/any/not alone, got {sorted(d)}")
    op = nodes[0]
    parts = d[op] if op != "not" else [d[op]]
    if not isinstance(parts, list) or not parts:
        raise _fail(where, f"{op} takes a non-empty list")
    return Condition(op=op, parts=tuple(_condition(f"{where}.{op}[{i}]", p, ctx)
                                        for i, p in enumerate(parts)))


# -- citations, documents, steps, rules -------------------------------------------------

def _citation(where: str, d: Any, doc: Document) -> Citation:
    if d is None:
        raise _fail(where, "a rule needs its citation (article and quote)")
    _keys(where, d, {"article", "quote"}, {"article", "quote"})
    return Citation(document=doc.number, article=_text(f"{where}.article", d["article"]),
                    quote=_text(f"{where}.quote", d["quote"]))


_DOC_KEYS = {"jurisdiction", "name", "number", "title", "seed", "issued", "valid_from",
             "valid_to", "validity_quote", "validity_note"}


def _document(where: str, d: Any) -> Document:
    _keys(where, d, _DOC_KEYS, _DOC_KEYS - {"issued", "valid_to", "validity_note"})
    doc = Document(
        jurisdiction=_text(where, d["jurisdiction"]), name=_text(where, d["name"]),
        number=_text(where, d["number"]), title=_text(where, d["title"]),
        seed=_text(where, d["seed"]), issued=_date(where, d.get("issued"), optional=True),
        valid_from=_date(where, d["valid_from"]),
        valid_to=_date(where, d.get("valid_to"), optional=True),
        validity_quote=_text(where, d["validity_quote"]), validity_note=d.get("validity_note"),
    )
    if doc.valid_to is not None and doc.valid_to < doc.valid_from:
        raise _fail(where, "valid_to before valid_from")
    return doc


_STEP_KEYS = {"id", "name", "from_event", "count", "unit", "direction", "bound", "citation",
              "month", "day", "year_offset", "month_offset", "note"}


def _step(where: str, d: Any, doc: Document) -> Step:
    _keys(where, d, _STEP_KEYS, {"id", "name", "from_event", "unit", "bound", "citation"})
    sid = d["id"]
    if not isinstance(sid, str) or not _ID.match(sid):
        raise _fail(where, f"bad step id {sid!r}")
    where = f"{where}.{sid}"
    unit, bound = d["unit"], d["bound"]
    direction = d.get("direction", "after")
    if unit not in STEP_UNITS:
        raise _fail(where, f"unit {unit!r} not one of {STEP_UNITS}")
    if bound not in STEP_BOUNDS:
        raise _fail(where, f"bound {bound!r} not one of {STEP_BOUNDS}")
    if direction not in ("after", "before"):
        raise _fail(where, f"direction {direction!r}")
    count = d.get("count")
    if unit == "fixed":
        if count is not None or "day" not in d:
            raise _fail(where, "a fixed step has day (and month, or a month_offset), no count")
        if direction != "after":
            raise _fail(where, "a fixed step counts forward")
        month, day = d.get("month"), d["day"]
        try:
            dt.date(2024, month or 1, day)
        except (TypeError, ValueError):
            raise _fail(where, f"no such day of the year: {month}-{day}") from None
    else:
        if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
            raise _fail(where, "count must be a positive whole number")
        for k in ("month", "day", "year_offset", "month_offset"):
            if k in d:
                raise _fail(where, f"{k} goes with unit fixed only")
    return Step(
        id=sid, jurisdiction=doc.jurisdiction, name=_text(where, d["name"]),
        from_event=_text(where, d["from_event"]), unit=unit, count=count, direction=direction,
        bound=bound, citation=_citation(f"{where}.citation", d["citation"], doc),
        valid_from=doc.valid_from, valid_to=doc.valid_to, month=d.get("month"),
        day=d.get("day"), year_offset=int(d.get("year_offset", 0)),
        month_offset=int(d.get("month_offset", 0)), note=d.get("note"),
    )


_RULE_KEYS = {"id", "kind", "categories", "kinds", "title", "fact", "op", "value", "all", "any",
              "unit", "when", "advisory", "note", "material", "citation", "also"}


def _rule(where: str, d: Any, doc: Document, kinds: tuple[str, ...], ctx: _Ctx) -> Rule:
    _keys(where, d, _RULE_KEYS, {"id", "kind", "categories", "title"})
    rid = d["id"]
    if not isinstance(rid, str) or not _RULE_ID.match(rid):
        raise _fail(where, f"bad rule id {rid!r}")
    if not rid.startswith(doc.jurisdiction + "."):
        raise _fail(where, f"rule id {rid!r} must start with {doc.jurisdiction}.")
    where = rid
    if "citation" not in d:
        raise _fail(where, "a rule needs its citation (article and quote)")
    if d["kind"] not in RULE_KINDS:
        raise _fail(where, f"kind {d['kind']!r} not one of {RULE_KINDS}")
    cats = d["categories"]
    if not isinstance(cats, list) or not cats or set(cats) - set(CATEGORIES):
        raise _fail(where, f"categories {cats!r}")
    rkinds = d.get("kinds") or []
    if set(rkinds) - set(kinds):
        raise _fail(where, f"kinds {rkinds!r}: the set tells apart only {kinds!r}")
    if rkinds and cats != ["assistive"]:
        raise _fail(where, "kinds go with the assistive category")
    forms = [k for k in ("fact", "all", "any") if k in d]
    material = d.get("material")
    cond: Condition | None
    if d["kind"] == "manual":
        if forms or "op" in d or "value" in d or material is not None:
            raise _fail(where, "a manual rule (checked by a person) has no condition")
        cond = None
    elif d["kind"] == "material":
        if forms or not isinstance(material, str) or not _ID.match(material):
            raise _fail(where, "a material rule names its material key, and no condition")
        cond = _leaf(where, {"fact": "materials_submitted", "op": "contains", "value": material},
                     ctx)
    else:
        if material is not None:
            raise _fail(where, "material goes with kind material only")
        if len(forms) != 1:
            raise _fail(where, "a rule has one condition: fact/op/value, all: […] or any: […]")
        if forms[0] == "fact":
            cond = _leaf(where, {k: d.get(k) for k in ("fact", "op", "value")}, ctx)
        else:
            if "op" in d or "value" in d:
                raise _fail(where, "op/value go with fact")
            cond = _condition(where, {forms[0]: d[forms[0]]}, ctx)
    when = _condition(f"{where}.when", d["when"], ctx) if "when" in d else None
    also = tuple(_citation(f"{where}.also[{i}]", c, doc) for i, c in enumerate(d.get("also") or []))
    citation = _citation(f"{where}.citation", d["citation"], doc)
    advisory = d.get("advisory", False)
    if not isinstance(advisory, bool):
        raise _fail(where, f"advisory is true or false, got {advisory!r}")
    # one policy for 原则上/一般: advisory exactly when the quoted text says so
    says = [w for w in ADVISORY_WORDS if w in citation.quote]
    if says and not advisory:
        raise _fail(where, f"the quote says {says[0]}: the rule must be advisory: true")
    if advisory and not says:
        raise _fail(where, f"advisory: true, but the quote says none of {ADVISORY_WORDS}")
    return Rule(
        id=rid, jurisdiction=doc.jurisdiction, kind=d["kind"], categories=tuple(cats),
        kinds=tuple(rkinds), title=_text(where, d["title"]), condition=cond,
        unit=d.get("unit"), citation=citation,
        valid_from=doc.valid_from, valid_to=doc.valid_to, also=also, when=when,
        advisory=advisory, note=d.get("note"), material=material,
    )


def parse_rule_set(raw: Any, steps_raw: Any, facts: dict[str, FactDef],
                   vtypes: dict[str, ViolationType], where: str = "rules") -> RuleSet:
    _keys(where, raw, {"document", "kinds", "rules"}, {"document", "rules"})
    doc = _document(f"{where}.document", raw["document"])
    kinds = tuple(raw.get("kinds") or ())
    if set(kinds) - set(KINDS):
        raise _fail(where, f"kinds {kinds!r} not among {KINDS}")
    _keys(f"{where}/deadlines", steps_raw, {"steps"}, {"steps"})
    steps: dict[str, Step] = {}
    for i, s in enumerate(steps_raw["steps"] or []):
        step = _step(f"{where}/deadlines.steps[{i}]", s, doc)
        if step.id in steps:
            raise _fail(where, f"duplicate step id {step.id}")
        steps[step.id] = step
    ctx = _Ctx(facts, vtypes, steps)
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(raw["rules"] or []):
        rule = _rule(f"{where}.rules[{i}]", r, doc, kinds, ctx)
        if rule.id in seen:
            raise _fail(where, f"duplicate rule id {rule.id}")
        seen.add(rule.id)
        rules.append(rule)
    return RuleSet(document=doc, kinds=kinds, rules=tuple(rules), steps=tuple(steps.values()))


# -- form mappings ----------------------------------------------------------------------

TRANSFORMS = ("copy", "level_text", "choice_map", "materials", "sum_rows", "if_all_true")
CHECK_TYPES = ("sum_eq", "sum_le", "date_order", "avg_total")


def _form_field(where: str, spec, path: str):
    """A field of the form, or ``rows_field.column``; returns the Field."""
    head, _, col = path.partition(".")
    try:
        f = spec.field(head)
    except KeyError:
        raise _fail(where, f"form {spec.id} has no field {head!r}") from None
    if col:
        if f.type != "rows":
            raise _fail(where, f"{head} is not a rows field")
        try:
            return f.column(col)
        except KeyError:
            raise _fail(where, f"{head} has no column {col!r}") from None
    return f


def parse_mappings(raw: Any, facts: dict[str, FactDef], where: str = "mappings.yaml"
                   ) -> dict[str, FormMapping]:
    from forms import get_form
    from forms.errors import UnknownForm

    if not isinstance(raw, dict):
        raise _fail(where, "expected a mapping keyed by form id")
    out: dict[str, FormMapping] = {}
    for form_id, m in raw.items():
        w = f"{where}.{form_id}"
        try:
            spec = get_form(form_id)
        except UnknownForm:
            raise _fail(w, f"no form {form_id!r}") from None
        _keys(w, m, {"facts", "checks"})
        entries: list[MappingEntry] = []
        for i, e in enumerate(m.get("facts") or []):
            we = f"{w}.facts[{i}]"
            _keys(we, e, {"fact", "field", "fields", "transform", "categories", "map", "column",
                          "name_contains", "value"}, {"fact"})
            fdef = facts.get(e["fact"])
            if fdef is None:
                raise _fail(we, f"fact {e['fact']!r} is defined nowhere (rules/data/facts.yaml)")
            transform = e.get("transform", "copy")
            if transform not in TRANSFORMS:
                raise _fail(we, f"transform {transform!r} not one of {TRANSFORMS}")
            if transform == "materials":
                fmap = e.get("map")
                if not isinstance(fmap, dict) or not fmap:
                    raise _fail(we, "materials maps checkbox fields to material keys")
                fields = tuple(fmap)
            elif "fields" in e:
                fields = tuple(e["fields"])
            else:
                fields = (e.get("field"),)
            if not fields or not all(isinstance(f, str) for f in fields):
                raise _fail(we, "name the form field(s) the fact comes from")
            ftypes = [_form_field(we, spec, f).type for f in fields]
            params = {k: e[k] for k in ("map", "column", "name_contains", "value") if k in e}
            expect = {"copy": None, "level_text": "text", "choice_map": "choice",
                      "materials": "checkbox", "sum_rows": "rows", "if_all_true": "checkbox"}
            if expect[transform] and set(ftypes) != {expect[transform]}:
                raise _fail(we, f"{transform} reads {expect[transform]} fields, got {ftypes}")
            if transform == "copy":
                fit = {"date": "date", "integer": "integer", "boolean": "checkbox"}
                if fdef.type in fit and ftypes != [fit[fdef.type]]:
                    raise _fail(we, f"{fdef.id} ({fdef.type}) cannot come from {ftypes}")
            if transform == "sum_rows":
                col = _form_field(we, spec, f"{fields[0]}.{e.get('column')}")
                if col.type != "integer" or fdef.type not in ("integer", "number"):
                    raise _fail(we, "sum_rows adds an integer column into a numeric fact")
            if transform == "choice_map":
                choices = set(spec.field(fields[0]).choices)
                if set(e.get("map") or {}) != choices:
                    raise _fail(we, f"choice_map must map every choice of {fields[0]}")
            if transform == "if_all_true" and "value" not in e:
                raise _fail(we, "if_all_true gives a value")
            cats = tuple(e.get("categories") or CATEGORIES)
            if set(cats) - set(CATEGORIES):
                raise _fail(we, f"categories {cats!r}")
            entries.append(MappingEntry(fact=fdef.id, fields=fields, transform=transform,
                                        categories=cats, params=params))
        checks: list[FormCheck] = []
        for i, c in enumerate(m.get("checks") or []):
            wc = f"{w}.checks[{i}]"
            _keys(wc, c, {"id", "title", "type", "total", "parts", "fields", "count", "average",
                          "factor"}, {"id", "title", "type"})
            if c["type"] not in CHECK_TYPES:
                raise _fail(wc, f"type {c['type']!r} not one of {CHECK_TYPES}")
            if c["type"] in ("sum_eq", "sum_le"):
                _keys(wc, c, {"id", "title", "type", "total", "parts"},
                      {"id", "title", "type", "total", "parts"})
                fields = (c["total"], *c["parts"])
            elif c["type"] == "date_order":
                _keys(wc, c, {"id", "title", "type", "fields"}, {"id", "title", "type", "fields"})
                fields = tuple(c["fields"])
                if len(fields) < 2:
                    raise _fail(wc, "date_order needs two dates or more")
            else:
                _keys(wc, c, {"id", "title", "type", "total", "count", "average", "factor"},
                      {"id", "title", "type", "total", "count", "average", "factor"})
                fields = (c["total"], c["count"], c["average"])
            types = [_form_field(wc, spec, f).type for f in fields]
            want = {"date_order": {"date"}, "avg_total": {"integer", "decimal"},
                    "sum_eq": {"integer", "decimal"}, "sum_le": {"integer", "decimal"}}
            if set(types) - want[c["type"]]:
                raise _fail(wc, f"{c['type']} reads {sorted(want[c['type']])} fields, got {types}")
            params = {k: c[k] for k in ("total", "parts", "count", "average", "factor") if k in c}
            checks.append(FormCheck(id=_text(wc, c["id"]), title=_text(wc, c["title"]),
                                    type=c["type"], fields=fields, params=params))
        if len({c.id for c in checks}) != len(checks):
            raise _fail(w, "duplicate check ids")
        out[form_id] = FormMapping(form=form_id, entries=tuple(entries), checks=tuple(checks))
    return out


# -- the data as loaded once ------------------------------------------------------------

@lru_cache(maxsize=1)
def _facts() -> tuple[dict[str, FactDef], dict[str, ViolationType]]:
    return parse_facts(_read(DATA_DIR / "facts.yaml"))


def fact_defs() -> dict[str, FactDef]:
    return _facts()[0]


def violation_types() -> dict[str, ViolationType]:
    return _facts()[1]


@lru_cache(maxsize=1)
def _rule_sets() -> dict[str, RuleSet]:
    facts, vtypes = _facts()
    sets: dict[str, RuleSet] = {}
    ids: set[str] = set()
    for j in JURISDICTIONS:
        folder = DATA_DIR / j
        rs = parse_rule_set(_read(folder / "rules.yaml"), _read(folder / "deadlines.yaml"),
                            facts, vtypes, where=f"{j}/rules.yaml")
        if rs.jurisdiction != j:
            raise _fail(f"{j}/rules.yaml", f"document.jurisdiction must be {j}")
        clash = ids & {r.id for r in rs.rules}
        if clash:
            raise _fail(j, f"rule ids used twice: {sorted(clash)}")
        ids |= {r.id for r in rs.rules}
        sets[j] = rs
    return sets


def rule_sets() -> list[RuleSet]:
    return list(_rule_sets().values())


def get_rule_set(jurisdiction: str) -> RuleSet:
    try:
        return _rule_sets()[jurisdiction]
    except KeyError:
        raise UnknownName("jurisdiction", "地区", str(jurisdiction), JURISDICTIONS) from None


@lru_cache(maxsize=1)
def mappings() -> dict[str, FormMapping]:
    return parse_mappings(_read(DATA_DIR / "mappings.yaml"), fact_defs())
