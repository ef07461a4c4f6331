"""Scoring tables as data: the dataclasses the scorer and the form generator read.

A table (one YAML file under ``scoring/data``) lists its items in printed order, each with
its official number, wording, standard points and scoring-rule text, and the machine rule
that scores it: a ``mode`` and a list of ``checks`` (what the rule reads from the input).

Modes:

* ``veto`` — 单项否决: no points; failing it fails the evaluation whatever the points;
* ``deduct`` — start from the item's points, subtract each check's deduction, stop at zero
  (扣完为止: an item never goes below zero and never borrows from another item);
* ``award`` — add each check's points, never above the item's points;
* ``panel`` — the table gives no rule: the assessors' own deductions, each with its reason;
* ``survey`` — the score of another table (the 调查表): entered, or the mean of surveys;
* ``entered`` — the panel's own score, entered as a number (Jilin: its 评估标准 are not
  published, only the pass mark of 第十条 is, so the panel's total is the one input);
* ``condition`` — a condition of a checklist (Tianjin 评估标准: conditions, not points): met
  or not, read from its checks (every check must hold) or, with no checks, from ``met``.

Checklist tables (purpose ``checklist``) have only condition items and no points: they pass
when every applicable condition is met.  A condition reuses the deduct checks' primitives
without a deduction: ``required`` (yes/no), ``minimum`` (a count, area or share at or above
the threshold; 以上/不少于 include it) and ``per_missing`` (every named element present).

Check types: ``required`` (yes/no, deduct when not met), ``per_missing`` (deduct per missing
element or per counted defect), ``per_unit_short`` (deduct per unit below a required count),
``minimum`` (deduct when a number is below a minimum; 以上 includes the mark), ``each``
(award when met), ``per_count`` (award per unit present, capped), ``choice`` (points by the
option chosen), ``bands`` (points by the band a number falls in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from rules import Citation  # a table's items cite the seeds as the rules do

MODES = ("veto", "deduct", "award", "panel", "survey", "entered", "condition")
DEDUCT_CHECKS = ("required", "per_missing", "per_unit_short", "minimum")
AWARD_CHECKS = ("each", "per_count", "choice", "bands")
CONDITION_CHECKS = ("required", "minimum", "per_missing")
#: checklist: conditions met or not (Tianjin); entered: the panel's total only (Jilin)
PURPOSES = ("admission", "annual", "survey", "checklist", "entered")


@dataclass(frozen=True)
class Band:
    """A half-open (by default ``[min, max)``) range of a number and its points or share."""

    min: Decimal
    max: Decimal | None
    value: Decimal
    min_inclusive: bool = True
    max_inclusive: bool = False
    label: str | None = None
    note: str | None = None
    #: the band as the official table prints it (verbatim, a part of the 评分标准 or quote);
    #: None for the 不得分 choice xieyi adds to a gap below the lowest printed band
    text: str | None = None

    def contains(self, x: Decimal) -> bool:
        lo = x >= self.min if self.min_inclusive else x > self.min
        if self.max is None:
            return lo
        hi = x <= self.max if self.max_inclusive else x < self.max
        return lo and hi

    def describe(self, unit: str = "") -> str:
        lo = f"{'≥' if self.min_inclusive else '>'}{_fmt(self.min)}{unit}"
        if self.max is None:
            return lo
        return f"{lo}且{'≤' if self.max_inclusive else '<'}{_fmt(self.max)}{unit}"


@dataclass(frozen=True)
class BandGap:
    """A stretch of numbers the printed bands leave open (``gap``: in no band) or claim twice
    (``overlap``: in two bands).  An input in it is not scored by xieyi: the panel chooses
    one of ``choices`` (``resolve``), and the result records that the panel chose it.

    ``choices``: for an overlap, the bands that claim the stretch; for a gap, the bands on
    either side of it, and 不得分 (a band of no points, ``text`` None) when the gap lies below
    the lowest printed band and no band beside it is worth nothing."""

    kind: str
    min: Decimal
    max: Decimal | None
    min_inclusive: bool
    max_inclusive: bool
    choices: tuple[Band, ...]
    #: why the printed wording leaves it open, in Chinese (shown with the warning)
    note: str

    def contains(self, x: Decimal) -> bool:
        return Band(self.min, self.max, Decimal(0), self.min_inclusive, self.max_inclusive).contains(x)

    def describe(self, unit: str = "") -> str:
        if self.max is not None and self.min == self.max:
            return f"恰为{_fmt(self.min)}{unit}"
        return Band(self.min, self.max, Decimal(0), self.min_inclusive, self.max_inclusive).describe(unit)

    def describe_en(self, unit: str = "") -> str:
        if self.max is not None and self.min == self.max:
            return f"exactly {_fmt(self.min)}{unit}"
        return self.describe(unit).replace("且", " and ")

    @property
    def kind_zh(self) -> str:
        return "缺口" if self.kind == "gap" else "重叠"


def _fmt(d: Decimal) -> str:
    d = d.normalize()
    return format(d, "f")


@dataclass(frozen=True)
class Check:
    id: str
    type: str
    label: str
    unit: str | None = None
    #: deduct checks: points taken off per failure / per missing element / per unit short
    deduct: Decimal | None = None
    #: per_missing: the elements the wording names (empty: a count of defects is given)
    elements: tuple[str, ...] = ()
    #: per_unit_short: the count the wording requires; minimum: the minimum
    required: Decimal | None = None
    #: each: points when met
    points: Decimal | None = None
    #: per_count: points per unit and the cap (最高X分)
    each: Decimal | None = None
    max: Decimal | None = None
    #: choice: option -> points, in printed order
    options: tuple[tuple[str, Decimal], ...] = ()
    bands: tuple[Band, ...] = ()
    #: bands: the gaps and overlaps the printed bands leave (declared in the data, each
    #: checked against the bands by the loader)
    gaps: tuple[BandGap, ...] = ()
    #: condition minimum: the rule (rules/data) whose threshold this is, read from it so the
    #: number lives in one place
    rule: str | None = None

    @property
    def max_award(self) -> Decimal:
        if self.type == "each":
            return self.points
        if self.type == "per_count":
            return self.max
        if self.type == "choice":
            return max(p for _, p in self.options)
        if self.type == "bands":
            return max(b.value for b in self.bands)
        return Decimal(0)

    @property
    def max_deduction(self) -> Decimal | None:
        """The most this check can take off (``None``: unbounded, a count of defects)."""
        if self.type in ("required", "minimum"):
            return self.deduct
        if self.type == "per_missing":
            return self.deduct * len(self.elements) if self.elements else None
        if self.type == "per_unit_short":
            return self.deduct * self.required
        return Decimal(0)


@dataclass(frozen=True)
class Item:
    id: str
    #: the printed 序号 (shared by the sub-items 6.1, 6.2… and by rows of one 考核项目)
    number: str
    group: str | None
    name: str | None
    content: str
    #: the printed 评分标准 (None when the table has no such column)
    standard: str | None
    #: standard points (None for a veto item)
    points: Decimal | None
    mode: str
    checks: tuple[Check, ...] = ()
    #: the kinds of institution the item applies to (empty: all of the table's kinds)
    applies_to: tuple[str, ...] = ()
    #: the printed 备注 (仅医疗机构参与…)
    remark: str | None = None
    #: rules (rules/data) that state the same condition, for veto items
    rules: tuple[str, ...] = ()
    #: survey items: the table whose score this item takes
    survey: str | None = None
    #: the form field that shows this item's score
    field: str = ""
    #: condition items: the table facts that must hold for the condition to apply, e.g.
    #: (("medical_institution", True),) for 附件3 一's 其中，医疗机构须为…
    when: tuple[tuple[str, bool], ...] = ()
    #: condition items read from a table fact rather than from their own input
    #: (假牙仅医疗机构可以配置: the fact medical_institution)
    fact: str | None = None

    def applies_given(self, facts: dict) -> bool:
        return all(facts.get(k) is v for k, v in self.when)

    def applies(self, kind: str) -> bool:
        return not self.applies_to or kind in self.applies_to

    def check(self, check_id: str) -> Check | None:
        return next((c for c in self.checks if c.id == check_id), None)

    @property
    def floor(self) -> Decimal:
        """The least the item can score by its own rule (0 unless its deductions cannot
        exhaust its points, e.g. 康复 6.1)."""
        if self.mode != "deduct":
            return Decimal(0)
        most = [c.max_deduction for c in self.checks]
        if any(m is None for m in most):
            return Decimal(0)
        return max(Decimal(0), self.points - sum(most, Decimal(0)))


@dataclass(frozen=True)
class OneVoteVeto:
    """一票否决…考核为零分: any condition that holds zeroes the whole assessment."""

    text: str
    conditions: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PassMark:
    value: Decimal
    rule: str
    citation: Citation


@dataclass(frozen=True)
class Refund:
    """第三十三条/第三十四条: retention, payment, penalty and the year-end return brackets."""

    id: str
    jurisdiction: str
    citation: Citation
    retain_rate: Decimal
    pay_rate: Decimal
    retain_citation: Citation
    penalty_multiple: Decimal
    penalty_citations: dict
    kept_note: str
    brackets: tuple[Band, ...]
    #: the brackets' gaps and overlaps (第三十四条: 60分以下 and 60分（含60分）-70分 both hold 60)
    gaps: tuple[BandGap, ...] = ()

    def bracket(self, score: Decimal) -> Band | BandGap:
        """The bracket of ``score``, or the gap or overlap it falls in (the decision of the
        agency: ``scoring._bands.decide``)."""
        return locate(self.brackets, self.gaps, score)


def locate(bands: tuple[Band, ...], gaps: tuple[BandGap, ...], x: Decimal) -> Band | BandGap:
    """The one band ``x`` is in, or the gap or overlap it falls in (the loader guarantees
    that every number is in exactly one band or in a declared gap or overlap)."""
    for g in gaps:
        if g.contains(x):
            return g
    return next(b for b in bands if b.contains(x))


@dataclass(frozen=True)
class ScoringTable:
    id: str
    jurisdiction: str
    title: str
    subtitle: str | None
    attachment: str
    purpose: str
    form: str
    kinds: tuple[str, ...]
    total: Decimal
    citation: Citation
    items: tuple[Item, ...]
    total_row_number: str | None
    total_row_label: str
    pass_mark: PassMark | None = None
    refund: str | None = None
    one_vote_veto: OneVoteVeto | None = None
    notes: tuple[str, ...] = ()
    remark_item: str | None = None
    extra: dict = field(default_factory=dict)
    #: checklist tables: yes/no facts about the institution that decide which conditions apply
    facts: tuple[tuple[str, str], ...] = ()
    #: printed on the page and returned with every result when the layout is ours
    derived_note: str | None = None

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    def applicable(self, kind: str) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.applies(kind))
