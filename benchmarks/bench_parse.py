"""Parser benchmark: ``parse_pdf`` against the raw libraries, and its memory over 500 files.

In one run, on the same files:

* fillable PDF filled (``render_pdf`` with each form's typical and special
  records): ``parse_pdf`` (in a worker process, the default, and in-process)
  against raw pypdf ``PdfReader(...).get_fields()``, which reads the values and
  nothing else — target: parse at most 2× its time;
* exported PDF (``render_docx`` with the typical and longest records →
  LibreOffice headless, converted once at the start): ``parse_pdf`` against pdfplumber ``extract_tables()`` of the same pages
  (open the file, extract every page's tables) — target: no slower;
* memory: 500 parses in one process (a fresh one that imports only the parser),
  cycling through all those files; the size of that process and of its worker
  after every 50 files, as PSS (pages they share counted once) and RSS —
  target: flat, under 300 MB (the process plus its worker).

Times are medians of ``--repeat`` calls after warm-up.  The machine is shared,
so the baselines are measured in the same run, interleaved with our calls, and
the ratios are what to read.

Run:  .venv/bin/python benchmarks/bench_parse.py [--repeat N] [--files N] [--json OUT]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pdfplumber
from pypdf import PdfReader

from forms import all_forms, record_to_json, sample_record, validate_record
from generator.docx import render_docx
from generator.pdf import render_pdf
from parser import (
    _pool,
    parse_pdf,
    shutdown,
)

TARGET_ACROFORM_RATIO = 2.0
TARGET_LAYOUT_RATIO = 1.0
TARGET_MEMORY_MB = 300
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb(pid: int | None = None) -> float:
    path = f"/proc/{pid or 'self'}/statm"
    try:
        with open(path) as fh:
            return int(fh.read().split()[1]) * PAGE / 2**20
    except OSError:
        return 0.0


def pss_mb(pid: int | None = None) -> float:
    """Proportional set size: pages shared with another process (a forked worker shares
    most of its parent's) counted once between them, so two processes' figures add up."""
    try:
        with open(f"/proc/{pid or 'self'}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss_mb(pid)


def _workers() -> list[int]:
    return [w.proc.pid for w in _pool.pool()._idle if w.proc.is_alive()]


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def paired(ours, base, repeat: int) -> tuple[float, float]:
    """Both timed in turn, call for call, so that a busy moment of the machine costs both."""
    a, b = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        base()
        b.append(time.perf_counter() - t)
        t = time.perf_counter()
        ours()
        a.append(time.perf_counter() - t)
    return statistics.median(a) * 1e3, statistics.median(b) * 1e3


def filled_pdfs() -> list[tuple[str, bytes, dict]]:
    out = []
    for spec in all_forms():
        for style in ("typical", "special"):
            rec = validate_record(spec, sample_record(spec, style))
            out.append((f"{spec.id}/{style}", render_pdf(spec, rec), record_to_json(spec, rec)))
    return out


def exported_pdfs() -> list[tuple[str, bytes, dict]]:
    if shutil.which("soffice") is None:
        return []
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        names = {}
        for spec in all_forms():
            # "special" holds values print cannot carry (spaces at a value's end)
            for style in ("typical", "longest"):
                rec = validate_record(spec, sample_record(spec, style))
                name = f"{spec.id}--{style}"
                (tmp / f"{name}.docx").write_bytes(render_docx(spec, rec))
                names[name] = record_to_json(spec, rec)
        subprocess.run(["soffice", f"-env:UserInstallation={(tmp / 'profile').as_uri()}",
                        "--headless", "--convert-to", "pdf", "--outdir", str(tmp)]
                       + [str(tmp / f"{n}.docx") for n in names],
                       check=True, capture_output=True, timeout=600)
        for name, rec in names.items():
            out.append((name.replace("--", "/"), (tmp / f"{name}.pdf").read_bytes(), rec))
    return out


def extract_tables(data: bytes) -> None:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_tables()


def bench_acroform(files, repeat: int) -> list[dict]:
    rows = []
    for name, data, rec in files:
        r = parse_pdf(data)
        assert r.record == rec and r.method == "acroform", name
        for _ in range(3):  # warm both
            parse_pdf(data)
            PdfReader(io.BytesIO(data)).get_fields()
        ours, base = paired(lambda d=data: parse_pdf(d),
                            lambda d=data: PdfReader(io.BytesIO(d)).get_fields(), repeat)
        inproc = median_ms(lambda d=data: parse_pdf(d, isolate=False), repeat)
        rows.append({"file": name, "kb": len(data) // 1024, "parse_ms": ours, "inprocess_ms": inproc,
                     "get_fields_ms": base, "ratio": ours / base})
    return rows


def bench_layout(files, repeat: int) -> list[dict]:
    rows = []
    for name, data, rec in files:
        r = parse_pdf(data)
        assert r.record == rec and r.method == "layout", name
        for _ in range(2):
            parse_pdf(data)
            extract_tables(data)
        ours, base = paired(lambda d=data: parse_pdf(d), lambda d=data: extract_tables(d), repeat)
        inproc = median_ms(lambda d=data: parse_pdf(d, isolate=False), max(3, repeat // 3))
        pages = r.pages
        rows.append({"file": name, "pages": pages, "parse_ms": ours, "inprocess_ms": inproc,
                     "extract_tables_ms": base, "ratio": ours / base})
    return rows


def memory_child(folder: str, n: int) -> int:
    """Run in a fresh process that imports only the parser: ``n`` parses of the files in
    ``folder``, one sample every 50 files, printed as JSON."""
    files = [p.read_bytes() for p in sorted(Path(folder).glob("*.pdf"))]
    samples = []
    t = time.perf_counter()
    for i in range(n):
        parse_pdf(files[i % len(files)])
        if (i + 1) % 50 == 0 or i == 0:
            workers = _workers()
            samples.append({
                "files": i + 1,
                "parent_rss_mb": rss_mb(), "worker_rss_mb": sum(rss_mb(p) for p in workers),
                "parent_pss_mb": pss_mb(), "worker_pss_mb": sum(pss_mb(p) for p in workers),
            })
    print(json.dumps({"seconds": time.perf_counter() - t, "samples": samples}))
    shutdown()
    return 0


def bench_memory(files, n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        for i, (_, data, _) in enumerate(files):
            Path(tmp, f"{i:03d}.pdf").write_bytes(data)
        proc = subprocess.run([sys.executable, __file__, "--memory-child", tmp, str(n)],
                              capture_output=True, text=True, check=True, timeout=1800)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    samples = out["samples"]
    totals = [s["parent_pss_mb"] + s["worker_pss_mb"] for s in samples]
    after_100 = totals[min(2, len(totals) - 1)]
    return {"files": n, "seconds": out["seconds"], "samples": samples,
            "peak_total_pss_mb": max(totals),
            "peak_total_rss_mb": max(s["parent_rss_mb"] + s["worker_rss_mb"] for s in samples),
            "growth_after_100_mb": totals[-1] - after_100}


def _table(rows: list[dict], cols: list[tuple[str, str, str]]) -> str:
    head = "  ".join(f"{h:>{len(h) if i else 40}}" if i else f"{h:<40}" for i, (h, _, _) in enumerate(cols))
    lines = [head]
    for r in rows:
        cells = []
        for i, (h, key, fmt) in enumerate(cols):
            v = r[key]
            s = format(v, fmt) if fmt else str(v)
            cells.append(f"{s:<40}" if i == 0 else f"{s:>{len(h)}}")
        lines.append("  ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--files", type=int, default=500, help="parses for the memory figure")
    ap.add_argument("--json", metavar="OUT")
    ap.add_argument("--memory-child", nargs=2, metavar=("DIR", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_child:
        return memory_child(args.memory_child[0], int(args.memory_child[1]))

    print(f"parser benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n")
    filled = filled_pdfs()
    t = time.perf_counter()
    exported = exported_pdfs()
    if exported:
        print(f"(LibreOffice converted {len(exported)} DOCX in {time.perf_counter() - t:.1f} s)\n")
    t = time.perf_counter()
    parse_pdf(filled[0][1])
    print(f"first parse, worker start included: {(time.perf_counter() - t) * 1e3:.0f} ms\n")

    acro = bench_acroform(filled, args.repeat)
    print("fillable PDF, filled: parse_pdf (worker) vs pypdf get_fields")
    print(_table(acro, [("file", "file", ""), ("KB", "kb", "d"), ("parse ms", "parse_ms", ".2f"),
                        ("in-process ms", "inprocess_ms", ".2f"),
                        ("get_fields ms", "get_fields_ms", ".2f"), ("ratio", "ratio", ".2f")]))
    acro_ratio = statistics.median(r["ratio"] for r in acro)
    print(f"median ratio {acro_ratio:.2f} (target ≤ {TARGET_ACROFORM_RATIO}): "
          f"{'met' if acro_ratio <= TARGET_ACROFORM_RATIO else 'NOT met'}\n")

    layout_ratio = None
    lay = []
    if exported:
        lay = bench_layout(exported, max(5, args.repeat // 3))
        print("exported PDF (LibreOffice): parse_pdf (worker) vs pdfplumber extract_tables, same pages")
        print(_table(lay, [("file", "file", ""), ("pages", "pages", "d"),
                           ("parse ms", "parse_ms", ".1f"), ("in-process ms", "inprocess_ms", ".1f"),
                           ("extract_tables ms", "extract_tables_ms", ".1f"),
                           ("ratio", "ratio", ".2f")]))
        layout_ratio = statistics.median(r["ratio"] for r in lay)
        print(f"median ratio {layout_ratio:.2f} (target ≤ {TARGET_LAYOUT_RATIO}): "
              f"{'met' if layout_ratio <= TARGET_LAYOUT_RATIO else 'NOT met'}\n")
    else:
        print("exported PDF: skipped (LibreOffice not installed)\n")

    mem = bench_memory(filled + exported, args.files)
    print(f"memory: {mem['files']} parses in one process that imports only the parser "
          f"({mem['seconds']:.1f} s), {len(filled) + len(exported)} files in turn")
    print("  (PSS: a page shared by the process and its forked worker counted once; RSS: twice)")
    for s in mem["samples"]:
        print(f"  after {s['files']:>4} files: process {s['parent_pss_mb']:6.1f} MB, "
              f"worker {s['worker_pss_mb']:6.1f} MB, total {s['parent_pss_mb'] + s['worker_pss_mb']:6.1f}"
              f" MB PSS ({s['parent_rss_mb'] + s['worker_rss_mb']:6.1f} MB RSS)")
    ok = mem["peak_total_pss_mb"] < TARGET_MEMORY_MB and abs(mem["growth_after_100_mb"]) < 20
    print(f"peak {mem['peak_total_pss_mb']:.0f} MB PSS ({mem['peak_total_rss_mb']:.0f} MB RSS), "
          f"growth from file 100 to {mem['files']}: {mem['growth_after_100_mb']:+.1f} MB "
          f"(target flat, < {TARGET_MEMORY_MB} MB): {'met' if ok else 'NOT met'}")

    if args.json:
        Path(args.json).write_text(json.dumps({
            "acroform": acro, "acroform_median_ratio": acro_ratio,
            "layout": lay, "layout_median_ratio": layout_ratio, "memory": mem,
        }, indent=2, ensure_ascii=False), encoding="utf-8")
    shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
