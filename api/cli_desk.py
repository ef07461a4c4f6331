"""The command line for the review desk's storage: ``xieyi db``, ``xieyi store``, ``xieyi audit``.

* ``xieyi db upgrade``: create or migrate the database (``XIEYI_DATABASE_URL``, default a
  SQLite file in ``XIEYI_DATA_DIR``); ``xieyi db status``: its revision and the one this
  xieyi needs.  ``scripts/serve.sh`` runs the upgrade before the service starts; the
  service refuses an unmigrated database.
* ``xieyi store check``: blobs the database names that the store lacks or holds damaged,
  blobs nobody names, unfinished writes; exit 3 when a blob is missing or damaged.
* ``xieyi audit verify``: walks the hash chain of the audit trail; exit 3 when an entry
  was altered or deleted, naming the first.
* ``xieyi users add NAME --role R [--institution ID | --jurisdiction J]``: a new account,
  its password printed once; ``xieyi users list``.
* ``xieyi institutions add NAME --credit-code … --category … --jurisdiction …``;
  ``xieyi cases list|show|open|move|upload``: the ``/api/cases`` routes, as the user of
  ``--token`` / ``XIEYI_TOKEN`` (an API token, checked as the API checks it), else as
  the operator (who may list, show and open).

The command line acts as the machine's operator (an admin).  SQLAlchemy is imported only
by these commands, so ``xieyi --help`` stays fast.
"""

from __future__ import annotations

import argparse
from typing import Any


def register_commands(sub: Any, parser_class: type) -> dict:
    pd = sub.add_parser("db", help="数据库：迁移与状态 / the database: migrate, status",
                        description="db upgrade 创建或升级数据库（XIEYI_DATABASE_URL，缺省为数据目录"
                                    " XIEYI_DATA_DIR 中的 SQLite 文件）；db status 显示版本。"
                                    " / Create or migrate the database; show its revision.")
    pd.add_argument("db_action", choices=("upgrade", "status"), metavar="upgrade|status")
    pd.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")
    pst = sub.add_parser("store", help="文件库检查 / check the file store",
                         description="核对数据库与文件库：缺失或损坏的文件、无人引用的文件、未完成的写入。"
                                     " / Check that the database and the file store agree.")
    pst.add_argument("store_action", choices=("check",), metavar="check")
    pst.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")
    pa = sub.add_parser("audit", help="审计记录校验 / verify the audit trail",
                        description="逐条核对审计记录的哈希链，发现被改动或删除的记录。"
                                    " / Verify the audit trail's hash chain.")
    pa.add_argument("audit_action", choices=("verify",), metavar="verify")
    pa.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")
    pu = sub.add_parser("users", help="账户：新建、列出 / accounts: add, list",
                        description="users add 名称 --role 角色 新建账户，初始密码只显示这一次；"
                                    "users list 列出账户。 / Add an account (its password is "
                                    "printed once) or list the accounts.")
    pu.add_argument("users_action", choices=("add", "list"), metavar="add|list")
    pu.add_argument("name", nargs="?", metavar="NAME", help="账户名 / account name")
    pu.add_argument("--role", choices=("institution", "reviewer", "signer", "admin", "auditor"),
                    help="角色 / role")
    pu.add_argument("--institution", type=int, metavar="ID",
                    help="机构用户所属机构的编号 / an institution user's institution")
    pu.add_argument("--jurisdiction", metavar="J", help="审查人员的地区 / a reviewer's jurisdiction")
    pu.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")
    pc = sub.add_parser("cases", help="案件：列出、查看、开案、转换、上传 / cases",
                        description="cases list 列出案件（期限最近的在前）；cases show 编号；"
                                    "cases open 机构编号；cases move 编号 状态 [--item 事项…] "
                                    "[--reason 理由] [--working-days N]；cases upload 编号 文件 "
                                    "--slot 类别。与 /api/cases 的各接口相同。以 --token（或环境变量 "
                                    "XIEYI_TOKEN）给出的 API 令牌的用户身份操作；不给则以本机管理员身份"
                                    "（只能查看与开案）。 / The /api/cases routes on the command line, "
                                    "as the user of --token (or XIEYI_TOKEN), else as the operator.")
    pc.add_argument("cases_action", choices=("list", "show", "open", "move", "upload"),
                    metavar="list|show|open|move|upload")
    pc.add_argument("case_id", nargs="?", type=int, metavar="ID",
                    help="案件编号（open：机构编号）/ case id (open: institution id)")
    pc.add_argument("target", nargs="?", metavar="STATUS|FILE",
                    help="move：目标状态；upload：文件 / move: the status; upload: the file")
    pc.add_argument("--item", action="append", dest="items", metavar="TEXT",
                    help="退回补正的事项（可多次）/ an item to correct (repeatable)")
    pc.add_argument("--reason", help="理由 / reason")
    pc.add_argument("--working-days", type=int, help="补正期限（工作日）/ working days")
    pc.add_argument("--slot", help="upload：文件类别 / the document's slot")
    pc.add_argument("--token", default=None, help="API 令牌 / API token (or XIEYI_TOKEN)")
    pc.add_argument("--status", help="状态 / status")
    pc.add_argument("--jurisdiction", "-j", metavar="J", help="地区 / jurisdiction")
    pc.add_argument("--deadline-before", metavar="YYYY-MM-DD", help="期限早于 / deadline before")
    pc.add_argument("--page", type=int, default=1)
    pc.add_argument("--per-page", type=int, default=20)
    pc.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")
    pi = sub.add_parser("institutions", help="登记申请机构 / register an institution",
                        description="institutions add 名称 --credit-code 代码 --category 类别 "
                                    "--jurisdiction 地区 [--sub-kind 类型]；与 POST /api/institutions 相同。"
                                    " / Register an institution (as the API does).")
    pi.add_argument("institutions_action", choices=("add",), metavar="add")
    pi.add_argument("name", metavar="NAME")
    pi.add_argument("--credit-code", required=True, metavar="CODE")
    pi.add_argument("--category", required=True, metavar="C")
    pi.add_argument("--jurisdiction", required=True, metavar="J")
    pi.add_argument("--sub-kind", metavar="K")
    pi.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")
    return {"db": cmd_db, "store": cmd_store, "audit": cmd_audit, "users": cmd_users,
            "cases": cmd_cases, "institutions": cmd_institutions}


