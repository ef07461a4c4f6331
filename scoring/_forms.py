"""The printed tables as form descriptions, and records filled from a score result.

A scoring table's printed layout is an ordinary form description (forms/specs/<form>.yaml),
generated from the table's data so the wording is written once: ``python -m scoring
write-specs`` writes them, ``check-specs`` (and the tests) check the committed ones match.
Each item's 得分 cell is a text field (a score, 通过/否决 for a veto item, 不参与 for an item
of another kind); the total row and the panel's signature line close the table.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ._bands import band_name
from ._model import ScoringTable, _fmt

CATEGORY = {"medical": "medical", "rehab": "rehab"}
VALIDITY = {"shanxi": ("2022-08-08", "2024-08-07"), "tianjin": ("2024-07-01", "2029-06-30"),
            "jilin": ("2026-01-30", None)}
JURISDICTION = {"shanxi": ("山西省", "003_db5c35c3860acea5.txt"),
                "tianjin": ("天津市", "001_bd440ef23e13208b.txt"),
                "jilin": ("吉林省", "000_ae6af9d2b2624b9e.txt")}


def _cat(kinds) -> list[str]:
    return sorted({CATEGORY.get(k, "assistive") for k in kinds},
                  key=["medical", "rehab", "assistive"].index)


def _spans(values: list) -> list[int]:
    """Rowspan per row for runs of equal consecutive values (0: covered by the row above)."""
    out = [0] * len(values)
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        out[i] = j - i + 1
        i = j + 1
    return out


def _checklist_spec(t: ScoringTable) -> tuple[list, list, list]:
    """附件1-3 评估标准 as a table for the panel: one row per condition, its number and
    wording verbatim, and a 是否符合 cell (符合/不符合/不适用); the conclusion closes it."""
    fields: list[dict] = [
        {"id": "institution_name", "label": "申报机构名称", "type": "text", "max_length": 60, "required": True},
        {"id": "eval_date", "label": "评估日期", "type": "date"}]
    if len(t.kinds) > 1:
        fields.append({"id": "kind", "label": "申报配置类别", "type": "text", "max_length": 20})
    layout: list[Any] = [{"title": t.title},
                         {"para": {"runs": [t.derived_note], "align": "center", "size": 9}},
                         {"para": {"runs": ["申报机构名称：", {"field": "institution_name", "width": 100}],
                                   "space_before": 6}}]
    if len(t.kinds) > 1:
        layout.append({"para": {"runs": ["申报配置类别：", {"field": "kind", "width": 60}], "space_before": 4}})
    layout.append({"para": {"runs": ["评估日期：", {"field": "eval_date", "width": 50}], "space_before": 4}})
    rows: list[Any] = [["序号", "评估条件", "适用", "是否符合"]]
    from ._loader import KIND_ZH

    for it in t.items:
        fields.append({"id": it.field, "label": "是否符合", "section": f"{it.number}（{it.id}）",
                       "type": "text", "max_length": 8})
        scope = "、".join(KIND_ZH[k].removesuffix("机构") for k in it.applies_to) if it.applies_to else ""
        scope = "；".join(x for x in (scope, it.remark or "") if x) or "全部"
        text = f"{it.group}：{it.content}" if it.group and not it.name else \
            f"{it.name}：{it.content}" if it.name else it.content
        rows.append([it.number, {"text": text, "align": "left"}, scope, {"field": it.field}])
    fields.append({"id": "result", "label": "评估结论", "type": "text", "max_length": 8})
    rows.append([{"text": "评估结论（各项条件均符合为符合）", "colspan": 3}, {"field": "result"}])
    # the column heads print again on each page the table continues on
    layout.append({"table": {"columns": [22, 98, 26, 18], "size": 9, "header_rows": 1,
                             "rows": rows}})
    # the notes below the table, as paragraphs: a last table row of notes alone on a page
    # is not seen as a table in a Word/LibreOffice export, and its text would then run
    # into the value before it (the evaluation date) when the export is read back
    if t.notes:
        layout.append({"para": {"runs": ["说明："], "size": 9, "space_before": 4}})
        layout.extend({"para": {"runs": [x], "size": 9}} for x in t.notes)
    layout.append({"para": {"runs": ["评估人员（签名）："], "space_before": 14}})
    quotes = [t.title] + [it.content for it in t.items] + list(t.notes)
    return fields, layout, quotes


def _entered_spec(t: ScoringTable) -> tuple[list, list, list]:
    """Jilin: the panel's total against the pass mark of 第十条 (its 评估标准 are not
    published), with the signatures 第九条 asks for."""
    pm = t.pass_mark
    fields = [
        {"id": "institution_name", "label": "申报机构名称", "type": "text", "max_length": 60, "required": True},
        {"id": "kind", "label": "申报服务类别", "type": "text", "max_length": 20},
        {"id": "eval_date", "label": "评估日期", "type": "date"},
        {"id": "panel_total", "label": "评估得分", "type": "text", "max_length": 8},
        {"id": "result", "label": "评估结论", "type": "text", "max_length": 8}]
    layout: list[Any] = [
        {"title": t.title},
        {"para": {"runs": [t.derived_note], "align": "center", "size": 9}},
        {"table": {"columns": [60, 104], "size": 10, "rows": [
            ["申报机构名称", {"field": "institution_name"}],
            ["申报服务类别", {"field": "kind"}],
            ["评估日期", {"field": "eval_date"}],
            [f"{t.items[0].content}（满分{_num(t.total)}分）", {"field": "panel_total"}],
            [f"合格线：{_num(pm.value)}分以上（含{_num(pm.value)}分）", {"field": "result"}],
            [{"paragraphs": [{"runs": [f"{pm.citation.article}："]}, {"runs": [pm.citation.quote]},
                             {"runs": [f"{t.citation.article}："]}, {"runs": [t.citation.quote]},
                             {"runs": [_JILIN_SIGN]}],
              "colspan": 2, "align": "left"}]]}},
        {"para": {"runs": ["专家组成员（签字）："], "space_before": 14}},
        {"para": {"runs": ["申报机构（盖章）：", "负责人（签字）："], "space_before": 10}}]
    return fields, layout, [pm.citation.quote, t.citation.quote, _JILIN_SIGN]


#: 第九条: who signs the result
_JILIN_SIGN = "评估结果由专家组成员共同签字确认，申报机构加盖公章签字确认。"


def _source(t: ScoringTable, quotes: list | None) -> dict:
    src = {"seed": JURISDICTION[t.jurisdiction][1], "document": t.citation.document,
           "article": f"{t.citation.article}；{t.attachment}", "quote": t.citation.quote}
    if quotes is not None:
        src["quotes"] = quotes
    return src


def spec_raw(t: ScoringTable) -> dict:
    if t.purpose in ("checklist", "entered"):
        fields, layout, quotes = (_checklist_spec if t.purpose == "checklist" else _entered_spec)(t)
        valid_from, valid_to = VALIDITY[t.jurisdiction]
        raw = {
            "id": t.form, "jurisdiction": t.jurisdiction,
            "jurisdiction_name": JURISDICTION[t.jurisdiction][0],
            "title": t.title, "attachment": t.attachment, "kind": "evaluation",
            "categories": _cat(t.kinds), "source": _source(t, quotes),
            "version": "2024.1" if t.jurisdiction == "tianjin" else "2026.1",
            "valid_from": valid_from, "valid_to": valid_to,
            # the conditions are official, the table layout is ours
            "derived": True, "derived_note": t.derived_note, "fields": fields, "layout": layout,
        }
        return raw
    score_label = "得分" if t.purpose != "annual" else "实得分"
    fields: list[dict] = []
    layout: list[Any] = [{"title": t.title}]
    if t.subtitle:
        layout.append({"para": {"runs": [t.subtitle], "align": "center", "size": 12}})
    if t.purpose == "admission":
        fields += [{"id": "institution_name", "label": "机构名称", "type": "text", "max_length": 60, "required": True},
                   {"id": "eval_date", "label": "时间", "type": "date"}]
        layout += [{"para": {"runs": ["机构名称：", {"field": "institution_name", "width": 100}], "space_before": 6}},
                   {"para": {"runs": ["时间：", {"field": "eval_date", "width": 50}], "space_before": 4}}]
    elif t.purpose == "annual":
        fields += [{"id": "institution_name", "label": "被考核单位（章）", "type": "text", "max_length": 60, "required": True},
                   {"id": "eval_date", "label": "日期", "type": "date"}]
        layout += [{"para": {"runs": ["被考核单位（章）：", {"field": "institution_name", "width": 100}], "space_before": 6}},
                   {"para": {"runs": ["日期：", {"field": "eval_date", "width": 50}], "space_before": 4}}]
    rows: list[Any] = []
    for it in t.items:
        fields.append({"id": it.field, "label": score_label, "section": f"第{it.id}项", "type": "text",
                       "max_length": 8})
    fields.append({"id": "total", "label": score_label, "section": t.total_row_label, "type": "text",
                   "max_length": 8})
    items = t.items
    if t.purpose == "admission":
        columns = [7, 7, 13, 50, 40, 9, 11]
        rows.append(["", "序号", "分项内容", "考核内容", "评分标准", "标准分", "得分"])
        g = _spans([i.group for i in items])
        n = _spans([i.number for i in items])
        m = _spans([(i.number, i.name) for i in items])
        for k, it in enumerate(items):
            cells: list[Any] = []
            if g[k]:
                cells.append({"text": it.group, "rowspan": g[k]})
            if n[k]:
                cells.append({"text": it.number, "rowspan": n[k]})
            if m[k]:
                cells.append({"text": it.name, "rowspan": m[k]})
            cells += [{"text": it.content, "align": "left"}, {"text": it.standard, "align": "left"},
                      "-" if it.points is None else _num(it.points), {"field": it.field}]
            rows.append(cells)
        rows.append(["", t.total_row_number or "", {"text": t.total_row_label, "colspan": 3}, _num(t.total),
                     {"field": "total"}])
    elif t.purpose == "annual":
        has_std = any(i.standard for i in items)
        columns = [7, 15, 50] + ([45] if has_std else []) + [9, 11, 17]
        rows.append(["序号", "考核项目", "考核内容"] + (["评分标准"] if has_std else []) + ["分数", "实得分", "备注"])
        n = _spans([i.number for i in items])
        for k, it in enumerate(items):
            cells = []
            if n[k]:
                cells += [{"text": it.number, "rowspan": n[k]}, {"text": it.group, "rowspan": n[k]}]
            cells.append({"text": it.content, "align": "left"})
            if has_std:
                cells.append({"text": it.standard, "align": "left"})
            cells += [_num(it.points), {"field": it.field}, it.remark or ""]
            rows.append(cells)
        rows.append([{"text": t.total_row_label, "colspan": 3 + has_std}, _num(t.total), {"field": "total"}, ""])
        note = ["备注："] + ([t.one_vote_veto.text] if t.one_vote_veto else []) + list(t.notes)
        rows.append([{"paragraphs": [{"runs": [x]} for x in note], "colspan": len(columns), "align": "left"}])
    else:  # survey
        fields[:0] = [
            {"id": "worker_name", "label": "工伤职工姓名", "type": "text", "max_length": 20, "required": True},
            {"id": "id_number", "label": "身份证号", "type": "text", "max_length": 18},
            {"id": "provider", "label": "配置机构", "type": "text", "max_length": 40},
            {"id": "device", "label": "辅助器具名称", "type": "text", "max_length": 30},
            {"id": "phone", "label": "联系电话", "type": "text", "max_length": 20},
            {"id": "fitting_date", "label": "配置日期", "type": "date"},
            {"id": "employer", "label": "参保单位", "type": "text", "max_length": 60},
            {"id": "remarks", "label": "是否有其他说明的事项", "type": "multiline", "max_length": 200},
        ]
        columns = [60, 50, 14, 14]
        rows += [
            [{"runs": ["工伤职工姓名:", {"field": "worker_name"}], "align": "left"},
             {"runs": ["身份证号:", {"field": "id_number"}], "align": "left", "colspan": 3}],
            [{"runs": ["配置机构:", {"field": "provider"}], "align": "left"},
             {"runs": ["辅助器具名称:", {"field": "device"}], "align": "left", "colspan": 3}],
            [{"runs": ["联系电话", {"field": "phone"}], "align": "left"},
             {"runs": ["配置日期:", {"field": "fitting_date"}], "align": "left", "colspan": 3}],
            [{"runs": ["参保单位:", {"field": "employer"}], "align": "left", "colspan": 4}],
            ["调查内容", "打分标准", "分值设置", "得分"],
        ]
        for it in items:
            rows.append([{"text": it.content, "align": "left"}, {"text": it.standard, "align": "left"},
                         _num(it.points), {"field": it.field}])
        rows.append([{"text": t.remark_item, "align": "left"}, {"field": "remarks", "colspan": 3}])
        rows.append(["合计", "", _num(t.total), {"field": "total"}])
    table: dict[str, Any] = {"columns": columns, "size": 9, "rows": rows}
    if t.purpose in ("admission", "annual"):
        # the column heads print again on each page the table continues on
        table = {"columns": columns, "size": 9, "header_rows": 1, "rows": rows}
    layout.append({"table": table})
    signer = {"admission": "评估小组", "annual": "经办机构", "survey": "工伤职工"}[t.purpose]
    layout.append({"para": {"runs": [signer, "（签名）："], "space_before": 14}})
    valid_from, valid_to = VALIDITY[t.jurisdiction]
    return {
        "id": t.form, "jurisdiction": t.jurisdiction, "jurisdiction_name": JURISDICTION[t.jurisdiction][0],
        "title": t.title, "attachment": t.attachment,
        "kind": {"admission": "evaluation", "annual": "assessment", "survey": "survey"}[t.purpose],
        "categories": _cat(t.kinds),
        "source": _source(t, None),
        "version": "2022.1", "valid_from": valid_from, "valid_to": valid_to, "derived": False,
        "fields": fields, "layout": layout,
    }


def _num(d) -> str:
    return format(d.normalize(), "f")


def record_from_result(result: dict) -> dict:
    """The form record of a score result: header, each 得分 cell, the total."""
    from ._loader import get_table

    t = get_table(result["table"])
    rec: dict[str, Any] = {}
    if t.purpose in ("checklist", "entered"):
        if result.get("institution"):
            rec["institution_name"] = result["institution"][:60]
        if result.get("date"):
            rec["eval_date"] = result["date"]
        if t.purpose == "entered" or len(t.kinds) > 1:
            rec["kind"] = result["kind_zh"]
        if t.purpose == "entered":
            rec["panel_total"] = result["total"]
            rec["result"] = "通过" if result["passed"] else "未通过"
            return rec
        for r in result["items"]:
            it = t.item(r["id"])
            rec[it.field] = ("符合" if r["met"] else "不符合") if r["applies"] else "不适用"
        rec["result"] = "符合" if result["passed"] else "不符合"
        return rec
    if t.purpose in ("admission", "annual"):
        if result.get("institution"):
            rec["institution_name"] = result["institution"][:60]
        if result.get("date"):
            rec["eval_date"] = result["date"]
    else:
        for k, v in (result.get("header") or {}).items():
            rec[k] = v
        if result.get("remark"):
            rec["remarks"] = result["remark"]
    by_id = {r["id"]: r for r in result["items"]}
    for it in t.items:
        r = by_id[it.id]
        if not r.get("applies", True):
            rec[it.field] = "不参与"
        elif it.mode == "veto":
            rec[it.field] = "通过" if r["passed"] else "否决"
        else:
            rec[it.field] = r["score"]
    rec["total"] = result["total"]
    return rec


def _band_sample(c, full: bool) -> tuple[str, str | None]:
    """A value of a bands check scoring the most (``full``) or the least, and the panel's
    choice when that value can only lie in a declared gap (the lowest: 不得分 below the
    first printed band); values in a gap or an overlap are avoided where a band has others."""
    def inside(b) -> Decimal | None:
        hi = b.max if b.max is not None else b.min + 10
        for x in (b.min, b.min + 1, (b.min + hi) / 2, hi - 1, hi):
            if b.contains(x) and not any(g.contains(x) for g in c.gaps):
                return x
        return None

    for b in sorted(c.bands, key=lambda b: b.value, reverse=full):
        x = inside(b)
        if x is not None:
            if full or b.value == 0 or not any(g.kind == "gap" and g.min < b.min
                                               for g in c.gaps):
                return _fmt(x), None
            break
    # the least is a gap below the printed bands: the panel's 不得分
    g = min((g for g in c.gaps if g.kind == "gap"), key=lambda g: g.min)
    low = min(g.choices, key=lambda b: b.value)
    x = g.min if g.min_inclusive else (g.min + g.max) / 2 if g.max is not None else g.min + 1
    return _fmt(x), band_name(low)


def example_input(t: ScoringTable, style: str = "full", kind: str | None = None) -> dict:
    """An input giving full marks (``full``) or nothing at all (``missing``) on every item."""
    kind = kind or t.kinds[0]
    full = style == "full"
    items: dict[str, Any] = {}
    if t.purpose == "checklist":
        # every applicable condition met (full) or none (missing); the facts that decide which
        # apply: a medical institution (the only one that may fit 假牙)
        facts = {f: True for f, _ in t.facts}
        for it in t.applicable(kind):
            if it.fact or not it.applies_given(facts):
                continue
            if not it.checks:
                items[it.id] = {"met": full}
                continue
            v = {}
            for c in it.checks:
                if c.type == "required":
                    v[c.id] = full
                elif c.type == "minimum":
                    v[c.id] = str(c.required) if full else "0"
                else:
                    v[c.id] = list(c.elements) if full else []
            items[it.id] = v
        out = {"kind": kind, "items": items}
        if t.facts:
            out["facts"] = facts
        return out
    resolve: dict[str, str] = {}
    for it in t.applicable(kind):
        if it.mode == "veto":
            items[it.id] = {"met": True}
        elif it.mode == "panel":
            items[it.id] = {"deductions": [] if full else [{"points": str(it.points), "reason": "未达要求"}]}
        elif it.mode in ("survey", "entered"):
            items[it.id] = {"score": str(it.points) if full else "0"}
        else:
            v: dict[str, Any] = {}
            for c in it.checks:
                if c.type in ("required", "each"):
                    v[c.id] = full
                elif c.type == "per_missing":
                    v[c.id] = (list(c.elements) if full else []) if c.elements else 0 if full else 99
                elif c.type in ("per_unit_short", "minimum"):
                    v[c.id] = int(c.required) if full else 0
                elif c.type == "per_count":
                    v[c.id] = int(c.max / c.each) if full else 0
                elif c.type == "choice":
                    best = max(c.options, key=lambda o: o[1]) if full else min(c.options, key=lambda o: o[1])
                    v[c.id] = best[0]
                elif c.type == "bands":
                    value, choice = _band_sample(c, full)
                    v[c.id] = value
                    if choice is not None:
                        resolve[it.id] = choice
            items[it.id] = v
    out: dict[str, Any] = {"kind": kind, "items": items}
    if resolve:
        out["resolve"] = resolve
    if t.one_vote_veto:
        out["one_vote_veto"] = {c: False for c, _ in t.one_vote_veto.conditions}
    return out
