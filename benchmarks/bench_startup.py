"""Start-up benchmark: the command line as a whole process, as a user waits for it.

Each command runs ``--repeat`` times as its own process (after one warm-up run, so the
operating system's file cache is warm as on a machine in use); the median wall time is
compared with the baseline of the same run, a bare ``python -c pass`` of the same
interpreter (what no Python program can start faster than).

Targets (issue 13): ``xieyi --help`` and ``xieyi forms`` ≤ 300 ms wall.

Run:  .venv/bin/python benchmarks/bench_startup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
XIEYI = [sys.executable, "-m", "api.cli"]
TARGET_MS = 300.0
COMMANDS = {
    "xieyi --help": [*XIEYI, "--help"],
    "xieyi forms": [*XIEYI, "forms"],
    "xieyi rules cite shanxi 34": [*XIEYI, "rules", "cite", "shanxi", "34"],
}
TARGETS = {"xieyi --help", "xieyi forms"}


def median_ms(cmd: list[str], repeat: int) -> float:
    subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    base = median_ms([sys.executable, "-c", "pass"], args.repeat)
    print(f"baseline: python -c pass  {base:6.1f} ms")
    ok = True
    for name, cmd in COMMANDS.items():
        ms = median_ms(cmd, args.repeat)
        target = name in TARGETS
        met = ms <= TARGET_MS
        ok &= met or not target
        print(f"{name:28} {ms:6.1f} ms  ×{ms / base:5.1f} baseline"
              + (f"  (target ≤ {TARGET_MS:.0f} ms: {'met' if met else 'MISSED'})" if target
                 else "  (for reference)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
