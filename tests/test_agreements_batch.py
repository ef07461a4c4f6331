"""Agreements one or many at a time: the command line, batches, the service."""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile

import pytest
from pypdf import PdfReader

from api.cli import main
from generator.agreement import SIGNATURE_FIELDS, safe_stem

AGENCY = {"name": "太原市社会保险中心", "representative": "张三",
          "address": "山西省太原市小店区长治路123号", "postcode": "030001",
          "telephone": "0351-4123456"}


def institution(i: int) -> dict:
    return {"name": f"太原市第{i}医院", "representative": "王堃喆",
            "address": f"山西省太原市迎泽区迎泽大街{i}号", "postcode": "030002",
            "telephone": f"138{i:08d}"}


PARTIES = {"party_a": AGENCY, "party_b": institution(1), "city": "太原"}


# ---------------------------------------------------------------- one agreement


def test_cli_writes_pdf_and_docx(tmp_path, capsys):
    data = tmp_path / "p.json"
    data.write_text(json.dumps(PARTIES, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "a.pdf"
    assert main(["agreement", "shanxi", "medical", "--data", str(data), "-o", str(out)]) == 0
    r = PdfReader(out)
    assert r.metadata["/XieyiForm"] == "shanxi-medical"
    assert set(SIGNATURE_FIELDS) <= set(r.get_fields())
    out2 = tmp_path / "a.bin"
    assert main(["agreement", "shanxi", "assistive", "--data", str(data), "--format", "docx",
                 "-o", str(out2)]) == 0
    assert zipfile.is_zipfile(out2)
    blank = tmp_path / "blank.pdf"
    assert main(["agreement", "shanxi", "rehab", "-o", str(blank)]) == 0
    assert "written" in capsys.readouterr().out


@pytest.mark.parametrize("args, words", [
    (["agreement", "shanxi", "dental"], ["category", "medical、rehab、assistive"]),
    (["agreement", "hunan", "medical"], ["jurisdiction"]),
])
def test_cli_unknown_category_exits_2(tmp_path, capsys, args, words):
    out = tmp_path / "x.pdf"
    assert main(args + ["-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert all(w in err for w in words) and not out.exists()


@pytest.mark.parametrize("change, needle", [
    (lambda p: p["party_b"].pop("address"), "party_b.address"),
    (lambda p: p["party_b"].update(postcode="1234"), "party_b.postcode: must be six digits"),
    (lambda p: p["party_a"].update(telephone="电话"), "party_a.telephone: is not a telephone"),
])
def test_cli_bad_parties_exit_2_and_write_nothing(tmp_path, capsys, change, needle):
    p = copy.deepcopy(PARTIES)
    change(p)
    data = tmp_path / "p.json"
    data.write_text(json.dumps(p, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "a.pdf"
    assert main(["agreement", "shanxi", "medical", "-d", str(data), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "parties_invalid" in err
    assert not out.exists() and list(tmp_path.iterdir()) == [data]


# ---------------------------------------------------------------- batches


def _csv(path, rows, header=("name", "representative", "address", "postcode", "telephone")):
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])


def test_batch_of_200_gives_200_files_and_a_zip(tmp_path, capsys):
    rows = [institution(i) for i in range(1, 201)]
    src = tmp_path / "rows.csv"
    _csv(src, rows)
    common = tmp_path / "agency.json"
    common.write_text(json.dumps({"party_a": AGENCY, "city": "太原"}, ensure_ascii=False),
                      encoding="utf-8")
    out = tmp_path / "out"
    assert main(["agreements", "shanxi", "medical", "--parties", str(src),
                 "--common", str(common), "-o", str(out)]) == 0
    pdfs = sorted(p.name for p in out.glob("*.pdf"))
    assert len(pdfs) == 200 and "太原市第1医院.pdf" in pdfs and "太原市第200医院.pdf" in pdfs
    with zipfile.ZipFile(out / "shanxi-medical-pdf.zip") as z:
        assert sorted(z.namelist()) == pdfs
        assert z.read("太原市第37医院.pdf") == (out / "太原市第37医院.pdf").read_bytes()
    r = PdfReader(out / "太原市第37医院.pdf")
    assert "太原市第37医院" in "".join(p.extract_text() for p in r.pages[:1])
    err = capsys.readouterr().err
    # stderr is no terminal here: plain progress lines, not a bar
    assert "进度 / progress: 200/200" in err and "\r" not in err


def test_batch_reports_a_bad_row_and_writes_the_others(tmp_path, capsys):
    rows = [dict(institution(i), **{"party_a": AGENCY}) for i in range(1, 21)]
    rows[6]["postcode"] = "03000"  # row 7
    rows[11]["telephone"] = ""  # row 12
    src = tmp_path / "rows.json"
    body = [{"party_a": AGENCY, "party_b": {k: v for k, v in r.items() if k != "party_a"}}
            for r in rows]
    src.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["agreements", "shanxi", "rehab", "-p", str(src), "-o", str(out),
                 "--format", "docx", "--jobs", "1"]) == 2
    names = {p.name for p in out.glob("*.docx")}
    assert len(names) == 18
    assert "太原市第7医院.docx" not in names and "太原市第12医院.docx" not in names
    with zipfile.ZipFile(out / "shanxi-rehab-docx.zip") as z:
        assert len(z.namelist()) == 18
    err = capsys.readouterr().err
    assert "第 7 行" in err and "row 7" in err and "party_b.postcode" in err
    assert "第 12 行" in err and "party_b.telephone" in err


def test_batch_csv_row_numbers_and_json_common(tmp_path, capsys):
    src = tmp_path / "rows.csv"
    rows = [dict(institution(i), **{"party_a.name": AGENCY["name"]}) for i in range(1, 4)]
    rows[1]["postcode"] = "abc"
    header = ("party_a.name", "name", "representative", "address", "postcode", "telephone")
    _csv(src, rows, header)
    common = tmp_path / "c.json"
    a = {k: v for k, v in AGENCY.items() if k != "name"}
    common.write_text(json.dumps({"party_a": a}), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["agreements", "shanxi", "assistive", "-p", str(src), "-c", str(common),
                 "-o", str(out)]) == 2
    assert len(list(out.glob("*.pdf"))) == 2
    assert "第 2 行（文件第 3 行）" in capsys.readouterr().err


def test_batch_rejects_an_unknown_column(tmp_path, capsys):
    src = tmp_path / "rows.csv"
    _csv(src, [institution(1)], ("name", "fax"))
    assert main(["agreements", "shanxi", "medical", "-p", str(src), "-o",
                 str(tmp_path / "o")]) == 2
    assert "fax" in capsys.readouterr().err


@pytest.mark.parametrize("name, stem", [
    ("A & B <医院>", "A ＆ B ＜医院＞"),
    ("../../etc/passwd", "．．／．．／etc／passwd"),
    ("..", "．．"),
    (".hidden", "．hidden"),
    ("a\\b/c", "a＼b／c"),
    ("CON", "_CON"),
    ("医院. ", "医院"),
    ("\x00\n", "agreement"),
    ("长" * 200, "长" * 60),
])
def test_safe_stem(name, stem):
    s = safe_stem(name)
    assert s == stem[:60] if len(stem) > 80 else s == stem
    assert "/" not in s and "\\" not in s and ".." not in s and not s.startswith(".")
    assert len(s.encode("utf-8")) <= 180


def test_hostile_names_stay_inside_the_folder(tmp_path):
    names = ["A & B <医院> / \\ ..", "../../escape", "..", "同名医院", "同名医院"]
    body = {"common": {"party_a": AGENCY},
            "rows": [{"party_b": dict(institution(i), name=n)} for i, n in enumerate(names)]}
    src = tmp_path / "rows.json"
    src.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "deep" / "out"
    assert main(["agreements", "shanxi", "medical", "-p", str(src), "-o", str(out)]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(["A ＆ B ＜医院＞ ／ ＼ ．．.pdf", "．．／．．／escape.pdf", "．．.pdf",
                            "同名医院.pdf", "同名医院（2）.pdf", "shanxi-medical-pdf.zip"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "rows.json"]
    # the name itself stays exact in the text
    r = PdfReader(out / "A ＆ B ＜医院＞ ／ ＼ ．．.pdf")
    assert "A & B <医院> / \\ .." in r.pages[0].extract_text()


# ---------------------------------------------------------------- the service


def test_post_returns_the_file(client):
    r = client.post("/api/agreements/shanxi/medical?format=pdf", json=PARTIES)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Cache-Control"] == "no-store"
    assert 'filename="shanxi-medical.pdf"' in r.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(r.data))
    assert set(SIGNATURE_FIELDS) <= set(reader.get_fields())
    r = client.post("/api/agreements/shanxi/rehab?format=docx", json=PARTIES)
    assert r.status_code == 200 and zipfile.is_zipfile(io.BytesIO(r.data))
    r = client.post("/api/agreements/shanxi/assistive")  # no body: the blank agreement
    assert r.status_code == 200 and r.data.startswith(b"%PDF")


@pytest.mark.parametrize("path, body, field", [
    ("/api/agreements/shanxi/dental", PARTIES, "category"),
    ("/api/agreements/beijing/medical", PARTIES, "jurisdiction"),
    ("/api/agreements/shanxi/medical", {"party_a": AGENCY}, "party_b"),
    ("/api/agreements/shanxi/medical",
     {**PARTIES, "party_b": dict(institution(1), postcode="0300")}, "party_b.postcode"),
    ("/api/agreements/shanxi/medical",
     {**PARTIES, "party_b": dict(institution(1), telephone="123")}, "party_b.telephone"),
    ("/api/agreements/shanxi/medical?format=odt", PARTIES, "format"),
])
def test_bad_input_is_422_per_field(client, path, body, field):
    r = client.post(path, json=body)
    assert r.status_code == 422
    j = r.get_json()
    assert [d["field"] for d in j["details"]] == [field]
    assert j["details"][0]["message_zh"] and j["details"][0]["message_en"]


def test_list_and_openapi(client):
    r = client.get("/api/agreements")
    assert [a["id"] for a in r.get_json()] == ["shanxi-medical", "shanxi-rehab",
                                                "shanxi-assistive"]
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "/api/agreements/{jurisdiction}/{category}" in paths
