"""Bands as the official tables print them: their gaps and overlaps, and the panel's choice.

The printed bands of a table do not always cover every number once: 假肢矫形器 7.1 scores
``大于150m²`` and ``小于150m²`` and leaves exactly 150 out; 助听器 7.1 scores ``30m²以上`` and
``20m²-30m²`` and gives exactly 30 to both.  :func:`find_gaps` computes every such stretch
from the bands; the loader requires the data to declare each one (with why the wording leaves
it open) and nothing else.  An input in one is never scored by xieyi: the item's result asks
for the panel's decision, and :func:`decide` applies the band the panel chose (``resolve``),
recording that the panel chose it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ._model import Band, BandGap, _fmt

#: the label of the 不得分 choice of a gap below the lowest printed band
NO_POINTS = "不得分（原文未列此档）"


def _status(bands: tuple[Band, ...], x: Decimal) -> tuple[int, ...]:
    return tuple(k for k, b in enumerate(bands) if b.contains(x))


def find_gaps(bands: tuple[Band, ...], lo: Decimal, hi: Decimal | None) -> list[dict]:
    """Every stretch of ``[lo, hi]`` (``hi`` None: unbounded) in no band or in more than one.

    Each is ``{"kind", "min", "min_inclusive", "max", "max_inclusive", "bands"}``, ``bands``
    the indexes of the bands that claim it (an overlap) or that border it (a gap)."""
    marks = sorted({lo, *(b.min for b in bands), *(b.max for b in bands if b.max is not None),
                    *((hi,) if hi is not None else ())})
    marks = [m for m in marks if m >= lo and (hi is None or m <= hi)]
    # the pieces: each mark alone, and the open stretch up to the next mark (or beyond the last)
    pieces: list[tuple[Decimal, bool, Decimal | None, bool, Decimal]] = []
    for k, m in enumerate(marks):
        pieces.append((m, True, m, True, m))
        nxt = marks[k + 1] if k + 1 < len(marks) else None
        if nxt is not None:
            pieces.append((m, False, nxt, False, (m + nxt) / 2))
        elif hi is None:
            pieces.append((m, False, None, False, m + 1))
    found: list[dict] = []
    prev = None
    for a, a_inc, b, b_inc, sample in pieces:
        st = _status(bands, sample)
        if len(st) == 1:
            prev = None
            continue
        kind = "gap" if not st else "overlap"
        if prev is not None and prev["kind"] == kind and prev["_st"] == st:
            prev.update(max=b, max_inclusive=b_inc)
            continue
        prev = {"kind": kind, "min": a, "min_inclusive": a_inc, "max": b, "max_inclusive": b_inc,
                "_st": st}
        found.append(prev)
    for g in found:
        st = g.pop("_st")
        if g["kind"] == "overlap":
            g["bands"] = st
        else:
            g["bands"] = tuple(k for k, b in enumerate(bands)
                               if (b.max is not None and b.max == g["min"]) or b.min == g["max"])
    return found


def gap_choices(bands: tuple[Band, ...], g: dict) -> tuple[Band, ...]:
    """The bands the panel may choose for a stretch ``g`` of :func:`find_gaps`."""
    choices = [bands[k] for k in g["bands"]]
    below = any(bands[k].max is not None and bands[k].max == g["min"] for k in g["bands"])
    if g["kind"] == "gap" and not below and all(c.value != 0 for c in choices):
        choices.insert(0, Band(min=g["min"], max=g["max"], value=Decimal(0),
                               min_inclusive=g["min_inclusive"], max_inclusive=g["max_inclusive"],
                               label=NO_POINTS))
    return tuple(sorted(choices, key=lambda c: c.value))


def band_name(b: Band) -> str:
    """How a choice is named in ``resolve``: its points (or share), e.g. ``3`` or ``0.7``."""
    return _fmt(b.value)


def band_text(b: Band) -> str:
    return b.text or b.label or NO_POINTS


def choice_dict(b: Band, unit: str = "") -> dict:
    return {"band": band_name(b), "value": _fmt(b.value), "text": band_text(b),
            "label": b.label, "range": b.describe(unit) if b.text else None}


def match(options: tuple[Band, ...], name: Any) -> Band | None:
    """The option ``name`` names: its points or share (``3``, ``"3分"``, ``"0.7"``), its label
    (``返还70%``) or its printed text (``大于150m²小于200平方米得3分``)."""
    if isinstance(name, bool) or not isinstance(name, (str, int, float)):
        return None
    s = str(name).strip()
    for b in options:
        if s in (b.label, b.text):
            return b
    num = s[:-1] if s.endswith("分") else s
    try:
        d = Decimal(num)
    except ArithmeticError:
        return None
    if not d.is_finite():
        return None
    hits = [b for b in options if b.value == d]
    return hits[0] if len(hits) == 1 else None


#: who decides: the 评估小组 of an evaluation (第十五条), the 经办机构 of the year-end return
#: (第三十四条)
DECIDERS = {"panel": ("评估小组", "the panel"), "agency": ("经办机构", "the agency")}


def decision(g: BandGap, *, value: Decimal, unit: str, rule: str, bands: tuple[Band, ...],
             chosen: Band | None, what_zh: str, what_en: str, by: str = "panel") -> dict:
    """The ``decision`` of a result: the gap, the rule as printed, the choices, the choice."""
    return {
        "kind": g.kind, "kind_zh": g.kind_zh, "value": _fmt(value), "unit": unit or None,
        "range": g.describe(unit), "range_en": g.describe_en(unit), "rule": rule, "note": g.note,
        "bands": [band_text(b) for b in bands],
        "choices": [choice_dict(c, unit) for c in g.choices],
        "status": "resolved" if chosen else "needed",
        "chosen": choice_dict(chosen, unit) if chosen else None,
        "decider": by, "decided_by": by if chosen else None,
        "what_zh": what_zh, "what_en": what_en,
    }


def warning(key: str, d: dict) -> dict:
    """The warning a result carries for a decision (needed or made); ``key`` is what
    ``resolve`` names it by (an item id, or ``refund``)."""
    who_zh, who_en = DECIDERS[d["decider"]]
    names = "、".join(f"{c['band']}（{c['text']}）" for c in d["choices"])
    head_zh = (f"{d['what_zh']}{d['value']}{d['unit'] or ''}落在官方分档的{d['kind_zh']}"
               f"（{d['range']}）：{d['note']}。原文：“{d['rule'].rstrip('。')}”")
    head_en = (f"{d['what_en']} {d['value']}{d['unit'] or ''} falls in a {d['kind']} of the "
               f"official bands ({d['range_en']}); the rule as printed: {d['rule'].rstrip('。')}")
    if d["chosen"]:
        zh = f"{head_zh}。已由{who_zh}决定按“{d['chosen']['text']}”。"
        en = f"{head_en}. Decided by {who_en}: {d['chosen']['text']}."
    else:
        zh = f"{head_zh}。须由{who_zh}决定（resolve {key}=…，可选：{names}），在此之前结果待定。"
        en = (f"{head_en}. {who_en.capitalize()}'s decision is needed (resolve {key}=one of "
              f"{', '.join(c['band'] for c in d['choices'])}); the result is provisional until then.")
    return {"item": key, "code": f"band_{d['kind']}", "resolved": bool(d["chosen"]),
            "message_zh": zh, "message_en": en}
