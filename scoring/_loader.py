"""Reading scoring tables from YAML, with every check a table must pass.

Loading rejects unknown keys and check types, and checks the arithmetic the printed table
promises: each kind's applicable items add up to the table's total; an ``award`` item's
checks can reach exactly its points; bands and brackets are as printed, and every gap or
overlap between them is declared in the data (``scoring._bands``), none silently closed.  The pass
mark is not restated here: a table names the rule (rules/data) that holds it, so the 90 of
第十五条 lives in one place.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from forms.errors import ScoringDataInvalid, UnknownName

from ._model import (
    AWARD_CHECKS,
    CONDITION_CHECKS,
    DEDUCT_CHECKS,
    MODES,
    PURPOSES,
    Band,
    BandGap,
    Check,
    Citation,
    Item,
    OneVoteVeto,
    PassMark,
    Refund,
    ScoringTable,
)
from forms._strict import check_keys
from forms._yaml import load_yaml

from ._bands import find_gaps, gap_choices

DATA_DIR = Path(__file__).parent / "data"
#: the kinds of institution a table can be for: the three categories and the assistive kinds
#: of rules/data (Shanxi tells four apart)
KINDS = ("medical", "rehab", "assistive", "prosthetics_orthotics", "hearing_aid", "optical_aid",
         "artificial_eye", "denture")
KIND_ZH = {"medical": "医疗机构", "rehab": "康复机构", "assistive": "辅助器具配置机构",
           "prosthetics_orthotics": "假肢矫形器配置机构", "hearing_aid": "助听器配置机构",
           "optical_aid": "光学助视器配置机构", "artificial_eye": "假眼配置机构",
           "denture": "假牙配置机构"}
#: the document a table's citations name (Tianjin's notice has no number: its title stands
#: for it, as in rules/data/tianjin)
DOCUMENTS = {"shanxi": "晋人社厅发〔2022〕55号",
             "tianjin": "市人社局关于进一步规范工伤保险服务机构协议管理有关工作的通知",
             "jilin": "吉人社联〔2026〕3号"}


def _fail(where: str, msg: str) -> ScoringDataInvalid:
    return ScoringDataInvalid(f"评分表数据有误（{where}）：{msg}",
                              f"scoring table invalid ({where}): {msg}")


def _keys(where: str, d: Any, allowed: set[str], required: set[str] = frozenset()) -> dict:
    return check_keys(where, d, allowed, required, _fail)


def _dec(where: str, v: Any) -> Decimal:
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise _fail(where, f"not a number: {v!r}")
    try:
        # str(): a YAML float like 0.25 becomes exactly 0.25, never its binary expansion
        return Decimal(str(v))
    except InvalidOperation:
        raise _fail(where, f"not a number: {v!r}") from None


def _citation(where: str, d: Any, document: str) -> Citation:
    _keys(where, d, {"document", "article", "quote"}, {"article", "quote"})
    return Citation(document=d.get("document", document), article=d["article"], quote=d["quote"])


def _bands(where: str, raw: Any, value_key: str, lo: Decimal, hi: Decimal | None,
           gaps_raw: Any = None, wording: str | None = None) -> tuple[tuple[Band, ...], tuple[BandGap, ...]]:
    """Bands as printed, sorted by ``min``, within ``[lo, hi]`` (``hi`` None: unbounded), and
    the gaps and overlaps they leave in it.

    Every band gives its printed ``text``, a part of ``wording`` (the item's 评分标准 or the
    article's quote).  The gaps and overlaps are computed from the bands; the data must
    declare each one under ``gaps`` with a ``note`` (why the wording leaves it open), and
    declare no other: a band edge moved by mistake shows as a gap nobody declared."""
    if not isinstance(raw, list) or not raw:
        raise _fail(where, "bands is a non-empty list")
    bands = []
    for i, b in enumerate(raw):
        w = f"{where}[{i}]"
        _keys(w, b, {"min", "max", value_key, "min_inclusive", "max_inclusive", "label", "note", "text"},
              {"min", value_key, "text"})
        text = b["text"]
        if not isinstance(text, str) or not text or (wording is not None and text not in wording):
            raise _fail(w, f"text {text!r} is not a part of the printed wording {wording!r}")
        bands.append(Band(min=_dec(w, b["min"]),
                          max=None if b.get("max") is None else _dec(w, b["max"]),
                          value=_dec(w, b[value_key]),
                          min_inclusive=bool(b.get("min_inclusive", True)),
                          max_inclusive=bool(b.get("max_inclusive", False)),
                          label=b.get("label"), note=b.get("note"), text=text))
    bands.sort(key=lambda b: (b.min, not b.min_inclusive))
    for b in bands:
        if b.min < lo or (hi is not None and (b.max is None or b.max > hi)) or \
                (b.max is not None and (b.max < b.min or b.max == b.min and not (b.min_inclusive and b.max_inclusive))):
            raise _fail(where, f"band {b.describe()} is empty or outside {lo}–{hi if hi is not None else '∞'}")
    if len({b.value for b in bands}) != len(bands):
        # a panel names the band it chooses by its points (or share)
        raise _fail(where, "two bands have the same value")
    if not isinstance(gaps_raw, (list, type(None))):
        raise _fail(where, "gaps is a list")
    declared = {}
    for i, g in enumerate(gaps_raw or ()):
        w = f"{where}.gaps[{i}]"
        _keys(w, g, {"kind", "at", "min", "max", "min_inclusive", "max_inclusive", "note"}, {"kind", "note"})
        if g["kind"] not in ("gap", "overlap") or ("at" in g) == ("min" in g) or \
                ("at" in g and {"max", "min_inclusive", "max_inclusive"} & set(g)):
            raise _fail(w, "kind gap or overlap, and either at (one number) or min and max")
        if "at" in g:
            key = (g["kind"], _dec(w, g["at"]), True, _dec(w, g["at"]), True)
        else:
            key = (g["kind"], _dec(w, g["min"]), bool(g.get("min_inclusive", True)),
                   None if g.get("max") is None else _dec(w, g["max"]), bool(g.get("max_inclusive", False)))
        if not isinstance(g["note"], str) or not g["note"].strip():
            raise _fail(w, "a gap's note says why the printed wording leaves it open")
        declared[key] = g["note"]
    gaps = []
    for g in find_gaps(tuple(bands), lo, hi):
        key = (g["kind"], g["min"], g["min_inclusive"], g["max"], g["max_inclusive"])
        span = BandGap(g["kind"], g["min"], g["max"], g["min_inclusive"], g["max_inclusive"], (), "")
        if key not in declared:
            raise _fail(where, f"undeclared {g['kind']} {span.describe()} between the printed bands: "
                               f"declare it under gaps with a note")
        gaps.append(BandGap(g["kind"], g["min"], g["max"], g["min_inclusive"], g["max_inclusive"],
                            gap_choices(tuple(bands), g), declared.pop(key)))
    if declared:
        raise _fail(where, f"declared gaps the bands do not leave: {sorted(map(str, declared))}")
    return tuple(bands), tuple(gaps)


_CHECK_KEYS = {"gaps", "id", "type", "label", "unit", "deduct", "elements", "required", "points", "each",
               "max", "options", "bands", "rule"}
#: a condition's checks: the deduct primitives without a deduction (met or not)
_NEEDS_CONDITION = {"required": set(), "minimum": {"min"}, "per_missing": {"elements"}}
_NEEDS = {"required": {"deduct"}, "per_missing": {"deduct"},
          "per_unit_short": {"deduct", "required"}, "minimum": {"deduct", "min"},
          "each": {"points"}, "per_count": {"each", "max"}, "choice": {"options"},
          "bands": {"bands"}}


def _condition_check(where: str, d: Any, rules: dict) -> Check:
    _keys(where, d, {"id", "type", "label", "unit", "min", "elements", "rule"}, {"id", "type", "label"})
    where = f"{where}.{d['id']}"
    ctype = d["type"]
    if ctype not in CONDITION_CHECKS:
        raise _fail(where, f"check type {ctype!r} not one of {CONDITION_CHECKS} (mode condition)")
    rule_id = d.get("rule")
    minimum = d.get("min")
    if rule_id is not None:
        rule = rules.get(rule_id)
        if ctype != "minimum" or rule is None or rule.condition.op != "ge":
            raise _fail(where, f"rule {rule_id!r}: only a minimum check reads a 'ge' rule's threshold")
        if minimum is not None and _dec(where, minimum) != _dec(where, rule.condition.value):
            raise _fail(where, f"min {minimum} contradicts rule {rule_id} ({rule.condition.value})")
        minimum = rule.condition.value
    needs = _NEEDS_CONDITION[ctype] - ({"min"} if rule_id else set())
    missing = needs - set(d)
    if missing:
        raise _fail(where, f"a {ctype} condition check needs {sorted(missing)}")
    if ctype != "minimum" and "min" in d or ctype != "per_missing" and "elements" in d:
        raise _fail(where, f"keys do not go with {ctype}")
    elements = tuple(str(e) for e in d.get("elements") or ())
    if len(set(elements)) != len(elements):
        raise _fail(where, "an element is listed twice")
    return Check(id=str(d["id"]), type=ctype, label=str(d["label"]), unit=d.get("unit"),
                 elements=elements, required=None if minimum is None else _dec(where, minimum),
                 rule=rule_id)


def _check(where: str, d: Any, mode: str, wording: str | None = None) -> Check:
    _keys(where, d, _CHECK_KEYS | {"min"}, {"id", "type", "label"})
    where = f"{where}.{d['id']}"
    ctype = d["type"]
    if "rule" in d:
        raise _fail(where, "only a condition's minimum check reads a rule")
    allowed = DEDUCT_CHECKS if mode == "deduct" else AWARD_CHECKS
    if ctype not in allowed:
        raise _fail(where, f"check type {ctype!r} not one of {allowed} (mode {mode})")
    missing = _NEEDS[ctype] - set(d)
    if missing:
        raise _fail(where, f"a {ctype} check needs {sorted(missing)}")
    extra = (set(d) - {"id", "type", "label", "unit"}) - _NEEDS[ctype] - {"elements", "gaps"}
    if extra or ("elements" in d and ctype != "per_missing") or ("gaps" in d and ctype != "bands"):
        raise _fail(where, f"keys {sorted(extra | ({'elements', 'gaps'} & set(d)))} do not go with {ctype}")
    elements = tuple(str(e) for e in d.get("elements") or ())
    if len(set(elements)) != len(elements):
        raise _fail(where, "an element is listed twice")
    options: tuple = ()
    if ctype == "choice":
        if not isinstance(d["options"], dict) or not d["options"]:
            raise _fail(where, "options is a mapping of option to points")
        options = tuple((str(k), _dec(where, v)) for k, v in d["options"].items())
    dec = {k: _dec(f"{where}.{k}", d[k]) for k in ("deduct", "points", "each", "max") if k in d}
    if any(v <= 0 for v in dec.values()):
        raise _fail(where, "points and deductions are positive")
    required = d.get("required", d.get("min"))
    bands, gaps = _bands(f"{where}.bands", d["bands"], "points", Decimal(0), None, d.get("gaps"),
                         wording) if ctype == "bands" else ((), ())
    return Check(
        id=str(d["id"]), type=ctype, label=str(d["label"]), unit=d.get("unit"),
        deduct=dec.get("deduct"), elements=elements,
        required=None if required is None else _dec(where, required),
        points=dec.get("points"), each=dec.get("each"), max=dec.get("max"), options=options,
        bands=bands, gaps=gaps,
    )


_ITEM_KEYS = {"id", "number", "group", "name", "content", "standard", "points", "mode", "checks",
              "applies_to", "remark", "rules", "survey", "field", "when", "fact"}


def _item(where: str, d: Any, kinds: tuple[str, ...], rules: dict, facts: tuple = ()) -> Item:
    rule_ids = set(rules)
    _keys(where, d, _ITEM_KEYS, {"id", "number", "content", "mode"})
    iid = str(d["id"])
    where = f"{where}.{iid}"
    mode = d["mode"]
    if mode not in MODES:
        raise _fail(where, f"mode {mode!r} not one of {MODES}")
    points = None if d.get("points") is None else _dec(where, d["points"])
    if (mode in ("veto", "condition")) != (points is None):
        raise _fail(where, "a veto or condition item has no points, every other item has them")
    if mode == "condition":
        checks = tuple(_condition_check(f"{where}.checks[{i}]", c, rules)
                       for i, c in enumerate(d.get("checks") or ()))
    else:
        checks = tuple(_check(f"{where}.checks[{i}]", c, mode, d.get("standard"))
                       for i, c in enumerate(d.get("checks") or ()))
    if sum(c.type == "bands" for c in checks) > 1:
        # resolve names an item's band by the item alone
        raise _fail(where, "an item has at most one bands check")
    fact_ids = {f for f, _ in facts}
    when = d.get("when") or {}
    if mode != "condition" and (when or d.get("fact")):
        raise _fail(where, "when and fact go with condition items only")
    if not isinstance(when, dict) or set(when) - fact_ids or not all(isinstance(v, bool) for v in when.values()):
        raise _fail(where, f"when: a mapping of the table's facts {sorted(fact_ids)} to true/false")
    if d.get("fact") is not None and (d["fact"] not in fact_ids or checks):
        raise _fail(where, f"fact {d['fact']!r}: one of the table's facts, and then no checks")
    if mode in ("deduct", "award") and not checks:
        raise _fail(where, f"a {mode} item needs checks")
    if mode in ("veto", "panel", "survey", "entered") and checks:
        raise _fail(where, f"a {mode} item has no checks")
    if len({c.id for c in checks}) != len(checks):
        raise _fail(where, "duplicate check ids")
    if mode == "award":
        reach = sum((c.max_award for c in checks), Decimal(0))
        if reach != points:
            raise _fail(where, f"the checks award at most {reach}, the item has {points} points")
    if (mode == "survey") != bool(d.get("survey")):
        raise _fail(where, "survey goes with mode survey, and only with it")
    applies_to = tuple(d.get("applies_to") or ())
    if set(applies_to) - set(kinds):
        raise _fail(where, f"applies_to {applies_to} outside the table's kinds {kinds}")
    unknown_rules = set(d.get("rules") or ()) - rule_ids
    if unknown_rules:
        raise _fail(where, f"unknown rules {sorted(unknown_rules)}")
    # a condition's cell says 符合/不符合, not a score
    field = d.get("field") or ("met_" if mode == "condition" else "score_") + iid.replace(".", "_")
    if not field.isascii() or not field.replace("_", "").isalnum():
        raise _fail(where, f"field {field!r}: give an ASCII field id")
    return Item(
        id=iid, number=str(d["number"]), group=d.get("group"), name=d.get("name"),
        content=str(d["content"]), standard=d.get("standard"), points=points, mode=mode,
        checks=checks, applies_to=applies_to, remark=d.get("remark"),
        rules=tuple(d.get("rules") or ()), survey=d.get("survey"), field=field,
        when=tuple((str(k), v) for k, v in when.items()), fact=d.get("fact"),
    )


def _rule_index(jurisdiction: str) -> dict:
    from rules import get_rule_set

    return {r.id: r for r in get_rule_set(jurisdiction).rules}


_TABLE_KEYS = {"id", "jurisdiction", "title", "subtitle", "attachment", "purpose", "form", "kinds",
               "total", "pass_mark", "citation", "items", "total_row", "refund", "one_vote_veto",
               "notes", "remark_item", "facts", "derived_note"}


def parse_table(raw: Any, where: str = "table") -> ScoringTable:
    checklist = isinstance(raw, dict) and raw.get("purpose") == "checklist"
    # a checklist has no points, hence no total and no total row
    _keys(where, raw, _TABLE_KEYS, {"id", "jurisdiction", "title", "attachment", "purpose", "form",
                                    "kinds", "citation", "items"}
          | (set() if checklist else {"total", "total_row"}))
    tid = raw["id"]
    where = str(tid)
    jur = raw["jurisdiction"]
    if jur not in DOCUMENTS:
        raise _fail(where, f"jurisdiction {jur!r}")
    if raw["purpose"] not in PURPOSES:
        raise _fail(where, f"purpose {raw['purpose']!r} not one of {PURPOSES}")
    kinds = tuple(raw["kinds"])
    if not kinds or set(kinds) - set(KINDS):
        raise _fail(where, f"kinds {kinds}")
    rules = _rule_index(jur)
    facts_raw = raw.get("facts") or {}
    if not isinstance(facts_raw, dict) or (facts_raw and not checklist):
        raise _fail(where, "facts: a mapping of fact id to its label, on checklists only")
    facts = tuple((str(k), str(v)) for k, v in facts_raw.items())
    items = tuple(_item(f"{where}.items[{i}]", d, kinds, rules, facts)
                  for i, d in enumerate(raw["items"]))
    if len({i.id for i in items}) != len(items) or len({i.field for i in items}) != len(items):
        raise _fail(where, "duplicate item ids or fields")
    if checklist != all(i.mode == "condition" for i in items) or \
            (not checklist and any(i.mode == "condition" for i in items)):
        raise _fail(where, "a checklist has condition items only, and only a checklist has them")
    if checklist and "total" in raw:
        raise _fail(where, "a checklist has no points and no total")
    for kind in kinds:
        if checklist and not any(i.applies(kind) for i in items):
            raise _fail(where, f"no condition applies to {kind}")
    total = Decimal(0) if checklist else _dec(where, raw["total"])
    for kind in kinds:
        s = sum((i.points for i in items if i.points is not None and i.applies(kind)), Decimal(0))
        if s != total:
            raise _fail(where, f"the items for {kind} add up to {s}, the table's total is {total}")
    pass_mark = None
    if raw.get("pass_mark"):
        pm = _keys(f"{where}.pass_mark", raw["pass_mark"], {"rule"}, {"rule"})
        rule = rules.get(pm["rule"])
        if rule is None or rule.kind != "pass_mark" or rule.condition.op != "ge":
            raise _fail(where, f"pass_mark rule {pm['rule']!r} is not a 'ge' pass-mark rule")
        pass_mark = PassMark(value=_dec(where, rule.condition.value), rule=rule.id,
                             citation=rule.citation)
    ovv = None
    if raw.get("one_vote_veto"):
        o = _keys(f"{where}.one_vote_veto", raw["one_vote_veto"], {"text", "conditions"},
                  {"text", "conditions"})
        conds = tuple((str(c["id"]), str(c["label"])) for c in o["conditions"])
        ovv = OneVoteVeto(text=o["text"], conditions=conds)
    tr = _keys(f"{where}.total_row", raw.get("total_row") or {"label": ""}, {"number", "label"}, {"label"})
    return ScoringTable(
        id=tid, jurisdiction=jur, title=raw["title"], subtitle=raw.get("subtitle"),
        attachment=raw["attachment"], purpose=raw["purpose"], form=raw["form"], kinds=kinds,
        total=total, citation=_citation(f"{where}.citation", raw["citation"], DOCUMENTS[jur]),
        items=items, total_row_number=tr.get("number"), total_row_label=tr["label"],
        pass_mark=pass_mark, refund=raw.get("refund"), one_vote_veto=ovv,
        notes=tuple(raw.get("notes") or ()), remark_item=raw.get("remark_item"),
        facts=facts, derived_note=raw.get("derived_note"),
    )


def parse_refund(raw: Any, where: str = "refund") -> Refund:
    _keys(where, raw, {"id", "jurisdiction", "document", "citation", "retain", "penalty",
                       "kept_note", "brackets", "gaps"},
          {"id", "jurisdiction", "document", "citation", "retain", "penalty", "brackets"})
    doc = raw["document"]
    ret = _keys(f"{where}.retain", raw["retain"], {"rate", "pay_rate", "citation"},
                {"rate", "pay_rate", "citation"})
    rate, pay = _dec(where, ret["rate"]), _dec(where, ret["pay_rate"])
    if rate + pay != 1:
        raise _fail(where, "the retained and the paid shares must add up to 1")
    pen = _keys(f"{where}.penalty", raw["penalty"], {"multiple", "citations"}, {"multiple", "citations"})
    quote = raw["citation"].get("quote") if isinstance(raw["citation"], dict) else None
    brackets, gaps = _bands(f"{where}.brackets", raw["brackets"], "share", Decimal(0), Decimal(100),
                            raw.get("gaps"), quote)
    if any(not 0 <= b.value <= 1 for b in brackets):
        raise _fail(where, "a share is between 0 and 1")
    return Refund(
        id=raw["id"], jurisdiction=raw["jurisdiction"],
        citation=_citation(f"{where}.citation", raw["citation"], doc),
        retain_rate=rate, pay_rate=pay,
        retain_citation=_citation(f"{where}.retain.citation", ret["citation"], doc),
        penalty_multiple=_dec(where, pen["multiple"]),
        penalty_citations={k: _citation(f"{where}.penalty.{k}", v, doc)
                           for k, v in pen["citations"].items()},
        kept_note=raw.get("kept_note", ""), brackets=brackets, gaps=gaps,
    )


def _read(path: Path) -> Any:
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise _fail(path.name, f"YAML: {e}") from None


@lru_cache(maxsize=1)
def _load_all() -> tuple[dict[str, ScoringTable], dict[str, Refund]]:
    tables: dict[str, ScoringTable] = {}
    refunds: dict[str, Refund] = {}
    for path in sorted(DATA_DIR.glob("*.yaml")):
        raw = _read(path)
        if isinstance(raw, dict) and "brackets" in raw:
            obj = parse_refund(raw, path.name)
            refunds[obj.id] = obj
        else:
            obj = parse_table(raw, path.name)
            tables[obj.id] = obj
        if obj.id != path.stem:
            raise _fail(path.name, f"file name must be the id {obj.id}")
    for t in tables.values():
        if t.refund and t.refund not in refunds:
            raise _fail(t.id, f"unknown refund {t.refund!r}")
        for i in t.items:
            if i.survey and i.survey not in tables:
                raise _fail(t.id, f"item {i.id}: unknown survey table {i.survey!r}")
            if i.survey and tables[i.survey].total != i.points:
                raise _fail(t.id, f"item {i.id}: the survey's total differs from the points")
    return tables, refunds


def all_tables() -> list[ScoringTable]:
    return sorted(_load_all()[0].values(), key=lambda t: (t.jurisdiction, t.id))


def get_table(table_id: str) -> ScoringTable:
    tables = _load_all()[0]
    if table_id not in tables:
        raise UnknownName("table", "评分表", table_id, sorted(tables))
    return tables[table_id]


def get_refund(refund_id: str) -> Refund:
    refunds = _load_all()[1]
    if refund_id not in refunds:
        raise UnknownName("refund", "返还办法", refund_id, sorted(refunds))
    return refunds[refund_id]


def all_refunds() -> list[Refund]:
    return sorted(_load_all()[1].values(), key=lambda r: r.id)