def _settings():
    from desk import DeskSettings

    try:
        return DeskSettings.from_env()
    except ValueError as e:
        from forms import InputInvalid

        raise InputInvalid(f"数据库设置有误：{e}", f"invalid desk settings: {e}") from None


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_db(args: argparse.Namespace) -> int:
    from desk import current_revision, head_revision, make_engine, upgrade_database

    from .cli import _print_json

    settings = _settings()
    where = _redacted(settings.database_url)
    if args.db_action == "upgrade":
        before, after = upgrade_database(settings)
        if args.json:
            _print_json({"database": where, "before": before, "after": after})
        elif before == after:
            print(f"数据库已是最新（版本 {after}）/ up to date (revision {after}): {where}")
        else:
            print(f"数据库已升级：{before or '空'} → {after} / migrated {before} → {after}: {where}")
        return 0
    engine = make_engine(settings.database_url)
    try:
        current, head = current_revision(engine), head_revision()
    finally:
        engine.dispose()
    if args.json:
        _print_json({"database": where, "current": current, "head": head,
                     "up_to_date": current == head})
    else:
        state = "最新 / up to date" if current == head else "需要 xieyi db upgrade / needs upgrade"
        print(f"{where}\n版本 / revision: {current or '（空 / empty）'}，需要 / needs: {head} — {state}")
    return 0 if current == head else 3


def _desk():
    from desk import Desk

    return Desk(_settings())


def cmd_store(args: argparse.Namespace) -> int:
    from .cli import _print_json

    desk = _desk()
    try:
        got = desk.check_store()
    finally:
        desk.close()
    if args.json:
        _print_json(got)
    else:
        print(f"文件库 / store: {got['store']}，数据库登记 {got['blobs']} 个文件 / blobs")
        for key, zh in (("missing", "缺失"), ("damaged", "损坏"), ("orphans", "无人引用"),
                        ("unfinished_writes", "未完成的写入")):
            for item in got[key]:
                print(f"  {zh} / {key}: {item}")
        print("一致 / consistent" if got["ok"] else "不一致 / NOT consistent")
    return 0 if got["ok"] else 3


def cmd_audit(args: argparse.Namespace) -> int:
    from desk import SYSTEM

    from .cli import _print_json

    desk = _desk()
    try:
        got = desk.verify_audit(SYSTEM)
    finally:
        desk.close()
    if args.json:
        _print_json(got)
    elif got["ok"]:
        print(f"审计记录完好：{got['entries']} 条 / the audit trail is intact: {got['entries']} "
              "entries")
    else:
        b = got["broken"]
        print(f"审计记录第 {b['id']} 条{b['reason_zh']} / entry {b['id']} {b['reason_en']}")
    return 0 if got["ok"] else 3


def cmd_users(args: argparse.Namespace) -> int:
    from desk import SYSTEM

    from forms import InputInvalid

    from .cli import _print_json, _table

    desk = _desk()
    try:
        if args.users_action == "list":
            users = desk.users(SYSTEM)
            if args.json:
                _print_json(users)
            else:
                print(_table(["编号", "账户", "角色", "机构", "地区", "锁定"],
                             [[str(u["id"]), u["name"], u["role"], str(u["institution_id"] or ""),
                               u["jurisdiction"] or "", "是" if u["locked"] else ""]
                              for u in users]))
            return 0
        if not args.name or not args.role:
            raise InputInvalid("请给出账户名与 --role", "give NAME and --role")
        user, password = desk.add_user(SYSTEM, name=args.name, role=args.role,
                                       institution_id=args.institution,
                                       jurisdiction=args.jurisdiction)
    finally:
        desk.close()
    if args.json:
        _print_json({"user": user, "password": password})
    else:
        print(f"已新建账户 {user['name']}（{user['role']}）/ account added")
        print(f"初始密码（只显示这一次）/ password (shown once): {password}")
    return 0


