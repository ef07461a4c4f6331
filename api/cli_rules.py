"""The command line for rules: ``xieyi rules``, ``xieyi validate``, ``xieyi deadline``.

Each prints JSON with ``--json`` (the same JSON ``/api/rules``, ``POST /api/validate`` and
``GET /api/deadline`` return) or a readable Chinese report otherwise.  Bad input (unknown
jurisdiction, category, kind, step or fact; a date that is not a date; a negative count)
raises an ``InputInvalid``: api.cli prints it in Chinese and English, exit status 2.
Only the ``rules`` package is loaded here, never Flask.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from forms import InputInvalid

HELP_FROM = "起算日期 YYYY-MM-DD（起算日当天不计入）/ the starting date (not counted)"


def register_commands(sub: Any, parser_class: type) -> dict:
    """Add ``rules``, ``validate`` and ``deadline`` to ``sub``; return their handlers."""
    from rules import CATEGORIES, JURISDICTIONS, KINDS

    pr = sub.add_parser("rules", help="列出各地的规则 / list the rules",
                        description="列出各地的申请条件、不得申请情形、材料、评估合格线、协议期限等规则"
                                    "及其依据；--facts 列出规则读取的全部事实。"
                                    " / List each jurisdiction's rules with their citations; "
                                    "--facts lists the facts rules read.")
    pr.add_argument("--jurisdiction", "-j", metavar="J",
                    help=f"地区 / jurisdiction: {', '.join(JURISDICTIONS)}")
    pr.add_argument("--category", "-c", metavar="C",
                    help=f"机构类别 / category: {', '.join(CATEGORIES)}")
    pr.add_argument("--facts", action="store_true", dest="list_facts",
                    help="列出全部事实 / list the facts")
    pr.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")
    rsub = pr.add_subparsers(dest="rules_action", metavar="cite")
    pc = rsub.add_parser("cite", help="打开一条依据：条文全文、文件与文号 / open an article",
                         description="打印某地文件中一条（款、项）的全文（按勘误改正后的文字），"
                                     "及其所在文件、文号、有效期；另列出其中的勘误。"
                                     " / Print an article's full corrected text, its document "
                                     "and number, and the errata in it.")
    pc.add_argument("cite_jurisdiction", metavar="JURISDICTION",
                    help=f"地区 / jurisdiction: {', '.join(JURISDICTIONS)}")
    pc.add_argument("article", metavar="ARTICLE",
                    help="条款：第三十四条、34、第十一条（六）、附件1 六 / the article")
    pc.add_argument("--json", action="store_true", dest="cite_json",
                    help="以 JSON 输出（与 GET /api/sources/… 相同）/ print JSON")

    pv = sub.add_parser("validate", help="按规则检查一份档案或表单记录 / validate an input",
                        description="按某地规则检查机构档案（{\"facts\": {...}}）、表单记录"
                                    "（{\"form\": 表单编号, \"record\": {...}}，或用 --form 指明表单）"
                                    "或填好的 PDF（解析器提供后）。"
                                    " / Check a profile, a form record or a filled PDF against "
                                    "a jurisdiction's rules.")
    pv.add_argument("input", metavar="INPUT", help="JSON 或 PDF 文件，- 表示标准输入 / "
                                                   "a JSON or PDF file, - for stdin")
    pv.add_argument("--jurisdiction", "-j", required=True, metavar="J",
                    help=f"地区 / jurisdiction: {', '.join(JURISDICTIONS)}")
    pv.add_argument("--category", "-c", required=True, metavar="C",
                    help=f"机构类别 / category: {', '.join(CATEGORIES)}")
    pv.add_argument("--kind", "-k", metavar="K",
                    help=f"辅助器具类别 / assistive kind: {', '.join(KINDS)}")
    pv.add_argument("--on", metavar="YYYY-MM-DD",
                    help="检查日期（缺省为输入中的申请日期；从不取系统日期）"
                         " / the date to check as of (default: the input's application date)")
    pv.add_argument("--form", metavar="FORM_ID",
                    help="INPUT 是该表单的记录（以字段 id 为键）/ INPUT is a bare record of this form")
    pv.add_argument("--facts", metavar="PROFILE.json", dest="profile",
                    help="另加一份档案，其中的事实优先 / a profile whose facts take precedence")
    pv.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")

    pd = sub.add_parser("deadline", help="计算期限 / compute a deadline",
                        description="按某地文件规定的步骤（--jurisdiction --step）或给定的工作日数"
                                    "（--working-days）从起算日计算截止日，列出跳过的休息日。"
                                    " / A step's deadline, or N working days, from a date.")
    pd.add_argument("--jurisdiction", "-j", metavar="J",
                    help=f"地区 / jurisdiction: {', '.join(JURISDICTIONS)}")
    pd.add_argument("--step", "-s", metavar="STEP", help="步骤编号（xieyi rules 列出）/ step id")
    pd.add_argument("--working-days", "-n", metavar="N", dest="working_days",
                    help="工作日数 / number of working days")
    pd.add_argument("--from", "-f", required=True, metavar="YYYY-MM-DD", dest="start",
                    help=HELP_FROM)
    pd.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")
    return {"rules": cmd_rules, "validate": cmd_validate, "deadline": cmd_deadline}


def _print_json(obj: Any) -> None:
    from .cli import _print_json as out

    out(obj)


# -- rules --------------------------------------------------------------------------------

def rules_listing(jurisdiction: str | None = None, category: str | None = None) -> list[dict]:
    """Every rule set (or one), its rules for ``category`` (or all) and its steps, as JSON."""
    from rules import check_category, get_rule_set, requirement_zh, rule_sets

    sets = [get_rule_set(jurisdiction)] if jurisdiction is not None else rule_sets()
    if category is not None:
        check_category(category)
    out = []
    for rs in sets:
        rules = []
        for r in rs.rules:
            if category is not None and category not in r.categories:
                continue
            d = r.to_dict()
            d["requirement_zh"] = requirement_zh(r.condition, r.unit)
            rules.append(d)
        out.append({"jurisdiction": rs.jurisdiction, "jurisdiction_name": rs.document.name,
                    "document": rs.document.to_dict(), "kinds": list(rs.kinds),
                    "rules": rules, "steps": [s.to_dict() for s in rs.steps]})
    return out


def facts_listing() -> dict:
    from rules import fact_defs, violation_types

    return {"facts": [f.to_dict() for f in fact_defs().values()],
            "violation_types": [{"id": v.id, "label": v.label, "date_means": v.date_means}
                                for v in violation_types().values()]}


@contextlib.contextmanager
def _as_not_found():
    """The sources package's errors as the one the command line and the service report
    (exit 2, HTTP 404)."""
    import sources
    from forms.errors import CitationNotFound

    try:
        yield
    except sources.SourceError as e:
        raise CitationNotFound(e.code, e.zh, e.en) from None


def cite_article(jurisdiction: str, article: str) -> dict:
    """What ``xieyi rules cite`` prints and ``GET /api/sources/<j>/articles/<a>`` returns."""
    import sources

    with _as_not_found():
        out = sources.cite(jurisdiction, article)
    src = sources.get_source(jurisdiction)
    out["validity"] = source_validity(src)
    return out


def source_validity(src, today: dt.date | None = None) -> dict:
    """Whether a regulation text is in force today, said for a user (shared by the
    catalogue, the sources and the citations)."""
    from sources import validity_on

    return validity_on(src.valid_from, src.valid_to, src.document, today or dt.date.today())


def sources_listing(jurisdiction: str | None = None, with_articles: bool = False) -> list[dict]:
    """The regulation texts (or one) with their validity today and their errata."""
    import sources

    with _as_not_found():
        srcs = [sources.get_source(jurisdiction)] if jurisdiction else sources.all_sources()
    out = []
    for src in srcs:
        d = src.metadata()
        d["validity"] = source_validity(src)
        d["errata"] = [e.to_dict() for e in sources.errata() if e.source == src.jurisdiction]
        if with_articles:
            d["articles"] = [s.key for s in src.sections if s.kind not in ("part", "chapter")]
        out.append(d)
    return out


def cite_text(c: dict) -> str:
    lines = [f"{c['name']} {c['document']}" + (f"（{c['title']}）" if c["number"] else ""),
             f"{c['key']}" + (f"（{c['part']['key']} {c['part']['title']}）" if c["part"] else "")]
    if not c["exact"]:
        lines.append(f"（“{c['unresolved']}”未能再细分，以下为最接近的一级）")
    lines += ["", c["text"], ""]
    v = c["validity"]
    lines.append(v["message_zh"])
    for e in c["errata"]:
        lines.append(f"勘误（{e['certainty_zh']}）：原文“{e['printed']}”→“{e['corrected']}”：{e['reason_zh']}")
    return "\n".join(lines)


def cmd_cite(args: argparse.Namespace) -> int:
    c = cite_article(args.cite_jurisdiction, args.article)
    if args.cite_json:
        _print_json(c)
    else:
        print(cite_text(c))
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    if getattr(args, "rules_action", None) == "cite":
        return cmd_cite(args)
    if args.list_facts:
        data = facts_listing()
        if args.json:
            _print_json(data)
            return 0
        from .cli import _table

        rows = [[f["id"], f["label"], f["type"], f["unit"] or ""] for f in data["facts"]]
        print(_table(["事实", "名称", "类型", "单位"], rows))
        print("\n违法违规记录的类型（violations 中的 type）：")
        for v in data["violation_types"]:
            print(f"  {v['id']}  {v['label']}（日期为{v['date_means']}）")
        return 0
    listing = rules_listing(args.jurisdiction, args.category)
    if args.json:
        _print_json(listing)
        return 0
    from rules import CATEGORY_ZH

    lines: list[str] = []
    for rs in listing:
        doc = rs["document"]
        until = f"至 {doc['valid_to']}" if doc["valid_to"] else "未定终止日期"
        lines.append(f"{rs['jurisdiction_name']}（{rs['jurisdiction']}）{doc['number']}"
                     f"  {doc['valid_from']} 起施行，{until}")
        for r in rs["rules"]:
            cats = "、".join(CATEGORY_ZH[c] for c in r["categories"])
            extra = "（原则上）" if r["advisory"] else ""
            lines.append(f"  {r['id']}  [{r['kind_zh']}] {r['title']}{extra}")
            lines.append(f"      {r['requirement_zh']}；适用：{cats}"
                         + (f"（{'、'.join(r['kinds'])}）" if r["kinds"] else ""))
            c = r["citation"]
            lines.append(f"      依据：{c['article']}：“{c['quote']}”")
        if rs["steps"]:
            lines.append("  期限（xieyi deadline --jurisdiction "
                         f"{rs['jurisdiction']} --step 步骤 --from 日期）：")
            for s in rs["steps"]:
                amount = (f"{s['count']}{_unit_zh(s['unit'])}" if s["unit"] != "fixed"
                          else "固定日期")
                lines.append(f"    {s['id']}  {s['name']}：自{s['from_event']}起 {amount}"
                             f"（{s['bound_zh']}）  依据：{s['citation']['article']}")
        lines.append("")
    n = sum(len(rs["rules"]) for rs in listing)
    lines.append(f"共 {n} 条规则。xieyi rules --facts 列出规则读取的事实。")
    print("\n".join(lines))
    return 0


def _unit_zh(unit: str) -> str:
    from rules._calendar import COUNT_ZH

    return COUNT_ZH.get(unit, unit)


# -- validate -----------------------------------------------------------------------------

def _read_bytes(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise InputInvalid(f"无法读取输入文件 {path}：{e.strerror or e}",
                           f"cannot read the input file {path}: {e.strerror or e}") from None


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def load_facts(raw: bytes, name: str, category: str, form: str | None = None):
    """The facts of an input's bytes: a filled PDF or a JSON document.  The PDF is parsed
    here, where the file is held; the rules judge the record it gives."""
    from parser import parse_pdf
    from rules import facts_from_document, facts_from_record

    from .render import parse_json

    if is_pdf(raw):
        result = parse_pdf(raw)
        form_id, record = result.form, result.record
        if form is not None and form != form_id:
            raise InputInvalid(f"--form {form} 与 PDF 的表单 {form_id} 不一致",
                               f"--form {form} differs from the PDF's form {form_id}")
        return facts_from_record(form_id, record, category, via="pdf")
    doc = parse_json(raw, f"输入 {name} ", f"the input {name}")
    return facts_from_document(doc, category, form)


def cmd_validate(args: argparse.Namespace) -> int:
    from rules import check_category, get_rule_set, parse_profile, validate

    from .render import parse_json

    get_rule_set(args.jurisdiction)  # an unknown jurisdiction is said before reading anything
    check_category(args.category)
    facts = load_facts(_read_bytes(args.input), args.input, args.category, args.form)
    if args.profile:
        doc = parse_json(_read_bytes(args.profile), f"档案 {args.profile} ",
                         f"the profile {args.profile}")
        if isinstance(doc, dict) and set(doc) == {"facts"}:
            doc = doc["facts"]
        facts = facts.merge(parse_profile(doc))
    report = validate(facts, args.jurisdiction, args.category, args.kind, args.on)
    if args.json:
        _print_json(report)
    else:
        print(validation_text(report))
    return 0


_MARK = {"pass": "✓", "fail": "✗", "unknown": "?"}


def citation_lines(c: dict, indent: str = "") -> list[str]:
    """A citation as the readable reports print it: the words cited, and the command that
    opens the whole article."""
    out = [f"{indent}依据：{c['document']} {c['article']}：“{c['quote']}”"]
    ref = c.get("reference")
    if ref:
        out.append(f"{indent}全文：xieyi rules cite {ref['jurisdiction']} '{ref['key']}'")
    return out


def validation_text(r: dict) -> str:
    rs = r["rule_set"]
    until = f"至 {rs['valid_to']}" if rs["valid_to"] else "未定终止日期"
    kinds = f"（{'、'.join(r['kinds'])}）" if r["kinds"] else ""
    lines = [
        f"{r['jurisdiction_name']} {rs['document']}（{rs['valid_from']} 起施行，{until}）",
        f"检查日期：{r['on']}（{r['on_source']}）  机构类别：{r['category_zh']}{kinds}",
        f"文件效力：{rs['message_zh']}",
        (f"结论：{r['outcome_zh']}（{r['outcome']}）  "
         f"符合 {r['summary']['pass']}，不符合 {r['summary']['fail']}，"
         f"无法判定 {r['summary']['unknown']}"),
        "",
        "逐条检查：",
    ]
    order = {"fail": 0, "unknown": 1, "pass": 2}
    for f in sorted(r["findings"], key=lambda f: order[f["status"]]):
        adv = "（原则性条款：原文“原则上”或“一般”，不影响结论）" if f["advisory"] else ""
        lines.append(f"  {_MARK[f['status']]} {f['status_zh']}  {f['rule']}  {f['title']}{adv}")
        lines.append(f"      要求：{f['requirement_zh']}")
        if f["detail_zh"]:
            lines.append(f"      情况：{f['detail_zh']}")
        src = f["source"]
        if src:
            texts = ([src["text_zh"]] if "text_zh" in src
                     else sorted({s["text_zh"] for s in src.values()}))
            lines.append(f"      来源：{'；'.join(texts)}")
        lines += citation_lines(f["citation"], "      ")
    if r["missing_facts"]:
        lines += ["", "需要补充的事实（xieyi rules --facts 查看说明）："]
        lines += [f"  {m['fact']}  {m['label']}" for m in r["missing_facts"]]
    mats = r["materials"]
    if mats["items"]:
        lines += ["", "申请材料："]
        if mats["complete"] is None:
            lines.append("  未给出已提交的材料（materials_submitted），以下材料均待确认：")
        elif mats["complete"]:
            lines.append("  材料齐全。")
        else:
            lines.append("  尚需提供：")
        for m in mats["to_provide"]:
            lines.append(f"  - {m['material']}  {m['title']}（{m['citation']['article']}）")
        sup = r.get("supplement") or {}
        if sup.get("required"):
            lines.append(f"  补正期限：{sup['deadline_zh']}")
    if r.get("manual_checks"):
        lines += ["", f"需人工核查（申请材料不能证明，由经办人员或专家核查）{len(r['manual_checks'])} 项："]
        for m in r["manual_checks"]:
            lines.append(f"  - {m['title']}（{m['citation']['article']}：“{m['citation']['quote']}”）")
    if r["checks"]:
        lines += ["", "表单一致性检查："]
        for c in r["checks"]:
            lines.append(f"  {_MARK.get(c['status'], '✗')} {c['status_zh']}  {c['title']}")
            if c.get("message_zh"):
                lines.append(f"      {c['message_zh']}")
    if r["not_applicable"]:
        lines += ["", "不适用的规则："]
        lines += [f"  {n['rule']}  {n['title']}：{n['reason_zh']}" for n in r["not_applicable"]]
    if r["not_checked"]:
        lines += ["", f"未检查的协议履行规则 {len(r['not_checked'])} 条（未提供相应事实）。"]
    if r["warnings"]:
        lines += ["", "提示："]
        lines += [f"  ! {w}" for w in r["warnings"]]
    return "\n".join(lines)


# -- deadline -----------------------------------------------------------------------------

CLI_NAMES = {"jurisdiction": "--jurisdiction", "step": "--step",
             "working_days": "--working-days", "from": "--from"}
API_NAMES = {k: k for k in CLI_NAMES}


def deadline_result(jurisdiction: str | None, step: str | None, working_days: Any,
                    start: Any, names: dict[str, str] = CLI_NAMES) -> dict:
    """One path for the command line and the service (``names``: how the user wrote them)."""
    from rules import get_rule_set, parse_count, parse_date, step_deadline, working_days_deadline

    n = names
    if working_days is not None:
        if jurisdiction is not None or step is not None:
            raise InputInvalid(f"{n['working_days']} 不能与 {n['jurisdiction']}/{n['step']} 同时使用",
                               f"{n['working_days']} goes without {n['jurisdiction']}/{n['step']}")
        count = parse_count(working_days, n["working_days"])
        return working_days_deadline(count, parse_date(start, n["from"]))
    if jurisdiction is None:
        raise InputInvalid(f"请给出 {n['jurisdiction']} 和 {n['step']}，或 {n['working_days']}",
                           f"give {n['jurisdiction']} and {n['step']}, or {n['working_days']}")
    rs = get_rule_set(jurisdiction)
    if step is None:
        ids = "、".join(s.id for s in rs.steps)
        raise InputInvalid(f"请用 {n['step']} 指定步骤（{rs.document.name}：{ids}）",
                           f"give {n['step']} (for {jurisdiction}: "
                           f"{', '.join(s.id for s in rs.steps)})")
    return step_deadline(jurisdiction, step, parse_date(start, n["from"]))


def cmd_deadline(args: argparse.Namespace) -> int:
    d = deadline_result(args.jurisdiction, args.step, args.working_days, args.start)
    if args.json:
        _print_json(d)
    else:
        print(deadline_text(d))
    return 0


def deadline_text(d: dict) -> str:
    lines = []
    if d["step"]:
        lines.append(f"{d['jurisdiction_name']}：{d['step_name']}（{d['step']}，{d['bound_zh']}）")
    lines.append(f"截止日：{d['due']}（{d['due_weekday']}）"
                 + ("  【临时结果 provisional】" if d["provisional"] else ""))
    lines.append(d["explanation_zh"])
    if d["last_day_before_moving"]:
        lines.append(f"期间最后一日 {d['last_day_before_moving']} 为休息日，依民法典第二百零三条"
                     f"顺延至其后第一个工作日 {d['due']}。")
    if d["skipped"]:
        lines.append(f"跳过的休息日（{len(d['skipped'])} 天）：")
        lines += [f"  {s['date']} {s['weekday']}  {s['reason']}"
                  + ("" if s["official"] else "（该年官方安排未知）") for s in d["skipped"]]
    if d["makeup_workdays"]:
        lines.append("计入的调休上班日：")
        lines += [f"  {s['date']} {s['weekday']}  {s['reason']}" for s in d["makeup_workdays"]]
    if d["citation"]:
        lines += citation_lines(d["citation"])
    if d["note"]:
        lines.append(f"说明：{d['note']}")
    for w in d["warnings"]:
        lines.append(f"! {w}")
    return "\n".join(lines)
