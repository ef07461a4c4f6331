"""Sources: the five regulation texts the project carries, their errata, and citations.

The texts live in sources/data (nothing outside the repository is read).  Each citation a
finding, a score or a deadline carries opens its article: ``xieyi rules cite`` and
``GET /api/sources/…`` give the article's full, corrected text with its document.
"""

from __future__ import annotations

import copy
import json
import hashlib
from pathlib import Path

import pytest

import rules
import sources
from sources import ArticleNotFound, UnknownSource
from sources._loader import DATA, apply_errata, split_file

ROOT = Path(__file__).resolve().parents[1]


def test_every_source_is_in_the_project_with_its_metadata():
    got = {s.jurisdiction: s for s in sources.all_sources()}
    assert set(got) == {"jilin", "tianjin", "jingdezhen", "shanxi", "hunan"}
    assert got["shanxi"].number == "晋人社厅发〔2022〕55号"
    assert got["shanxi"].issuing_body == "山西省人力资源和社会保障厅"
    assert str(got["shanxi"].valid_to) == "2024-08-07"
    assert str(got["hunan"].valid_to) == "2024-05-31"
    assert got["hunan"].number == "湘人社规〔2022〕10号"
    for s in got.values():
        assert s.issuing_body and s.title and s.valid_from and s.published
        raw = (DATA / f"{s.jurisdiction}.txt").read_bytes()
        # the text as printed is kept byte for byte: its checksum is the transcription's
        assert hashlib.sha256(split_file(raw, s.jurisdiction)[1]).hexdigest() == s.sha256
        assert s.sections, s.jurisdiction


def test_nothing_reads_outside_the_repository():
    for path in [*ROOT.glob("*/*.py"), *ROOT.glob("*/*/*.py"), *ROOT.glob("scripts/*")]:
        if ".venv" in path.parts or path.name in ("test_parse_hostile.py", "test_sources.py"):
            continue  # the hostile-file tests use ../shared/corpus when it is there, else skip
        text = path.read_text(encoding="utf-8", errors="replace")
        assert "XIEYI_SEEDS" not in text and "shared/seeds" not in text, path


@pytest.mark.parametrize("jurisdiction,article,key,words", [
    ("shanxi", "第三十四条", "第三十四条", "年度考核90分以上（含90分）的，全额返还履约保证金"),
    ("shanxi", "34", "第三十四条", "60分以下的，全部扣除"),
    ("shanxi", "第十一条（六）", "第十一条 （六）", "正在进行调查或作出行政处罚的"),
    ("jilin", "第十条", "附件 第十条", "通过履约能力评估（60分以上）的申报机构"),
    ("tianjin", "附件1 六", "附件1 六", "可不再单独进行评估"),
    ("jingdezhen", "五", "五", "经办机构可解除服务协议"),
    ("hunan", "第十一条（五）", "第十一条 （五）", "公示时间为5个工作日"),
])
def test_cite_opens_the_article_of_each_jurisdiction(jurisdiction, article, key, words):
    c = sources.cite(jurisdiction, article)
    assert c["key"] == key and c["exact"]
    assert words in "".join(c["text"].split())
    src = sources.get_source(jurisdiction)
    assert c["document"] == src.document and c["number"] == src.number
    assert c["url"].startswith(f"/api/sources/{jurisdiction}/articles/")


def test_cite_uses_the_corrected_text_and_shows_the_printed_one():
    # 湖南 第1章 is printed with an Arabic numeral; what xieyi reproduces says 第一章
    src = sources.get_source("hunan")
    assert "第1章" in src.printed and "第1章" not in src.corrected and "第一章" in src.corrected
    c = sources.cite("hunan", "第三十条")
    assert "（五）其他造成严重后果或重大影响" in c["text"].replace(" ", "")
    assert "（5）" in c["printed"] and "（5）" not in c["text"]
    assert [e["certainty"] for e in c["errata"]] == ["certain"]
    assert c["errata"][0]["printed"].startswith("（5）")
    # the item is citable by its corrected number
    assert "媒体曝光" in sources.cite("hunan", "第三十条（五）")["text"]


