"""Nothing lost: the service killed (SIGKILL) in the middle of a stream of uploads and
started again keeps every upload it had answered 2xx, byte for byte, with its case; no
half-written document is visible; the store and the database agree."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

XIEYI = Path(sys.executable).with_name("xieyi")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(port, method, path, token=None, body=None, form=None, timeout=10):
    headers = {}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        boundary = uuid.uuid4().hex
        slot, name, content = form
        data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"slot\"\r\n\r\n{slot}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").encode() \
            + content + f"\r\n--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _serve(env, port):
    proc = subprocess.Popen([str(XIEYI), "serve", "--port", str(port), "--threads", "4"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            if _request(port, "GET", "/api/forms", timeout=2)[0] == 200:
                return proc
        except OSError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.1)


def test_a_killed_service_loses_no_answered_upload(tmp_path):
    env = {**os.environ, "XIEYI_DATA_DIR": str(tmp_path / "data")}
    subprocess.run([str(XIEYI), "db", "upgrade"], env=env, check=True, capture_output=True)
    added = subprocess.run([str(XIEYI), "users", "add", "clerk", "--role", "admin", "--json"],
                           env=env, check=True, capture_output=True, text=True)
    password = json.loads(added.stdout)["password"]
    port = _free_port()
    proc = _serve(env, port)
    try:
        status, body = _request(port, "POST", "/api/tokens",
                                body={"name": "clerk", "password": password})
        token = json.loads(body)["token"]
        status, body = _request(port, "POST", "/api/institutions", token, body={
            "name": "景德镇市第一人民医院", "credit_code": "91350100M000100Y43",
            "category": "medical", "jurisdiction": "jingdezhen"})
        assert status == 201, body
        institution = json.loads(body)["id"]
        status, body = _request(port, "POST", "/api/users", token, body={
            "name": "hospital", "role": "institution", "institution_id": institution,
            "password": "hospital-password"})
        assert status == 201, body
        status, body = _request(port, "POST", "/api/tokens",
                                body={"name": "hospital", "password": "hospital-password"})
        token = json.loads(body)["token"]  # from here on, the hospital uploads
        status, body = _request(port, "POST", "/api/cases", token,
                                body={"institution_id": institution})
        case = json.loads(body)["id"]
        answered: dict[int, bytes] = {}
        stop = threading.Event()

        def stream(worker: int):
            i = 0
            while not stop.is_set():
                content = f"%PDF-1.4 upload {worker}-{i} ".encode() + os.urandom(20_000)
                try:
                    st, b = _request(port, "POST", f"/api/cases/{case}/documents", token,
                                     form=(f"material:附件{worker}-{i}", f"{i}.pdf", content))
                except OSError:
                    return  # the service is gone
                if 200 <= st < 300:
                    answered[json.loads(b)["id"]] = content
                i += 1

        threads = [threading.Thread(target=stream, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        time.sleep(2.0)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert len(answered) >= 5, "too few uploads before the kill to test anything"
        proc = _serve(env, port)
        status, body = _request(port, "GET", f"/api/cases/{case}", token)
        versions = {d["id"]: d for d in json.loads(body)["versions"]}
        assert set(answered) <= set(versions)  # every answered upload is there
        for doc_id, content in answered.items():
            st, got = _request(port, "GET", f"/api/documents/{doc_id}/original", token)
            assert st == 200 and got == content
        for doc_id in versions:  # and every visible one can be read back whole
            st, got = _request(port, "GET", f"/api/documents/{doc_id}/original", token)
            assert st == 200 and got.startswith(b"%PDF-1.4 upload")
    finally:
        proc.kill()
        proc.wait(timeout=10)
    check = subprocess.run([str(XIEYI), "store", "check", "--json"], env=env,
                           capture_output=True, text=True)
    report = json.loads(check.stdout)
    assert check.returncode == 0 and report["ok"]
    assert report["missing"] == [] and report["damaged"] == []
    verify = subprocess.run([str(XIEYI), "audit", "verify"], env=env, capture_output=True,
                            text=True)
    assert verify.returncode == 0, verify.stdout
