"""Folder benchmark: ``xieyi parse DIR`` (one process, the parse workers in parallel)
against the same files parsed by one ``xieyi parse FILE`` process each.

The folder holds ``--files`` small filled forms (the 19 forms, pre-filled, in turn).
Separate calls are timed on ``--calls`` of them (each a whole process: interpreter,
imports, a worker) and their median taken as the cost per file of that route; the
folder's wall time over its file count is the cost per file of ours.

Target (issue 13): the folder takes < 1/5 of the time of separate calls.

Run:  .venv/bin/python benchmarks/bench_folder.py [--files N] [--calls N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forms import all_forms, sample_record, validate_record  # noqa: E402
from generator.pdf import render_pdf  # noqa: E402

XIEYI = [sys.executable, "-m", "api.cli", "parse"]
TARGET = 0.2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--calls", type=int, default=20)
    args = ap.parse_args()
    specs = all_forms()
    pdfs = [render_pdf(s, validate_record(s, sample_record(s, "typical")), typing_font="viewer")
            for s in specs]
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "forms"
        folder.mkdir()
        for i in range(args.files):
            (folder / f"{i:05d}.pdf").write_bytes(pdfs[i % len(pdfs)])
        files = sorted(folder.iterdir())
        times = []
        for f in files[:args.calls]:
            t0 = time.perf_counter()
            subprocess.run([*XIEYI, str(f), "--json"], cwd=ROOT, capture_output=True, check=True)
            times.append(time.perf_counter() - t0)
        per_call = statistics.median(times)
        t0 = time.perf_counter()
        subprocess.run([*XIEYI, str(folder), "--json"], cwd=ROOT, capture_output=True, check=True)
        folder_s = time.perf_counter() - t0
    per_file = folder_s / args.files
    ratio = per_file / per_call
    print(f"separate calls: {per_call * 1000:7.1f} ms per file (median of {args.calls})")
    print(f"one folder:     {per_file * 1000:7.1f} ms per file ({args.files} files in {folder_s:.1f} s)")
    print(f"ratio {ratio:.3f} (target < {TARGET}): {'met' if ratio < TARGET else 'MISSED'}")
    return 0 if ratio < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
