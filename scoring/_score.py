"""Scoring one filled-in table: per item its score and the reasons, vetoes, total, pass.

Arithmetic is ``Decimal`` throughout (points like 0.25 and 0.5 are exact); no float is ever
made from an input.  Input (the same JSON for ``xieyi score`` and ``POST /api/score``)::

    {"kind": "medical", "institution": "…", "date": "2024-05-01",
     "items": {"1": {"met": true},                       # veto item
               "6": {"departments": true, "bed_staff_ratio": false},
               "10": {"elements": ["日清单"]},             # present elements, or a count missing
               "1.1": {"deductions": [{"points": 1, "reason": "…"}]}},  # the panel's own
     "one_vote_veto": {"impersonation": false, "false_materials": false},
     "resolve": {"7.1": "3"}}                        # the panel's band for a gap, see below

Every applicable item must be given: a table silently scored from half its items is the
slip this package exists to prevent.

A number in a gap or an overlap of an official table's bands (假肢矫形器 7.1: exactly 150㎡,
in neither 大于150m² nor 小于150m²) is not scored by xieyi: the item gets ``"score": null``,
``"pending": true`` and a ``decision`` (the gap, the rule as printed, the choices), the result
a warning, ``"provisional": true``, ``"total": null`` with the ``total_range`` the choices
allow, and ``"passed": null`` (unless a veto failed).  ``resolve`` gives the panel's choice
per item (``{"7.1": "3"}``: the band by its points, label or printed text; ``"refund"`` for
the 履约保证金 bracket of an annual total); the item's ``decision`` then records
``"decided_by": "panel"``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from forms.errors import FieldProblem, ScoreInputInvalid

from ._bands import band_name, band_text, decision, match, warning
from ._checklist import score_checklist
from ._input import _bool, _number, _Problems, read_header
from ._loader import KIND_ZH, get_refund, get_table
from ._model import Band, BandGap, Check, Item, ScoringTable, _fmt, locate

ZERO = Decimal(0)
CENT = Decimal("0.01")


def fmt(d: Decimal | None) -> str | None:
    """A score as printed: no exponent, no trailing zeros (12.5, 15, 14.75)."""
    return None if d is None else _fmt(d)


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
        band = next(b for b in c.bands if b.contains(d))  # _band_check handles gaps first
        return band.value, f"{c.label}{fmt(d)}{unit}（{band.describe(unit)}），得{fmt(band.value)}分"
    if c.type == "choice":
        opts = dict(c.options)
        if v not in opts:
            probs.add(where, "unknown_option", f"{c.label}只能选择：{'、'.join(opts)}，收到：{v!r}",
                      f"{c.label}: one of {list(opts)}, got {v!r}")
            return None
        return opts[v], f"{c.label}：{v}，得{fmt(opts[v])}分"
    raise AssertionError(c.type)


class _Resolutions:
    """The panel's choices of ``resolve``: read once, each checked to be used."""

    def __init__(self, raw: Any, probs: _Problems) -> None:
        self.given: dict[str, Any] = {}
        self.used: set[str] = set()
        if raw is None:
            return
        if not isinstance(raw, dict):
            probs.add("resolve", "not_an_object",
                      "resolve 应为对象：{\"项目序号\": \"所选分档\"}，如 {\"7.1\": \"3\"}",
                      "resolve: an object of item id to the chosen band, e.g. {\"7.1\": \"3\"}")
            return
        self.given = {str(k): v for k, v in raw.items()}

    def take(self, key: str) -> Any:
        if key in self.given:
            self.used.add(key)
        return self.given.get(key)


def choose(key: str, what_zh: str, gap: BandGap, printed: tuple[Band, ...], name: Any,
           unit: str, probs: _Problems) -> Band | None:
    """The band ``name`` chooses for ``gap``; a problem (``unknown_band``, ``band_not_a_choice``)
    when it names no band of the item, or one the gap does not border or share."""
    field = f"resolve.{key}"
    bands = list(printed) + [c for c in gap.choices if c.text is None]
    listing = "、".join(f"{band_name(b)}（{band_text(b)}）" for b in bands)
    b = match(tuple(bands), name)
    if b is None:
        probs.add(field, "unknown_band", f"{what_zh}没有“{name}”这一档（可选：{listing}）",
                  f"{key}: {name!r} names none of its bands (one of: "
                  f"{', '.join(band_name(b) for b in bands)})")
        return None
    if all(c.value != b.value for c in gap.choices):
        opts = "、".join(f"{band_name(c)}（{band_text(c)}）" for c in gap.choices)
        probs.add(field, "band_not_a_choice",
                  f"{what_zh}：{gap.describe(unit)}落在官方分档的{gap.kind_zh}，只能在{opts}中决定，"
                  f"“{band_text(b)}”不在其中",
                  f"{key}: the {gap.kind} {gap.describe(unit)} is decided between "
                  f"{', '.join(band_name(c) for c in gap.choices)}; {band_name(b)} is not one of them")
        return None
    return b