def test_an_unknown_article_or_jurisdiction_is_a_typed_error():
    with pytest.raises(ArticleNotFound) as info:
        sources.cite("shanxi", "第九十九条")
    assert "第九十九条" in info.value.zh and info.value.en
    with pytest.raises(UnknownSource):
        sources.cite("beijing", "1")


def test_every_rule_citation_resolves_to_an_article():
    """Every finding's reference opens: each rule's and each step's citation resolves."""
    bad = []
    for rs in rules.rule_sets():
        cites = [c for r in rs.rules for c in (r.citation, *r.also)]
        cites += [s.citation for s in rs.steps]
        for c in cites:
            ref = c.to_dict()["reference"]
            if ref is None:
                bad.append((rs.jurisdiction, c.article))
                continue
            opened = sources.cite(ref["jurisdiction"], ref["key"])
            if "".join(c.quote.split()) not in "".join(opened["text"].split()):
                # the quote lies in the article the reference opens (or its parent)
                whole = sources.cite(ref["jurisdiction"], ref["key"].split(" ")[0])
                if "".join(c.quote.split()) not in "".join(whole["text"].split()):
                    bad.append((rs.jurisdiction, c.article, ref["key"]))
    assert not bad, bad


def test_a_finding_carries_a_reference_that_resolves():
    facts = rules.parse_profile({"category": "medical", "hospital_level": 1})
    report = rules.validate(facts, "jilin", "medical", on="2026-03-01")
    refs = [f["citation"]["reference"] for f in report["findings"]]
    assert refs and all(r is not None and r["exact"] for r in refs)
    for r in refs:
        assert sources.cite(r["jurisdiction"], r["key"])["key"] == r["key"]


def test_every_erratum_says_how_sure_it_is():
    es = sources.errata()
    assert es and {e.certainty for e in es} == {"certain", "probable"}
    probable = {(e.printed, e.corrected) for e in es if e.certainty == "probable"}
    assert ("手术次费 用(元)", "手术次均费用（元）") in probable
    assert ("线状镜、线状镜、", "线状镜、") in probable
    # users read why in Chinese; a probable one says the printed words may stand for another
    for e in es:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in e.reason_zh), e.reason_zh
    assert all("也可能" in e.reason_zh for e in es if e.certainty == "probable")


def test_errata_that_do_not_match_the_printed_text_are_refused():
    src = sources.get_source("jingdezhen")
    e = next(e for e in sources.errata() if e.source == "jingdezhen")
    ghost = copy.copy(e)
    object.__setattr__(ghost, "printed", "这段文字不在原文中")
    with pytest.raises(sources.SourceDataError):
        apply_errata(src.printed, [ghost])
    text, marks = apply_errata(src.printed, [e])
    assert e.printed not in text and e.corrected in text and len(marks) >= 1


# ---------------------------------------------------------------------------------------
# the command line and the service give the same article

