"""Scoring one filled-in table: per item its score and the reasons, vetoes, total, pass.

Arithmetic is ``Decimal`` throughout (points like 0.25 and 0.5 are exact); no float is ever
made from an input.  Input (the same JSON for ``xieyi score`` and ``POST /api/score``)::

    {"kind": "medical", "institution": "…", "date": "2024-05-01",
     "items": {"1": {"met": true},                       # veto item
               "6": {"departments": true, "bed_staff_ratio": false},
               "10": {"elements": ["日清单"]},             # present elements, or a count missing
               "1.1": {"deductions": [{"points": 1, "reason": "…"}]}},  # the panel's own
     "one_vote_veto": {"impersonation": false, "false_materials": false}}

Every applicable item must be given: a table silently scored from half its items is the
slip this package exists to prevent.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from forms.errors import FieldProblem, ScoreInputInvalid

from ._loader import KIND_ZH, get_refund, get_table
from ._model import Check, Item, ScoringTable, _fmt

ZERO = Decimal(0)
CENT = Decimal("0.01")


def fmt(d: Decimal | None) -> str | None:
    """A score as printed: no exponent, no trailing zeros (12.5, 15, 14.75)."""
    return None if d is None else _fmt(d)


class _Problems:
    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, field: str, code: str, zh: str, en: str) -> None:
        # the command line prints messages without the field path: name the item in them
        parts = field.split(".")
        if parts[0] == "items" and len(parts) > 1:
            item = ".".join(parts[1:3]) if len(parts) > 2 and parts[2].isdigit() else parts[1]
            if not zh.startswith(f"第{item}项"):
                zh, en = f"第{item}项：{zh}", f"item {item}: {en}"
        self.items.append(FieldProblem(field, code, zh, en))


def _number(v: Any, where: str, label: str, probs: _Problems, integer: bool = False) -> Decimal | None:
    if isinstance(v, bool) or not isinstance(v, (int, float, str, Decimal)):
        probs.add(where, "not_a_number", f"{label}应为数字，收到：{v!r}",
                  f"{label}: expected a number, got {v!r}")
        return None
    try:
        # str(): a JSON float 800.5 is taken as the decimal 800.5 the user wrote
        d = Decimal(str(v).strip())
    except InvalidOperation:
        probs.add(where, "not_a_number", f"{label}应为数字，收到：{v!r}",
                  f"{label}: expected a number, got {v!r}")
        return None
    if not d.is_finite():
        probs.add(where, "not_a_number", f"{label}应为有限的数字", f"{label}: not a finite number")
        return None
    if d < 0:
        probs.add(where, "negative", f"{label}不能为负数：{v}", f"{label}: must not be negative: {v}")
        return None
    if integer and d != d.to_integral_value():
        probs.add(where, "not_an_integer", f"{label}应为整数：{v}", f"{label}: must be a whole number: {v}")
        return None
    return d


def _bool(v: Any, where: str, label: str, probs: _Problems) -> bool | None:
    if not isinstance(v, bool):
        probs.add(where, "not_boolean", f"{label}应为是（true）或否（false），收到：{v!r}",
                  f"{label}: expected true or false, got {v!r}")
        return None
    return v


def _check(item: Item, c: Check, v: Any, where: str, probs: _Problems) -> tuple[Decimal, str] | None:
    """The points one check takes off (deduct) or gives (award), with its reason."""
    unit = c.unit or ""
    if c.type in ("required", "each"):
        ok = _bool(v, where, c.label, probs)
        if ok is None:
            return None
        if c.type == "required":
            return (ZERO, f"{c.label}：符合") if ok else (c.deduct, f"{c.label}：不符合，扣{fmt(c.deduct)}分")
        return (c.points, f"{c.label}：是，得{fmt(c.points)}分") if ok else (ZERO, f"{c.label}：否，不得分")
    if c.type == "per_missing":
        if c.elements and isinstance(v, list):
            bad = [e for e in v if e not in c.elements]
            if bad or len(set(v)) != len(v):
                probs.add(where, "unknown_element",
                          f"{c.label}中有本项未列出或重复的项目：{'、'.join(map(str, bad)) or '重复'}"
                          f"（可选：{'、'.join(c.elements)}）",
                          f"{c.label}: elements not listed by this item or repeated: {bad}")
                return None
            missing = [e for e in c.elements if e not in v]
            n = Decimal(len(missing))
            what = f"缺{'、'.join(missing)}" if missing else "齐全"
        else:
            d = _number(v, where, c.label, probs, integer=True)
            if d is None:
                return None
            n, what = d, f"{c.label}{fmt(d)}{unit or '项'}"
        return n * c.deduct, (f"{c.label}：{what}，每项扣{fmt(c.deduct)}分，扣{fmt(n * c.deduct)}分"
                              if n else f"{c.label}：{what}")
    if c.type in ("per_unit_short", "per_count", "minimum", "bands"):
        d = _number(v, where, c.label, probs, integer=c.type in ("per_unit_short", "per_count"))
        if d is None:
            return None
        if c.type == "per_unit_short":
            short = max(ZERO, c.required - d)
            return short * c.deduct, (f"{c.label}{fmt(d)}{unit}，应{fmt(c.required)}{unit}，"
                                      f"少{fmt(short)}{unit}，扣{fmt(short * c.deduct)}分")
        if c.type == "per_count":
            got = min(d * c.each, c.max)
            return got, f"{c.label}{fmt(d)}{unit}，每{unit or '项'}{fmt(c.each)}分，得{fmt(got)}分（最高{fmt(c.max)}分）"
        if c.type == "minimum":
            # 以上 includes the mark: exactly the minimum meets it
            if d >= c.required:
                return ZERO, f"{c.label}{fmt(d)}{unit}，达到{fmt(c.required)}{unit}以上"
            return c.deduct, f"{c.label}{fmt(d)}{unit}，不足{fmt(c.required)}{unit}，扣{fmt(c.deduct)}分"
        band = next(b for b in c.bands if b.contains(d))
        return band.value, f"{c.label}{fmt(d)}{unit}（{band.describe(unit)}），得{fmt(band.value)}分"
    if c.type == "choice":
        opts = dict(c.options)
        if v not in opts:
            probs.add(where, "unknown_option", f"{c.label}只能选择：{'、'.join(opts)}，收到：{v!r}",
                      f"{c.label}: one of {list(opts)}, got {v!r}")
            return None
        return opts[v], f"{c.label}：{v}，得{fmt(opts[v])}分"
    raise AssertionError(c.type)


def _panel_deductions(item: Item, raw: Any, where: str, probs: _Problems) -> list[tuple[Decimal, str]]:
    out: list[tuple[Decimal, str]] = []
    if not isinstance(raw, list):
        probs.add(where, "not_a_list", "扣分应为列表：[{\"points\": 分值, \"reason\": \"理由\"}]",
                  "deductions: a list of {points, reason}")
        return out
    for k, d in enumerate(raw):
        w = f"{where}.{k}"
        if not isinstance(d, dict) or set(d) - {"points", "reason"} or "points" not in d:
            probs.add(w, "bad_deduction", "每项扣分写作 {\"points\": 分值, \"reason\": \"理由\"}",
                      "each deduction is {points, reason}")
            continue
        reason = d.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            probs.add(w, "reason_missing", "扣分须写明理由", "a deduction needs its reason")
            continue
        p = _number(d["points"], f"{w}.points", "扣分", probs)
        if p is None:
            continue
        if p > item.points:
            probs.add(f"{w}.points", "deduction_too_large",
                      f"第{item.id}项扣{fmt(p)}分，超过本项标准分{fmt(item.points)}分",
                      f"item {item.id}: a deduction of {fmt(p)} exceeds the item's {fmt(item.points)} points")
            continue
        out.append((p, reason.strip()))
    return out


def _score_item(table: ScoringTable, item: Item, raw: Any, where: str, probs: _Problems) -> dict:
    out: dict[str, Any] = {
        "id": item.id, "number": item.number, "group": item.group, "name": item.name,
        "content": item.content, "standard": item.standard, "points": fmt(item.points),
        "mode": item.mode,
    }
    if not isinstance(raw, dict):
        probs.add(where, "not_an_object", f"第{item.id}项的数据应为对象（{{...}}）",
                  f"item {item.id}: expected an object")
        return out
    if item.mode == "veto":
        if set(raw) != {"met"}:
            probs.add(where, "bad_veto", f"第{item.id}项（单项否决）只填 met：true（符合）或 false（不符合）",
                      f"item {item.id} (veto): give only met: true or false")
            return out
        met = _bool(raw["met"], f"{where}.met", f"第{item.id}项", probs)
        out["passed"] = met
        out["rules"] = list(item.rules)
        return out
    deductions: list[tuple[Decimal, str]] = []
    awards: list[tuple[Decimal, str]] = []
    given = dict(raw)
    if "deductions" in given:
        deductions += _panel_deductions(item, given.pop("deductions"), f"{where}.deductions", probs)
    if item.mode == "panel":
        if given:
            probs.add(where, "unknown_check", f"第{item.id}项只填 deductions（评分人的扣分及理由）",
                      f"item {item.id}: give only deductions")
        elif "deductions" not in raw:
            probs.add(where, "missing_input", f"第{item.id}项缺少 deductions（无扣分时写 []）",
                      f"item {item.id}: deductions missing (an empty list for none)")
    elif item.mode == "entered":
        # the panel's own score (Jilin: the 评估标准 are not published, only the total is)
        if set(given) != {"score"}:
            probs.add(where, "missing_input", f"第{item.id}项只填 score（专家组评估得分）",
                      f"item {item.id}: give only score")
        else:
            s = _number(given["score"], f"{where}.score", f"第{item.id}项得分", probs)
            if s is not None and s > item.points:
                probs.add(f"{where}.score", "score_too_large",
                          f"第{item.id}项得分{fmt(s)}超过满分{fmt(item.points)}分",
                          f"item {item.id}: {fmt(s)} exceeds the maximum of {fmt(item.points)}")
            elif s is not None:
                awards.append((s, "专家组评估得分（录入）"))
    elif item.mode == "survey":
        score = _survey(table, item, given, where, probs)
        if score is not None:
            awards.append(score)
    else:
        unknown = set(given) - {c.id for c in item.checks}
        for u in sorted(unknown):
            probs.add(f"{where}.{u}", "unknown_check",
                      f"第{item.id}项没有“{u}”（可填：{'、'.join(c.id for c in item.checks)}）",
                      f"item {item.id} has no {u!r} (one of: {', '.join(c.id for c in item.checks)})")
        if "deductions" not in raw or given:
            for c in item.checks:
                if c.id not in given:
                    probs.add(f"{where}.{c.id}", "missing_input", f"第{item.id}项缺少“{c.label}”（{c.id}）",
                              f"item {item.id}: {c.id} missing")
                    continue
                r = _check(item, c, given[c.id], f"{where}.{c.id}", probs)
                if r is not None:
                    (deductions if item.mode == "deduct" else awards).append(r)
    if item.mode in ("deduct", "panel"):
        raw_score = item.points - sum((d for d, _ in deductions), ZERO)
    else:
        # awards are capped at the item's points (最高X分); the panel's deductions come after
        raw_score = min(item.points, sum((a for a, _ in awards), ZERO)) \
            - sum((d for d, _ in deductions), ZERO)
    # 扣完为止: an item stops at zero and never borrows from another item
    score = max(ZERO, min(item.points, raw_score))
    out["score"] = fmt(score)
    out["_score"] = score
    out["deductions"] = [{"points": fmt(d), "reason": r} for d, r in deductions if d]
    out["awards"] = [{"points": fmt(a), "reason": r} for a, r in awards]
    out["floored"] = raw_score < 0
    return out


def _survey(table: ScoringTable, item: Item, given: dict, where: str, probs: _Problems):
    if "score" in given and set(given) == {"score"} | ({"reason"} & set(given)):
        s = _number(given["score"], f"{where}.score", f"第{item.id}项得分", probs)
        if s is None:
            return None
        if s > item.points:
            probs.add(f"{where}.score", "score_too_large",
                      f"第{item.id}项得分{fmt(s)}超过标准分{fmt(item.points)}分",
                      f"item {item.id}: {fmt(s)} exceeds {fmt(item.points)} points")
            return None
        return s, str(given.get("reason") or "调查表得分（录入）")
    if set(given) == {"surveys"} and isinstance(given["surveys"], list) and given["surveys"]:
        totals = []
        for k, sv in enumerate(given["surveys"]):
            try:
                res = score(item.survey, sv if isinstance(sv, dict) else {"items": sv})
            except ScoreInputInvalid as e:
                for d in e.details:
                    probs.add(f"{where}.surveys.{k}.{d.field}", d.code, d.message_zh, d.message_en)
                continue
            totals.append(Decimal(res["total"]))
        if len(totals) != len(given["surveys"]):
            return None
        mean = (sum(totals, ZERO) / len(totals)).quantize(CENT, ROUND_HALF_UP)
        return mean, f"{len(totals)}份调查表的平均得分（保留两位小数，四舍五入）"
    probs.add(where, "missing_input", f"第{item.id}项填 score（调查表得分）或 surveys（各份调查表）",
              f"item {item.id}: give score or surveys")
    return None


def read_header(table: ScoringTable, data: dict, kind: str | None, probs: _Problems,
                noun_zh: str) -> tuple[str | None, str | None, Any]:
    """The kind of institution, the date and the institution of a scoring input, shared
    by point tables and checklists (``noun_zh``: 该表 or 该标准, as the messages say)."""
    kind = kind or data.get("kind") or (table.kinds[0] if len(table.kinds) == 1 else None)
    if kind is None:
        probs.add("kind", "missing_kind",
                  f"{noun_zh}适用于多类机构，请指明 kind（{'、'.join(table.kinds)}）",
                  f"this table is for several kinds: give kind ({', '.join(table.kinds)})")
    elif kind not in table.kinds:
        probs.add("kind", "unknown_kind",
                  f"{noun_zh}不适用于 {kind}（可选：{'、'.join(table.kinds)}）",
                  f"kind {kind!r} is not one of {list(table.kinds)}")
        kind = None
    date = data.get("date")
    if date is not None:
        try:
            date = dt.date.fromisoformat(str(date)).isoformat()
        except ValueError:
            probs.add("date", "not_a_date", f"日期应为 YYYY-MM-DD：{date!r}", f"not a date: {date!r}")
    inst = data.get("institution")
    if inst is not None and not isinstance(inst, str):
        probs.add("institution", "not_text", "机构名称应为文字", "institution must be text")
    return kind, date, inst


def score(table_id: str, data: Any, kind: str | None = None) -> dict:
    """Score ``data`` on table ``table_id``; raises ``ScoreInputInvalid`` naming each item."""
    table = get_table(table_id)
    if table.purpose == "checklist":
        from ._checklist import score_checklist

        return score_checklist(table, data, kind)
    probs = _Problems()
    if not isinstance(data, dict):
        raise ScoreInputInvalid("评分", "a scoring", [FieldProblem(
            "", "not_an_object", "输入应为 JSON 对象", "the input must be a JSON object")])
    allowed = {"kind", "institution", "date", "items", "one_vote_veto", "header", "remark"}
    for k in sorted(set(data) - allowed):
        probs.add(k, "unknown_key", f"不认识的键：{k}", f"unknown key: {k}")
    kind, date, inst = read_header(table, data, kind, probs, "该表")
    raw_items = data.get("items")
    if not isinstance(raw_items, dict):
        probs.add("items", "missing_items", "缺少 items（按项目序号给出各项数据）",
                  "items missing: an object keyed by item number")
        raw_items = {}
    for k in raw_items:
        it = table.item(str(k))
        if it is None:
            probs.add(f"items.{k}", "unknown_item",
                      f"{table.title}没有第{k}项（可填：{'、'.join(i.id for i in table.items)}）",
                      f"{table.id} has no item {k!r}")
        elif kind and not it.applies(kind):
            probs.add(f"items.{k}", "not_applicable", f"第{k}项{it.remark or '不适用于该类机构'}，{KIND_ZH[kind]}不参与",
                      f"item {k} does not apply to {kind}")
    results = []
    for it in table.items:
        if kind and not it.applies(kind):
            results.append({"id": it.id, "number": it.number, "group": it.group, "name": it.name,
                            "content": it.content, "points": fmt(it.points), "mode": it.mode,
                            "applies": False, "remark": it.remark})
            continue
        if it.id not in raw_items:
            probs.add(f"items.{it.id}", "missing_item", f"缺少第{it.id}项的评分数据",
                      f"item {it.id}: no input")
            continue
        r = _score_item(table, it, raw_items[it.id], f"items.{it.id}", probs)
        r["applies"] = True
        r["remark"] = it.remark
        results.append(r)
    ovv_out = None
    if table.one_vote_veto:
        raw = data.get("one_vote_veto")
        ids = [c for c, _ in table.one_vote_veto.conditions]
        if not isinstance(raw, dict) or set(raw) != set(ids):
            probs.add("one_vote_veto", "missing_input",
                      f"请对一票否决情形逐一填写是否发生（{'、'.join(ids)}：true/false）",
                      f"one_vote_veto: give each of {ids} as true or false")
        else:
            hit = [label for cid, label in table.one_vote_veto.conditions
                   if _bool(raw[cid], f"one_vote_veto.{cid}", label, probs)]
            ovv_out = {"text": table.one_vote_veto.text, "triggered": bool(hit), "conditions": hit}
    elif data.get("one_vote_veto") is not None:
        probs.add("one_vote_veto", "not_applicable", "该表没有一票否决项", "this table has no one-vote veto")
    if probs.items:
        raise ScoreInputInvalid(f"{table.title}评分", f"the scoring of {table.id}", probs.items)

    subtotal = sum((r["_score"] for r in results if "_score" in r), ZERO)
    total = ZERO if ovv_out and ovv_out["triggered"] else subtotal
    maximum = sum((i.points for i in table.applicable(kind) if i.points is not None), ZERO)
    vetoes = [{"id": r["id"], "name": r["name"], "content": r["content"], "passed": r["passed"],
               "rules": r["rules"]} for r in results if r.get("mode") == "veto"]
    vetoed = any(not v["passed"] for v in vetoes)
    for r in results:
        r.pop("_score", None)
    out: dict[str, Any] = {
        "table": table.id, "title": table.title, "subtitle": table.subtitle,
        "attachment": table.attachment, "kind": kind, "kind_zh": KIND_ZH[kind],
        "institution": inst, "date": date,
        "items": results, "vetoes": vetoes, "vetoed": vetoed,
        "one_vote_veto": ovv_out, "subtotal": fmt(subtotal), "total": fmt(total),
        "maximum": fmt(maximum),
        "citation": table.citation.to_dict(),
    }
    if table.pass_mark:
        pm = table.pass_mark
        out["pass_mark"] = {"value": fmt(pm.value), "inclusive": True, "rule": pm.rule,
                            "citation": pm.citation.to_dict()}
        # 以上 includes the mark (民法典 第一千二百五十九条); a failed veto fails whatever the points
        out["passed"] = (not vetoed) and total >= pm.value
        reasons = []
        if vetoed:
            reasons.append("单项否决：" + "、".join(f"第{v['id']}项{v['name']}" for v in vetoes if not v["passed"]))
        if total < pm.value:
            reasons.append(f"得分{fmt(total)}分，未达{fmt(pm.value)}分")
        out["result_zh"] = "合格" if out["passed"] else "不合格（" + "；".join(reasons) + "）"
    else:
        out["pass_mark"] = None
        out["passed"] = None
    if table.refund:
        ref = get_refund(table.refund)
        b = ref.bracket(total)
        out["refund"] = {"share": fmt(b.value), "label": b.label, "bracket": b.describe("分"),
                         "citation": ref.citation.to_dict()}
    if table.derived_note:
        out["derived"] = True
        out["derived_note"] = table.derived_note
    if table.remark_item and isinstance(data.get("remark"), str):
        out["remark"] = data["remark"]
    if isinstance(data.get("header"), dict):
        out["header"] = data["header"]
    return out
