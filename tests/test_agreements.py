"""The three Shanxi service agreements, word for word, in both formats.

The seed (003, 附件3-5; its text as printed in sources/data/shanxi.txt) is cut into its own units here, independently of the text
sources: the title, the party header, the preamble, each chapter heading, each
article (with its paragraphs and items) and the signature block.  The seed's
units, after the errata listed in sources/data/errata.yaml and with the parties' values
put into its blanks, must follow one another exactly in the text read back from
the PDF (pdfplumber, inside the 版心) and from the DOCX (python-docx): an article
missing, added, moved or changed fails the test and names the article.
Whitespace is ignored (the transcription's spaces and line breaks, the
ideographic spaces that spread 甲　　方); nothing else is normalised.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest
import yaml
from docx import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf import PdfReader

import sources
from forms.errors import AgreementTextInvalid, PartiesInvalid, UnknownAgreement
from generator.agreement import (
    CATEGORIES,
    SIGNATURE_FIELDS,
    all_agreements,
    get_agreement,
    parse_text,
    parties_hash,
    render_agreement,
    validate_parties,
)
from generator.agreement._docx import build_template
from forms import read_stamp
from generator.pdf import _document as D

ROOT = Path(__file__).resolve().parents[1]
SEED = "003_db5c35c3860acea5.txt"
TITLES = {"medical": "山西省工伤保险 医疗服务协议", "rehab": "山西省工伤保险 康复服务协议",
          "assistive": "山西省工伤保险 辅助器具配置服务协议"}
ATTACHMENT = {"medical": "附件3", "rehab": "附件4", "assistive": "附件5"}
ARTICLES = {"medical": 51, "rehab": 43, "assistive": 45}

# hostile and rare characters: each must come back literally
PARTIES = {
    "party_a": {"name": "太原市社会保险中心", "representative": "张三",
                "address": "山西省太原市小店区长治路123号", "postcode": "030001",
                "telephone": "0351-4123456", "signed_on": "2024-07-01"},
    "party_b": {"name": "A&B<康复>/医院\\..{{x}}", "representative": "王堃喆",
                "address": "山西省太原市迎泽区迎泽大街某某号某某大厦十二层一二〇八室（东侧入口，"
                           "近地铁二号线某站C口）“测试”",
                "postcode": "030002", "telephone": "13812345678", "signed_on": "2024-07-02"},
    "city": "太原",
}
VALUES = [PARTIES[p][f] for p in ("party_a", "party_b")
          for f in ("name", "representative", "address", "postcode", "telephone")]
DATES = ["2024年7月1日", "2024年7月2日"]

_WS = re.compile(r"\s+")
_UNIT = re.compile(r"^第[一二三四五六七八九十]+[章条]")
_SIGNATURE = re.compile(r"^甲方：?（[签盖]章）")


def norm(s: str) -> str:
    return _WS.sub("", s)


# ---------------------------------------------------------------- the seed, cut into units

def errata() -> list[dict]:
    """The errata of sources/data, each with the transcription it corrects."""
    return [{**e.to_dict(), "seed": e.seed} for e in sources.errata()]


def seed_region(category: str) -> str:
    lines = sources.by_seed(SEED).printed.split("\n")
    start = lines.index(TITLES[category])
    end = start + 1
    while end < len(lines) and lines[end] not in TITLES.values() and lines[end] != "附件6":
        end += 1
    region = "\n".join(lines[start:end])
    for e in errata():  # every erratum of the seed, as tests/test_specs.py applies them
        if e["seed"] == SEED:
            region = region.replace(e["printed"], e["corrected"])
    return region


def seed_units(category: str, values: list[str] | None, city: str, dates: list[str]):
    """[(label, normalised text)] of the seed's agreement, blanks filled."""
    blocks = [norm(b) for b in re.split(r"\n\s*\n", seed_region(category)) if b.strip()]
    units = [("标题", blocks[0])]
    i = 1
    header = []
    while not blocks[i].startswith("为"):
        header.append(blocks[i])
        i += 1
    units.append(("约首", "".join(header)))
    units.append(("序言", blocks[i]))
    sig_at = next(k for k in range(i, len(blocks)) if _SIGNATURE.match(blocks[k]))
    for b in blocks[i + 1:sig_at]:
        m = _UNIT.match(b)
        if m:
            units.append((m.group(), b))
        else:  # a further paragraph or item of the article, or a piece broken at a page end
            label, t = units[-1]
            units[-1] = (label, t + b)
    units.append(("签署栏", "".join(blocks[sig_at:])))
    out = []
    vals = iter(values or [""] * 10)
    for label, t in units:
        if label == "约首":
            t = re.sub("_+", lambda m: next(vals), t)
        t = t.replace("**", city)
        if label == "签署栏":
            for d in dates:
                t = t.replace("年月日", "\0" + d, 1) if d else t.replace("年月日", "\0年月日", 1)
            t = t.replace("\0", "")
        out.append((label, t))
    return out