def test_rules_cite_prints_the_article_its_document_and_number(capsys):
    from api.cli import main

    assert main(["rules", "cite", "shanxi", "第三十四条"]) == 0
    out = capsys.readouterr().out
    assert "晋人社厅发〔2022〕55号" in out and "第三十四条" in out
    assert "年度考核60分以下的，全" in out and "期满失效" in out
    assert main(["rules", "cite", "shanxi", "34", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["key"] == "第三十四条" and got["validity"]["status"] == "expired"
    assert main(["rules", "cite", "shanxi", "第九十九条"]) == 2
    err = capsys.readouterr().err
    assert "山西省文件中没有“第九十九条”" in err and "no article" in err
    # the listing still works beside the sub-command
    assert main(["rules", "--jurisdiction", "jilin", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["jurisdiction"] == "jilin"


def test_api_sources_answers_as_the_cli(client, capsys):
    from api.cli import main

    main(["rules", "cite", "hunan", "第三十条（五）", "--json"])
    cli = json.loads(capsys.readouterr().out)
    r = client.get(cli["url"])
    assert r.status_code == 200 and r.get_json()["text"] == cli["text"]
    assert client.get("/api/sources/hunan/articles/第三十条（五）").get_json() == \
        {**cli, "query": "第三十条（五）"}
    listing = client.get("/api/sources").get_json()
    status = {s["jurisdiction"]: s["validity"]["status"] for s in listing}
    assert status["shanxi"] == status["hunan"] == "expired" and status["jilin"] == "in_force"
    assert all(e["certainty"] in ("certain", "probable") for s in listing for e in s["errata"])
    one = client.get("/api/sources/tianjin").get_json()
    assert "附件1 六" in one["articles"]
    for url, code in (("/api/sources/beijing", "unknown_source"),
                      ("/api/sources/shanxi/articles/第九十九条", "article_not_found")):
        r = client.get(url)
        assert r.status_code == 404 and r.get_json()["code"] == code
        assert r.get_json()["message_zh"] and r.get_json()["message_en"]


def test_a_validation_finding_reference_opens_over_http(client):
    r = client.post("/api/validate", json={"jurisdiction": "shanxi", "category": "medical",
                                           "on": "2023-05-01", "facts": {"hospital_level": 2}})
    assert r.status_code == 200
    for f in r.get_json()["findings"]:
        ref = f["citation"]["reference"]
        opened = client.get(ref["url"])
        assert opened.status_code == 200 and opened.get_json()["key"] == ref["key"]


# ---------------------------------------------------------------------------------------
# expiry and probable corrections, where a user sees forms

def test_validity_on_says_what_an_ended_document_means():
    import datetime as dt

    v = sources.validity_on(dt.date(2022, 8, 8), dt.date(2024, 8, 7), "晋人社厅发〔2022〕55号",
                            dt.date(2024, 8, 8))
    assert v["status"] == "expired" and "已于 2024-08-07 期满失效" in v["message_zh"]
    assert "参考" in v["message_zh"] and "expired" in v["message_en"]
    v = sources.validity_on(dt.date(2022, 8, 8), dt.date(2024, 8, 7), "X", dt.date(2024, 8, 7))
    assert v["status"] == "in_force"  # the last day is still in force
    v = sources.validity_on(dt.date(2026, 1, 30), None, "X", dt.date(2026, 1, 29))
    assert v["status"] == "not_yet_in_force"


def test_forms_mark_expired_documents_in_cli_api_and_home_page(client, capsys):
    from api.cli import main

    assert main(["forms"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("shanxi-application"))
    assert "已失效（2024-08-07 期满）" in line
    assert not any("已失效" in ln for ln in out.splitlines() if ln.startswith("jilin-"))
    assert "湘人社规〔2022〕10号已于 2024-05-31 期满失效" in out
    listing = {f["id"]: f for f in client.get("/api/forms").get_json()}
    assert listing["hunan-application"]["validity"]["status"] == "expired"
    assert listing["jingdezhen-application"]["validity"]["status"] == "in_force"
    page = client.get("/").get_data(as_text=True)
    sections = {sec.split('"', 1)[0]: sec for sec in page.split('<section id="')[1:]}
    assert "已失效" in sections["shanxi"] and "使用前请向当地经办机构确认现行规定" in sections["shanxi"]
    assert "2024-05-31 期满失效" in sections["hunan"]
    assert "已失效" not in sections["jilin"] and "已失效" not in sections["tianjin"]


def test_probable_corrections_are_listed_with_the_form(client, capsys):
    from api.cli import main

    d = client.get("/api/forms/shanxi-application").get_json()
    probable = [e for e in d["errata"] if e["certainty"] == "probable"]
    assert [e["corrected"] for e in probable] == ["手术次均费用（元）"]
    assert main(["forms", "show", "shanxi-eval-optical"]) == 0
    out = capsys.readouterr().out
    assert "勘误（推断" in out and "线状镜、线状镜、" in out
    assert main(["forms", "show", "jingdezhen-application"]) == 0
    assert "勘误（推断" not in capsys.readouterr().out  # its corrections are all certain


def test_the_readme_lists_every_gap_and_overlap_of_the_official_bands():
    import scoring
    from scoring._loader import get_refund

    declared = set()
    for t in scoring.all_tables():
        for it in t.items:
            for c in it.checks:
                if c.type == "bands":
                    declared |= {(t.id, it.id, g.describe(c.unit or ""), g.kind_zh) for g in c.gaps}
    ref = get_refund("shanxi-deposit-refund")
    declared |= {(ref.id, "年度考核得分", g.describe("分"), g.kind_zh) for g in ref.gaps}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## 官方分档的缺口与重叠"):]
    table = table[:table.index("\n## ")]
    listed = set()
    for row in table.splitlines():
        cells = [c.strip() for c in row.strip("|").split("|")]
        if len(cells) == 5 and cells[0].split(" ")[0] in {d[0] for d in declared}:
            listed.add((cells[0].split(" ")[0], cells[1].split(" ")[0], cells[2], cells[3]))
    ranges = {"不足1年": "≥0年且<1年"}
    listed = {(a, b, ranges.get(c, c), d) for a, b, c, d in listed}
    assert listed == declared


def test_the_openapi_document_declares_exactly_what_these_routes_return(client):
    doc = client.get("/api/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    assert {"/api/sources", "/api/sources/{jurisdiction}",
            "/api/sources/{jurisdiction}/articles/{article}"} <= set(doc["paths"])
    got = {
        "Article": client.get("/api/sources/shanxi/articles/34").get_json(),
        "Regulation": client.get("/api/sources/shanxi").get_json(),
        "FormDescription": client.get("/api/forms/shanxi-application").get_json(),
        "Validation": client.post("/api/validate", json={
            "jurisdiction": "shanxi", "category": "medical", "on": "2023-05-01",
            "facts": {}}).get_json(),
    }
    for name, body in got.items():
        assert set(body) == set(schemas[name]["properties"]), name
    assert schemas["Validation"]["properties"]["outcome"]["enum"] == list(rules.OUTCOMES)
    assert set(got["Validation"]["findings"][0]["citation"]) == \
        set(schemas["Citation"]["properties"])


def _citations(o, path=""):
    if isinstance(o, dict):
        if {"document", "article", "quote"} <= set(o):
            yield path, o
        for k, v in o.items():
            yield from _citations(v, f"{path}.{k}")
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from _citations(v, f"{path}[{i}]")


def test_every_score_and_settlement_citation_carries_a_reference_that_opens():
    import scoring
    from scoring import example_input, score, settle

    outputs = [(t.id, score(t.id, example_input(t, "full", k)))
               for t in scoring.all_tables() for k in t.kinds]
    outputs += [("month", settle({"mode": "month", "approved": "100.00"})),
                ("year", settle({"mode": "year", "score": 90, "retained": "100.00"}))]
    seen = 0
    for name, out in outputs:
        for path, c in _citations(out, name):
            ref = c.get("reference")
            assert ref is not None, (path, c["article"])
            opened = sources.cite(ref["jurisdiction"], ref["key"])
            assert opened["key"] == ref["key"], path
            seen += 1
    assert seen > 100


def test_readable_reports_say_how_to_open_each_citation(capsys, tmp_path):
    from api.cli import main

    assert main(["deadline", "-j", "hunan", "-s", "publicity", "--from", "2026-02-13"]) == 0
    out = capsys.readouterr().out
    assert "全文：xieyi rules cite hunan '第十一条 （五）'" in out
    data = tmp_path / "year.json"
    data.write_text('{"score": 85, "retained": "100.00"}', encoding="utf-8")
    assert main(["settle", "year", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "全文：xieyi rules cite shanxi '第三十四条'" in out
    # the command printed opens the article
    assert main(["rules", "cite", "hunan", "第十一条 （五）"]) == 0
    assert "公示时间为5个工作日" in capsys.readouterr().out
