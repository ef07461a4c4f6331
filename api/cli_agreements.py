"""``xieyi agreement`` and ``xieyi agreements``: service agreements, one or many.

    xieyi agreement shanxi medical --data PARTIES.json --format pdf -o OUT.pdf
    xieyi agreements shanxi medical --parties PARTIES.csv -o DIR [--common AGENCY.json]

Exit status as the rest of the command line: 0 done; 2 the input is wrong
(unknown jurisdiction or category, bad party data, unreadable file, a batch row
skipped); 1 anything else.  Problems are printed per field, in Chinese and English.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from forms.errors import InputInvalid

from .cli import USAGE_ERROR, _format_for, _read_data, write_rendered
from .schemas import FORMATS


def register_commands(sub, parser_class) -> dict:
    pa = sub.add_parser(
        "agreement", help="生成一份服务协议 / render one service agreement",
        description="按协议双方信息生成服务协议（PDF 直接绘制，或 DOCX），写入 -o 指定的文件；"
                    "不给 --data 则生成空白协议。 / Render a service agreement filled with the "
                    "party data (PDF drawn directly, or DOCX) to OUT; without --data, a blank one.")
    pa.add_argument("jurisdiction", metavar="JURISDICTION", help="地区，如 shanxi / e.g. shanxi")
    pa.add_argument("category", metavar="CATEGORY",
                    help="medical（医疗）、rehab（康复）或 assistive（辅助器具配置）")
    pa.add_argument("--data", "-d", metavar="PARTIES.json",
                    help="协议双方信息（JSON），- 表示标准输入 / party data (JSON), - for stdin")
    pa.add_argument("--format", "-f", choices=FORMATS,
                    help="pdf 或 docx（缺省时按输出文件的扩展名）/ pdf or docx (default: from "
                         "OUT's extension)")
    pa.add_argument("-o", "--output", required=True, metavar="OUT", help="输出文件 / output file")

    pb = sub.add_parser(
        "agreements", help="批量生成服务协议 / render agreements for many institutions",
        description="每个机构一份协议（文件以机构名称命名），另打包为 zip；有错误的行报告行号后"
                    "跳过，其余照常生成。 / One agreement per institution (named after it) and a "
                    "zip of them all; a bad row is reported with its number and skipped.")
    pb.add_argument("jurisdiction", metavar="JURISDICTION")
    pb.add_argument("category", metavar="CATEGORY")
    pb.add_argument("--parties", "-p", required=True, metavar="PARTIES.csv|.json",
                    help="每行一个机构 / one institution per row")
    pb.add_argument("--common", "-c", metavar="COMMON.json",
                    help="各行共用的信息（如甲方），行内的值优先 / values shared by every row "
                         "(the agency, 甲方); a row's own values win")
    pb.add_argument("--format", "-f", choices=FORMATS, default="pdf",
                    help="pdf（默认）或 docx / pdf (default) or docx")
    pb.add_argument("-o", "--output", required=True, metavar="DIR", help="输出目录 / folder")
    pb.add_argument("--jobs", "-j", type=int, metavar="N",
                    help="并行进程数（默认：大批量时每个 CPU 一个）/ worker processes "
                         "(default: one per CPU for a large batch)")
    return {"agreement": cmd_agreement, "agreements": cmd_agreements}


def cmd_agreement(args: argparse.Namespace) -> int:
    from generator.agreement import get_agreement, render_typed, validate_parties

    text = get_agreement(args.jurisdiction, args.category)
    fmt = _format_for(args)
    data = _read_data(args.data)
    typed = None if data is None else validate_parties(text, data)
    n = write_rendered(args.output, lambda: render_typed(text, typed, fmt))
    print(f"已写入 / written: {args.output}（{n} 字节 / bytes）")
    return 0


class Progress:
    """A progress bar on a terminal; on anything else (a log, a pipe), a line every tenth."""

    WIDTH = 30

    def __init__(self, stream=None, label: str = "生成中 / rendering"):
        self.stream = stream or sys.stderr
        self.label = label
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.perf_counter()
        self._last = 0.0
        self._step = None
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.tty:
            if done < total and now - self._last < 0.1:
                return
            self._last = now
            filled = self.WIDTH * done // total if total else self.WIDTH
            pct = 100 * done // total if total else 100
            bar = "█" * filled + "░" * (self.WIDTH - filled)
            self.stream.write(f"\r{self.label} [{bar}] {done}/{total} {pct:3d}% "
                              f"{now - self.started:5.1f}s")
            if done >= total:
                self.stream.write("\n")
            self.stream.flush()
            return
        step = self._step or max(1, total // 10)
        self._step = step
        if done == total or (done % step == 0 and done != self._shown):
            self._shown = done
            pct = 100 * done // total if total else 100
            self.stream.write(f"进度 / progress: {done}/{total}（{pct}%）\n")
            self.stream.flush()


def cmd_agreements(args: argparse.Namespace) -> int:
    from generator.agreement import get_agreement, read_rows, run_batch

    text = get_agreement(args.jurisdiction, args.category)
    rows, common = read_rows(Path(args.parties))
    if args.common:
        extra = _read_data(args.common)
        if not isinstance(extra, dict):
            raise InputInvalid(f"{args.common} 应为一个 JSON 对象",
                               f"{args.common} must be a JSON object")
        common = {**common, **extra}
    if args.jobs is not None and args.jobs < 1:
        raise InputInvalid("--jobs 应为正整数", "--jobs must be a positive whole number")
    if not rows:
        raise InputInvalid(f"{args.parties} 中没有数据行", f"{args.parties} holds no rows")

    def skipped(row, err) -> None:
        # the message starts with the row: 第 3 行（文件第 4 行）：…
        print(f"已跳过 / skipped: {err.message_zh} / {err.message_en}", file=sys.stderr)
        for d in err.details:
            print(f"  - {d.message_zh} / {d.message_en}", file=sys.stderr)

    result = run_batch(text, rows, args.format, Path(args.output), common=common,
                       jobs=args.jobs, progress=Progress(), on_skip=skipped)
    n_ok, n_bad = len(result.written), len(result.skipped)
    print(f"已写入 / written: {n_ok} 份协议 / agreements → {args.output}，"
          f"压缩包 / zip: {result.zip_path}（{result.seconds:.1f}s）")
    if n_bad:
        rows_zh = "、".join(str(r.number) for r, _e in result.skipped)
        print(f"有 {n_bad} 行未生成（第 {rows_zh} 行），见上文 / {n_bad} row(s) skipped "
              f"(rows {', '.join(str(r.number) for r, _e in result.skipped)}), see above",
              file=sys.stderr)
        return USAGE_ERROR
    return 0