def assert_same_text(got: str, units, what: str) -> None:
    pos = 0
    for label, t in units:
        if not got.startswith(t, pos):
            k = 0
            while k < len(t) and pos + k < len(got) and got[pos + k] == t[k]:
                k += 1
            pytest.fail(f"{what}: {label} differs at character {k}:\n"
                        f"  seed:     …{t[max(0, k - 15):k + 25]}\n"
                        f"  rendered: …{got[pos + max(0, k - 15):pos + k + 25]}")
        pos += len(t)
    assert pos == len(got), f"{what}: text after the signature block: {got[pos:pos + 60]!r}"


# ---------------------------------------------------------------- reading the documents

def pdf_text(data: bytes) -> str:
    """The text inside the 版心 of every page, in reading order (page numbers left out)."""
    box = (D.MARGIN_LEFT - 2, D.MARGIN_TOP - 2, D.MARGIN_LEFT + D.TEXT_W + 2,
           D.MARGIN_TOP + D.TEXT_H + 2)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(p.crop(box).extract_text() or "" for p in pdf.pages)


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    out = []
    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:p"):
            out.append(Paragraph(child, doc).text)
        elif child.tag == qn("w:tbl"):
            for row in Table(child, doc).rows:
                out.extend(c.text for c in row.cells)
    return "\n".join(out)


@pytest.fixture(scope="module")
def rendered():
    """Each agreement filled with PARTIES, as PDF and DOCX, and read back."""
    out = {}
    for c in CATEGORIES:
        pdf = render_agreement("shanxi", c, PARTIES, "pdf")
        docx = render_agreement("shanxi", c, PARTIES, "docx")
        out[c] = {"pdf": pdf, "docx": docx, "pdf_text": norm(pdf_text(pdf)),
                  "docx_text": norm(docx_text(docx))}
    return out


# ---------------------------------------------------------------- the texts

def test_three_texts_load_with_every_article():
    texts = {t.category: t for t in all_agreements()}
    assert set(texts) == set(CATEGORIES)
    for c, t in texts.items():
        assert t.id == f"shanxi-{c}" and t.attachment == ATTACHMENT[c]
        assert [a.number for a in t.articles()] == list(range(1, ARTICLES[c] + 1))
        assert t.title == norm(TITLES[c]) and len(t.spec_hash) == 64


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_rendered_text_equals_the_seed_article_by_article(rendered, category, fmt):
    units = seed_units(category, VALUES, PARTIES["city"], DATES)
    assert sum(1 for label, _t in units if label.endswith("条")) == ARTICLES[category]
    assert_same_text(rendered[category][f"{fmt}_text"], units, f"{category} {fmt}")


@pytest.mark.parametrize("category", CATEGORIES)
def test_pdf_and_docx_carry_the_same_text(rendered, category):
    """DESIGN §1: one text source, two formats, the same text."""
    assert rendered[category]["pdf_text"] == rendered[category]["docx_text"]


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_blank_agreement_keeps_the_blanks(fmt):
    data = render_agreement("shanxi", "rehab", None, fmt)
    got = norm(pdf_text(data) if fmt == "pdf" else docx_text(data))
    assert_same_text(got, seed_units("rehab", None, "", ["", ""]), f"blank rehab {fmt}")


def test_the_term_and_the_city_are_the_parties(rendered):
    two = dict(PARTIES, term_years=2, city="大同市")
    got = norm(pdf_text(render_agreement("shanxi", "assistive", two, "pdf")))
    assert "本协议有效期两年。" in got and "本协议有效期一年" not in got
    assert "“山西省（大同市）工伤保险辅助器具配置服务协议机构”" in got
    for c in CATEGORIES:
        for fmt in ("pdf", "docx"):
            assert "本协议有效期一年。" in rendered[c][f"{fmt}_text"]