def _not_needed(key: str, what_zh: str, where_zh: str, probs: _Problems) -> None:
    probs.add(f"resolve.{key}", "resolve_not_needed",
              f"{what_zh}{where_zh}，不在官方分档的缺口或重叠处，无须评估小组决定（请删去 resolve 中的“{key}”）",
              f"{key}: the value is in one band, no gap or overlap: nothing to resolve")


def _band_check(item: Item, c: Check, v: Any, where: str, probs: _Problems,
                res: _Resolutions) -> tuple[Decimal | None, str, dict | None] | None:
    """A bands check: the band's points, or — in a gap or overlap of the printed bands — the
    panel's choice (``resolve``) or ``None`` points and the decision asked for."""
    d = _number(v, where, c.label, probs)
    name = res.take(item.id)
    if d is None:
        return None
    unit = c.unit or ""
    hit = locate(c.bands, c.gaps, d)
    if isinstance(hit, Band):
        if name is not None:
            _not_needed(item.id, f"第{item.id}项", f"{c.label}{fmt(d)}{unit}属“{hit.text}”一档", probs)
            return None
        return hit.value, f"{c.label}{fmt(d)}{unit}（{hit.text}），得{fmt(hit.value)}分", None
    chosen = None
    if name is not None:
        chosen = choose(item.id, f"第{item.id}项", hit, c.bands, name, unit, probs)
        if chosen is None:
            return None
    dec = decision(hit, value=d, unit=unit, rule=item.standard or "", bands=c.bands, chosen=chosen,
                   what_zh=f"第{item.id}项{c.label}", what_en=f"item {item.id}: {c.id}")
    if chosen is None:
        return None, f"{c.label}{fmt(d)}{unit}（{hit.describe(unit)}，官方分档的{hit.kind_zh}）：待评估小组决定", dec
    return chosen.value, (f"{c.label}{fmt(d)}{unit}（{hit.describe(unit)}，官方分档的{hit.kind_zh}）："
                          f"评估小组决定按“{band_text(chosen)}”，得{fmt(chosen.value)}分"), dec


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


def _score_item(table: ScoringTable, item: Item, raw: Any, where: str, probs: _Problems,
                res: _Resolutions) -> dict:
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
    #: a band in a gap the panel has not decided: its choices' points, and the decision
    pending: tuple[list[Decimal], dict] | None = None
    decided: dict | None = None
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
                if c.type == "bands":
                    b = _band_check(item, c, given[c.id], f"{where}.{c.id}", probs, res)
                    if b is None:
                        continue
                    points, reason, dec = b
                    if points is None:
                        dec["reason"] = reason
                        pending = ([Decimal(x["value"]) for x in dec["choices"]], dec)
                        continue
                    decided = dec
                    r = (points, reason)
                else:
                    r = _check(item, c, given[c.id], f"{where}.{c.id}", probs)
                if r is not None:
                    (deductions if item.mode == "deduct" else awards).append(r)
    def item_score(extra: Decimal = ZERO) -> Decimal:
        if item.mode in ("deduct", "panel"):
            return item.points - sum((d for d, _ in deductions), ZERO)
        # awards are capped at the item's points (最高X分); the panel's deductions come after
        return min(item.points, sum((a for a, _ in awards), extra)) - sum((d for d, _ in deductions), ZERO)

    # 扣完为止: an item stops at zero and never borrows from another item
    clamp = lambda x: max(ZERO, min(item.points, x))  # noqa: E731
    out["deductions"] = [{"points": fmt(d), "reason": r} for d, r in deductions if d]
    out["awards"] = [{"points": fmt(a), "reason": r} for a, r in awards]
    out["pending"] = pending is not None
    out["decision"] = pending[1] if pending else decided
    if pending:
        # not scored until the panel decides: the score each choice would give
        scores = [clamp(item_score(v)) for v in pending[0]]
        out["score"] = None
        out["score_range"] = {"min": fmt(min(scores)), "max": fmt(max(scores))}
        out["_range"] = (min(scores), max(scores))
        out["floored"] = False
        return out
    raw_score = item_score()
    score = clamp(raw_score)
    out["score"] = fmt(score)
    out["score_range"] = None
    out["_score"] = score
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


