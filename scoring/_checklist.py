"""Scoring a checklist (Tianjin 附件1-3 评估标准): each condition met or not, no points.

The 评估标准 state conditions, not points, so the evaluation passes only when every
condition that applies to the institution is met; a result names each failed condition by
its official number, wording and citation.  Input (the same JSON for ``xieyi score`` and
``POST /api/score``)::

    {"kind": "hearing_aid", "institution": "…", "date": "2024-09-01",
     "facts": {"medical_institution": false},
     "items": {"1": {"legal_person": true, "license": true, "business_years": 4},
               "3": {"met": true},                            # a condition without checks
               "5.1.1": {"rooms": ["接待室", "制作室", "功能训练室"], "rooms_area": 120,
                         "training_room_area": 30}}}

Every applicable condition must be given (a checklist silently passed on half its
conditions is the slip this package exists to prevent); a condition that does not apply
(another kind, or a fact that rules it out) must not be given.
"""

from __future__ import annotations

from typing import Any

from forms.errors import FieldProblem, ScoreInputInvalid

from ._input import _bool, _number, read_header
from ._input import _Problems as _P
from ._loader import KIND_ZH
from ._model import Check, Citation, Item, ScoringTable, _fmt


class _Problems:
    """Per-item problems, each message naming the condition by its official number (the
    item ids have dots of their own, so the field path cannot be split to find the item)."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, field: str, code: str, zh: str, en: str, item: Item | None = None) -> None:
        if item is not None:
            zh, en = f"第{item.number}项（{item.id}）：{zh}", f"condition {item.id} ({item.number}): {en}"
        self.items.append(FieldProblem(field, code, zh, en))


def _citation(table: ScoringTable, item: Item) -> dict:
    # the same shape as every other citation: with the reference that opens the article
    return Citation(document=table.citation.document,
                    article=f"{table.attachment} {item.number}", quote=item.content).to_dict()


def _check(item: Item, c: Check, v: Any, where: str, probs: _Problems) -> dict | None:

    # the shared validators report into their own collector: move the problems over,
    # named by the condition's official number
    p = _P()
    unit = c.unit or ""
    out: dict[str, Any] = {"id": c.id, "label": c.label, "type": c.type}
    if c.type == "required":
        ok = _bool(v, where, c.label, p)
        if ok is not None:
            out.update(value=ok, met=ok, reason=f"{c.label}：{'是' if ok else '否'}")
    elif c.type == "minimum":
        d = _number(v, where, c.label, p)
        if d is not None:
            # 以上/不少于/及以上 include the threshold itself
            ok = d >= c.required
            out.update(value=_fmt(d), required=_fmt(c.required), unit=c.unit, met=ok,
                       reason=f"{c.label}{_fmt(d)}{unit}，" + (f"达到{_fmt(c.required)}{unit}" if ok
                                                             else f"不足{_fmt(c.required)}{unit}"))
            if c.rule:
                out["rule"] = c.rule
    else:  # per_missing: every named element must be present
        if not isinstance(v, list) or not all(isinstance(e, str) for e in v):
            p.add(where, "not_a_list", f"{c.label}应为列表（可选：{'、'.join(c.elements)}）",
                  f"{c.label}: expected a list of {list(c.elements)}")
        else:
            bad = [e for e in v if e not in c.elements]
            if bad or len(set(v)) != len(v):
                p.add(where, "unknown_element",
                      f"{c.label}中有未列出或重复的项目：{'、'.join(bad) or '重复'}（可选：{'、'.join(c.elements)}）",
                      f"{c.label}: elements not listed or repeated: {bad}")
            else:
                missing = [e for e in c.elements if e not in v]
                out.update(value=list(v), missing=missing, met=not missing,
                           reason=f"{c.label}：" + (f"缺{'、'.join(missing)}" if missing else "齐全"))
    for fp in p.items:
        probs.add(fp.field, fp.code, fp.message_zh, fp.message_en, item)
    return None if p.items else out


def _condition(table: ScoringTable, item: Item, raw: Any, facts: dict, where: str,
               probs: _Problems) -> dict:
    out: dict[str, Any] = {"id": item.id, "number": item.number, "group": item.group,
                           "name": item.name, "content": item.content, "mode": "condition",
                           "applies": True, "rules": list(item.rules),
                           "citation": _citation(table, item), "checks": []}
    if item.fact:
        # read from the table's fact (假牙仅医疗机构可以配置): no input of its own
        if raw is not None:
            probs.add(where, "not_an_input", f"本项由 facts.{item.fact} 判定，不另填写",
                      f"decided by facts.{item.fact}: give no input", item)
            return out
        label = dict(table.facts)[item.fact]
        met = facts.get(item.fact)
        out["met"] = met
        out["checks"] = [{"id": item.fact, "label": label, "type": "fact", "value": met, "met": met,
                          "reason": f"{label}：{'是' if met else '否'}"}]
        return out
    if not isinstance(raw, dict):
        probs.add(where, "not_an_object", "数据应为对象（{...}）", "expected an object", item)
        return out
    if not item.checks:
        if set(raw) != {"met"}:
            probs.add(where, "bad_condition", "只填 met：true（符合）或 false（不符合）",
                      "give only met: true or false", item)
            return out

        p = _P()
        met = _bool(raw["met"], f"{where}.met", "是否符合", p)
        for fp in p.items:
            probs.add(fp.field, fp.code, fp.message_zh, fp.message_en, item)
        out["met"] = met
        return out
    ids = [c.id for c in item.checks]
    for u in sorted(set(raw) - set(ids)):
        probs.add(f"{where}.{u}", "unknown_check", f"没有“{u}”（可填：{'、'.join(ids)}）",
                  f"no {u!r} (one of: {', '.join(ids)})", item)
    results = []
    for c in item.checks:
        if c.id not in raw:
            probs.add(f"{where}.{c.id}", "missing_input", f"缺少“{c.label}”（{c.id}）",
                      f"{c.id} missing", item)
            continue
        r = _check(item, c, raw[c.id], f"{where}.{c.id}", probs)
        if r is not None:
            results.append(r)
    out["checks"] = results
    if len(results) == len(item.checks):
        out["met"] = all(r["met"] for r in results)
    return out


def score_checklist(table: ScoringTable, data: Any, kind: str | None = None) -> dict:
    probs = _Problems()
    if not isinstance(data, dict):
        raise ScoreInputInvalid("评估", "an evaluation", [FieldProblem(
            "", "not_an_object", "输入应为 JSON 对象", "the input must be a JSON object")])
    for k in sorted(set(data) - {"kind", "institution", "date", "items", "facts"}):
        probs.add(k, "unknown_key", f"不认识的键：{k}", f"unknown key: {k}")

    kind, date, inst = read_header(table, data, kind, probs, "该标准")
    facts: dict[str, bool] = {}
    raw_facts = data.get("facts") if table.facts else data.get("facts", {})
    if table.facts:
        if not isinstance(raw_facts, dict):
            raw_facts = {}
        for fid, label in table.facts:
            v = raw_facts.get(fid)
            if not isinstance(v, bool):
                probs.add(f"facts.{fid}", "not_boolean",
                          f"请填写“{label}”（facts.{fid}：true/false），收到：{v!r}",
                          f"facts.{fid}: true or false, got {v!r}")
            else:
                facts[fid] = v
        for k in sorted(set(raw_facts) - {f for f, _ in table.facts}):
            probs.add(f"facts.{k}", "unknown_key", f"不认识的情况：{k}", f"unknown fact: {k}")
    elif raw_facts:
        probs.add("facts", "not_applicable", "该标准没有需要填写的机构情况", "this table has no facts")
    raw_items = data.get("items")
    if not isinstance(raw_items, dict):
        probs.add("items", "missing_items", "缺少 items（按条件序号给出各项是否符合）",
                  "items missing: an object keyed by condition number")
        raw_items = {}
    facts_known = len(facts) == len(table.facts)

    def applies(it: Item) -> bool:
        return (kind is None or it.applies(kind)) and (not facts_known or it.applies_given(facts))

    for k in raw_items:
        it = table.item(str(k))
        if it is None:
            probs.add(f"items.{k}", "unknown_item",
                      f"{table.title}没有第{k}项条件（可填：{'、'.join(i.id for i in table.items)}）",
                      f"{table.id} has no condition {k!r}")
        elif kind and facts_known and not applies(it):
            probs.add(f"items.{k}", "not_applicable", f"该条件不适用于本机构（{KIND_ZH[kind]}），不填",
                      f"condition {k} does not apply to this institution ({kind})", it)
    conditions = []
    for it in table.items:
        if kind is None or not facts_known:
            break
        if not applies(it):
            conditions.append({"id": it.id, "number": it.number, "group": it.group, "name": it.name,
                               "content": it.content, "mode": "condition", "applies": False,
                               "remark": it.remark, "citation": _citation(table, it)})
            continue
        if not it.fact and it.id not in raw_items:
            probs.add(f"items.{it.id}", "missing_item", "缺少是否符合的数据", "no input", it)
            continue
        conditions.append(_condition(table, it, raw_items.get(it.id), facts, f"items.{it.id}", probs))
    if probs.items:
        raise ScoreInputInvalid(f"{table.title}评估", f"the evaluation on {table.id}", probs.items)

    applicable = [c for c in conditions if c["applies"]]
    failed = [c for c in applicable if not c["met"]]
    for c in conditions:
        # the fields the command line's report reads (it prints a score per item)
        c.update(points="—", score="符合" if c.get("met") else ("不符合" if c["applies"] else "不适用"),
                 deductions=[], awards=[])
    failed_out = [{"id": c["id"], "number": c["number"], "content": c["content"],
                   "citation": c["citation"], "rules": c["rules"],
                   "reasons": [r["reason"] for r in c["checks"] if not r["met"]]} for c in failed]
    passed = not failed
    reason = "；".join(f"{table.attachment} {c['number']}" + (f"（{'，'.join(c['reasons'])}）" if c["reasons"] else "")
                      for c in failed_out)
    return {
        "table": table.id, "title": table.title, "subtitle": table.subtitle,
        "attachment": table.attachment, "purpose": "checklist", "kind": kind, "kind_zh": KIND_ZH[kind],
        "institution": inst, "date": date, "facts": facts,
        "items": conditions, "failed": failed_out,
        "met": str(len(applicable) - len(failed)), "conditions": str(len(applicable)),
        # the command line's report prints total / maximum: conditions met of those that apply
        "total": str(len(applicable) - len(failed)), "maximum": str(len(applicable)),
        "pass_mark": None, "vetoes": [], "vetoed": False, "one_vote_veto": None, "refund": None,
        "passed": passed,
        "result_zh": "符合评估标准" if passed else f"不符合评估标准（未符合：{reason}）",
        "rule_zh": "评估标准列明的条件逐项须符合，任一项不符合即不通过",
        "citation": table.citation.to_dict(), "notes": list(table.notes),
        "derived": table.derived_note is not None, "derived_note": table.derived_note,
    }


def report(r: dict) -> str:
    """A readable Chinese report of a checklist result (``xieyi score`` without ``--json``)."""
    lines = [f"{r['title']}（{r['kind_zh']}）"]
    for c in r["items"]:
        if not c["applies"]:
            lines.append(f"  {c['number']}  不适用")
            continue
        lines.append(f"  {c['number']}  {'符合' if c['met'] else '不符合'}")
        for ch in c.get("checks", []):
            lines.append(f"          {ch['reason']}")
    lines.append(f"符合 {r['met']} / {r['conditions']} 项：{r['result_zh']}")
    c = r["citation"]
    lines.append(f"依据：{c['document']} {c['article']}")
    return "\n".join(lines)
