"""Applying a jurisdiction's rules to the facts, as of a date.

Each rule gives a finding: pass, fail, or unknown (a fact it reads is missing), with
what was required, what was found and where that came from, and the rule's citation.
Conditions are three-valued: ``all`` fails when any part fails and is unknown when any
part is unknown; ``any`` passes when any part passes.  A rule whose ``when`` is false
does not apply; one whose ``when`` is unknown counts only if it passes anyway.

The outcome is one of ``OUTCOMES``, the first that holds: ``expired`` or
``not_yet_in_force`` when the rule set was not in force on the date (what the rules would
say is kept as ``rules_outcome``, for reference only); ``out_of_scope`` when a scope rule
fails (the document does not apply to this applicant); ``ineligible`` when a binding rule
fails; ``incomplete`` (需补正) when the submitted materials are given and some are
missing, with the jurisdiction's 补正 deadline, or the plain statement that its document
sets none; ``undetermined`` when a binding rule that decides eligibility could not be
decided for want of facts; ``eligible`` otherwise.

One policy for 原则上/一般: a rule whose quotation says either is advisory (its failure is
reported and does not decide); every other rule is binding; each finding says which
(``strength``, ``strength_zh``).  Rules about a running agreement (term, suspension,
renewal, termination) and about the agency's own procedure are checked only when their
facts are given; a procedure rule's failure is reported, and does not decide the
applicant's outcome.  Conduct that no application can show (expertise, prices, obeying
the law…) is listed, cited, as ``manual_checks`` (需人工核查).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from forms.errors import InputInvalid, UnknownName

from ._calendar import COUNT_ZH, add_period
from ._deadlines import count_step, parse_date, validity
from ._facts import Facts, FactValue, Source, _show, check_category, to_json
from ._loader import fact_defs, get_rule_set, violation_types
from ._model import (
    AGREEMENT_KINDS,
    CATEGORY_ZH,
    KIND_ZH,
    KINDS,
    ON_FACTS_KINDS,
    OPERATORS,
    OUTCOME_EN,
    OUTCOME_KINDS,
    OUTCOME_ZH,
    RULE_KIND_ZH,
    STRENGTH_ZH,
    SUPPLEMENT_NOTICE_STEP,
    SUPPLEMENT_REPLY_STEP,
    Condition,
    Rule,
    RuleSet,
)

STATUS_ZH = {"pass": "符合", "fail": "不符合", "unknown": "无法判定"}
_PERIOD_ZH = {"years": "年", "months": "个月", "days": "日"}


def _period(value: dict) -> tuple[str, int]:
    for k in ("years", "months", "days"):
        if k in value:
            return k, value[k]
    raise AssertionError(value)  # pragma: no cover


def _period_text(value: dict) -> str:
    k, n = _period(value)
    return f"{n}{_PERIOD_ZH[k]}"


def requirement_zh(c: Condition | None, unit: str | None = None) -> str:
    """A condition as a short Chinese requirement (床位数 ≥ 30张)."""
    if c is None:
        return "需人工核查（不能从申请材料或档案判定）"
    if c.fact is None:
        joiner = {"all": "且", "any": "或"}.get(c.op)
        if c.op == "not":
            return f"并非（{requirement_zh(c.parts[0])}）"
        return joiner.join(f"（{requirement_zh(p)}）" for p in c.parts)
    label = fact_defs()[c.fact].label
    fact_unit = unit or fact_defs()[c.fact].unit or ""
    v = c.value
    if c.op in ("ge", "gt", "le", "lt", "eq"):
        return f"{label} {OPERATORS[c.op]} {to_json(v)}{fact_unit}"
    if c.op == "is":
        return f"{label}：{'是' if v else '否'}"
    if c.op == "in":
        choices = dict(fact_defs()[c.fact].choices)
        return f"{label}为{'或'.join(choices.get(x, str(x)) for x in v)}"
    if c.op == "contains":
        return f"{label}包含 {v}"
    if c.op == "held_for":
        return f"{label}起已满{_period_text(v)}"
    if c.op == "none_within":
        types = "、".join(violation_types()[t].label for t in v["types"])
        return f"近{_period_text(v)}内无：{types}"
    if c.op == "none_in_calendar_years":
        types = "、".join(violation_types()[t].label for t in v["types"])
        return f"{v['years']}个年度内（含当年度）无：{types}"
    if c.op == "by_deadline":
        return f"{label}不晚于自{fact_defs()[v['from']].label}计算的“{v['step']}”期限"
    if c.op == "odd":
        return f"{label}为{'单数' if v else '双数'}"
    if c.op == "in_quarter":
        return f"{label}在{fact_defs()[v['year_from']].label}的第{v['quarter']}季度内"
    if c.op == "none_active":
        return f"{label}：检查日期无人在停止服务资格期内"
    raise AssertionError(c.op)  # pragma: no cover


class _Eval:
    """One evaluation: the facts, the date, the rule set (for by_deadline steps)."""

    def __init__(self, facts: Facts, on: dt.date, rs: RuleSet):
        self.facts, self.on, self.rs = facts, on, rs
        self.missing: list[str] = []
        self.provisional = False
        self.warnings: list[str] = []

    def leaf(self, c: Condition) -> tuple[str, Any, str]:
        """(status, actual value as JSON, explanation) of a leaf condition."""
        fact = c.fact
        if not self.facts.has(fact):
            self.missing.append(fact)
            return "unknown", None, f"未提供：{fact_defs()[fact].label}（{fact}）"
        v = self.facts.get(fact)
        op, want = c.op, c.value
        if op in ("ge", "gt", "le", "lt", "eq"):
            a, b = Decimal(str(v)), Decimal(str(want))
            ok = {"ge": a >= b, "gt": a > b, "le": a <= b, "lt": a < b, "eq": a == b}[op]
            unit = fact_defs()[fact].unit or ""
            return (_st(ok), to_json(v),
                    f"要求 {OPERATORS[op]} {to_json(want)}{unit}，实际 {to_json(v)}{unit}")
        if op == "is":
            return (_st(v is want), v,
                    f"要求“{'是' if want else '否'}”，实际“{'是' if v else '否'}”")
        if op == "in":
            return _st(v in want), v, f"要求属于 {'、'.join(map(str, want))}，实际 {v}"
        if op == "contains":
            return _st(want in v), want in v, ("已提交" if want in v else "未提交")
        if op == "held_for":
            k, n = _period(want)
            last = add_period(v, **{k: n})
            full = last + dt.timedelta(days=1)
            ok = self.on >= full
            detail = (f"{fact_defs()[fact].label} {v}：起算日不计（民法典第二百零一条），"
                      f"{_period_text(want)}期间至 {last} 届满，{full} 起已满{_period_text(want)}；"
                      f"检查日期 {self.on} {'已满' if ok else '未满'}")
            return _st(ok), v.isoformat(), detail
        if op in ("none_within", "none_in_calendar_years"):
            types = set(want["types"])
            relevant = [e for e in v if e["type"] in types]
            later = [e for e in relevant if e["date"] > self.on]
            if op == "none_within":
                k, n = _period(want)
                hits = [e for e in relevant
                        if e["date"] <= self.on <= add_period(e["date"], **{k: n})]
                span = f"近{_period_text(want)}内（{self.on} 之前、自事件次日起算不超过{_period_text(want)}）"
            else:
                years = want["years"]
                hits = [e for e in relevant
                        if e["date"] <= self.on and self.on.year <= e["date"].year + years - 1]
                span = f"{years}个年度内（含当年度，{self.on.year - years + 1}–{self.on.year}年）"
            vt = violation_types()
            if hits:
                detail = f"{span}有记录：" + "；".join(
                    f"{vt[e['type']].label}（{vt[e['type']].date_means} {e['date']}）" for e in hits)
            else:
                detail = f"{span}无相关记录"
            if later:
                detail += f"；另有 {len(later)} 条日期在检查日期之后的记录未计入"
            return _st(not hits), [to_json(e) for e in hits], detail
        if op == "odd":
            ok = (v % 2 == 1) is want
            return (_st(ok), v, f"要求为{'单数' if want else '双数'}，实际 {v}"
                                f"{fact_defs()[fact].unit or ''}")
        if op == "in_quarter":
            yf = want["year_from"]
            if not self.facts.has(yf):
                self.missing.append(yf)
                return "unknown", v.isoformat(), f"未提供：{fact_defs()[yf].label}（{yf}）"
            year, q = self.facts.get(yf), want["quarter"]
            first = dt.date(year, 3 * q - 2, 1)
            last = add_period(first, months=3) - dt.timedelta(days=1)
            ok = first <= v <= last
            return (_st(ok), v.isoformat(),
                    f"要求在 {year} 年第{q}季度（{first} 至 {last}）内，实际 {v}")
        if op == "none_active":
            active, later = [], 0
            for e in v:
                end = add_period(e["date"], years=e["years"])
                if e["date"] > self.on:
                    later += 1
                elif self.on <= end:
                    active.append((e, end))
            if active:
                detail = "检查日期仍在停止服务资格期内：" + "；".join(
                    f"{e['name']}{'（' + e['role'] + '）' if e.get('role') else ''}"
                    f"自 {e['date']} 起停止{e['years']}年，至 {end} 届满，{end + dt.timedelta(days=1)} 起恢复"
                    for e, end in active)
            else:
                detail = f"{len(v)} 条记录，检查日期 {self.on} 均已届满" if v else "无停止服务资格的人员"
            if later:
                detail += f"；另有 {later} 条日期在检查日期之后的记录未计入"
            return _st(not active), [to_json(e) for e, _ in active], detail
        if op == "by_deadline":
            frm = want["from"]
            if not self.facts.has(frm):
                self.missing.append(frm)
                return "unknown", v.isoformat(), f"未提供：{fact_defs()[frm].label}（{frm}）"
            step = self.rs.step(want["step"])
            start = self.facts.get(frm)
            count = count_step(step, start)
            if count.provisional:
                self.provisional = True
                self.warnings.extend(w for w in count.warnings_zh() if w not in self.warnings)
            ok = v <= count.due
            detail = (f"{step.name}：自{fact_defs()[frm].label} {start} 计算，最迟 {count.due}"
                      f"{'（临时结果）' if count.provisional else ''}；实际 {v}")
            return _st(ok), v.isoformat(), detail
        raise AssertionError(op)  # pragma: no cover

    def cond(self, c: Condition) -> tuple[str, dict[str, Any], list[str]]:
        """(status, {fact: actual}, explanations) of any condition."""
        if c.fact is not None:
            status, actual, detail = self.leaf(c)
            return status, {c.fact: actual}, [detail]
        results = [self.cond(p) for p in c.parts]
        statuses = [r[0] for r in results]
        actual: dict[str, Any] = {}
        details: list[str] = []
        for _, a, d in results:
            actual.update(a)
            details.extend(d)
        if c.op == "all":
            status = ("fail" if "fail" in statuses else
                      "unknown" if "unknown" in statuses else "pass")
        elif c.op == "any":
            status = ("pass" if "pass" in statuses else
                      "unknown" if "unknown" in statuses else "fail")
        else:  # not
            status = {"pass": "fail", "fail": "pass", "unknown": "unknown"}[statuses[0]]
        return status, actual, details


def _st(ok: bool) -> str:
    return "pass" if ok else "fail"


def _source(facts: Facts, fact_ids: tuple[str, ...]) -> dict[str, Any] | None:
    out = {f: facts.values[f].source.to_dict() for f in fact_ids if f in facts.values}
    return out or None


def _finding(rule: Rule, status: str, actual: dict, details: list[str], facts: Facts,
             reason: str | None = None) -> dict:
    simple = rule.fact is not None
    cond_facts = rule.condition.facts
    src = _source(facts, cond_facts)
    return {
        "rule": rule.id,
        "kind": rule.kind,
        "kind_zh": RULE_KIND_ZH[rule.kind],
        "title": rule.title,
        "status": status,
        "status_zh": STATUS_ZH[status],
        "advisory": rule.advisory,
        "strength": rule.strength,
        "strength_zh": STRENGTH_ZH[rule.strength],
        "fact": rule.fact,
        "facts": list(cond_facts),
        "op": rule.op,
        "required": to_json(rule.threshold) if simple else rule.condition.to_dict(),
        "requirement_zh": requirement_zh(rule.condition, rule.unit),
        "actual": actual.get(rule.fact) if simple else actual,
        "unit": rule.unit,
        "source": (src or {}).get(rule.fact) if simple else src,
        "detail_zh": "；".join(([reason] if reason else []) + details),
        "citation": rule.citation.to_dict(),
        "also": [c.to_dict() for c in rule.also],
        "note": rule.note,
    }


def _not_applicable(rule: Rule, reason: str) -> dict:
    return {"rule": rule.id, "title": rule.title, "reason_zh": reason,
            "citation": rule.citation.to_dict()}


def check_kind(kind: str | None, category: str, rs: RuleSet) -> tuple[str | None, list[str]]:
    notes: list[str] = []
    if kind is None:
        return None, notes
    if kind not in KINDS:
        raise UnknownName("kind", "辅助器具类别", str(kind), KINDS)
    if category != "assistive":
        raise InputInvalid(f"辅助器具类别（--kind {kind}）只用于辅助器具配置机构（--category assistive）",
                           f"--kind {kind} goes with --category assistive only")
    if kind not in rs.kinds:
        told = "、".join(KIND_ZH[k] for k in rs.kinds) if rs.kinds else "不区分辅助器具类别"
        notes.append(f"{rs.document.name}的文件对辅助器具配置机构{'只区分' + told if rs.kinds else told}"
                     f"，“{KIND_ZH[kind]}”按辅助器具配置机构的一般条件检查。")
    return kind, notes


#: how the date to check as of is given: a flag of the command line, a parameter of the
#: service (its query string or JSON body)
ON_NAMES = {"cli": ("--on", "命令参数 --on", "the --on flag"),
            "http": ("on", "请求参数 on", "the on parameter")}


def validate(facts: Facts, jurisdiction: str, category: str, kind: str | None = None,
             on: Any = None, channel: str = "cli") -> dict:
    """Apply ``jurisdiction``'s rules for ``category`` (and ``kind``) to ``facts`` as of ``on``.

    ``channel`` (``cli`` or ``http``) names ``on`` the way the user gave it: in the answer's
    ``on_source`` and in the error when no date is known."""
    rs = get_rule_set(jurisdiction)
    category = check_category(category)
    kind, notes = check_kind(kind, category, rs)
    facts = _with_arguments(facts, category, kind, channel)
    on_name, on_zh, on_en = ON_NAMES[channel]
    if on is None:
        if not facts.has("application_date"):
            raise InputInvalid(f"请用{on_zh}（YYYY-MM-DD）给出检查日期（输入中也没有申请日期）",
                               f"give the date to check as of with {on_en} (YYYY-MM-DD); "
                               "the input has no application date either")
        on = facts.get("application_date")
        on_source = facts.values["application_date"].source.text_zh()
    else:
        on = parse_date(on, on_name)
        on_source = on_zh
    known_materials = rs.materials()
    unknown = [m for m in facts.get("materials_submitted") or [] if m not in known_materials]
    if unknown:
        raise UnknownName("material", "申请材料编号", unknown[0], sorted(known_materials))
    kinds = (facts.get("assistive_kinds") or []) if category == "assistive" else []

    ev = _Eval(facts, on, rs)
    findings: list[dict] = []
    materials: list[dict] = []
    manual: list[dict] = []
    not_applicable: list[dict] = []
    not_checked: list[dict] = []
    for rule in rs.rules:
        if category not in rule.categories:
            continue
        if rule.kinds and kinds and not set(rule.kinds) & set(kinds):
            not_applicable.append(_not_applicable(
                rule, f"只适用于{'、'.join(KIND_ZH[k] for k in rule.kinds)}配置"))
            continue
        if rule.kind == "manual":
            manual.append(_manual(rule))
            continue
        if rule.kind in ON_FACTS_KINDS and not all(facts.has(f) for f in rule.facts):
            lacking = [f for f in rule.facts if not facts.has(f)]
            what = "协议履行中的规则" if rule.kind in AGREEMENT_KINDS else "经办程序的规则"
            not_checked.append(_not_applicable(
                rule, f"{what}，未提供：" + "、".join(fact_defs()[f].label for f in lacking)))
            continue
        reason = None
        if rule.kinds and not kinds:
            ev.missing.append("assistive_kinds")
            findings.append(_finding(rule, "unknown", {}, [], facts,
                                     reason=f"只适用于{'、'.join(KIND_ZH[k] for k in rule.kinds)}配置，"
                                            f"未指定辅助器具类别（--kind）"))
            continue
        when_status = "pass"
        if rule.when is not None:
            missing_before = len(ev.missing)
            when_status, _, _ = ev.cond(rule.when)
            if when_status == "fail":
                del ev.missing[missing_before:]
                not_applicable.append(_not_applicable(
                    rule, rule.note or f"不适用：{requirement_zh(rule.when)}不成立"))
                continue
            if when_status == "unknown":
                reason = f"是否适用无法确定（{requirement_zh(rule.when)}）"
        status, actual, details = ev.cond(rule.condition)
        if when_status == "unknown" and status != "pass":
            status = "unknown"
        f = _finding(rule, status, actual, details, facts, reason)
        (materials if rule.kind == "material" else findings).append(f)

    binding = [f for f in findings if not f["advisory"] and f["kind"] != "procedure"]
    failing = [f["rule"] for f in binding if f["status"] == "fail"]
    out_of_scope = [f["rule"] for f in binding if f["kind"] == "scope" and f["status"] == "fail"]
    undecided = [f["rule"] for f in binding
                 if f["status"] == "unknown" and f["kind"] in (*OUTCOME_KINDS, "scope")]
    to_provide = [m for m in materials if m["status"] != "pass"]
    materials_given = facts.has("materials_submitted")
    supplement = _supplement(rs, facts, to_provide if materials_given else [])
    state = validity(rs, on)
    rules_outcome = ("out_of_scope" if out_of_scope else "ineligible" if failing
                     else "incomplete" if supplement["required"]
                     else "undetermined" if undecided else "eligible")
    outcome = state["validity"] if not state["in_force"] else rules_outcome
    outcome_zh, outcome_en = _outcome_text(outcome, rs, out_of_scope, findings, supplement)
    defs = fact_defs()
    missing = list(dict.fromkeys(m for m in ev.missing if m != "materials_submitted"))
    warnings = ([state["message_zh"]] if not state["in_force"] else []) + notes + facts.notes
    warnings += ev.warnings
    return {
        "jurisdiction": rs.jurisdiction,
        "jurisdiction_name": rs.document.name,
        "category": category,
        "category_zh": CATEGORY_ZH[category],
        "kinds": list(kinds),
        "on": on.isoformat(),
        "on_source": on_source,
        "rule_set": state,
        "outcome": outcome,
        "outcome_label_zh": OUTCOME_ZH[outcome],
        "outcome_zh": outcome_zh,
        "outcome_en": outcome_en,
        "rules_outcome": rules_outcome,
        "rules_outcome_zh": OUTCOME_ZH[rules_outcome],
        "summary": {s: sum(1 for f in findings if f["status"] == s)
                    for s in ("pass", "fail", "unknown")},
        "failing_rules": failing,
        "advisory_failures": [f["rule"] for f in findings
                              if f["advisory"] and f["status"] == "fail"],
        "procedure_failures": [f["rule"] for f in findings if f["kind"] == "procedure"
                               and not f["advisory"] and f["status"] == "fail"],
        "undecided_rules": undecided,
        "missing_facts": [{"fact": m, "label": defs[m].label, "type": defs[m].type,
                           "unit": defs[m].unit} for m in missing],
        "findings": findings,
        "materials": {
            "complete": None if not materials_given else not to_provide,
            "items": materials,
            "to_provide": [{"material": _material_key(rs, m["rule"]), "title": m["title"],
                            "status": m["status"], "citation": m["citation"]}
                           for m in to_provide],
        },
        "supplement": supplement,
        "manual_checks": manual,
        "checks": facts.checks,
        "not_applicable": not_applicable,
        "not_checked": not_checked,
        "facts": {fid: {"label": defs[fid].label, "value": to_json(fv.value),
                        "value_zh": _show(fv.value), "unit": defs[fid].unit,
                        "source": fv.source.to_dict()}
                  for fid, fv in facts.values.items()},
        "provisional": ev.provisional,
        "warnings": warnings,
    }


def _outcome_text(outcome: str, rs: RuleSet, out_of_scope: list[str],
                  findings: list[dict], supplement: dict) -> tuple[str, str]:
    """The outcome said in full: the label, and what makes it (the date, the rule)."""
    doc = rs.document
    if outcome == "expired":
        return (f"规则已于 {doc.valid_to} 期满失效（{doc.number}，“{doc.validity_quote}”），"
                "不作符合与否的结论",
                f"rules expired on {doc.valid_to} ({doc.number}): no pass or fail is given")
    if outcome == "not_yet_in_force":
        return (f"规则尚未施行（{doc.number}自 {doc.valid_from} 起施行），不作符合与否的结论",
                f"rules not yet in force ({doc.number} takes effect on {doc.valid_from})")
    if outcome == "out_of_scope":
        f = next(f for f in findings if f["rule"] == out_of_scope[0])
        c = f["citation"]
        return (f"{OUTCOME_ZH[outcome]}：{c['article']}“{c['quote']}”",
                f"{OUTCOME_EN[outcome]} ({c['article']})")
    if outcome == "incomplete":
        items = "、".join(i["title"] for i in supplement["items"])
        d = supplement["deadline"]
        return (f"{OUTCOME_ZH[outcome]}：{items}。补正期限：{supplement['deadline_zh']}",
                f"{OUTCOME_EN[outcome]}: {', '.join(i['material'] for i in supplement['items'])}; "
                + (f"to be supplied within {d['count']} {d['unit'].replace('_', ' ')} of "
                   "the notice" + (f", by {d['due']}" if d["due"] else "")
                   if d else f"{rs.document.number} sets no deadline for supplying them"))
    return OUTCOME_ZH[outcome], OUTCOME_EN[outcome]


def _manual(rule: Rule) -> dict:
    return {"rule": rule.id, "kind": rule.kind, "kind_zh": RULE_KIND_ZH[rule.kind],
            "title": rule.title, "status": "manual", "status_zh": "需人工核查",
            "advisory": rule.advisory, "strength": rule.strength,
            "strength_zh": STRENGTH_ZH[rule.strength], "note": rule.note,
            "citation": rule.citation.to_dict(), "also": [c.to_dict() for c in rule.also]}


def _supplement(rs: RuleSet, facts: Facts, to_provide: list[dict]) -> dict:
    """What is to be supplied (补正) and by when, as the jurisdiction's document says."""
    reply = rs.step(SUPPLEMENT_REPLY_STEP)
    notice = rs.step(SUPPLEMENT_NOTICE_STEP)
    items = [{"material": _material_key(rs, m["rule"]), "title": m["title"],
              "citation": m["citation"]} for m in to_provide]
    deadline = None
    if reply is not None:
        amount = f"{reply.count}{COUNT_ZH[reply.unit]}"
        deadline = {"step": reply.id, "name": reply.name, "from_event": reply.from_event,
                    "count": reply.count, "unit": reply.unit, "note": reply.note,
                    "citation": reply.citation.to_dict(), "from": None, "due": None,
                    "provisional": False}
        text = (f"自{reply.from_event}起{amount}内补正（{reply.citation.article}：“"
                f"{reply.citation.quote}”）" + (f"；{reply.note}" if reply.note else ""))
        if facts.has("supplement_notice_date"):
            start = facts.get("supplement_notice_date")
            c = count_step(reply, start)
            deadline.update({"from": start.isoformat(), "due": c.due.isoformat(),
                             "provisional": c.provisional})
            text = (f"最迟 {c.due}{'（临时结果）' if c.provisional else ''}：" + text)
        deadline_zh = text
    else:
        deadline_zh = f"{rs.document.number}未规定申请机构补正材料的期限"
        if notice is not None:
            deadline_zh += (f"；经办机构{notice.name}：自{notice.from_event}起{notice.count}"
                            f"{COUNT_ZH[notice.unit]}内（{notice.citation.article}：“"
                            f"{notice.citation.quote}”）")
    return {"required": bool(to_provide), "items": items, "deadline": deadline,
            "deadline_zh": deadline_zh}


