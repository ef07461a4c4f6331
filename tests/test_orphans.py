"""No orphans (issue 13): stopping ``xieyi serve`` ends every parse worker within 2 s.

The service is started with a tag in its environment, which every process it forks
inherits; after the signal, no process on the machine may still carry the tag.  Both a
polite stop (SIGTERM, as a service manager sends) and a hard one (SIGKILL: no handler,
no atexit) are tried, with workers started by a parse beforehand.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from forms import get_form, validate_record
from generator.pdf import render_pdf

XIEYI = Path(sys.executable).with_name("xieyi")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tagged(tag: str) -> list[int]:
    """Processes whose environment carries ``tag`` (readable ones: ours)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if tag.encode() in (d / "environ").read_bytes():
                out.append(int(d.name))
        except OSError:
            continue
    return out


def _upload(port: int, pdf: bytes) -> int:
    boundary = "xieyi" + uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode() \
        + pdf + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/parse", data=body, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_stopping_the_service_leaves_no_worker(sig):
    tag = f"XIEYI_ORPHAN_TEST={uuid.uuid4().hex}"
    port = _free_port()
    env = {**os.environ, tag.split("=")[0]: tag.split("=")[1]}
    proc = subprocess.Popen([str(XIEYI), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    spec = get_form("jingdezhen-application")
    pdf = render_pdf(spec, validate_record(spec, {"institution_name": "景德镇市第一人民医院"}),
                     typing_font="viewer")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _upload(port, pdf) == 200
                break
            except OSError:
                assert proc.poll() is None, "the service stopped"
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.2)
        assert _upload(port, pdf) == 200
        workers = [p for p in _tagged(tag) if p != proc.pid]
        assert workers, "no parse worker was started"
    finally:
        proc.send_signal(sig)
        proc.wait(timeout=20)
    deadline = time.monotonic() + 2.0
    while _tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _tagged(tag) == [], "processes outlived the service"


HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_a_folder_parse_leaves_no_worker(tmp_path, sig):
    # a folder of slow files keeps every worker busy when the signal comes
    for i in range(6):
        (tmp_path / f"{i}.pdf").write_bytes((HOSTILE / "slow.pdf").read_bytes())
    tag = f"XIEYI_ORPHAN_TEST={uuid.uuid4().hex}"
    env = {**os.environ, tag.split("=")[0]: tag.split("=")[1]}
    proc = subprocess.Popen([str(XIEYI), "parse", str(tmp_path), "--json"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while len([p for p in _tagged(tag) if p != proc.pid]) < 1:
            assert proc.poll() is None and time.monotonic() < deadline, "no worker started"
            time.sleep(0.05)
        time.sleep(0.3)  # reading
    finally:
        proc.send_signal(sig)
    stopped = time.monotonic()
    proc.wait(timeout=10)
    while _tagged(tag) and time.monotonic() < stopped + 2.0:
        time.sleep(0.05)
    assert _tagged(tag) == [], "workers outlived xieyi parse"
    assert time.monotonic() - stopped < 2.0
    assert proc.returncode != 0


def test_a_worker_killed_by_the_os_is_a_typed_error_and_the_next_file_gets_a_fresh_one():
    import threading

    from forms.errors import ParseResourceLimit
    from parser import Limits, parse_pdf, warm_up

    warm_up()  # the worker exists before the file comes, so the busy process is the reader
    slow = (HOSTILE / "slow.pdf").read_bytes()
    outcome = {}

    def read():
        try:
            parse_pdf(slow, limits=Limits(time_limit=30.0))
            outcome["error"] = None
        except Exception as e:  # noqa: BLE001 — the test looks at what it was
            outcome["error"] = e

    t = threading.Thread(target=read)
    t.start()
    deadline = time.monotonic() + 10
    busy = []
    while not busy and time.monotonic() < deadline:
        # the worker reading the file: a process below ours that keeps a CPU busy (a
        # child, or a grandchild through the fork server)
        busy = [p for p in _descendants(os.getpid()) if _cpu(p) > 0.5]
    assert busy, "no worker is reading"
    for p in busy:
        os.kill(p, signal.SIGKILL)  # as the OOM killer would
    t.join(timeout=10)
    err = outcome["error"]
    assert isinstance(err, ParseResourceLimit), err
    assert err.http_status == 422 and "异常终止" in err.message_zh
    spec = get_form("jingdezhen-application")
    pdf = render_pdf(spec, validate_record(spec, {"institution_name": "景德镇市第一人民医院"}),
                     typing_font="viewer")
    assert parse_pdf(pdf).record["institution_name"] == "景德镇市第一人民医院"


def _descendants(pid: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            kids.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(d.name))
    out, todo = [], list(kids.get(pid, ()))
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, ()))
    return out


def _cpu(pid: int, span: float = 0.1) -> float:
    """Share of a CPU ``pid`` used over ``span`` seconds."""
    def ticks() -> int:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return 0
        f = stat[stat.rindex(")") + 2:].split()
        return int(f[11]) + int(f[12])
    a = ticks()
    time.sleep(span)
    return (ticks() - a) / os.sysconf("SC_CLK_TCK") / span
