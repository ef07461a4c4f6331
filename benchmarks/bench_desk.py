"""Load benchmark of the review desk: 50 concurrent clients against ``xieyi serve`` on
127.0.0.1, mixing case lists, case views and uploads of one-page filled forms, first on
SQLite (the embedded default), then on a throwaway PostgreSQL.

Each client is a thread with its own connection; it loops for ``--seconds``, waiting
0.5–1.5 s between requests as a person does (locust's ``between``): 45 % case
lists (a reviewer's first page, 20 cases), 35 % case views, 15 % uploads of a filled
Jingdezhen application form to its institution's case (the answer comes after the file
is stored, parsed in a worker process and checked by the rules: upload-to-checked-record),
5 % ``GET /api/forms``.
The clients run on the same 2 cores as the service, so the figures are an upper bound.

Targets (issue 14): no 5xx; case list p95 ≤ 100 ms; upload-to-checked-record p95 ≤ 1.5 s.
Baseline in the same run: ``GET /api/forms`` (a static route of the same service) under
the same load, so the ratio says what the desk adds to a request.

Then, the load over, the review pages (issue 15): a reviewer's browser session opens a
case with a 4-page document (the Shanxi 申请书) as a person does: the case page, the
document's page, its four page images, one after another.  The first view draws the
images; target: every view after it p95 ≤ 300 ms, the images then coming from the cache
kept by content hash.  Baseline: ``GET /api/forms`` in the same quiet.

Run:  .venv/bin/python benchmarks/bench_desk.py [--clients 50] [--seconds 120]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from forms import get_form, record_to_json, sample_record, validate_record  # noqa: E402
from forms._credit_code import check_character  # noqa: E402
from generator.pdf import render_pdf  # noqa: E402

XIEYI = [sys.executable, "-m", "api.cli"]
LIST_P95_MS = 100.0
UPLOAD_P95_S = 1.5
CASE_PAGE_P95_MS = 300.0
CASE_PAGE_VIEWS = 60
INSTITUTIONS = 10
#: seconds a client waits between two requests (locust's ``between(0.5, 1.5)``): 50
#: people at work, not 50 loops as fast as the machine goes
THINK = (0.5, 1.5)
THINK_NOW = list(THINK)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port: int, token: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token = token

    def call(self, method: str, path: str, body=None, form=None) -> tuple[int, bytes]:
        headers = {}
        data = None
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if form is not None:
            boundary = uuid.uuid4().hex
            slot, content = form
            data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"slot\"\r\n\r\n"
                    f"{slot}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                    "filename=\"form.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode() \
                + content + f"\r\n--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()  # the server closed a kept-alive connection: once more
                if attempt:
                    raise
        raise AssertionError("unreachable")


def _credit_code(i: int) -> str:
    first = f"91360200MA{i:07d}"
    return first + check_character(first)


def setup(port: int, env: dict) -> dict:
    added = subprocess.run([*XIEYI, "users", "add", "bench-admin", "--role", "admin", "--json"],
                           cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    admin = Client(port)
    st, b = admin.call("POST", "/api/tokens", {"name": "bench-admin",
                                               "password": json.loads(added.stdout)["password"]})
    admin.token = json.loads(b)["token"]
    password = "bench-password-1"
    st, b = admin.call("POST", "/api/users", {"name": "bench-reviewer", "role": "reviewer",
                                              "jurisdiction": "jingdezhen",
                                              "password": password})
    assert st == 201, b
    cases, users = [], []
    for i in range(INSTITUTIONS):
        st, b = admin.call("POST", "/api/institutions", {
            "name": f"景德镇市第{i + 1}人民医院", "credit_code": _credit_code(i),
            "category": "medical", "jurisdiction": "jingdezhen"})
        assert st == 201, b
        inst = json.loads(b)["id"]
        name = f"bench-hospital-{i}"
        st, b = admin.call("POST", "/api/users", {"name": name, "role": "institution",
                                                  "institution_id": inst, "password": password})
        assert st == 201, b
        c = Client(port)
        st, b = c.call("POST", "/api/tokens", {"name": name, "password": password})
        c.token = json.loads(b)["token"]
        st, b = c.call("POST", "/api/cases", {"institution_id": inst})
        assert st == 201, b
        cases.append(json.loads(b)["id"])
        users.append(c.token)
    rev = Client(port)
    st, b = rev.call("POST", "/api/tokens", {"name": "bench-reviewer", "password": password})
    return {"reviewer": json.loads(b)["token"], "hospitals": users, "cases": cases,
            "admin": admin.token}


class PageSession:
    """A browser's session on the pages: its cookie, the CSRF token of the log-in form."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""

    def get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path, headers={"Cookie": self.cookie})
        r = self.conn.getresponse()
        return r.status, r.read()

    def log_in(self, name: str, password: str) -> None:
        import re
        from urllib.parse import urlencode

        self.conn.request("GET", "/login")
        r = self.conn.getresponse()
        html = r.read().decode()
        self.cookie = r.getheader("Set-Cookie", "").split(";", 1)[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        self.conn.request("POST", "/login", body=urlencode(
            {"name": name, "password": password, "csrf_token": token}),
            headers={"Cookie": self.cookie, "Content-Type": "application/x-www-form-urlencoded"})
        r = self.conn.getresponse()
        r.read()
        assert r.status == 302, r.status
        self.cookie = r.getheader("Set-Cookie", "").split(";", 1)[0] or self.cookie


def case_page_views(port: int, world: dict) -> dict:
    """The review pages of a case with a 4-page document: the first view, then the rest."""
    admin = Client(port, world["admin"])
    password = "bench-password-1"
    st, b = admin.call("POST", "/api/institutions", {
        "name": "太原市第一人民医院", "credit_code": _credit_code(900), "category": "medical",
        "jurisdiction": "shanxi"})
    assert st == 201, b
    inst = json.loads(b)["id"]
    for body in ({"name": "bench-reviewer-sx", "role": "reviewer", "jurisdiction": "shanxi",
                  "password": password},
                 {"name": "bench-hospital-sx", "role": "institution", "institution_id": inst,
                  "password": password}):
        st, b = admin.call("POST", "/api/users", body)
        assert st == 201, b
    hospital = Client(port)
    st, b = hospital.call("POST", "/api/tokens", {"name": "bench-hospital-sx",
                                                  "password": password})
    hospital.token = json.loads(b)["token"]
    st, b = hospital.call("POST", "/api/cases", {"institution_id": inst})
    case = json.loads(b)["id"]
    spec = get_form("shanxi-application")
    pdf = render_pdf(spec, validate_record(spec, sample_record(spec, "typical")))
    st, b = hospital.call("POST", f"/api/cases/{case}/documents", form=(spec.id, pdf))
    assert st == 201, b
    doc = json.loads(b)["id"]
    browser = PageSession(port)
    browser.log_in("bench-reviewer-sx", password)
    paths = [f"/desk/cases/{case}", f"/desk/documents/{doc}"] + [
        f"/desk/documents/{doc}/pages/{n}.png" for n in range(1, 5)]

    def view() -> float:
        t0 = time.perf_counter()
        for path in paths:
            st, body = browser.get(path)
            assert st == 200, (path, st, body[:200])
        return time.perf_counter() - t0

    first = view()
    views = [view() for _ in range(CASE_PAGE_VIEWS)]
    base = Client(port)
    baseline = []
    for _ in range(CASE_PAGE_VIEWS):
        t0 = time.perf_counter()
        st, _b = base.call("GET", "/api/forms")
        baseline.append(time.perf_counter() - t0)
    return {"first": first, "views": views, "baseline": baseline}


def load(port: int, world: dict, clients: int, seconds: float, pdf: bytes) -> dict:
    samples: dict[str, list[float]] = {"list": [], "view": [], "upload": [], "baseline": []}
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run(k: int) -> None:
        rng = random.Random(k)
        reviewer = Client(port, world["reviewer"])
        i = k % len(world["cases"])
        hospital = Client(port, world["hospitals"][i])
        while time.monotonic() < stop:
            time.sleep(rng.uniform(*THINK_NOW))  # a person reads what came back
            x = rng.random()
            t0 = time.perf_counter()
            if x < 0.45:
                kind, (st, _) = "list", reviewer.call("GET", "/api/cases?per_page=20")
            elif x < 0.80:
                kind, (st, _) = "view", reviewer.call(
                    "GET", f"/api/cases/{rng.choice(world['cases'])}")
            elif x < 0.95:
                kind, (st, _) = "upload", hospital.call(
                    "POST", f"/api/cases/{world['cases'][i]}/documents",
                    form=("jingdezhen-application", pdf))
            else:
                kind, (st, _) = "baseline", reviewer.call("GET", "/api/forms")
            dt_ = time.perf_counter() - t0
            with lock:
                samples[kind].append(dt_)
                statuses[st] = statuses.get(st, 0) + 1

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"samples": samples, "statuses": statuses}