def _material_key(rs: RuleSet, rule_id: str) -> str:
    return next(r.material for r in rs.rules if r.id == rule_id)


def _with_arguments(facts: Facts, category: str, kind: str | None,
                    channel: str = "cli") -> Facts:
    """The command's category (and kind) as facts; a different category in the input is
    reported as a failed check, not silently used."""
    out = Facts(dict(facts.values), list(facts.checks), list(facts.notes), facts.form)
    given = facts.values.get("category")
    if given is not None and given.value != category:
        out.checks.append({
            "id": "category_matches", "title": "输入的机构类别与所查类别一致", "type": "conflict",
            "status": "fail", "status_zh": "不一致", "fields": list(given.source.fields),
            "message_zh": (f"{given.source.text_zh()}的机构类别为 {CATEGORY_ZH[given.value]}，"
                           f"本次按 {CATEGORY_ZH[category]} 检查"),
            "values": {"input": given.value, "argument": category},
        })
    flag = "--" if channel == "cli" else ""  # the CLI speaks of flags, HTTP of parameters
    out.values["category"] = FactValue(category, Source("argument", fields=(f"{flag}category",),
                                                        via=channel))
    if kind is not None:
        out.values["assistive_kinds"] = FactValue([kind], Source("argument", fields=(
            f"{flag}kind",), via=channel))
    return out
