"""The command line: ``xieyi forms``, ``xieyi forms show``, ``xieyi render``, ``xieyi serve``.

Exit status: 0 done; 2 the user's input is wrong (usage, unknown form, bad
record, unreadable data file, unwritable output); 1 anything else.  Every
error is printed in Chinese and English on stderr, never as a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import unicodedata
from pathlib import Path
from typing import Any, Sequence

from forms import InputInvalid, OutputError, XieyiError, all_forms, get_form

from .render import check_format, check_record, parse_json, render_record
from .schemas import FORMATS, TYPING_FONTS, derived_mark, description, form_validity, summary

USAGE_ERROR = 2

TYPE_NAMES = {
    "text": "文字", "multiline": "多行文字", "integer": "整数", "decimal": "数字", "date": "日期",
    "choice": "单选", "checkbox": "勾选", "rows": "表格行",
}


class ServeFailed(XieyiError):
    code = "serve_failed"
    exit_status = 1


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors in Chinese and English (exit status 2)."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: 用法错误 / usage error: {message}\n")
        raise SystemExit(USAGE_ERROR)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="xieyi",
        description="工伤保险协议服务机构文书：列出表单、查看说明、生成 PDF/DOCX、运行服务。"
                    " / Work-injury insurance service-agreement forms.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    pf = sub.add_parser("forms", help="列出表单 / list the forms",
                        description="列出表单；forms show 表单编号 查看一个表单的说明。"
                                    " / List the forms; 'forms show FORM_ID' describes one.")
    pf.add_argument("--json", action="store_true", dest="json_list",
                    help="以 JSON 输出 / print JSON")
    fsub = pf.add_subparsers(dest="forms_command", metavar="show", parser_class=_Parser)
    ps = fsub.add_parser("show", help="查看一个表单的说明 / describe one form",
                         description="表单的来源、版本、有效期与全部字段。"
                                     " / A form's source, version, validity and fields.")
    ps.add_argument("form_id", metavar="FORM_ID")
    ps.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")

    pr = sub.add_parser("render", help="生成空白或预填的 PDF/DOCX / render a form",
                        description="校验数据（可只填一部分）后生成表单，写入 -o 指定的文件"
                                    "（先写临时文件再改名，出错时不留下任何文件）。"
                                    " / Validate the record (partial allowed), render, and write "
                                    "OUT atomically; nothing is written on any error.")
    pr.add_argument("form_id", metavar="FORM_ID")
    pr.add_argument("--format", "-f", choices=FORMATS,
                    help="pdf 或 docx（缺省时按输出文件的扩展名）/ pdf or docx "
                         "(default: from OUT's extension)")
    pr.add_argument("--data", "-d", metavar="RECORD.json",
                    help="JSON 数据文件，- 表示标准输入；不给则生成空白表"
                         " / JSON record file, - for stdin; none for a blank form")
    pr.add_argument("-o", "--output", required=True, metavar="OUT", help="输出文件 / output file")
    pr.add_argument("--typing-font", choices=TYPING_FONTS, default="embedded",
                    help="PDF：在阅读器里输入新值所用的字体。embedded（缺省）内嵌完整的 GBK 黑体，"
                         "任何阅读器和重绘字段的工具都显示正确，文件约 1.6 MB；song 内嵌与表格正文"
                         "相同的宋体（GBK 及扩展 A 区），文件约 9 MB；viewer 用阅读器自带的宋体，"
                         "文件约 40–100 KB / PDF: the font typed values are drawn with "
                         "(embedded: a GBK Hei, any viewer; song: the form's Song, 9 MB; "
                         "viewer: small files)")

    for module in _feature_modules():
        COMMANDS.update(module.register_commands(sub, _Parser))

    pv = sub.add_parser("serve", help="运行网页服务 / run the service",
                        description="在 http://HOST:PORT/ 运行服务（waitress）。"
                                    " / Run the service at http://HOST:PORT/ (waitress).")
    pv.add_argument("--host", default=os.environ.get("XIEYI_HOST", "127.0.0.1"),
                    help="监听地址 / address to listen on (default 127.0.0.1)")
    pv.add_argument("--port", type=int, default=_env_int("XIEYI_PORT", 8000),
                    help="端口 / port (default 8000)")
    pv.add_argument("--threads", type=int, default=_env_int("XIEYI_THREADS", 4),
                    help="工作线程数 / worker threads (default 4)")
    pv.add_argument("--connection-limit", type=int,
                    default=_env_int("XIEYI_CONNECTION_LIMIT", 1000),
                    help="同时保持的连接数上限 / open connections at most (default 1000; "
                         "waitress's own 100 made the 101st client wait for a free slot)")
    return p


#: modules of api/ that add commands: each has register_commands(sub, parser_class)
#: returning {command name: handler(args) -> exit status}
FEATURE_COMMANDS: tuple[str, ...] = ("cli_agreements", "cli_rules", "cli_parse", "cli_scoring",
                                     "cli_desk")


def _feature_modules():
    import importlib

    return [importlib.import_module(f"api.{name}") for name in FEATURE_COMMANDS]


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


# -- output helpers -----------------------------------------------------------------------

def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _width(s))


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def _print_json(obj: Any) -> None:
    enc = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    print(json.dumps(obj, ensure_ascii=not enc.startswith("utf"), indent=2))


# -- commands -----------------------------------------------------------------------------

def cmd_forms(args: argparse.Namespace) -> int:
    if args.forms_command == "show":
        return cmd_show(args)
    specs = all_forms()
    if args.json_list:
        _print_json([summary(s) for s in specs])
        return 0
    rows, expired = [], {}
    for s in specs:
        v = form_validity(s)
        if v["expired"]:
            expired.setdefault(s.source.document, v["message_zh"])
        marks = [m for m in (derived_mark(s), f"已失效（{v['valid_to']} 期满）" if v["expired"]
                             else None) if m]
        rows.append([s.id, s.jurisdiction_name, s.attachment or "—", s.title, s.version,
                     "；".join(marks)])
    print(_table(["编号", "地区", "附件", "表单", "版本", "说明"], rows))
    for message in expired.values():
        print(f"\n注意：{message}")
    print(f"\n共 {len(specs)} 个表单。xieyi forms show 编号 查看说明。")
    return 0


def _field_line(f: dict, indent: str) -> str:
    kind = TYPE_NAMES.get(f["type"], f["type"])
    bits = [kind]
    if f["max_length"]:
        bits.append(f"≤{f['max_length']}字")
    if f["places"] is not None:
        bits.append(f"{f['places']}位小数")
    if f["unit"]:
        bits.append(f"单位：{f['unit']}")
    if f["choices"]:
        bits.append("可选：" + "、".join(f["choices"]))
    if f["max_rows"]:
        bits.append(f"最多{f['max_rows']}行")
    if f["required"]:
        bits.append("必填")
    label = f"{f['section']}·{f['label']}" if f["section"] else f["label"]
    return f"{indent}{f['id']}  {label}  （{'，'.join(bits)}）"


def cmd_show(args: argparse.Namespace) -> int:
    spec = get_form(args.form_id)
    d = description(spec)
    if args.json or args.json_list:
        _print_json(d)
        return 0
    until = f"，至 {d['valid_to']}" if d["valid_to"] else "，未定终止日期"
    valid = f"{d['valid_from']} 起{until}"
    src = d["source"]
    lines = [
        f"{d['jurisdiction_name']} {d['attachment'] or ''} {d['title']}".replace("  ", " "),
        f"编号 / id：{d['id']}",
        f"地区 / jurisdiction：{d['jurisdiction_name']}（{d['jurisdiction']}）",
        f"依据 / source：{src['document']} {src['article']}",
    ]
    if src.get("quote"):
        lines.append(f"原文 / quote：{src['quote']}")
    lines += [
        f"版本 / version：{d['version']}",
        f"有效期 / validity：{valid}（{d['validity']['status_zh']}）",
    ]
    if d["validity"]["expired"]:
        lines.append(f"注意 / note：{d['validity']['message_zh']}")
    for e in d["errata"]:
        if e["certainty"] == "probable":
            lines.append(f"勘误（推断，未必确定）/ probable correction：原文“{e['printed']}”，"
                         f"表上作“{e['corrected']}”：{e['reason_zh']}")
    if d["derived"]:
        lines.append(f"说明 / note：{derived_mark(spec)}：{d['derived_note']}")
    lines.append(f"字段 / fields（{len(d['fields'])}）：")
    for f in d["fields"]:
        lines.append(_field_line(f, "  "))
        for c in f["columns"]:
            lines.append(_field_line(c, "      "))
    print("\n".join(lines))
    return 0


def _read_data(path: str | None) -> Any:
    if path is None:
        return None
    if path == "-":
        return parse_json(sys.stdin.buffer.read(), "标准输入", "standard input")
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise InputInvalid(
            f"无法读取数据文件 {path}：{e.strerror or e}",
            f"cannot read the data file {path}: {e.strerror or e}",
        ) from None
    return parse_json(raw, f"数据文件 {path} ", f"the data file {path}")


def _format_for(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.output).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise InputInvalid(
        "请用 --format 指定格式（pdf 或 docx），或使用扩展名为 .pdf/.docx 的输出文件",
        "give --format pdf|docx, or an output file ending in .pdf or .docx",
    )


def _unwritable(path: Path, e: OSError) -> OutputError:
    reason = e.strerror or str(e)
    return OutputError(f"无法写入 {path}：{reason}", f"cannot write {path}: {reason}")


class AtomicOutput:
    """A new file at ``path``, written through a temporary file in the same folder and a rename.

    The temporary file is made at once, so an unwritable ``path`` fails before
    any work is done.  Until :meth:`commit`, ``path`` is untouched; after any
    error nothing is left behind (:meth:`discard`), neither the temporary file
    nor a partial ``path``, and an existing ``path`` stays as it was.
    """

    def __init__(self, path: Path):
        self.path = path
        if path.is_dir():
            raise OutputError(f"输出路径是一个目录：{path}",
                              f"the output path is a directory: {path}")
        try:
            self._fd, self._tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                                   dir=path.parent)
        except OSError as e:
            raise _unwritable(path, e) from None
        self._done = False

    def commit(self, data: bytes) -> None:
        try:
            with os.fdopen(self._fd, "wb") as fh:
                self._fd = -1
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            # mkstemp makes the file private (0600); give it the mode a new file gets
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self._tmp, 0o666 & ~umask)
            os.replace(self._tmp, self.path)
            self._done = True
        except OSError as e:
            raise _unwritable(self.path, e) from None
        finally:
            self.discard()

    def discard(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if not self._done:
            try:
                os.unlink(self._tmp)
            except FileNotFoundError:
                pass
            self._done = True


def write_rendered(output: str, render) -> int:
    """``render()``'s bytes written to ``output`` through :class:`AtomicOutput`: an
    unwritable path fails before rendering, an error leaves nothing behind.  Returns
    the number of bytes written."""
    out = AtomicOutput(Path(output))
    try:
        content = render()
        out.commit(content)
    finally:
        out.discard()
    return len(content)


def cmd_render(args: argparse.Namespace) -> int:
    spec = get_form(args.form_id)
    fmt = check_format(_format_for(args))
    record = check_record(spec, _read_data(args.data))  # RecordInvalid: nothing is opened
    n = write_rendered(args.output, lambda: render_record(spec, fmt, record, args.typing_font))
    print(f"已写入 / written: {args.output}（{n} 字节 / bytes）")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from waitress import create_server
    except ImportError:
        raise ServeFailed("未安装 waitress，请先运行 bash scripts/setup.sh",
                          "waitress is not installed: run bash scripts/setup.sh") from None
    from . import create_app

    if not 0 < args.port < 65536:
        raise InputInvalid(f"端口无效：{args.port}", f"invalid port: {args.port}")
    from desk import Desk, DeskSettings

    # the desk's database must be current before anyone is served (Desk refuses it
    # otherwise; scripts/serve.sh runs `xieyi db upgrade` first)
    desk = Desk(DeskSettings.from_env())
    try:
        first = desk.first_admin()  # a desk without accounts gets its admin, once
    finally:
        desk.close()
    if first is not None:
        print(f"已新建管理员账户 {first[0]['name']}，初始密码（只显示这一次，请妥善保存）：{first[1]}"
              f" / admin account created; its password, shown once: {first[1]}", flush=True)
    import logging

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # "Task queue depth is N" on every short burst is noise, not news
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    app = create_app()
    import parser as pdf_parser

    # the first upload should not wait for the parser's worker processes to start
    pdf_parser.warm_up()
    try:
        server = create_server(app, host=args.host, port=args.port, threads=args.threads,
                               connection_limit=args.connection_limit, ident="xieyi")
    except OSError as e:
        raise ServeFailed(
            f"无法在 {args.host}:{args.port} 上监听：{e.strerror or e}",
            f"cannot listen on {args.host}:{args.port}: {e.strerror or e}",
        ) from None
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"xieyi 服务已启动 / serving at http://{host}:{args.port}/  （Ctrl-C 停止 / to stop）",
          flush=True)
    import signal

    def _stop(signum, frame):  # SIGTERM: stop like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        server.run()  # returns on Ctrl-C or SIGTERM, after the workers finish
    finally:
        server.close()
    print("xieyi 服务已停止 / stopped", flush=True)
    return 0


COMMANDS = {"forms": cmd_forms, "render": cmd_render, "serve": cmd_serve}


def _safe_streams() -> None:
    # a terminal that cannot show Chinese gets escapes, not a UnicodeEncodeError
    for s in (sys.stdout, sys.stderr):
        if isinstance(s, io.TextIOWrapper):
            try:
                s.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # pragma: no cover
                pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (the console script exits with it)."""
    _safe_streams()
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2)
        return e.code if isinstance(e.code, int) else USAGE_ERROR
    except XieyiError as e:
        print(f"错误 / error [{e.code}]: {e.message_zh} / {e.message_en}", file=sys.stderr)
        for d in e.details:  # each message names its field (label in Chinese, id in English)
            print(f"  - {d.message_zh} / {d.message_en}", file=sys.stderr)
        return e.exit_status
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (xieyi forms | head): stop quietly, and let the
        # interpreter's last flush go to /dev/null instead of failing again
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # pragma: no cover
            pass
        return 0
    except Exception as e:  # the last resort: never a traceback
        print(f"内部错误 / internal error: {type(e).__name__}: {e}", file=sys.stderr)
        print("（请报告此问题 / please report this）", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