def _p(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def one_run(label: str, env: dict, clients: int, seconds: float, pdf: bytes) -> bool:
    port = _free_port()
    subprocess.run([*XIEYI, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    log_path = Path(env["XIEYI_DATA_DIR"]) / "serve.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")
    proc = subprocess.Popen([*XIEYI, "serve", "--port", str(port), "--threads", "8"], cwd=ROOT,
                            env=env, stdout=log, stderr=log)
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        world = setup(port, env)
        got = load(port, world, clients, seconds, pdf)
        pages = case_page_views(port, world)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    log.close()
    s, st = got["samples"], got["statuses"]
    if any(k >= 500 for k in st):  # what the service logged about them
        import re

        text = log_path.read_text(errors="replace")
        for m in sorted(set(re.findall(r"^(?:[\w.]+(?:Error|Exception)\b.*)$", text, re.M)))[:10]:
            print("  service log:", m[:300])
    n = sum(len(v) for v in s.values())
    errors = sum(v for k, v in st.items() if k >= 500)
    list95, up95 = _p(s["list"], 0.95) * 1000, _p(s["upload"], 0.95)
    base95 = _p(s["baseline"], 0.95) * 1000
    print(f"== {label}: {clients} clients, {seconds:g} s, {n} requests "
          f"({n / seconds:.0f}/s); statuses {dict(sorted(st.items()))}")
    for kind in ("list", "view", "upload", "baseline"):
        xs = s[kind]
        print(f"  {kind:9} n={len(xs):6d}  p50 {_p(xs, 0.5) * 1000:7.1f} ms  "
              f"p95 {_p(xs, 0.95) * 1000:7.1f} ms  max {max(xs, default=0) * 1000:7.1f} ms")
    ok = errors == 0 and list95 <= LIST_P95_MS and up95 <= UPLOAD_P95_S
    view95, pbase95 = _p(pages["views"], 0.95) * 1000, _p(pages["baseline"], 0.95) * 1000
    pages_ok = view95 <= CASE_PAGE_P95_MS
    print(f"  case page with a 4-page document (case, document, 4 page images): first view "
          f"{pages['first'] * 1000:.0f} ms (images drawn); the next {len(pages['views'])} p50 "
          f"{_p(pages['views'], 0.5) * 1000:.1f} ms p95 {view95:.1f} ms (target ≤ "
          f"{CASE_PAGE_P95_MS:g} ms; ×{view95 / pbase95:.1f} the baseline GET /api/forms p95 "
          f"{pbase95:.1f} ms) — {'met' if pages_ok else 'MISSED'}")
    print(f"  case list p95 {list95:.1f} ms (target ≤ {LIST_P95_MS:g} ms; ×{list95 / base95:.1f} "
          f"the baseline GET /api/forms p95 {base95:.1f} ms); upload-to-checked-record p95 "
          f"{up95:.2f} s (target ≤ {UPLOAD_P95_S:g} s); 5xx: {errors} — "
          f"{'met' if ok else 'MISSED'}")
    return ok and pages_ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--skip-postgresql", action="store_true")
    ap.add_argument("--think", type=float, nargs=2, default=THINK, metavar=("MIN", "MAX"),
                    help="seconds between a client's requests (0 0: as fast as it goes)")
    args = ap.parse_args()
    THINK_NOW[:] = args.think
    spec = get_form("jingdezhen-application")
    rec = record_to_json(spec, validate_record(spec, sample_record(spec, "typical")))
    pdf = render_pdf(spec, validate_record(spec, rec), typing_font="viewer")
    ok = True
    with tempfile.TemporaryDirectory() as d:
        env = {**os.environ, "XIEYI_DATA_DIR": str(Path(d) / "sqlite")}
        env.pop("XIEYI_DATABASE_URL", None)
        ok &= one_run("SQLite", env, args.clients, args.seconds, pdf)
        if not args.skip_postgresql:
            from postgres import Postgres

            pg = Postgres()
            try:
                env = {**os.environ, "XIEYI_DATA_DIR": str(Path(d) / "pg"),
                       "XIEYI_DATABASE_URL": pg.new_database()}
                ok &= one_run("PostgreSQL", env, args.clients, args.seconds, pdf)
            finally:
                pg.stop()
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