def test_every_agreement_erratum_is_in_the_seed_and_applied():
    seed = sources.by_seed(SEED).printed
    mine = [e for e in errata() if e["seed"] == SEED and e["where"][:3] in ("附件3", "附件4",
                                                                            "附件5")]
    assert len(mine) >= 20
    texts = {t.attachment: t for t in all_agreements()}
    for e in mine:
        assert seed.count(e["printed"]) == 1, e["printed"]
        assert e["corrected"] in texts[e["where"][:3]].official_text(), e["corrected"]
    corrections = {(e["printed"], e["corrected"]) for e in mine}
    assert ("第二十八 甲乙双方任何一方", "第二十八条甲乙双方任何一方") in corrections


# ---------------------------------------------------------------- party values, both formats

@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_party_values_stand_after_their_labels(rendered, fmt):
    got = rendered["medical"][f"{fmt}_text"]
    for party, label in (("party_a", "甲方"), ("party_b", "乙方")):
        p = PARTIES[party]
        line = (f"{label}：{norm(p['name'])}法定代表人或委托代理人：{p['representative']}"
                f"地址：{norm(p['address'])}邮政编码：{p['postcode']}联系电话：{p['telephone']}")
        assert line in got
    # the hostile name once, literally (& < > / \ .. and template syntax)
    assert got.count("A&B<康复>/医院\\..{{x}}") == 1
    assert "“山西省（太原市）工伤保险医疗服务协议机构”" in got
    assert got.endswith("甲方（签章）：乙方（签章）：法人代表（签名）：法人代表（签名）："
                        "2024年7月1日2024年7月2日")


def test_pdf_values_sit_in_the_header_and_the_dates_under_the_signatures(rendered):
    with pdfplumber.open(io.BytesIO(rendered["medical"]["pdf"])) as pdf:
        first = pdf.pages[0]
        words = first.extract_words()
        rep = next(w for w in words if "王堃喆" in w["text"])
        label = next(w for w in words if w["text"].startswith("法定代表人或委托代理人")
                     and w["top"] > 200 and abs(w["top"] - rep["top"]) < 2)
        assert rep["x0"] >= label["x0"]
        last = pdf.pages[-1]
        date_b = next(w for w in last.extract_words() if "2024年7月2日" in w["text"])
        seal_b = next(w for w in last.extract_words() if w["text"].startswith("乙方（签章）"))
        assert date_b["top"] > seal_b["top"] and date_b["x0"] > last.width / 2


# ---------------------------------------------------------------- the PDF as a document

def test_pdf_signature_fields_outline_pages_and_metadata(rendered):
    text = get_agreement("shanxi", "medical")
    data = rendered["medical"]["pdf"]
    r = PdfReader(io.BytesIO(data))
    fields = r.get_fields()
    assert set(SIGNATURE_FIELDS) <= set(fields)
    for name in SIGNATURE_FIELDS:
        assert fields[name]["/FT"] == "/Sig" and "/V" not in fields[name]
    # on the last page, with the block's labels
    last = r.pages[-1]
    names = {a.get_object()["/T"] for a in last["/Annots"]}
    assert names == set(SIGNATURE_FIELDS)
    for p in r.pages[:-1]:
        assert "/Annots" not in p
    # A4, every page numbered
    assert all(abs(float(p.mediabox.width) - 595.28) < 0.1 and
               abs(float(p.mediabox.height) - 841.89) < 0.1 for p in r.pages)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for i, p in enumerate(pdf.pages, 1):
            foot = p.crop((0, D.MARGIN_TOP + D.TEXT_H + 2, p.width, p.height)).extract_text()
            assert norm(foot) == f"—{i}—"
    # a bookmark per chapter, the articles under them
    top = [o for o in r.outline if not isinstance(o, list)]
    assert [o.title for o in top] == [f"{c.label}\u3000{c.heading}" for c in text.chapters]
    kids = [o for o in r.outline if isinstance(o, list)]
    assert [[k.title for k in ks] for ks in kids] == [
        [a.label for a in c.articles] for c in text.chapters]
    assert r.get_destination_page_number(top[0]) == 0
    # identity and the hash of the parties
    meta = r.metadata
    assert meta["/XieyiForm"] == "shanxi-medical" and meta["/XieyiVersion"] == text.version
    assert meta["/XieyiSpecHash"] == text.spec_hash
    assert meta["/XieyiPartiesHash"] == parties_hash(validate_parties(text, PARTIES))
    assert meta.title == "山西省工伤保险医疗服务协议"
    stamp = read_stamp(meta.subject, meta["/Keywords"])
    assert (stamp.form_id, stamp.spec_hash) == ("shanxi-medical", text.spec_hash)


