"""Agreement rendering benchmark: the PDF drawn directly against DOCX + LibreOffice, and a
batch of 1,000 agreements.

In one run on this machine:
  * per agreement (医疗, 康复, 辅助器具配置): our PDF, each timed call with a different
    institution (median); the DOCX by docxtpl (median); the baseline, the same DOCX
    converted to PDF by LibreOffice headless, one soffice process per document (the
    way a person or a naive service does it), and, kinder to LibreOffice, many DOCX
    converted by one soffice process (per document);
  * a batch of N (default 1,000) 医疗 agreements through ``run_batch`` (validate, draw,
    write one file each and a zip), with one process and with one worker per CPU, each
    in a fresh child process: wall time, per agreement, peak memory (the parent's and
    the largest worker's resident set), bytes written.

Ratios are against the baseline measured in the same run.  Target (issue 6): the PDF at
least 10× faster than DOCX + LibreOffice.

Run:  .venv/bin/python benchmarks/bench_agreements.py [--repeat N] [--lo-repeat N]
      [--batch N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.agreement import (  # noqa: E402
    CATEGORIES,
    CATEGORY_NAMES,
    Row,
    get_agreement,
    render_typed,
    run_batch,
    validate_parties,
)

TARGET_LO_RATIO = 10.0

PLACES = ["太原", "大同", "阳泉", "长治", "晋城", "朔州", "晋中", "运城", "忻州", "临汾", "吕梁"]
DISTRICTS = ["小店区", "迎泽区", "杏花岭区", "尖草坪区", "万柏林区", "晋源区", "城区", "郊区"]
KINDS = ["人民医院", "中医院", "中心医院", "康复医院", "骨科医院", "职业病防治院", "康复中心",
         "假肢矫形器有限公司", "眼科医院", "第二人民医院", "煤炭中心医院", "妇幼保健院"]
STREETS = ["迎泽大街", "并州路", "解放路", "建设路", "长治路", "五一路", "府西街", "南内环街"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华建国志红玉春梅海燕晓东文博宇浩然堃喆"


def parties(i: int, seed: int = 6) -> dict:
    """A different, realistic 乙方 (and city) per ``i``; the same 甲方 agency."""
    rng = random.Random(seed * 100003 + i)
    city = rng.choice(PLACES)

    def person() -> str:
        return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", rng.choice(GIVEN)])

    return {
        "party_a": {"name": f"{city}市社会保险中心", "representative": person(),
                    "address": f"山西省{city}市{rng.choice(DISTRICTS)}{rng.choice(STREETS)}"
                               f"{rng.randint(1, 300)}号",
                    "postcode": f"0{rng.randint(30000, 48999)}",
                    "telephone": f"0351-{rng.randint(2000000, 8999999)}"},
        "party_b": {"name": f"{city}市{rng.choice(KINDS)}（{i}）", "representative": person(),
                    "address": f"山西省{city}市{rng.choice(DISTRICTS)}{rng.choice(STREETS)}"
                               f"{rng.randint(1, 999)}号",
                    "postcode": f"0{rng.randint(30000, 48999)}",
                    "telephone": f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}",
                    "signed_on": "2024-07-01"},
        "city": city,
    }


def _pad(s: str, width: int) -> str:
    """``s`` padded to ``width`` terminal columns (a Chinese character takes two)."""
    import unicodedata

    w = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
    return s + " " * max(0, width - w)


def _median_each_ms(fn, items) -> float:
    times = []
    for x in items:
        t = time.perf_counter()
        fn(x)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _lo_convert(exe: str, workdir: Path, files: list[Path]) -> None:
    subprocess.run([exe, "--headless", f"-env:UserInstallation=file://{workdir}/profile",
                    "--convert-to", "pdf", "--outdir", str(workdir / "out"),
                    *map(str, files)], check=True, capture_output=True, timeout=600)


def _lo_route(text, typed_list, exe: str, workdir: Path, repeat: int) -> dict:
    """(docx render + one soffice per document) and (one soffice for ``repeat`` documents)."""
    files = []
    for k, typed in enumerate(typed_list[:repeat]):
        f = workdir / f"a{k}.docx"
        f.write_bytes(render_typed(text, typed, "docx"))
        files.append(f)
    _lo_convert(exe, workdir, files[:1])  # profile creation, first start: not timed
    single = []
    for k, typed in enumerate(typed_list[:repeat]):
        t = time.perf_counter()
        f = workdir / f"s{k}.docx"
        f.write_bytes(render_typed(text, typed, "docx"))
        _lo_convert(exe, workdir, [f])
        single.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    _lo_convert(exe, workdir, files)
    many = (time.perf_counter() - t) * 1000 / len(files)
    pages = None
    try:
        from pypdf import PdfReader

        pages = len(PdfReader(workdir / "out" / "s0.pdf").pages)
    except Exception:  # noqa: BLE001 - a count for the report only
        pass
    return {"one_process_each_ms": statistics.median(single), "batch_per_doc_ms": many,
            "pages": pages}


def bench_single(repeat: int, lo_repeat: int) -> list[dict]:
    exe = _soffice()
    out = []
    for cat in CATEGORIES:
        text = get_agreement("shanxi", cat)
        typed = [validate_parties(text, parties(i)) for i in range(max(repeat, lo_repeat) + 1)]
        render_typed(text, typed[-1], "pdf")  # warm: fonts, layout of the official text
        render_typed(text, typed[-1], "docx")
        pdf_ms = _median_each_ms(lambda t: render_typed(text, t, "pdf"), typed[:repeat])
        docx_ms = _median_each_ms(lambda t: render_typed(text, t, "docx"), typed[:repeat])
        pdf = render_typed(text, typed[0], "pdf")
        from pypdf import PdfReader
        import io

        row = {"category": cat, "name": CATEGORY_NAMES[cat], "pdf_ms": pdf_ms,
               "docx_ms": docx_ms, "pdf_kb": len(pdf) / 1024,
               "pages": len(PdfReader(io.BytesIO(pdf)).pages)}
        if exe and lo_repeat:
            with tempfile.TemporaryDirectory() as d:
                lo = _lo_route(text, typed, exe, Path(d), lo_repeat)
            row.update({"lo_ms": lo["one_process_each_ms"], "lo_batch_ms": lo["batch_per_doc_ms"],
                        "lo_pages": lo["pages"],
                        "ratio": lo["one_process_each_ms"] / pdf_ms,
                        "ratio_batch": lo["batch_per_doc_ms"] / pdf_ms})
        out.append(row)
    return out


def _child_batch(n: int, jobs: int, out_dir: str) -> None:
    """Runs in a fresh interpreter: one batch, its time and peak memory on stdout (JSON)."""
    text = get_agreement("shanxi", "medical")
    rows = [Row(i, parties(i)) for i in range(1, n + 1)]
    t = time.perf_counter()
    res = run_batch(text, rows, "pdf", Path(out_dir), jobs=jobs)
    secs = time.perf_counter() - t
    size = sum(p.stat().st_size for p in res.written)
    print(json.dumps({
        "n": len(res.written), "jobs": jobs, "seconds": secs, "ms_each": secs * 1000 / n,
        "bytes": size, "zip_bytes": res.zip_path.stat().st_size,
        # ru_maxrss is in KiB on Linux; children: the largest worker
        "peak_parent_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))


def bench_batch(n: int) -> list[dict]:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    results = []
    for jobs in sorted({1, cpus or 1}):
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([sys.executable, __file__, "--_child", str(n), str(jobs), d],
                               check=True, capture_output=True, text=True)
            results.append(json.loads(r.stdout.strip().splitlines()[-1]))
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=30, help="agreements timed per category")
    ap.add_argument("--lo-repeat", type=int, default=3,
                    help="LibreOffice conversions per category (0: skip the baseline)")
    ap.add_argument("--batch", type=int, default=1000, help="agreements in the batch (0: skip)")
    ap.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    ap.add_argument("--_child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._child:
        _child_batch(int(args._child[0]), int(args._child[1]), args._child[2])
        return 0

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"agreement benchmark — {cpus} CPU(s), Python {sys.version.split()[0]}")
    single = bench_single(args.repeat, args.lo_repeat)
    print("\nper agreement (median; PDF and DOCX each with a different institution)")
    print(f"{'agreement':<14}{'pages':>6}{'PDF ms':>9}{'KB':>7}{'DOCX ms':>9}"
          f"{'DOCX+LO ms':>12}{'ratio':>8}{'LO batch ms':>13}{'ratio':>8}")
    ok = True
    for r in single:
        lo = (f"{r['lo_ms']:>12.0f}{r['ratio']:>7.0f}×{r['lo_batch_ms']:>13.0f}"
              f"{r['ratio_batch']:>7.0f}×") if "lo_ms" in r else f"{'(skipped)':>12}"
        print(f"{_pad(r['name'], 14)}{r['pages']:>6}{r['pdf_ms']:>9.1f}{r['pdf_kb']:>7.0f}"
              f"{r['docx_ms']:>9.1f}{lo}")
        if "ratio" in r:
            ok = ok and r["ratio_batch"] >= TARGET_LO_RATIO
    batch = bench_batch(args.batch) if args.batch else []
    if batch:
        lo_each = next((r["lo_batch_ms"] for r in single if r["category"] == "medical"
                        and "lo_batch_ms" in r), None)
        print(f"\nbatch of {args.batch} 医疗 agreements (validate, draw, write each file, zip)")
        print(f"{'processes':<11}{'seconds':>9}{'ms each':>9}{'parent MB':>11}{'worker MB':>11}"
              f"{'files MB':>10}{'vs LO':>9}")
        for b in batch:
            vs = f"{lo_each * b['n'] / 1000 / b['seconds']:>8.0f}×" if lo_each else ""
            print(f"{b['jobs']:<11}{b['seconds']:>9.2f}{b['ms_each']:>9.2f}"
                  f"{b['peak_parent_mb']:>11.0f}{b['peak_worker_mb']:>11.0f}"
                  f"{b['bytes'] / 2**20:>10.0f}{vs}")
        if lo_each:
            print(f"(vs LO: the same number of documents through one soffice process, "
                  f"{lo_each:.0f} ms each, extrapolated)")
    verdict = "met" if ok else "NOT met"
    print(f"\ntarget PDF ≥ {TARGET_LO_RATIO:.0f}× faster than DOCX + LibreOffice "
          f"(even LibreOffice's batch mode): {verdict}")
    if args.json:
        Path(args.json).write_text(json.dumps({"single": single, "batch": batch}, indent=2,
                                              ensure_ascii=False), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
