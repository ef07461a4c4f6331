"""``xieyi parse FILE.pdf [--json]``: read a filled form back into its record.

Exit status 0 when the file was read (values that could not be read are listed
as warnings, not guessed); 3 when the file cannot be read as one of our forms
(not a PDF, encrypted, a scan, another document, damaged, over a limit, too
slow); 2 for a file that cannot be opened at all.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from forms import InputInvalid, get_form

METHOD_NAMES = {"acroform": "表单域（可填写 PDF）", "layout": "页面文字（导出的 PDF）",
                "ocr": "文字识别（扫描件）"}
IDENTIFIED_NAMES = {
    "metadata": "文件元数据", "stamp": "文档属性（由 DOCX 导出）", "fields": "表单域名称",
    "text": "标题与标签", "mark": "页面标记（扫描件）",
}


def register_commands(sub, parser_class) -> dict:
    p = sub.add_parser(
        "parse", help="读取填好的 PDF / read a filled PDF",
        description="识别表单与版本，读出记录：每项的值、原文、页码、位置、可信度，以及无法读取的项。"
                    " / Identify the form and version and read the record: each value with its "
                    "raw text, page, box and confidence, and what could not be read.")
    p.add_argument("files", nargs="+", metavar="FILE.pdf|DIR",
                   help="PDF 文件（- 表示标准输入）或目录（其中所有 .pdf，含子目录）；多个文件在一个进程"
                        "里并行读取 / PDFs (- for stdin) or folders (every .pdf in them); "
                        "several are read in parallel in one process")
    p.add_argument("--json", action="store_true",
                   help="以 JSON 输出；多个文件时每个文件一行 / print JSON; one line per file "
                        "when there are several")
    p.add_argument("--time-limit", type=float, metavar="SECONDS",
                   help="读取时限（秒）/ time limit in seconds")
    return {"parse": cmd_parse}


def _limits(args: argparse.Namespace):
    from parser import Limits

    kw = {}
    if args.time_limit is not None:
        kw["time_limit"] = args.time_limit
    try:
        return Limits(**kw)
    except ValueError as e:
        raise InputInvalid(f"参数不合要求：{e}", f"invalid option: {e}") from None


#: how a file that could not be read is counted in a folder's summary
DAMAGED = {"pdf_malformed", "pdf_no_pages", "pdf_too_large", "pdf_too_many_pages",
           "parse_timeout", "parse_resource_limit", "parse_internal"}


def _expand(paths: list[str]) -> list[str]:
    """Files as given, folders as the .pdf files below them (sorted)."""
    out: list[str] = []
    for p in paths:
        if p != "-" and Path(p).is_dir():
            found = sorted(str(f) for f in Path(p).rglob("*") if f.is_file()
                           and f.suffix.lower() == ".pdf")
            if not found:
                raise InputInvalid(f"目录 {p} 中没有 PDF 文件", f"the folder {p} holds no PDF")
            out += found
        else:
            out.append(p)
    return out


def cmd_parse(args: argparse.Namespace) -> int:
    files = _expand(args.files)
    # a folder gets a line per file and a summary, even when it holds one PDF
    if len(files) > 1 or any(p != "-" and Path(p).is_dir() for p in args.files):
        return _parse_many(files, args)
    return _parse_one(files[0], args)


def _parse_many(files: list[str], args: argparse.Namespace) -> int:
    """Every file in parallel in this process (the parse workers: one per core, at most 4);
    a line per file, a summary; exit 3 when some file could not be read."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    from forms.errors import XieyiError
    from parser import parse_pdf
    from parser._pool import pool

    from .cli_agreements import Progress

    if "-" in files:
        raise InputInvalid("读取多个文件时不能用 -（标准输入）", "- (stdin) cannot be one of several files")
    limits = _limits(args)
    workers = pool()
    # the workers are forked now, while this process has one thread (no fork server)
    workers.start_all(limits)

    def one(path: str) -> dict:
        try:
            result = parse_pdf(_read_file(path, limits.max_bytes), limits=limits)
            return {"file": path, "ok": True, "result": result.to_dict()}
        except XieyiError as e:
            return {"file": path, "ok": False, "error": e.to_dict()}

    counts = {"read": 0, "damaged": 0, "unsupported": 0}
    progress = Progress(label="读取中 / reading")
    progress(0, len(files))
    ex = ThreadPoolExecutor(max_workers=workers.size)
    try:
        for done, out in enumerate(ex.map(one, files), start=1):
            path = out["file"]
            if out["ok"]:
                counts["read"] += 1
                r = out["result"]
                line = (f"✓ {path}：{r['title']}（{r['form']}），{len(r['record'])} 项"
                        + (f"，{len(r['warnings'])} 条警告" if r["warnings"] else ""))
            else:
                code = out["error"]["code"]
                counts["damaged" if code in DAMAGED else "unsupported"] += 1
                line = f"✗ {path}：[{code}] {out['error']['message_zh']}"
            if args.json:
                print(json.dumps(out, ensure_ascii=False), flush=True)
            else:
                print(line, flush=True)
            progress(done, len(files))
    except KeyboardInterrupt:
        # Ctrl-C: end the workers now rather than let each finish its file (up to the
        # time limit); the threads waiting on them return at once
        workers.terminate()
        ex.shutdown(wait=False, cancel_futures=True)
        print(("\n" if progress.tty else "") + f"已中断：读取了 {counts['read']} 个文件 / interrupted after "
              f"{counts['read']} file(s) read", file=sys.stderr)
        return 130
    finally:
        ex.shutdown(wait=False, cancel_futures=True)
    summary = (f"共 {len(files)} 个文件：读取 {counts['read']}，损坏 {counts['damaged']}，"
               f"不支持 {counts['unsupported']} / {len(files)} files: read {counts['read']}, "
               f"damaged {counts['damaged']}, unsupported {counts['unsupported']}")
    print(summary, file=sys.stderr)
    return 0 if counts["read"] == len(files) else 3


