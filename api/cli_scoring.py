"""The command line for scoring tables and settlement: ``xieyi score``, ``xieyi settle``.

``--json`` prints exactly the JSON ``POST /api/score`` and ``POST /api/settle`` return (both
call ``scoring``); otherwise a readable Chinese report.  ``xieyi score … --render pdf -o
OUT`` also writes the scored table with the 得分 column and the total filled in (the blank
table for the panel: ``xieyi render <form id>``).  Bad input (unknown item, negative count,
an area that is not a number, a deduction over the item's points) is an ``InputInvalid``:
exit status 2, a message per item in Chinese and English.
"""

from __future__ import annotations

import argparse
from typing import Any


def register_commands(sub: Any, parser_class: type) -> dict:
    ps = sub.add_parser("score", help="按评估表/考核表评分 / score an evaluation table",
                        description="按评估表或年度考核表逐项评分：单项否决、一票否决、扣完为止、分档，"
                                    "输出各项得分、扣分理由、总分、合格线及依据。"
                                    " / Score a table item by item, with vetoes, totals and the pass mark.")
    ps.add_argument("table_id", metavar="TABLE_ID", help="评分表编号 / table id (e.g. shanxi-eval-medical)")
    ps.add_argument("--data", required=True, metavar="INPUT.json", help="各项评分数据，- 表示标准输入 / input, - for stdin")
    ps.add_argument("--kind", metavar="K", help="机构类别 / kind of institution (medical, rehab…)")
    ps.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")
    ps.add_argument("--render", choices=("pdf", "docx"), help="另输出已填得分的评分表 / also write the filled table")
    ps.add_argument("-o", "--output", metavar="OUT", help="--render 的输出文件 / output file of --render")

    pt = sub.add_parser("settle", help="月度结算与年终清算 / monthly and year-end settlement",
                        description="月度结算（审核通过费用按90%拨付、10%预留履约保证金、抽查不符合费用5倍扣罚）"
                                    "或年终清算（按年度考核得分返还履约保证金）。金额以元计，精确到分，四舍五入。"
                                    " / Monthly settlement or the year-end return of the deposit.")
    pt.add_argument("mode", choices=("month", "year"), help="month（月度）或 year（年终）")
    pt.add_argument("--data", required=True, metavar="INPUT.json", help="结算数据，- 表示标准输入 / input")
    pt.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")
    return {"score": cmd_score, "settle": cmd_settle}


def _read(path: str) -> Any:
    from .cli import _read_data

    return _read_data(path)


def cmd_score(args: argparse.Namespace) -> int:
    from forms import InputInvalid, get_form
    from scoring import get_table, record_from_result, score

    from .cli import _print_json, write_rendered
    from .render import check_record, render_record

    table = get_table(args.table_id)
    if args.render and not args.output:
        raise InputInvalid("--render 需要 -o 指定输出文件", "--render needs -o OUT")
    result = score(table.id, _read(args.data), kind=args.kind)
    if args.render:
        spec = get_form(table.form)
        record = check_record(spec, record_from_result(result))
        write_rendered(args.output, lambda: render_record(spec, args.render, record))
    if args.json:
        _print_json(result)
    else:
        print(report(result))
    if args.render:
        print(f"已写入 / written: {args.output}")
    return 0


def report(r: dict) -> str:
    if r.get("purpose") == "checklist":
        from scoring._checklist import report as checklist_report

        return checklist_report(r)
    lines = [f"{r['title']}{r.get('subtitle') or ''}（{r['kind_zh']}）"]
    for it in r["items"]:
        head = f"  {it['id']:<6}{it.get('name') or it.get('group') or ''}"
        if not it.get("applies", True):
            lines.append(f"{head}  不参与（{it.get('remark')}）")
        elif it["mode"] == "veto":
            lines.append(f"{head}  单项否决：{'通过' if it['passed'] else '未通过'}")
        else:
            lines.append(f"{head}  {it['score']}/{it['points']}")
            for d in it["deductions"]:
                lines.append(f"          扣{d['points']}分：{d['reason']}")
            for a in it["awards"]:
                lines.append(f"          {a['reason']}")
    if r.get("one_vote_veto") and r["one_vote_veto"]["triggered"]:
        lines.append(f"一票否决（{'、'.join(r['one_vote_veto']['conditions'])}），考核为零分")
    lines.append(f"总分 {r['total']} / {r['maximum']}")
    if r.get("pass_mark"):
        pm = r["pass_mark"]
        c = pm["citation"]
        lines.append(f"合格线 {pm['value']} 分以上（含）：{r['result_zh']}"
                     f"（{c['document']} {c['article']}：“{c['quote']}”）")
    if r.get("refund"):
        f = r["refund"]
        lines.append(f"履约保证金：{f['label']}（{f['bracket']}；{f['citation']['document']} {f['citation']['article']}）")
    return "\n".join(lines)


def cmd_settle(args: argparse.Namespace) -> int:
    from forms import InputInvalid
    from scoring import settle

    from .cli import _print_json

    data = _read(args.data)
    if not isinstance(data, dict):
        raise InputInvalid("结算数据应为 JSON 对象", "the settlement input must be a JSON object")
    if data.get("mode", args.mode) != args.mode:
        raise InputInvalid(f"输入中的 mode 与命令不一致：{data.get('mode')}", "the input's mode differs")
    result = settle({**data, "mode": args.mode})
    if args.json:
        _print_json(result)
        return 0
    print("\n".join(result["steps"]))
    from .cli_rules import citation_lines

    for c in result["citations"]:
        print("\n".join(citation_lines(c)))
    return 0