@pytest.mark.skipif(not shutil.which("qpdf"), reason="qpdf missing")
def test_pdf_is_clean_for_qpdf(rendered, tmp_path):
    f = tmp_path / "a.pdf"
    f.write_bytes(rendered["rehab"]["pdf"])
    r = subprocess.run(["qpdf", "--check", str(f)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_signature_block_never_stands_alone():
    """However long the header gets, the block shares its page with the end of the last
    article (without the keep rule, rehab's block would stand alone for most of these)."""
    for extra in range(195, 360, 13):  # long addresses push the pagination along
        p = dict(PARTIES)
        p["party_b"] = dict(PARTIES["party_b"], address="山" * (20 + min(extra, 180)))
        p["party_a"] = dict(PARTIES["party_a"], address="山" * (20 + max(0, extra - 180)))
        data = render_agreement("shanxi", "rehab", p, "pdf")
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            last = norm(pdf.pages[-1].extract_text())
        assert "甲方（签章）" in last, extra
        assert not last.startswith("甲方（签章）"), extra


def test_pdf_hash_changes_with_the_parties_only():
    text = get_agreement("shanxi", "medical")
    a = render_agreement("shanxi", "medical", PARTIES, "pdf")
    b = render_agreement("shanxi", "medical", PARTIES, "pdf")
    assert a == b  # deterministic
    other = dict(PARTIES, city="晋中")
    meta = PdfReader(io.BytesIO(render_agreement("shanxi", "medical", other, "pdf"))).metadata
    assert meta["/XieyiPartiesHash"] == parties_hash(validate_parties(text, other))
    assert meta["/XieyiPartiesHash"] != PdfReader(io.BytesIO(a)).metadata["/XieyiPartiesHash"]


# ---------------------------------------------------------------- the DOCX

def test_docx_template_variables_are_the_placeholders():
    from docxtpl import DocxTemplate

    for t in all_agreements():
        tpl = DocxTemplate(io.BytesIO(build_template(t)))
        assert tpl.get_undeclared_template_variables() == {"party_a", "party_b", "city", "term"}


def test_docx_stamp_and_chapter_outline(rendered):
    text = get_agreement("shanxi", "rehab")
    doc = Document(io.BytesIO(rendered["rehab"]["docx"]))
    core = doc.core_properties
    stamp = read_stamp(core.subject, core.keywords)
    assert (stamp.form_id, stamp.version, stamp.spec_hash) == (
        "shanxi-rehab", text.version, text.spec_hash)
    assert f"xieyi-parties={parties_hash(validate_parties(text, PARTIES))}" in core.keywords
    headings = [p.text for p in doc.paragraphs
                if p._p.pPr is not None and p._p.pPr.find(qn("w:outlineLvl")) is not None]
    assert headings == [f"{c.label}\u3000{c.heading}" for c in text.chapters]
    sec = doc.sections[0]
    assert round(sec.page_width.mm) == 210 and round(sec.page_height.mm) == 297


@pytest.mark.libreoffice
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice missing")
def test_docx_exported_by_libreoffice_says_the_same(rendered, tmp_path):
    """A person who opens the DOCX and exports a PDF gets the same text and the stamp."""
    src = tmp_path / "a.docx"
    src.write_bytes(rendered["assistive"]["docx"])
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
                   check=True, capture_output=True, timeout=120)
    data = (tmp_path / "a.pdf").read_bytes()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        got = norm("\n".join(p.extract_text() or "" for p in pdf.pages))
        meta = pdf.metadata
    got = re.sub(r"—\d+—", "", got)  # the footers' page numbers
    assert_same_text(got, seed_units("assistive", VALUES, PARTIES["city"], DATES), "LibreOffice")
    stamp = read_stamp(meta.get("Subject"), meta.get("Keywords"))
    assert stamp.form_id == "shanxi-assistive"


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("change, field, code", [
    (lambda p: p["party_b"].pop("telephone"), "party_b.telephone", "required"),
    (lambda p: p["party_a"].update(name="  "), "party_a.name", "required"),
    (lambda p: p["party_b"].update(postcode="03000"), "party_b.postcode", "postcode"),
    (lambda p: p["party_b"].update(postcode="0300011"), "party_b.postcode", "postcode"),
    (lambda p: p["party_a"].update(telephone="12345"), "party_a.telephone", "telephone"),
    (lambda p: p["party_a"].update(telephone="4123456"), "party_a.telephone", "telephone"),
    (lambda p: p.update(city="北京"), "city", "city"),
    (lambda p: p.update(term_years=3), "term_years", "term"),
    (lambda p: p["party_b"].update(signed_on="2030-01-01"), "party_b.signed_on", "date_range"),
    (lambda p: p["party_b"].update(fax="1"), "party_b.fax", "unknown"),
    (lambda p: p.pop("party_a"), "party_a", "required"),
])
def test_bad_party_data_is_named_per_field(change, field, code):
    import copy

    p = copy.deepcopy(PARTIES)
    change(p)
    with pytest.raises(PartiesInvalid) as ei:
        render_agreement("shanxi", "medical", p, "pdf")
    e = ei.value
    assert e.exit_status == 2 and e.http_status == 422
    assert [(d.field, d.code) for d in e.details] == [(field, code)]
    d = e.details[0]
    assert field in d.message_en and re.search(r"[\u4e00-\u9fff]", d.message_zh)


def test_unprintable_character_is_reported_on_its_field():
    p = dict(PARTIES, party_b=dict(PARTIES["party_b"], name="医院\U0001F600"))
    with pytest.raises(PartiesInvalid) as ei:
        render_agreement("shanxi", "medical", p, "pdf")
    assert ei.value.details[0].field == "party_b.name"


def test_unknown_category_and_jurisdiction():
    with pytest.raises(UnknownAgreement) as ei:
        get_agreement("shanxi", "dental")
    assert ei.value.details[0].field == "category" and ei.value.http_status == 422
    with pytest.raises(UnknownAgreement) as ei:
        get_agreement("tianjin", "medical")
    assert ei.value.details[0].field == "jurisdiction"


def test_full_width_digits_are_accepted_as_typed():
    p = dict(PARTIES, party_b=dict(PARTIES["party_b"], postcode="０３０００２",
                                   telephone="（0351）4123456"))
    typed = validate_parties(get_agreement("shanxi", "rehab"), p)
    assert typed["party_b"]["postcode"] == "030002"
    assert typed["party_b"]["signed_on"] == dt.date(2024, 7, 2)


# ---------------------------------------------------------------- the loader is strict

def _raw(category: str = "rehab") -> tuple[dict, Path]:
    from generator.agreement import TEXT_DIR

    path = TEXT_DIR / f"shanxi-{category}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")), path