def _parse_one(path: str, args: argparse.Namespace) -> int:
    from parser import parse_pdf

    limits = _limits(args)
    data = _read_file(path, limits.max_bytes)
    result = parse_pdf(data, limits=limits)
    from .cli import _print_json

    if args.json:
        _print_json(result.to_dict())
    else:
        print(_text(result))
    return 0


def _read_file(path: str, max_bytes: int) -> bytes:
    """The file's bytes; one over the size limit is refused before it is read."""
    from parser._work import check_length

    if path == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        check_length(len(data), max_bytes)
        return data
    try:
        check_length(os.stat(path).st_size, max_bytes)
        return Path(path).read_bytes()
    except IsADirectoryError:
        raise InputInvalid(f"{path} 是一个目录，不是文件", f"{path} is a directory") from None
    except OSError as e:
        reason = e.strerror or str(e)
        raise InputInvalid(f"无法读取文件 {path}：{reason}",
                           f"cannot read the file {path}: {reason}") from None


def _fmt(v) -> str:
    if v is True:
        return "☑"
    if v is False:
        return "□"
    return str(v).replace("\n", " ⏎ ")


def _text(result) -> str:
    spec = get_form(result.form)
    lines = [
        f"表单 / form：{result.title}（{result.form}，版本 {result.version}）",
        f"识别 / identified by：{result.identified_by}（{IDENTIFIED_NAMES.get(result.identified_by, '')}）",
        f"读取 / method：{result.method}（{METHOD_NAMES.get(result.method, '')}），共 {result.pages} 页",
        "",
        "记录 / record：",
    ]
    rec = result.record
    for f in spec.fields:
        if f.id not in rec:
            continue
        v = rec[f.id]
        if f.type == "rows":
            lines.append(f"  {f.qualified_label}（{len(v)} 行）：")
            for i, row in enumerate(v, start=1):
                cells = "；".join(f"{c.label}={_fmt(row[c.id])}" for c in f.columns if c.id in row)
                lines.append(f"    {i}. {cells}")
            continue
        unit = f.unit if f.unit and f.type in ("integer", "decimal") else ""
        lines.append(f"  {f.qualified_label}：{_fmt(v)}{unit}")
    low = [(k, d) for k, d in result.fields.items()
           if d["value"] is not None and d["confidence"] < 0.9]
    if low:
        lines += ["", "可信度较低、请核对 / check these (low confidence)："]
        lines += [f"  {k}：{_fmt(d['value'])}（{d['confidence']:.2f}，第 {d['page']} 页）"
                  for k, d in low]
    if result.warnings:
        lines += ["", f"警告 / warnings（{len(result.warnings)}）："]
        lines += [f"  - {w['message_zh']} / {w['message_en']}" for w in result.warnings]
    return "\n".join(lines)