def _unused_resolutions(table: ScoringTable, res: _Resolutions, kind: str | None, probs: _Problems) -> None:
    """A ``resolve`` key that names no item with bands (``refund`` is taken later)."""
    for key in sorted(set(res.given) - res.used - {"refund"}):
        it = table.item(key)
        if it is None:
            probs.add(f"resolve.{key}", "unknown_item",
                      f"resolve：{table.title}没有第{key}项（有分档的项目："
                      f"{'、'.join(i.id for i in table.items if any(c.type == 'bands' for c in i.checks)) or '无'}）",
                      f"resolve: {table.id} has no item {key!r}")
        elif not any(c.type == "bands" for c in it.checks):
            probs.add(f"resolve.{key}", "not_banded", f"resolve：第{key}项不按分档评分，无可决定的分档",
                      f"resolve: item {key} is not scored by bands")
        elif kind and not it.applies(kind):
            probs.add(f"resolve.{key}", "not_applicable", f"resolve：第{key}项不适用于{KIND_ZH[kind]}",
                      f"resolve: item {key} does not apply to {kind}")
        # an applicable banded item given in items took its resolution; one missing from
        # items is reported as missing_item already
    if "refund" in res.given and not table.refund:
        probs.add("resolve.refund", "not_applicable", "resolve：该表没有履约保证金返还档次",
                  "resolve: this table has no refund brackets")


def refund_bracket(ref, total: Decimal, name: Any, what_zh: str, what_en: str) -> tuple[dict, dict | None]:
    """The 履约保证金 bracket of ``total`` (第三十四条) and its warning, if ``total`` falls in a
    gap or overlap of the brackets: then the share is the agency's choice ``name`` (``resolve``
    ``refund``) or ``None`` until it is given."""
    probs = _Problems()
    hit = ref.bracket(total)
    out = {"share": None, "label": None, "bracket": None, "text": None, "decision": None,
           "citation": ref.citation.to_dict()}
    if isinstance(hit, Band):
        if name is not None:
            _not_needed("refund", "履约保证金返还", f"：{fmt(total)}分属“{hit.text}”一档", probs)
            raise ScoreInputInvalid(what_zh, what_en, probs.items)
        out.update(share=fmt(hit.value), label=hit.label, bracket=hit.describe("分"), text=hit.text)
        return out, None
    chosen = None
    if name is not None:
        chosen = choose("refund", "履约保证金返还", hit, ref.brackets, name, "分", probs)
        if chosen is None:
            raise ScoreInputInvalid(what_zh, what_en, probs.items)
        out.update(share=fmt(chosen.value), label=chosen.label, bracket=hit.describe("分"), text=chosen.text)
    out["decision"] = decision(hit, value=total, unit="分", rule=ref.citation.quote, bands=ref.brackets,
                               chosen=chosen, what_zh="年度考核得分", what_en="the annual score", by="agency")
    return out, warning("refund", out["decision"])


