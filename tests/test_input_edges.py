"""Input at the edge (issue 13): text checked once, words that fit the channel, exact
limits, nothing written by a batch with nothing valid."""

from __future__ import annotations

import json

import pytest

from api.cli import main
from parser._work import check_length

SURROGATE = b'"\\ud800"'  # a lone surrogate, as JSON writes it
ROUTES = [
    ("/api/forms/jingdezhen-application/render", b'{"institution_name": %s}', "institution_name"),
    ("/api/agreements/shanxi/medical", b'{"party_b": {"name": %s}}', "party_b.name"),
    ("/api/validate", b'{"jurisdiction": "shanxi", "category": "medical", "on": "2023-05-01", '
                      b'"facts": {"rehab_beds": 3}, "form": %s}', "form"),
    ("/api/score", b'{"table": "jilin-eval", "kind": "medical", "items": {}, "remark": %s}',
     "remark"),
]


@pytest.mark.parametrize("bad,code", [(SURROGATE, "unencodable"),
                                      (b'"\\u0000abc"', "control_character"),
                                      (b'"abc\\u202e"', "bidi_control")])
@pytest.mark.parametrize("url,body,field", ROUTES, ids=[r[0] for r in ROUTES])
def test_unencodable_control_and_bidi_characters_are_422_naming_the_field(client, url, body,
                                                                          field, bad, code):
    r = client.post(url, data=body % bad, content_type="application/json")
    assert r.status_code == 422, r.get_data(as_text=True)
    got = r.get_json()
    assert got["code"] == "text_invalid" and got["message_zh"] and got["message_en"]
    assert [(d["field"], d["code"]) for d in got["details"]] == [(field, code)]


def _filled_with(raw: bytes, field: str = "institution_name") -> bytes:
    """A filled form of ours whose ``field`` holds the PDF string ``raw`` (as another tool,
    or a hand edit, may leave it)."""
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ByteStringObject, NameObject

    from forms import get_form, sample_record, validate_record
    from generator.pdf import render_pdf

    spec = get_form("hunan-application")
    pdf = render_pdf(spec, validate_record(spec, sample_record(spec, "typical")),
                     typing_font="viewer")
    w = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for ref in w._root_object["/AcroForm"]["/Fields"]:
        f = ref.get_object()
        if f.get("/T") == field:
            f[NameObject("/V")] = ByteStringObject(raw)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


PDF_TEXTS = [
    pytest.param(b"\xfe\xff\xd8\x00\x00A", "control_character", id="lone-surrogate"),
    pytest.param(b"\xfe\xff" + "某某医院\u202e院医".encode("utf-16-be"), "bidi_control", id="bidi"),
    pytest.param(b"\xfe\xff" + "某某\u0007医院".encode("utf-16-be"), "control_character",
                 id="bell"),
]


@pytest.mark.parametrize("raw,code", PDF_TEXTS)
def test_a_file_whose_value_holds_such_a_character_is_422_naming_the_field(client, raw, code):
    # a lone surrogate cannot be decoded as UTF-16: pypdf reads the bytes as PDFDocEncoding,
    # which brings a NUL along, so the same value is refused as a control character
    r = client.post("/api/parse", data={"file": (__import__("io").BytesIO(_filled_with(raw)),
                                                 "a.pdf")})
    assert r.status_code == 422, r.get_data(as_text=True)
    got = r.get_json()
    assert got["code"] == "pdf_text_invalid"
    assert [(d["field"], d["code"]) for d in got["details"]] == [("institution_name", code)]
    assert got["details"][0]["message_zh"].startswith("申请机构名称（institution_name）：")


def test_the_command_line_refuses_such_a_file_with_exit_3(tmp_path, capsys):
    path = tmp_path / "a.pdf"
    path.write_bytes(_filled_with(b"\xfe\xff" + "某某\u202e医院".encode("utf-16-be")))
    assert main(["parse", str(path)]) == 3
    err = capsys.readouterr().err
    assert "pdf_text_invalid" in err and "institution_name" in err and "U+202E" in err


def test_line_breaks_and_tabs_are_text(client):
    r = client.post("/api/forms/jingdezhen-application/render?format=pdf&typing_font=viewer",
                    json={"application_content": "第一行\n第二行\t（续）"})
    assert r.status_code == 200


def test_the_command_line_refuses_the_same_with_exit_2(tmp_path, capsys):
    data = tmp_path / "record.json"
    data.write_bytes(b'{"institution_name": "\\ud800"}')
    assert main(["render", "jingdezhen-application", "--data", str(data),
                 "-o", str(tmp_path / "a.pdf")]) == 2
    err = capsys.readouterr().err
    assert "institution_name" in err and "U+D800" in err
    assert not (tmp_path / "a.pdf").exists()


def test_a_size_limit_error_gives_exact_bytes():
    from forms.errors import XieyiError

    limit = 20 * 1024 * 1024
    with pytest.raises(XieyiError) as info:
        check_length(limit + 1, limit)
    e = info.value
    assert "20,971,521" in e.message_en and "20,971,520" in e.message_en
    assert "20,971,521 字节" in e.message_zh and "上限 20,971,520 字节" in e.message_zh
    check_length(limit, limit)  # at the limit: accepted


