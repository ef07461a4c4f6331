"""Rules as data: the dataclasses the loader builds and the validator reads.

A jurisdiction's rule set is one official document (number, validity) and, drawn from
it, the rules (eligibility conditions, exclusions, materials, pass marks, agreement
terms, suspension and renewal limits, bans) and the timed steps (deadlines).  Every
rule and every step carries its citation: document number, article and item, and a
short quotation of the seed's own words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

CATEGORIES = ("medical", "rehab", "assistive")
CATEGORY_ZH = {"medical": "医疗机构", "rehab": "康复机构", "assistive": "辅助器具配置机构"}
KINDS = ("prosthetics_orthotics", "hearing_aid", "optical_aid", "artificial_eye", "denture")
KIND_ZH = {"prosthetics_orthotics": "假肢矫形器", "hearing_aid": "助听器",
           "optical_aid": "光学助视器", "artificial_eye": "假眼", "denture": "假牙"}

#: what a rule is about; eligibility, exclusion, ban and pass_mark decide whether an
#: applicant is eligible, scope whether the document applies to it at all
RULE_KINDS = ("eligibility", "exclusion", "ban", "pass_mark", "material", "scope",
              "procedure", "manual", "term", "suspension", "renewal", "termination")
OUTCOME_KINDS = ("eligibility", "exclusion", "ban", "pass_mark")
#: rules about a running agreement: checked only when their facts are given
AGREEMENT_KINDS = ("term", "suspension", "renewal", "termination")
#: rules checked only when their facts are given: a running agreement's, and the agency's
#: own procedure (公告, 评估工作组…), which does not decide the applicant's eligibility
ON_FACTS_KINDS = (*AGREEMENT_KINDS, "procedure")
RULE_KIND_ZH = {"eligibility": "申请条件", "exclusion": "不得申请的情形", "ban": "禁止再次申请",
                "pass_mark": "评估合格线", "material": "申请材料", "scope": "适用范围",
                "procedure": "经办程序", "manual": "需人工核查",
                "term": "协议期限",
                "suspension": "暂停/中止的限制", "renewal": "续签", "termination": "解除/终止协议的情形"}

#: how strongly a rule binds.  One policy for every rule: a rule whose quoted text says
#: 原则上 or 一般 is advisory (a failure is reported, it does not decide the outcome); every
#: other rule is binding.  The loader refuses a rule that breaks this policy either way.
STRENGTHS = ("binding", "advisory")
STRENGTH_ZH = {"binding": "约束性条款（不符合即影响结论）",
               "advisory": "原则性条款（原文“原则上”或“一般”，不符合时提示，不影响结论）"}
ADVISORY_WORDS = ("原则上", "一般")

#: the outcome of a validation, in order of precedence
OUTCOMES = ("expired", "not_yet_in_force", "out_of_scope", "ineligible", "incomplete",
            "undetermined", "eligible")
OUTCOME_ZH = {"expired": "规则已失效", "not_yet_in_force": "规则尚未施行",
              "out_of_scope": "不适用本文件", "ineligible": "不符合条件",
              "incomplete": "申请材料不全，需补正", "undetermined": "事实不全，无法判定",
              "eligible": "符合条件"}
OUTCOME_EN = {"expired": "rules expired", "not_yet_in_force": "rules not yet in force",
              "out_of_scope": "outside the document's scope", "ineligible": "not eligible",
              "incomplete": "materials missing: to be supplied", "undetermined":
              "facts missing: cannot decide", "eligible": "eligible"}

#: the steps (deadlines.yaml) that say how long an applicant has to supply missing
#: materials, and how soon the agency must tell it what is missing
SUPPLEMENT_REPLY_STEP = "supplement_reply"
SUPPLEMENT_NOTICE_STEP = "supplement_notice"

#: operators of a condition leaf, with how they read in Chinese
OPERATORS = {
    "ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "=",
    "is": "为",
    "in": "属于",
    "contains": "包含",
    "held_for": "已满",
    "none_within": "期间内无",
    "none_in_calendar_years": "年度内无",
    "by_deadline": "不晚于",
    "odd": "为单数",
    "in_quarter": "在季度内",
    "none_active": "无在期内的",
}
NUMERIC_OPS = ("ge", "gt", "le", "lt", "eq")
FACT_TYPES = ("integer", "number", "boolean", "date", "choice", "kinds", "materials",
              "violations", "staff_bans")
STEP_UNITS = ("working_days", "days", "months", "years", "fixed")
#: deadline: act by ``due``; period: the period (公示期…) ends on ``due``; minimum: it lasts
#: at least until ``due``; limit: it may last at most until ``due``; ban: no new application
#: until ``due`` (inclusive)
STEP_BOUNDS = ("deadline", "period", "minimum", "limit", "ban")
BOUND_ZH = {"deadline": "最迟期限", "period": "期间届满", "minimum": "最短期间",
            "limit": "最长期间", "ban": "禁止申请期"}


@dataclass(frozen=True)
class ViolationType:
    id: str
    label: str
    #: which day the entry's date is (处罚决定之日, 解除协议之日…)
    date_means: str


@dataclass(frozen=True)
class FactDef:
    """A named, documented fact a rule reads."""

    id: str
    label: str
    type: str
    description: str
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    #: choice facts: value -> Chinese label
    choices: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "type": self.type, "unit": self.unit,
                "description": self.description, "minimum": self.minimum,
                "maximum": self.maximum, "choices": [{"value": v, "label": lb}
                                                     for v, lb in self.choices]}


@dataclass(frozen=True)
class Document:
    jurisdiction: str
    #: the jurisdiction's Chinese name
    name: str
    #: 文号, or the title where the document has none
    number: str
    title: str
    seed: str
    issued: dt.date | None
    valid_from: dt.date
    valid_to: dt.date | None
    #: the seed's words that set the validity
    validity_quote: str
    validity_note: str | None = None

    def to_dict(self) -> dict:
        return {"jurisdiction": self.jurisdiction, "name": self.name, "number": self.number,
                "title": self.title, "seed": self.seed,
                "issued": self.issued.isoformat() if self.issued else None,
                "valid_from": self.valid_from.isoformat(),
                "valid_to": self.valid_to.isoformat() if self.valid_to else None,
                "validity_quote": self.validity_quote, "validity_note": self.validity_note}


@dataclass(frozen=True)
class Citation:
    document: str
    #: article and item (第十一条第（二）项, 附件2 五、（一）1.)
    article: str
    #: the seed's own words, verbatim (whitespace aside)
    quote: str

    def to_dict(self) -> dict:
        # where the article opens (xieyi rules cite, GET /api/sources/…): the sources
        # package resolves the article in the document's text
        from sources import reference

        return {"document": self.document, "article": self.article, "quote": self.quote,
                "reference": reference(self.document, self.article)}

    def text(self) -> str:
        return f"{self.document} {self.article}：“{self.quote}”"


@dataclass(frozen=True)
class Condition:
    """A leaf (``fact`` ``op`` ``value``) or a node (``all``/``any``/``not`` of ``parts``)."""

    op: str
    fact: str | None = None
    value: Any = None
    parts: tuple[Condition, ...] = ()

    @property
    def facts(self) -> tuple[str, ...]:
        if self.fact is not None:
            extra = ((self.value["from"],) if self.op == "by_deadline" else
                     (self.value["year_from"],) if self.op == "in_quarter" else ())
            return (self.fact, *extra)
        out: list[str] = []
        for p in self.parts:
            out.extend(f for f in p.facts if f not in out)
        return tuple(out)

    def to_dict(self) -> dict:
        if self.fact is not None:
            return {"fact": self.fact, "op": self.op, "value": self.value}
        return {"op": self.op, "parts": [p.to_dict() for p in self.parts]}


@dataclass(frozen=True)
class Rule:
    id: str
    jurisdiction: str
    kind: str
    categories: tuple[str, ...]
    #: assistive kinds the rule is for; empty: every kind of the categories
    kinds: tuple[str, ...]
    title: str
    #: None for a manual rule (需人工核查): nothing in an application can decide it
    condition: Condition | None
    unit: str | None
    citation: Citation
    valid_from: dt.date
    valid_to: dt.date | None
    #: the same condition said again elsewhere in the document (评估表 veto items…)
    also: tuple[Citation, ...] = ()
    #: applies only when this holds (None: always)
    when: Condition | None = None
    #: 原则上/一般…: a failure is reported but does not make the applicant ineligible
    advisory: bool = False
    note: str | None = None
    #: material rules: the material's key (what ``materials_submitted`` lists)
    material: str | None = None

    @property
    def strength(self) -> str:
        return "advisory" if self.advisory else "binding"

    @property
    def facts(self) -> tuple[str, ...]:
        out = list(self.condition.facts) if self.condition is not None else []
        if self.when is not None:
            out.extend(f for f in self.when.facts if f not in out)
        return tuple(out)

    @property
    def fact(self) -> str | None:
        """The one fact of a simple rule (``None`` for a composite one)."""
        return self.condition.fact if self.condition is not None else None

    @property
    def op(self) -> str | None:
        return self.condition.op if self.condition is not None else None

    @property
    def threshold(self) -> Any:
        c = self.condition
        return c.value if c is not None and c.fact is not None else None

    def applies_to(self, category: str) -> bool:
        return category in self.categories

    def to_dict(self) -> dict:
        return {
            "id": self.id, "jurisdiction": self.jurisdiction, "kind": self.kind,
            "kind_zh": RULE_KIND_ZH[self.kind],
            "categories": list(self.categories), "kinds": list(self.kinds),
            "title": self.title, "fact": self.fact, "op": self.op,
            "threshold": self.threshold, "unit": self.unit,
            "condition": self.condition.to_dict() if self.condition is not None else None,
            "when": self.when.to_dict() if self.when else None,
            "advisory": self.advisory, "strength": self.strength,
            "strength_zh": STRENGTH_ZH[self.strength], "material": self.material, "note": self.note,
            "citation": self.citation.to_dict(),
            "also": [c.to_dict() for c in self.also],
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
        }


@dataclass(frozen=True)
class Step:
    """A timed step: a period the document sets, counted from an event."""

    id: str
    jurisdiction: str
    name: str
    #: the event the period is counted from (收到材料之日…)
    from_event: str
    unit: str
    count: int | None
    direction: str
    bound: str
    citation: Citation
    valid_from: dt.date
    valid_to: dt.date | None
    #: fixed dates (unit ``fixed``): month and day, in the year of the event plus
    #: ``year_offset``, or day of the month of the event plus ``month_offset``
    month: int | None = None
    day: int | None = None
    year_offset: int = 0
    month_offset: int = 0
    note: str | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "jurisdiction": self.jurisdiction, "name": self.name,
                "from_event": self.from_event, "count": self.count, "unit": self.unit,
                "direction": self.direction, "bound": self.bound,
                "bound_zh": BOUND_ZH[self.bound],
                "fixed": ({"month": self.month, "day": self.day,
                           "year_offset": self.year_offset, "month_offset": self.month_offset}
                          if self.unit == "fixed" else None),
                "note": self.note, "citation": self.citation.to_dict(),
                "valid_from": self.valid_from.isoformat(),
                "valid_to": self.valid_to.isoformat() if self.valid_to else None}


@dataclass(frozen=True)
class RuleSet:
    document: Document
    #: the assistive kinds the document tells apart
    kinds: tuple[str, ...]
    rules: tuple[Rule, ...]
    steps: tuple[Step, ...]

    @property
    def jurisdiction(self) -> str:
        return self.document.jurisdiction

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def materials(self) -> dict[str, str]:
        """Every material key of the document, with its official name."""
        out: dict[str, str] = {}
        for r in self.rules:
            if r.material:
                out.setdefault(r.material, r.title)
        return out

    def validity(self, on: dt.date) -> str:
        if on < self.document.valid_from:
            return "not_yet_in_force"
        if self.document.valid_to is not None and on > self.document.valid_to:
            return "expired"
        return "in_force"


@dataclass(frozen=True)
class MappingEntry:
    """How a form record's field(s) give one fact."""

    fact: str
    fields: tuple[str, ...]
    transform: str
    categories: tuple[str, ...]
    #: transform parameters (choice map, materials map, rows column…)
    params: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class FormCheck:
    """A consistency check of a form's own values (totals, averages, date order)."""

    id: str
    title: str
    type: str
    fields: tuple[str, ...]
    params: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class FormMapping:
    form: str
    entries: tuple[MappingEntry, ...]
    checks: tuple[FormCheck, ...]
