"""Worst case benchmark: wall time and peak memory of the whole process tree, per hostile file
and for the service under 8 concurrent hostile uploads.

Part 1 — one file, one process: each case runs as ``xieyi parse FILE --json`` (a whole
process: the command, its parse worker); the tree's resident memory (the command plus
every descendant, summed, so pages a worker shares with its parent count twice: an
upper bound) is sampled every 5 ms.  Cases: the committed hostile files
(``tests/data/hostile``), bombs built at the size of the upload limit (Flate twice,
RunLength, LZW, an object stream, many small streams), a content stream of millions
of operands, and ``--fuzz`` mutations of our own filled forms (the mutations of
``tests/test_fuzz_inputs.py``).  Baseline: the same command on a filled form.

Part 2 — the service: ``xieyi serve`` on a free port takes ``--uploads`` hostile files
8 at a time; the tree's peak, every answer's status (never a 500, always JSON), then
SIGTERM and no process of the tree left after 2 s.

Targets (issue 13): every file ≤ 5 s wall and ≤ 512 MB tree; the service ≤ 1 GB.

Run:  .venv/bin/python benchmarks/bench_hostile.py [--fuzz N] [--uploads N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forms import all_forms, sample_record, validate_record  # noqa: E402
from generator.pdf import render_pdf  # noqa: E402
from parser import Limits  # noqa: E402

MB = 1_000_000
MiB = 1 << 20
WALL_TARGET = 5.0
TREE_TARGET = 512 * MB
SERVICE_TARGET = 1000 * MB
XIEYI = [sys.executable, "-m", "api.cli"]
PAGE = os.sysconf("SC_PAGE_SIZE")


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


make = _load("hostile_make", ROOT / "tests" / "data" / "hostile" / "make.py")
fuzz = _load("fuzz_inputs", ROOT / "tests" / "test_fuzz_inputs.py")


# ---------------------------------------------------------------- the process tree

def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree(pid: int) -> list[int]:
    kids = _children()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, ()))
    return out


def tree_rss(pid: int) -> int:
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except (OSError, ValueError, IndexError):
            pass
    return total


class Sampler:
    """The peak of ``tree_rss(pid)``, sampled every 5 ms on a thread."""

    def __init__(self, pid: int):
        self.pid, self.peak = pid, 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(0.005)

    def stop(self) -> int:
        self._stop.set()
        self._t.join()
        return self.peak


def run_one(path: Path) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([*XIEYI, "parse", str(path), "--json"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sampler = Sampler(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    peak = sampler.stop()
    if proc.returncode == 0:
        code = f"ok:{json.loads(out)['form']}"
    else:  # a typed error: "错误 / error [code]: …" on stderr, exit 3 (1 for a defect)
        m = re.search(r"\[([a-z_]+)\]", err.decode(errors="replace"))
        code = m.group(1) if m and proc.returncode == 3 else f"untyped, exit {proc.returncode}"
    return wall, peak, code


# ---------------------------------------------------------------- the cases

def operand_flood(mib: int) -> bytes:
    """A page whose content (uncompressed, ``mib`` MiB) is millions of numbers: no bomb,
    but every token becomes an object in the reader."""
    body = b"1 " * (mib * MiB // 2)
    return make._one_page(f"<< /Length {len(body)} >>\nstream\n".encode() + body
                          + b"\nendstream")


def cases(n_fuzz: int) -> dict[str, bytes]:
    limit = Limits().max_bytes
    out = {name: make.build(name) for name in make.EXPECTED}
    out["bomb: Flate twice, 4 GiB"] = make.bomb(4)
    out["bomb: RunLength, upload limit"] = make.runlength_bomb(
        (limit - 4096) * 64 // MiB)
    out["bomb: LZW, 16 MiB"] = make.lzw_bomb(16 * 1024)
    out["bomb: object stream, 512 MiB"] = make.objstm_bomb(512)
    out["bomb: 50 pages of 8 MiB"] = make.many_streams(50, 8 * 1024)
    out["operands: 19 MiB of numbers"] = operand_flood(19)
    rng = random.Random(20261207)
    bases = fuzz._bases()
    for i in range(n_fuzz):
        kind, data = fuzz._mutate(rng, rng.choice(bases))
        out[f"fuzz {i:03d} {kind}"] = data
    return {k: v for k, v in out.items() if len(v) <= limit}


# ---------------------------------------------------------------- the service

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _upload(port: int, data: bytes) -> tuple[int, bool]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode() + data + \
        f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/parse", data=body, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, payload = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, payload = e.code, e.read()
    try:
        json.loads(payload)
        return status, True
    except ValueError:
        return status, False


def service(files: list[bytes], uploads: int, data_dir: str) -> tuple[int, dict[int, int], int,
                                                                   int]:
    port = _free_port()
    env = {**os.environ, "XIEYI_DATA_DIR": data_dir}
    subprocess.run([*XIEYI, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([*XIEYI, "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/forms", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        sampler = Sampler(proc.pid)
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda i: _upload(port, files[i % len(files)]),
                                    range(uploads)))
        peak = sampler.stop()
        members = tree(proc.pid)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        time.sleep(2)
        left = sum(1 for p in members if os.path.exists(f"/proc/{p}")
                   and not open(f"/proc/{p}/stat").read().split(") ")[1].startswith("Z"))
    finally:
        if proc.poll() is None:
            proc.kill()
    statuses: dict[int, int] = {}
    for status, _ in answers:
        statuses[status] = statuses.get(status, 0) + 1
    not_json = sum(1 for _, ok in answers if not ok)
    return peak, statuses, not_json, left


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fuzz", type=int, default=60, help="mutated forms (default 60)")
    ap.add_argument("--uploads", type=int, default=50, help="uploads to the service (default 50)")
    args = ap.parse_args()
    spec = all_forms()[0]
    good = render_pdf(spec, validate_record(spec, sample_record(spec, "typical")))
    all_cases = cases(args.fuzz)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        base_path = Path(d) / "good.pdf"
        base_path.write_bytes(good)
        run_one(base_path)  # caches warm
        base_wall, base_rss, _ = run_one(base_path)
        for name, data in all_cases.items():
            path = Path(d) / "case.pdf"
            path.write_bytes(data)
            wall, peak, code = run_one(path)
            rows.append((name, len(data), wall, peak, code))
    print(f"baseline: xieyi parse of a filled form  {base_wall:6.2f} s  {base_rss / MB:6.0f} MB tree")
    print(f"{'case':34} {'bytes':>10} {'wall s':>7} {'tree MB':>8}  outcome")
    for name, size, wall, peak, code in rows:
        if not name.startswith("fuzz"):
            print(f"{name:34} {size:10d} {wall:7.2f} {peak / MB:8.0f}  {code}")
    fuzz_rows = [r for r in rows if r[0].startswith("fuzz")]
    if fuzz_rows:
        print(f"{len(fuzz_rows)} fuzz cases: worst wall {max(r[2] for r in fuzz_rows):.2f} s, "
              f"worst tree {max(r[3] for r in fuzz_rows) / MB:.0f} MB")
    worst_wall = max(rows, key=lambda r: r[2])
    worst_rss = max(rows, key=lambda r: r[3])
    untyped = [r for r in rows if r[4].startswith("untyped") or r[4] == "parse_internal"]
    print(f"worst wall: {worst_wall[2]:.2f} s ({worst_wall[0]}), ×{worst_wall[2] / base_wall:.1f} "
          f"baseline; target ≤ {WALL_TARGET:g} s")
    print(f"worst tree: {worst_rss[3] / MB:.0f} MB ({worst_rss[0]}), ×{worst_rss[3] / base_rss:.1f} "
          f"baseline; target ≤ {TREE_TARGET / MB:.0f} MB")
    ok = worst_wall[2] <= WALL_TARGET and worst_rss[3] <= TREE_TARGET and not untyped
    for r in untyped:
        print(f"UNTYPED: {r[0]}: {r[4]}")

    hostile = [data for name, data in all_cases.items() if not name.startswith("fuzz")]
    with tempfile.TemporaryDirectory() as data_dir:
        peak, statuses, not_json, left = service(hostile, args.uploads, data_dir)
    print(f"service, {args.uploads} hostile uploads 8 at a time: tree peak {peak / MB:.0f} MB "
          f"(target ≤ {SERVICE_TARGET / MB:.0f} MB); answers {dict(sorted(statuses.items()))}, "
          f"{not_json} not JSON; after SIGTERM {left} process(es) of the tree left")
    ok = ok and peak <= SERVICE_TARGET and 500 not in statuses and not not_json and not left
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
