"""Settlement money: the monthly payment and retention, and the year-end return.

山西省 第三十三条: each month the agency pays 90 % of the approved amount (审核通过费用) and
retains 10 % as the performance deposit (履约保证金).  The agreements' sample audit (医疗服务
协议 第三十七条, 康复服务协议 第二十九条) deducts five times the non-compliant amount found
(对不符合费用实行5倍扣罚), taken here from that month's payment; what the payment cannot
cover is reported as still owed, never as a negative payment.
第三十四条: at the year end the annual score picks the share of the retained deposit returned
(90分以上（含90分）全额…60分以下全部扣除); the rest is kept by the fund.

Amounts are yuan as ``Decimal`` at fen precision: inputs with more than two decimal places
are refused, each computed share is rounded to the fen ROUND_HALF_UP (四舍五入), and the
complementary amount is the difference, so paid + retained is exactly the approved amount and
returned + kept exactly the deposit.  No float is ever made.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from forms.errors import FieldProblem, ScoreInputInvalid

from ._loader import get_refund
from ._model import _fmt
from ._score import refund_bracket

CENT = Decimal("0.01")
ROUNDING = "ROUND_HALF_UP"
DEFAULT_REFUND = {"shanxi": "shanxi-deposit-refund"}
CATEGORIES = ("medical", "rehab", "assistive")


def yuan(d: Decimal) -> str:
    return str(d.quantize(CENT))


def _amount(v: Any, field: str, label: str, probs: list[FieldProblem], places: int = 2,
            maximum: Decimal | None = None) -> Decimal | None:
    def bad(code: str, zh: str, en: str) -> None:
        probs.append(FieldProblem(field, code, zh, en))

    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        bad("not_a_number", f"{label}应为数字（元），收到：{v!r}", f"{label}: expected a number, got {v!r}")
        return None
    try:
        d = Decimal(str(v).strip())  # str(): a JSON 123.45 stays the decimal 123.45
    except InvalidOperation:
        bad("not_a_number", f"{label}应为数字，收到：{v!r}", f"{label}: expected a number, got {v!r}")
        return None
    if not d.is_finite():
        bad("not_a_number", f"{label}应为有限的数字", f"{label}: not a finite number")
        return None
    if d < 0:
        bad("negative", f"{label}不能为负数：{v}", f"{label}: must not be negative: {v}")
        return None
    if d != d.quantize(Decimal(1).scaleb(-places)):
        bad("too_precise", f"{label}最多保留{places}位小数：{v}", f"{label}: at most {places} decimal places: {v}")
        return None
    if maximum is not None and d > maximum:
        bad("too_large", f"{label}不能超过{_fmt(maximum)}：{v}", f"{label}: at most {_fmt(maximum)}: {v}")
        return None
    return d


def _refund(data: dict, probs: list[FieldProblem]):
    jur = data.get("jurisdiction", "shanxi")
    if jur not in DEFAULT_REFUND:
        probs.append(FieldProblem("jurisdiction", "unknown_jurisdiction",
                                  f"暂无该地的结算办法：{jur}（可选：{'、'.join(DEFAULT_REFUND)}）",
                                  f"no settlement rules for {jur!r}"))
        return None
    return get_refund(DEFAULT_REFUND[jur])


def _fail(what_zh: str, what_en: str, probs: list[FieldProblem]) -> None:
    if probs:
        raise ScoreInputInvalid(what_zh, what_en, probs)


def settle_month(data: Any) -> dict:
    """``{"approved": "…", "non_compliant": "…", "category": "medical"}`` → payment."""
    probs: list[FieldProblem] = []
    if not isinstance(data, dict):
        raise ScoreInputInvalid("月度结算", "a monthly settlement",
                                [FieldProblem("", "not_an_object", "输入应为 JSON 对象", "expected an object")])
    for k in sorted(set(data) - {"mode", "jurisdiction", "category", "approved", "non_compliant", "month"}):
        probs.append(FieldProblem(k, "unknown_key", f"不认识的键：{k}", f"unknown key: {k}"))
    ref = _refund(data, probs)
    category = data.get("category", "medical")
    if category not in CATEGORIES:
        probs.append(FieldProblem("category", "unknown_category", f"机构类别只能是：{'、'.join(CATEGORIES)}",
                                  f"category: one of {CATEGORIES}"))
    if "approved" not in data:
        probs.append(FieldProblem("approved", "missing", "缺少审核通过费用 approved（元）",
                                  "approved (the approved amount, yuan) missing"))
        approved = None
    else:
        approved = _amount(data["approved"], "approved", "审核通过费用", probs)
    nc = _amount(data.get("non_compliant", 0), "non_compliant", "抽查不符合费用", probs)
    if ref and nc and category in CATEGORIES and category not in ref.penalty_citations:
        probs.append(FieldProblem("non_compliant", "no_penalty_rule",
                                  f"{category}类协议未规定不符合费用的倍数扣罚",
                                  f"the {category} agreement sets no multiple penalty"))
    _fail("月度结算", "a monthly settlement", probs)
    payable = (approved * ref.pay_rate).quantize(CENT, ROUND_HALF_UP)
    retained = approved - payable
    penalty = nc * ref.penalty_multiple
    paid = max(Decimal(0), payable - penalty)
    owed = penalty - (payable - paid)
    citations = [ref.retain_citation.to_dict()]
    if nc:
        citations.append(ref.penalty_citations[category].to_dict())
    steps = [f"审核通过费用 {yuan(approved)} 元 × {_fmt(ref.pay_rate * 100)}% = 应拨付 {yuan(payable)} 元（分位四舍五入）",
             f"预留履约保证金 {yuan(approved)} − {yuan(payable)} = {yuan(retained)} 元（{_fmt(ref.retain_rate * 100)}%）"]
    if nc:
        steps.append(f"抽查不符合费用 {yuan(nc)} 元 × {_fmt(ref.penalty_multiple)} 倍 = 扣罚 {yuan(penalty)} 元")
        steps.append(f"实际拨付 {yuan(payable)} − {yuan(penalty)} = {yuan(paid)} 元"
                     + (f"，不足扣罚部分 {yuan(owed)} 元另行追缴" if owed else ""))
    return {
        "mode": "month", "jurisdiction": ref.jurisdiction, "category": category,
        "month": data.get("month"),
        "approved": yuan(approved), "payable": yuan(payable), "retained": yuan(retained),
        "non_compliant": yuan(nc), "penalty": yuan(penalty), "paid": yuan(paid),
        "penalty_outstanding": yuan(owed), "rounding": ROUNDING, "unit": "元",
        "steps": steps, "citations": citations,
    }


def settle_year(data: Any) -> dict:
    """``{"score": 85.5, "retained": "…"}`` (or ``"months": [approved…]``) → the return."""
    probs: list[FieldProblem] = []
    if not isinstance(data, dict):
        raise ScoreInputInvalid("年终清算", "a year-end settlement",
                                [FieldProblem("", "not_an_object", "输入应为 JSON 对象", "expected an object")])
    for k in sorted(set(data) - {"mode", "jurisdiction", "score", "retained", "months", "year",
                                 "resolve"}):
        probs.append(FieldProblem(k, "unknown_key", f"不认识的键：{k}", f"unknown key: {k}"))
    ref = _refund(data, probs)
    score = None
    if "score" not in data:
        probs.append(FieldProblem("score", "missing", "缺少年度考核得分 score", "score missing"))
    else:
        score = _amount(data["score"], "score", "年度考核得分", probs, places=2, maximum=Decimal(100))
    retained = None
    monthly: list[str] = []
    if ("retained" in data) == ("months" in data):
        probs.append(FieldProblem("retained", "missing", "填 retained（累计预留的履约保证金）或 months（各月审核通过费用）之一",
                                  "give either retained or months"))
    elif "retained" in data:
        retained = _amount(data["retained"], "retained", "履约保证金", probs)
    elif not isinstance(data["months"], list) or not data["months"]:
        probs.append(FieldProblem("months", "not_a_list", "months 应为各月审核通过费用的列表",
                                  "months: a list of monthly approved amounts"))
    elif ref:
        parts = []
        for i, v in enumerate(data["months"]):
            a = _amount(v, f"months.{i}", f"第{i + 1}个月审核通过费用", probs)
            if a is not None:
                # the same rounding as each month's settlement, so the deposit is what was kept
                r = a - (a * ref.pay_rate).quantize(CENT, ROUND_HALF_UP)
                parts.append(r)
                monthly.append(yuan(r))
        retained = sum(parts, Decimal(0)) if len(parts) == len(data["months"]) else None
    name = None
    if "resolve" in data:
        res = data["resolve"]
        if not isinstance(res, dict) or set(res) - {"refund"}:
            probs.append(FieldProblem("resolve", "not_an_object",
                                      "resolve 应为 {\"refund\": 所选档次}，如 {\"refund\": \"0.7\"}",
                                      "resolve: {\"refund\": the chosen bracket}, e.g. {\"refund\": \"0.7\"}"))
        else:
            name = res.get("refund")
    _fail("年终清算", "a year-end settlement", probs)
    # a score in a gap or an overlap of the printed brackets (exactly 60) is the agency's
    # decision: the return waits for it (resolve refund=…)
    bracket, warn = refund_bracket(ref, score, name, "年终清算", "a year-end settlement")
    out = {
        "mode": "year", "jurisdiction": ref.jurisdiction, "year": data.get("year"),
        "score": _fmt(score), "bracket": bracket["bracket"], "bracket_label": bracket["label"],
        "share": bracket["share"], "retained": yuan(retained), "monthly_retained": monthly or None,
        "returned": None, "kept": None, "kept_note": ref.kept_note,
        "rounding": ROUNDING, "unit": "元", "decision": bracket["decision"],
        "warnings": [warn] if warn else [],
        "decisions_needed": ["refund"] if bracket["share"] is None else [],
        "citations": [ref.retain_citation.to_dict(), ref.citation.to_dict()],
    }
    if bracket["share"] is None:
        out["steps"] = [f"年度考核 {_fmt(score)} 分：{warn['message_zh']}"]
        return out
    share = Decimal(bracket["share"])
    returned = (retained * share).quantize(CENT, ROUND_HALF_UP)
    kept = retained - returned
    chosen = "（经办机构决定）" if bracket["decision"] else ""
    out.update(returned=yuan(returned), kept=yuan(kept), steps=[
        f"年度考核 {_fmt(score)} 分，属 {bracket['bracket']}：{bracket['label']}{chosen}",
        f"返还 {yuan(retained)} × {_fmt(share * 100)}% = {yuan(returned)} 元（分位四舍五入）",
        f"扣除 {yuan(retained)} − {yuan(returned)} = {yuan(kept)} 元，并入工伤保险基金"])
    return out


def settle(data: Any) -> dict:
    """Dispatch on ``mode``: ``month`` or ``year``."""
    mode = data.get("mode") if isinstance(data, dict) else None
    if mode == "month":
        return settle_month(data)
    if mode == "year":
        return settle_year(data)
    raise ScoreInputInvalid("结算", "a settlement", [FieldProblem(
        "mode", "unknown_mode", "mode 应为 month（月度结算）或 year（年终清算）",
        "mode: month or year")])
