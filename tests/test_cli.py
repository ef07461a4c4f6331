"""The command line: ``main([...])`` in-process, and the installed ``xieyi`` script for real."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from api.cli import main
from forms import all_forms, get_form, sample_record
from test_api import FORM, NASTY, assert_pdf_carries, docx_text

XIEYI = Path(sys.executable).with_name("xieyi")
SUMMARY_KEYS = {"id", "jurisdiction", "jurisdiction_name", "title", "attachment", "version",
                "derived"}
FIELD_KEYS = {"id", "label", "type", "unit", "choices", "required"}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_no_traceback(err: str) -> None:
    assert "Traceback" not in err


def assert_bilingual_error(err: str) -> None:
    assert_no_traceback(err)
    assert "错误" in err and "error" in err


# ---------------------------------------------------------------- forms, forms show

def test_forms_table(capsys):
    status, out, _ = run(capsys, "forms")
    assert status == 0
    for spec in all_forms():
        assert spec.id in out and spec.title in out and spec.jurisdiction_name in out
        assert spec.version in out


def test_forms_json(capsys):
    status, out, _ = run(capsys, "forms", "--json")
    assert status == 0
    items = json.loads(out)
    assert [i["id"] for i in items] == [s.id for s in all_forms()]
    for item in items:
        assert SUMMARY_KEYS <= set(item)


@pytest.mark.parametrize("spec", all_forms(), ids=lambda s: s.id)
def test_forms_show_json(capsys, spec):
    status, out, _ = run(capsys, "forms", "show", spec.id, "--json")
    assert status == 0
    d = json.loads(out)
    assert {"id", "title", "jurisdiction", "source", "version", "valid_from", "valid_to",
            "derived", "derived_note", "fields"} <= set(d)
    assert d["id"] == spec.id and d["version"] == spec.version
    assert [f["id"] for f in d["fields"]] == list(spec.field_ids)
    for f in d["fields"]:
        assert FIELD_KEYS <= set(f)
        if f["type"] == "rows":
            assert f["max_rows"] and f["columns"]
            for c in f["columns"]:
                assert FIELD_KEYS <= set(c)


def test_forms_show_readable(capsys):
    spec = get_form(FORM)
    status, out, _ = run(capsys, "forms", "show", FORM)
    assert status == 0
    assert spec.title in out and spec.source.document in out and spec.version in out
    for f in spec.fields:
        assert f.id in out and f.label in out
    assert "必填" in out and "非营利性、营利性" in out


def test_forms_show_unknown(capsys):
    status, out, err = run(capsys, "forms", "show", "nope")
    assert status == 2 and out == ""
    assert "未知的表单" in err and "unknown form" in err
    assert_no_traceback(err)


@pytest.mark.parametrize("argv", [[], ["bogus"], ["forms", "show"], ["render", FORM],
                                  ["render", FORM, "--format", "xls", "-o", "x.xls"],
                                  ["serve", "--port", "eighty"]])
def test_usage_errors_exit_2(capsys, argv):
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert "usage" in err and "用法" in err
    assert_no_traceback(err)


def test_help_exits_0(capsys):
    status, out, _ = run(capsys, "--help")
    assert status == 0 and "render" in out


# ---------------------------------------------------------------- render

def test_render_blank_pdf_and_docx(capsys, tmp_path):
    pdf, docx = tmp_path / "a.pdf", tmp_path / "a.docx"
    assert run(capsys, "render", FORM, "--format", "pdf", "-o", str(pdf))[0] == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert run(capsys, "render", FORM, "--format", "docx", "-o", str(docx))[0] == 0
    assert zipfile.is_zipfile(docx)
    # the temporary files are gone; the files have ordinary permissions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx", "a.pdf"]
    umask = os.umask(0)
    os.umask(umask)
    assert pdf.stat().st_mode & 0o777 == 0o666 & ~umask


def test_render_format_from_extension(capsys, tmp_path):
    out = tmp_path / "申请表.docx"
    assert run(capsys, "render", FORM, "-o", str(out))[0] == 0
    assert zipfile.is_zipfile(out)


@pytest.mark.parametrize("spec", all_forms(), ids=lambda s: s.id)
def test_render_record(capsys, tmp_path, spec):
    data = sample_record(spec, "special")
    rec = tmp_path / "record.json"
    rec.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    pdf, docx = tmp_path / "out.pdf", tmp_path / "out.docx"
    assert run(capsys, "render", spec.id, "--format", "pdf", "--data", str(rec),
               "-o", str(pdf))[0] == 0
    assert_pdf_carries(pdf.read_bytes(), spec, data)
    assert run(capsys, "render", spec.id, "--format", "docx", "--data", str(rec),
               "-o", str(docx))[0] == 0
    text = docx_text(docx.read_bytes())
    for f in spec.fields:
        if f.type == "text":
            assert data[f.id] in text


def test_render_record_from_stdin(capsys, tmp_path, monkeypatch):
    data = {"institution_name": NASTY}
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(data).encode())))
    out = tmp_path / "out.pdf"
    assert run(capsys, "render", FORM, "--data", "-", "-o", str(out))[0] == 0
    assert PdfReader(out).get_fields()["institution_name"]["/V"] == NASTY


def test_render_replaces_existing_file(capsys, tmp_path):
    out = tmp_path / "out.pdf"
    out.write_bytes(b"old")
    assert run(capsys, "render", FORM, "-o", str(out))[0] == 0
    assert out.read_bytes().startswith(b"%PDF")


# ------------------------------------------------- render errors: exit 2, nothing written

def _bad_data(tmp_path: Path, content: str) -> str:
    p = tmp_path / "bad.json"
    p.write_text(content, encoding="utf-8")
    return str(p)


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
@pytest.mark.parametrize(
    "content, needle",
    [
        ('{"rated_beds": "三", "no_such_field": 1, "profit_nature": "国营"}', "rated_beds"),
        ('{"institution_name": "' + "院" * 61 + '"}', "机构名称"),
        ("[1, 2]", "JSON"),
        ("{not json", "JSON"),
        ("", "JSON"),
        (None, "bad.json"),  # no such file
    ],
)
def test_render_bad_input(capsys, tmp_path, fmt, content, needle):
    data = _bad_data(tmp_path, content) if content is not None else str(tmp_path / "bad.json")
    out = tmp_path / f"out.{fmt}"
    status, _, err = run(capsys, "render", FORM, "--format", fmt, "--data", data, "-o", str(out))
    assert status == 2
    assert needle in err
    assert_bilingual_error(err)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_bad_record_lists_every_field(capsys, tmp_path):
    data = _bad_data(tmp_path, json.dumps(
        {"rated_beds": "三", "no_such_field": 1, "profit_nature": "国营"}, ensure_ascii=False))
    status, _, err = run(capsys, "render", FORM, "--data", data, "-o", str(tmp_path / "o.pdf"))
    assert status == 2
    for needle in ("rated_beds", "no_such_field", "profit_nature", "机构性质", "非营利性"):
        assert needle in err


def test_bad_record_keeps_existing_file(capsys, tmp_path):
    out = tmp_path / "out.pdf"
    out.write_bytes(b"precious")
    data = _bad_data(tmp_path, '{"rated_beds": -1}')
    assert run(capsys, "render", FORM, "--data", data, "-o", str(out))[0] == 2
    assert out.read_bytes() == b"precious"


def test_unknown_form_render(capsys, tmp_path):
    out = tmp_path / "out.pdf"
    status, _, err = run(capsys, "render", "nope", "-o", str(out))
    assert status == 2 and "unknown form" in err and not out.exists()


@pytest.mark.parametrize("where", ["missing-dir", "proc", "directory"])
def test_unwritable_output(capsys, tmp_path, where):
    out = {"missing-dir": tmp_path / "no" / "such" / "dir" / "out.pdf",
           "proc": Path("/proc/xieyi-test-out.pdf"),
           "directory": tmp_path}[where]
    status, _, err = run(capsys, "render", FORM, "--format", "pdf", "-o", str(out))
    assert status == 2
    assert_bilingual_error(err)
    assert "output_unwritable" in err
    if where != "directory":
        assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_last_resort_handler(capsys, monkeypatch):
    """An error nobody planned for: a short bilingual line, exit 1, no traceback."""
    import api.cli

    def broken():
        raise RuntimeError("something broke")

    monkeypatch.setattr(api.cli, "all_forms", broken)
    status, _, err = run(capsys, "forms")
    assert status == 1
    assert "内部错误" in err and "internal error" in err and "something broke" in err
    assert_no_traceback(err)


# ---------------------------------------------------------------- the installed script, for real

def test_console_script(tmp_path):
    assert XIEYI.exists(), "pip install -e . installs the xieyi script"
    proc = subprocess.run([str(XIEYI), "forms", "--json"], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    assert {i["id"] for i in json.loads(proc.stdout)} == {s.id for s in all_forms()}

    out = tmp_path / "out.pdf"
    proc = subprocess.run([str(XIEYI), "render", "nope", "-o", str(out)],
                          capture_output=True, timeout=60)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "未知的表单" in err and "unknown form" in err
    assert_no_traceback(err)
    assert not out.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve(tmp_path):
    port = _free_port()
    proc = subprocess.Popen([str(XIEYI), "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/forms", timeout=5) as r:
                    assert r.status == 200
                    assert FORM in {i["id"] for i in json.load(r)}
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert get_form(FORM).title in r.read().decode("utf-8")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, err.decode()
    assert f"http://127.0.0.1:{port}/" in out.decode()


def test_serve_refuses_an_unmigrated_database_and_says_how_to_fix_it(tmp_path):
    env = {**os.environ, "XIEYI_DATA_DIR": str(tmp_path / "fresh")}
    proc = subprocess.run([str(XIEYI), "serve", "--port", str(_free_port())], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "database_not_migrated" in proc.stderr and "xieyi db upgrade" in proc.stderr
    assert_no_traceback(proc.stderr)
    up = subprocess.run([str(XIEYI), "db", "upgrade"], env=env, capture_output=True, text=True,
                        timeout=60)
    from desk import head_revision

    assert up.returncode == 0 and f"→ {head_revision()}" in up.stdout
    status = subprocess.run([str(XIEYI), "db", "status", "--json"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert json.loads(status.stdout)["up_to_date"] is True


def test_the_first_start_creates_an_admin_whose_password_is_printed_once(tmp_path):
    env = {**os.environ, "XIEYI_DATA_DIR": str(tmp_path / "data")}
    subprocess.run([str(XIEYI), "db", "upgrade"], env=env, check=True, capture_output=True)
    passwords = []
    for _ in range(2):
        port = _free_port()
        proc = subprocess.Popen([str(XIEYI), "serve", "--port", str(port)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = proc.stdout.readline()
            while "serving at" not in line and "初始密码" not in line and line:
                line = proc.stdout.readline()
            if "初始密码" in line:
                passwords.append(line.split("：")[1].split(" ")[0])
                deadline = time.monotonic() + 30
                while True:
                    try:
                        req = urllib.request.Request(
                            f"http://127.0.0.1:{port}/api/tokens", method="POST",
                            data=json.dumps({"name": "admin",
                                             "password": passwords[0]}).encode(),
                            headers={"Content-Type": "application/json"})
                        with urllib.request.urlopen(req, timeout=5) as r:
                            assert r.status == 201 and json.load(r)["user"]["role"] == "admin"
                        break
                    except urllib.error.URLError:
                        assert time.monotonic() < deadline
                        time.sleep(0.2)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    assert len(passwords) == 1 and len(passwords[0]) == 16  # the second start prints none


def test_serve_port_taken(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        status, _, err = run(capsys, "serve", "--port", str(s.getsockname()[1]))
    assert status == 1
    assert "serve_failed" in err
    assert_no_traceback(err)


def test_desk_commands_mirror_the_api(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XIEYI_DATA_DIR", str(tmp_path / "data"))
    assert run(capsys, "db", "upgrade")[0] == 0
    status, out, _ = run(capsys, "institutions", "add", "景德镇市第一人民医院", "--credit-code",
                         "91350100M000100Y43", "--category", "medical", "--jurisdiction",
                         "jingdezhen", "--json")
    assert status == 0
    inst = json.loads(out)
    status, _, err = run(capsys, "institutions", "add", "某医院", "--credit-code",
                         "91350100M000100Y44", "--category", "medical", "--jurisdiction",
                         "jingdezhen")
    assert status == 2 and "第 18 位应为 3" in err
    from desk import Actor, Desk, DeskSettings

    d = Desk(DeskSettings.from_env())
    case = d.open_case(Actor("h", "institution", institution_id=inst["id"]), inst["id"])
    d.close()
    status, out, _ = run(capsys, "cases", "list", "--json")
    assert status == 0 and [c["id"] for c in json.loads(out)["items"]] == [case["id"]]
    status, out, _ = run(capsys, "cases", "show", str(case["id"]))
    assert status == 0 and "景德镇市第一人民医院" in out and "已提交" in out
    status, _, err = run(capsys, "cases", "list", "--status", "archived")
    assert status == 2 and "--status" in err
    status, out, _ = run(capsys, "users", "add", "clerk", "--role", "auditor", "--json")
    assert status == 0 and len(json.loads(out)["password"]) == 16
    status, out, _ = run(capsys, "users", "add", "rev", "--role", "reviewer", "--jurisdiction",
                         "jingdezhen", "--json")
    d = Desk(DeskSettings.from_env())
    token = d.log_in("rev", json.loads(out)["password"])["token"]
    d.close()
    status, _, err = run(capsys, "cases", "move", str(case["id"]), "in_review")
    assert status == 2 and "无权" in err  # the operator may not review
    status, out, _ = run(capsys, "cases", "move", str(case["id"]), "in_review", "--token", token,
                         "--json")
    assert status == 0 and json.loads(out)["status"] == "in_review"
    status, _, err = run(capsys, "cases", "move", str(case["id"]), "returned", "--token", token)
    assert status == 2 and "items" in err
    status, out, _ = run(capsys, "cases", "move", str(case["id"]), "returned", "--token", token,
                         "--item", "补充执业许可证复印件", "--json")
    assert status == 0 and json.loads(out)["events"][-1]["items"] == ["补充执业许可证复印件"]
    scan = tmp_path / "执照.pdf"
    scan.write_bytes(b"%PDF-1.4 licence")
    status, out, _ = run(capsys, "cases", "upload", str(case["id"]), str(scan), "--slot",
                         "material:营业执照", "--token", token, "--json")
    assert status == 0 and json.loads(out)["filename"] == "执照.pdf"
    status, _, err = run(capsys, "cases", "show", str(case["id"]), "--token", "xy_forged")
    assert status == 2 and "令牌" in err
    assert run(capsys, "audit", "verify")[0] == 0
    assert run(capsys, "store", "check")[0] == 0