def test_http_speaks_of_parameters_the_cli_of_flags(client, tmp_path, capsys):
    r = client.post("/api/validate", json={"jurisdiction": "shanxi", "category": "medical",
                                           "facts": {"rehab_beds": 3}})
    assert r.status_code == 422
    body = r.get_json()
    assert "--on" not in body["message_zh"] + body["message_en"]
    assert "请求参数 on" in body["message_zh"]
    r = client.post("/api/validate", json={"jurisdiction": "shanxi", "category": "medical",
                                           "on": "2023-05-01", "facts": {"rehab_beds": 3}})
    assert r.get_json()["on_source"] == "请求参数 on"
    category = r.get_json()["facts"]["category"]["source"]
    assert category["text_zh"] == "请求参数 category" and category["fields"] == ["category"]
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"facts": {"rehab_beds": 3}}), encoding="utf-8")
    assert main(["validate", str(profile), "-j", "shanxi", "-c", "medical"]) == 2
    assert "--on" in capsys.readouterr().err
    assert main(["validate", str(profile), "-j", "shanxi", "-c", "medical", "--on",
                 "2023-05-01", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["on_source"] == "命令参数 --on"
    assert out["facts"]["category"]["source"]["text_zh"] == "命令参数 --category"


def test_a_batch_with_no_valid_row_writes_nothing(tmp_path, capsys):
    src = tmp_path / "bad.csv"
    src.write_text("name,representative,address,postcode,telephone\n"
                   "某医院,,地址,03000,\n另一医院,,地址,1,\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["agreements", "shanxi", "medical", "--parties", str(src), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "全部 2 行都有错误，未写入任何文件" in err and "nothing was written" in err
    assert not out.exists()


def _one_page_pdf(content: bytes, filters: bytes = b"", basefont: bytes = b"/Helvetica") -> bytes:
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d%s >>\nstream\n" % (len(content), filters) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont " + basefont + b" >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, xref)


def test_an_exception_from_the_standard_library_under_a_pdf_library_is_a_damaged_file():
    """A corrupt ASCII85 stream: pdfminer calls base64, which raises ValueError.  The
    innermost frame is the standard library's, but the exception escaped pdfminer: the
    file is damaged (pdf_malformed, exit 3 / HTTP 422), not a defect of xieyi."""
    from forms.errors import XieyiError
    from parser import parse_pdf

    bad = _one_page_pdf(b"BT /F1 12 Tf 72 720 Td (Hi) Tj ET{{{~>", b" /Filter /ASCII85Decode")
    with pytest.raises(XieyiError) as info:
        parse_pdf(bad)
    assert info.value.code == "pdf_malformed" and info.value.http_status == 422
    # a font named by a string, not a name: read, not a crash
    odd = _one_page_pdf(b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET", basefont=b"(Helvetica)")
    with pytest.raises(XieyiError) as info:
        parse_pdf(odd)
    assert info.value.code != "parse_internal"


def test_a_defect_of_our_own_is_parse_internal_and_logged_with_the_files_hash(monkeypatch,
                                                                              caplog):
    import hashlib
    import logging

    import parser._work as work
    from forms.errors import XieyiError
    from parser._limits import Limits

    def broken(data, limits):
        raise TypeError("a defect in xieyi's own code")

    monkeypatch.setattr(work, "_parse", broken)
    data = b"%PDF-1.4 some file"
    with caplog.at_level(logging.ERROR), pytest.raises(XieyiError) as info:
        work.parse_bytes(data, Limits())
    assert info.value.code == "parse_internal"
    assert hashlib.sha256(data).hexdigest() in caplog.text


def test_a_folder_is_parsed_in_one_process_with_a_line_per_file_and_a_summary(tmp_path, capsys):
    from forms import get_form, sample_record, validate_record
    from generator.pdf import render_pdf

    folder = tmp_path / "uploads"
    (folder / "sub").mkdir(parents=True)
    ids = ["jingdezhen-application", "hunan-commitment", "jilin-application"]
    for i, fid in enumerate(ids):
        spec = get_form(fid)
        where = folder / "sub" if i == 2 else folder
        (where / f"{fid}.pdf").write_bytes(render_pdf(
            spec, validate_record(spec, sample_record(spec, "typical")), typing_font="viewer"))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nothing else")
    (folder / "readme.txt").write_text("not a pdf", encoding="utf-8")
    assert main(["parse", str(folder), "--json"]) == 3  # one file could not be read
    out, err = capsys.readouterr()
    lines = [json.loads(ln) for ln in out.splitlines()]
    assert sorted(ln["file"].rsplit("/", 1)[1] for ln in lines) == sorted(
        [f"{i}.pdf" for i in ids] + ["broken.pdf"])
    ok = {ln["result"]["form"] for ln in lines if ln["ok"]}
    assert ok == set(ids)
    bad = next(ln for ln in lines if not ln["ok"])
    assert bad["error"]["code"] == "pdf_malformed" and bad["error"]["message_zh"]
    assert "读取 3，损坏 1，不支持 0" in err and "read 3, damaged 1, unsupported 0" in err
    # all readable: exit 0, and a readable line per file
    (folder / "broken.pdf").unlink()
    assert main(["parse", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.count("✓ ") == 3
    # a folder with a single PDF is still a folder: a JSON line and the summary
    single = tmp_path / "single"
    single.mkdir()
    (single / "one.pdf").write_bytes((folder / "jingdezhen-application.pdf").read_bytes())
    assert main(["parse", str(single), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["file"].endswith("one.pdf") and "读取 1，损坏 0，不支持 0" in err
    # a folder without PDFs, and stdin among several files, are usage errors
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["parse", str(empty)]) == 2
    assert main(["parse", str(folder / "jingdezhen-application.pdf"), "-"]) == 2
    capsys.readouterr()