@pytest.mark.parametrize("spoil, message", [
    (lambda r: r["chapters"][4]["articles"][5]["items"].__setitem__(1, "(二)协议有效期内，累计2次发生医疗事故的；"),
     "'('"),
    (lambda r: r["chapters"][0]["articles"].pop(3), "条号"),
    (lambda r: r["chapters"][0]["articles"][5].__setitem__("text", "甲乙双方有义务对互相提供的有关资料承担保密"), "结尾"),
    (lambda r: r["chapters"][0]["articles"][0].__setitem__("text", "甲乙双方 应严格遵守。"), "' '"),
    (lambda r: r["chapters"][4]["articles"][5]["items"].__setitem__(0, "（一）通过伪造。"), "编号"),
    (lambda r: r.__setitem__("preamble", "{city}" + r["preamble"]), "恰好出现一次"),
    (lambda r: r.__setitem__("colour", "red"), "不认识的键"),
    (lambda r: r["signature"].__setitem__("seal", ["甲方（签章）："]), "两栏"),
])
def test_loader_rejects_transcription_defects(spoil, message):
    raw, path = _raw()
    parse_text(raw, path)  # the file itself is fine
    spoil(raw)
    with pytest.raises(AgreementTextInvalid) as ei:
        parse_text(raw, path)
    assert message in ei.value.message_zh