def score(table_id: str, data: Any, kind: str | None = None) -> dict:
    """Score ``data`` on table ``table_id``; raises ``ScoreInputInvalid`` naming each item."""
    table = get_table(table_id)
    if table.purpose == "checklist":
        return score_checklist(table, data, kind)
    probs = _Problems()
    if not isinstance(data, dict):
        raise ScoreInputInvalid("评分", "a scoring", [FieldProblem(
            "", "not_an_object", "输入应为 JSON 对象", "the input must be a JSON object")])
    allowed = {"kind", "institution", "date", "items", "one_vote_veto", "header", "remark", "resolve"}
    for k in sorted(set(data) - allowed):
        probs.add(k, "unknown_key", f"不认识的键：{k}", f"unknown key: {k}")
    kind, date, inst = read_header(table, data, kind, probs, "该表")
    res = _Resolutions(data.get("resolve"), probs)
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
        r = _score_item(table, it, raw_items[it.id], f"items.{it.id}", probs, res)
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
    _unused_resolutions(table, res, kind, probs)
    if probs.items:
        raise ScoreInputInvalid(f"{table.title}评分", f"the scoring of {table.id}", probs.items)

    subtotal = sum((r["_score"] for r in results if "_score" in r), ZERO)
    waiting = [r for r in results if r.get("pending")]
    low = subtotal + sum((r["_range"][0] for r in waiting), ZERO)
    high = subtotal + sum((r["_range"][1] for r in waiting), ZERO)
    zeroed = bool(ovv_out and ovv_out["triggered"])
    # 一票否决…考核为零分 decides the total whatever the panel decides
    provisional = bool(waiting) and not zeroed
    total = ZERO if zeroed else (None if provisional else subtotal)
    maximum = sum((i.points for i in table.applicable(kind) if i.points is not None), ZERO)
    vetoes = [{"id": r["id"], "name": r["name"], "content": r["content"], "passed": r["passed"],
               "rules": r["rules"]} for r in results if r.get("mode") == "veto"]
    vetoed = any(not v["passed"] for v in vetoes)
    warnings = [warning(r["id"], r["decision"]) for r in results if r.get("decision")]
    for r in results:
        r.pop("_score", None)
        r.pop("_range", None)
    out: dict[str, Any] = {
        "table": table.id, "title": table.title, "subtitle": table.subtitle,
        "attachment": table.attachment, "kind": kind, "kind_zh": KIND_ZH[kind],
        "institution": inst, "date": date,
        "items": results, "vetoes": vetoes, "vetoed": vetoed,
        "one_vote_veto": ovv_out, "subtotal": None if waiting else fmt(subtotal),
        "total": fmt(total), "maximum": fmt(maximum),
        # a total is provisional while an item waits for the panel's decision on a band
        "provisional": provisional,
        "total_range": {"min": fmt(low), "max": fmt(high)} if provisional else None,
        "decisions_needed": [r["id"] for r in waiting],
        "warnings": warnings,
        "citation": table.citation.to_dict(),
    }
    pending_zh = "；".join(f"第{r['id']}项{r['decision']['what_zh'].split('项', 1)[1]}"
                           f"{r['decision']['value']}{r['decision']['unit'] or ''}落在官方分档的"
                           f"{r['decision']['kind_zh']}，须评估小组决定" for r in waiting)
    if table.pass_mark:
        pm = table.pass_mark
        out["pass_mark"] = {"value": fmt(pm.value), "inclusive": True, "rule": pm.rule,
                            "citation": pm.citation.to_dict()}
        # 以上 includes the mark (民法典 第一千二百五十九条); a failed veto fails whatever the points
        reasons = []
        if vetoed:
            reasons.append("单项否决：" + "、".join(f"第{v['id']}项{v['name']}" for v in vetoes if not v["passed"]))
        if provisional and not vetoed:
            # neither pass nor fail until the panel decides, even when both choices agree
            out["passed"] = None
            either = ("各种决定都达到合格线" if low >= pm.value else "各种决定都达不到合格线"
                      if high < pm.value else "是否合格取决于该决定")
            out["result_zh"] = (f"待定（{pending_zh}；总分在{fmt(low)}至{fmt(high)}分之间，"
                                f"{either}，合格线{fmt(pm.value)}分）")
        else:
            out["passed"] = (not vetoed) and total >= pm.value
            if total < pm.value:
                reasons.append(f"得分{fmt(total)}分，未达{fmt(pm.value)}分")
            out["result_zh"] = "合格" if out["passed"] else "不合格（" + "；".join(reasons) + "）"
            if provisional:
                out["result_zh"] += f"（另：{pending_zh}，总分待定）"
    else:
        out["pass_mark"] = None
        out["passed"] = None
    if table.refund:
        ref = get_refund(table.refund)
        name = res.take("refund")
        if total is None:
            # the bracket waits for the total, which waits for the panel
            out["refund"] = None
            if name is not None:
                raise ScoreInputInvalid(f"{table.title}评分", f"the scoring of {table.id}", [FieldProblem(
                    "resolve.refund", "resolve_not_needed", "总分待定，履约保证金的返还档次尚不能决定",
                    "the total is provisional: the refund bracket cannot be decided yet")])
        else:
            out["refund"], w = refund_bracket(ref, total, name, f"{table.title}评分", f"the scoring of {table.id}")
            if w:
                out["warnings"].append(w)
                if out["refund"]["decision"]["status"] == "needed":
                    out["decisions_needed"].append("refund")
    if table.derived_note:
        out["derived"] = True
        out["derived_note"] = table.derived_note
    if table.remark_item and isinstance(data.get("remark"), str):
        out["remark"] = data["remark"]
    if isinstance(data.get("header"), dict):
        out["header"] = data["header"]
    return out
