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