def _actor(args: argparse.Namespace, desk):
    """The user of ``--token`` / ``XIEYI_TOKEN`` (as the API would), else the operator."""
    import os

    from desk import SYSTEM

    token = getattr(args, "token", None) or os.environ.get("XIEYI_TOKEN")
    return desk.actor_for_token(token, "cli") if token else SYSTEM


def cmd_cases(args: argparse.Namespace) -> int:
    import datetime as dt
    from pathlib import Path

    from desk import STATUSES

    from forms import InputInvalid

    from .cli import _print_json, _table

    if args.status is not None and args.status not in STATUSES:
        raise InputInvalid(f"--status 应为 {'、'.join(STATUSES)} 之一",
                           f"--status: one of {', '.join(STATUSES)}")
    before = None
    if args.deadline_before:
        try:
            before = dt.date.fromisoformat(args.deadline_before)
        except ValueError:
            raise InputInvalid("--deadline-before 应为 YYYY-MM-DD",
                               "--deadline-before: YYYY-MM-DD") from None
    if args.cases_action != "list" and args.case_id is None:
        raise InputInvalid("请给出编号", "give the id")
    if args.cases_action in ("move", "upload") and not args.target:
        raise InputInvalid("请给出目标状态或文件", "give the status or the file")
    desk = _desk()
    try:
        actor = _actor(args, desk)
        if args.cases_action == "open":
            case = desk.open_case(actor, args.case_id)
        elif args.cases_action == "move":
            case = desk.move(actor, args.case_id, args.target, reason=args.reason,
                             items=args.items, working_days=args.working_days)
        elif args.cases_action == "upload":
            if not args.slot:
                raise InputInvalid("请用 --slot 给出文件类别", "give the document's --slot")
            path = Path(args.target)
            try:
                data = path.read_bytes()
            except OSError as e:
                raise InputInvalid(f"无法读取 {path}：{e.strerror}",
                                   f"cannot read {path}: {e.strerror}") from None
            doc = desk.attach(actor, args.case_id, slot=args.slot, filename=path.name, data=data)
            if args.json:
                _print_json(doc)
            else:
                print(f"已上传 / uploaded: 文件 {doc['id']}（{doc['slot']} 第 {doc['version']} 版）"
                      f"：{doc['state']}" + (f"，{doc['error']['message_zh']}" if doc["error"]
                                             else ""))
            return 0
        elif args.cases_action == "show":
            case = desk.case(actor, args.case_id)
        else:
            got = desk.cases(actor, status=args.status, jurisdiction=args.jurisdiction,
                             deadline_before=before, page=max(1, args.page),
                             per_page=min(100, max(1, args.per_page)))
            if args.json:
                _print_json(got)
            else:
                print(_table(["编号", "机构", "地区", "状态", "期限"],
                             [[str(c["id"]), c["institution"]["name"], c["jurisdiction"],
                               c["status_zh"], c["deadline"] or ""] for c in got["items"]]))
                print(f"共 {got['total']} 件，第 {got['page']} 页 / {got['total']} cases, page "
                      f"{got['page']}")
            return 0
    finally:
        desk.close()
    if args.json:
        _print_json(case)
        return 0
    print(f"案件 {case['id']}：{case['institution']['name']}（{case['jurisdiction']}，"
          f"{case['category']}）— {case['status_zh']}"
          + (f"，期限 {case['deadline']}" if case["deadline"] else ""))
    for e in case.get("events", ()):
        print(f"  {e['at'][:19]}  {e['from'] or '—'} → {e['to']}  {e['actor']}"
              + (f"：{e['reason']}" if e["reason"] else ""))
    for d in case.get("versions", ()):
        print(f"  文件 {d['id']}  {d['slot']} 第 {d['version']} 版  {d['filename']}  {d['state']}")
    return 0


def cmd_institutions(args: argparse.Namespace) -> int:
    from desk import SYSTEM

    from .cli import _print_json

    desk = _desk()
    try:
        inst = desk.register_institution(SYSTEM, name=args.name, credit_code=args.credit_code,
                                         category=args.category, jurisdiction=args.jurisdiction,
                                         sub_kind=args.sub_kind)
    finally:
        desk.close()
    if args.json:
        _print_json(inst)
    else:
        print(f"已登记机构 {inst['id']}：{inst['name']}（{inst['credit_code']}）/ registered")
    return 0
