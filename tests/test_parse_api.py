"""``xieyi parse`` and ``POST /api/parse``: the same parse, the same JSON, the same errors.

Exit status 0 for a file read (unreadable values are warnings), 3 for a file
that is no readable form of ours, 2 for a file that cannot be opened; HTTP 200,
422 (413 over the size or page limit), never a traceback.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from api import create_app
from api.cli import main
from forms import get_form, record_to_json, sample_record, validate_record
from generator.pdf import render_pdf

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
XIEYI = Path(sys.executable).with_name("xieyi")


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> tuple[Path, dict]:
    spec = get_form("shanxi-application")
    record = validate_record(spec, sample_record(spec, "special"))
    path = tmp_path_factory.mktemp("parse") / "申请书.pdf"
    path.write_bytes(render_pdf(spec, record))
    return path, record_to_json(spec, record)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# ---------------------------------------------------------------- command line

def test_cli_json(capsys, filled):
    path, expected = filled
    status, out, err = run(capsys, "parse", str(path), "--json")
    assert status == 0 and err == ""
    result = json.loads(out)
    assert result["form"] == "shanxi-application" and result["method"] == "acroform"
    assert result["record"] == expected
    assert result["fields"]["departments.0.name"]["page"] == 3


def test_cli_text_in_chinese(capsys, filled):
    path, _ = filled
    status, out, _ = run(capsys, "parse", str(path))
    assert status == 0
    assert "山西省工伤保险协议服务机构申请书" in out and "记录" in out
    assert "医疗、康复机构主要科室设置情况" in out and "科室名称=" in out


def test_cli_warnings_are_listed(capsys, tmp_path):
    spec = get_form("shanxi-application")
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(render_pdf(spec))))
    for f in writer._root_object["/AcroForm"]["/Fields"]:
        f = f.get_object()
        if f.get("/T") == "doctors_total":
            f[NameObject("/V")] = TextStringObject("十二")
    path = tmp_path / "x.pdf"
    writer.write(path)
    status, out, _ = run(capsys, "parse", str(path))
    assert status == 0
    assert "警告" in out and "不是数字" in out and "is not a number" in out


@pytest.mark.parametrize("name,code", [("encrypted.pdf", "pdf_encrypted"),
                                       ("not-a-pdf.pdf", "not_pdf"),
                                       ("scan.pdf", "pdf_no_text_layer"),
                                       ("other-document.pdf", "unknown_template"),
                                       ("zero-pages.pdf", "pdf_no_pages")])
def test_cli_bad_files_exit_3(capsys, name, code):
    status, out, err = run(capsys, "parse", str(HOSTILE / name))
    assert status == 3 and out == ""
    assert f"[{code}]" in err and "错误" in err and "error" in err
    assert "Traceback" not in err


def test_cli_timeout_exits_3(capsys):
    status, _, err = run(capsys, "parse", str(HOSTILE / "slow.pdf"), "--time-limit", "0.5")
    assert status == 3 and "[parse_timeout]" in err


def test_cli_file_that_cannot_be_opened_exits_2(capsys, tmp_path):
    assert run(capsys, "parse", str(tmp_path / "missing.pdf"))[0] == 2
    assert run(capsys, "parse", str(tmp_path))[0] == 2
    assert run(capsys, "parse", "x.pdf", "--time-limit", "0")[0] == 2


def test_cli_reads_stdin_and_the_installed_script(filled):
    path, expected = filled
    proc = subprocess.run([str(XIEYI), "parse", "-", "--json"], input=path.read_bytes(),
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["record"] == expected
    proc = subprocess.run([str(XIEYI), "parse", str(HOSTILE / "bomb.pdf")], capture_output=True,
                          timeout=60)
    assert proc.returncode == 3
    assert b"parse_resource_limit" in proc.stderr and b"Traceback" not in proc.stderr


# ---------------------------------------------------------------- service

@pytest.fixture
def parse_client():
    return create_app({"TESTING": True}).test_client()


def _post(client, data: bytes, name: str = "申请书.pdf", **kw):
    return client.post("/api/parse", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", **kw)


def test_api_returns_what_the_cli_prints(parse_client, capsys, filled):
    path, expected = filled
    resp = _post(parse_client, path.read_bytes())
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    _, out, _ = run(capsys, "parse", str(path), "--json")
    assert resp.get_json() == json.loads(out)
    assert resp.get_json()["record"] == expected


@pytest.mark.parametrize("name,code", [("encrypted.pdf", "pdf_encrypted"),
                                       ("truncated.pdf", "pdf_malformed"),
                                       ("docx-renamed.pdf", "not_pdf"),
                                       ("bomb.pdf", "parse_resource_limit")])
def test_api_bad_files_are_422(parse_client, name, code):
    resp = _post(parse_client, (HOSTILE / name).read_bytes())
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["code"] == code and body["message_zh"] and body["message_en"]
    assert set(body) == {"code", "message_zh", "message_en", "details"}


def test_api_limits_are_413(filled):
    path, _ = filled
    client = create_app({"TESTING": True, "PARSE_MAX_BYTES": 4096}).test_client()
    resp = _post(client, path.read_bytes())
    assert resp.status_code == 413 and resp.get_json()["code"] == "pdf_too_large"
    client = create_app({"TESTING": True, "PARSE_MAX_PAGES": 3}).test_client()
    resp = _post(client, path.read_bytes())  # four pages
    assert resp.status_code == 413 and resp.get_json()["code"] == "pdf_too_many_pages"


def test_api_takes_pdfs_larger_than_a_record(filled):
    """The service refuses JSON bodies over 1 MiB; a PDF may be larger."""
    path, _ = filled
    client = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 1024}).test_client()
    assert _post(client, path.read_bytes()).status_code == 200


def test_api_without_a_file(parse_client):
    resp = parse_client.post("/api/parse", data={"other": "x"}, content_type="multipart/form-data")
    assert resp.status_code == 422 and resp.get_json()["code"] == "file_missing"
    resp = parse_client.post("/api/parse", json={"file": "x"})
    assert resp.status_code == 422 and resp.get_json()["code"] == "file_missing"


def test_api_timeout_is_422():
    client = create_app({"TESTING": True, "PARSE_TIME_LIMIT": 0.5}).test_client()
    resp = _post(client, (HOSTILE / "slow.pdf").read_bytes())
    assert resp.status_code == 422 and resp.get_json()["code"] == "parse_timeout"


def test_openapi_documents_the_upload(parse_client):
    doc = parse_client.get("/api/openapi.json").get_json()
    op = doc["paths"]["/api/parse"]["post"]
    schema = op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["file"]["format"] == "binary"
    assert {"200", "413", "422"} <= set(op["responses"])
