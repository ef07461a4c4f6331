"""The DOCX of every form: template, blank and pre-filled renderings, identity stamp."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from lxml import etree

from forms import Stamp, all_forms, parse_spec, read_stamp, validate_record
from generator.docx import (
    build_template,
    check_templates,
    render_docx,
    template_differences,
    write_templates,
)
from generator.docx._build import _Builder

FORMS = all_forms()
IDS = [s.id for s in FORMS]
ROOT = Path(__file__).resolve().parents[1]

# every hostile or unusual piece a value may hold; each must come out literally
PIECES = [
    "堃喆", "（）；：“”、。", "& < > \" '", "{{ x }}", "{% if %}", "{_{ y }_}", "{# c #}",
    "</w:t>", "&amp;",
]


# ---------------------------------------------------------------- helpers

def body_paragraphs(data: bytes) -> list[str]:
    """The text of each paragraph of the body in reading order, table cells row by
    row; a merged cell counted once (continuations of a vertical merge skipped)."""
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    out: list[str] = []

    def para_text(p) -> str:
        parts = []
        for el in p.iter(qn("w:t"), qn("w:tab"), qn("w:br")):
            if el.tag == qn("w:t"):
                parts.append(el.text or "")
            elif el.tag == qn("w:tab"):
                parts.append("\t")
            elif el.get(qn("w:type")) in (None, "textWrapping"):
                parts.append("\n")
        return "".join(parts)

    def walk(container) -> None:
        for child in container:
            if child.tag == qn("w:p"):
                out.append(para_text(child))
            elif child.tag == qn("w:tbl"):
                for tr in child.iter(qn("w:tr")):
                    for tc in tr.findall(qn("w:tc")):
                        vm = tc.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
                        if vm is not None and vm.get(qn("w:val")) in (None, "continue"):
                            continue
                        walk(tc)

    walk(root.find(qn("w:body")))
    return out


def body_text(data: bytes) -> str:
    return "\n".join(body_paragraphs(data))


def assert_in_order(text: str, pieces: list[str]) -> None:
    pos = 0
    for piece in pieces:
        i = text.find(piece, pos)
        assert i >= 0, f"{piece!r} missing after position {pos}: …{text[pos:pos + 80]!r}"
        pos = i + len(piece)


def _text_value(n: int, max_length: int, k: int) -> str:
    """A value of exactly ``max_length`` characters (the longest allowed), starting
    with one of the hostile pieces and made unique by ``k``."""
    head = PIECES[k % len(PIECES)]
    body = head + f"#{k}" + "".join(itertools.islice(itertools.cycle("堃喆（）；：“”、。&<>\"'"),
                                                   max_length))
    return body[:max_length]


def prefilled(spec) -> tuple[dict, dict]:
    """A full record for ``spec`` (typed, as validate_record returns it) and
    the strings each field must show."""
    counter = itertools.count()
    raw: dict = {}
    expect: dict[str, list[str]] = {}

    def value(f):
        k = next(counter)
        if f.type == "text":
            return _text_value(k, f.max_length, k)
        if f.type == "multiline":
            first = "第一行：" + PIECES[k % len(PIECES)]
            rest = _text_value(k, max(0, f.max_length - len(first) - 1), k + 1)
            return f"{first}\n{rest}"[: f.max_length]
        if f.type == "integer":
            return 7000 + k
        if f.type == "decimal":
            return f"{8000 + k}.{'5' * f.places}" if f.places else str(8000 + k)
        if f.type == "date":
            return f"2024-{k % 12 + 1:02d}-{k % 28 + 1:02d}"
        if f.type == "choice":
            return f.choices[k % len(f.choices)]
        if f.type == "checkbox":
            return k % 2 == 0
        raise AssertionError(f.type)

    def shown(f, v) -> list[str]:
        if f.type == "date":
            d = dt.date.fromisoformat(v)
            return [f"{d.year}年{d.month}月{d.day}日"]
        if f.type == "choice":
            return [f"{c}{'☑' if c == v else '□'}" for c in f.choices]
        if f.type == "checkbox":
            return ["☑" if v else "□"]
        return [str(v)]

    for f in spec.fields:
        if f.type == "rows":
            rows = []
            for _ in range(min(2, f.max_rows)):
                rows.append({c.id: value(c) for c in f.columns})
            raw[f.id] = rows
            expect[f.id] = [s for r in rows for c in f.columns for s in shown(c, r[c.id])]
        else:
            raw[f.id] = value(f)
            expect[f.id] = shown(f, raw[f.id])
    return validate_record(spec, raw, complete=True), expect


# a description that uses what the real forms may not: checkbox fields, rows with
# date / checkbox / multiline columns (one named like a dict method), a page break
# before a table, a cover line, a bold indented paragraph, an empty cell
SYNTHETIC = {
    "id": "test-synthetic",
    "jurisdiction": "test",
    "jurisdiction_name": "测试市",
    "title": "测试用申请表",
    "attachment": None,
    "kind": "application",
    "categories": ["medical"],
    "source": {"seed": "none.txt", "document": "测试〔2024〕1号", "article": "第一条"},
    "version": "2024.1",
    "valid_from": "2024-01-01",
    "valid_to": None,
    "derived": True,
    "derived_note": "本表依据测试〔2024〕1号第一条编制，非官方发布格式",
    "fields": [
        {"id": "applicant", "label": "申请单位", "type": "text", "max_length": 30},
        {"id": "agree", "label": "同意", "type": "checkbox"},
        {"id": "kind", "label": "类别", "type": "choice", "choices": ["医疗", "康复", "辅助器具配置"]},
        {"id": "note", "label": "说明", "type": "multiline", "max_length": 200},
        {"id": "signed", "label": "日期", "type": "date"},
        {"id": "staff", "label": "人员", "type": "rows", "max_rows": 3, "columns": [
            {"id": "items", "label": "姓名", "type": "text", "max_length": 10},
            {"id": "since", "label": "入职", "type": "date"},
            {"id": "senior", "label": "高级", "type": "checkbox"},
            {"id": "duty", "label": "职责", "type": "multiline", "max_length": 40},
        ]},
    ],
    "layout": [
        {"title": "测试用申请表"},
        {"para": {"runs": ["本表依据测试〔2024〕1号第一条编制，非官方发布格式"], "align": "center",
                  "size": 9}},
        {"para": {"runs": ["申请单位：", {"field": "applicant", "width": 80}], "indent": 2}},
        {"para": {"runs": ["同意：", {"field": "agree"}, "　类别：", {"field": "kind"}],
                  "bold": True}},
        {"spacer": 5},
        {"page_break": True},
        {"table": {"columns": [20, 40, 30, 20, 40], "rows": [
            {"cells": ["姓名", "入职", "高级", {"text": "职责", "colspan": 2}], "height": 10},
            {"repeat": "staff", "cells": [
                {"column": "items"}, {"column": "since"}, {"column": "senior"},
                {"column": "duty", "colspan": 2, "align": "left", "valign": "top"}]},
            {"cells": [{"text": "说明", "rowspan": 2}, {"field": "note", "colspan": 3,
                                                     "rowspan": 2, "align": "left"}, {}]},
            {"cells": [{}]},
            {"cells": [{"runs": ["填表日期：", {"field": "signed"}], "colspan": 5,
                        "align": "right"}]},
        ]}},
        {"para": {"runs": ["（单位印章）"], "align": "right", "space_before": 12}},
        {"page_break": True},
    ],
}


@pytest.fixture(scope="module")
def synthetic():
    return parse_spec(SYNTHETIC)


ALL = pytest.mark.parametrize("spec", FORMS, ids=IDS)


# ---------------------------------------------------------------- tests

def test_there_are_forms():
    assert FORMS, "no form descriptions found"


@ALL
def test_template_variables_are_the_field_ids(spec):
    tpl = DocxTemplate(io.BytesIO(build_template(spec)))
    assert tpl.get_undeclared_template_variables() == set(spec.field_ids)


def test_synthetic_template_variables(synthetic):
    tpl = DocxTemplate(io.BytesIO(build_template(synthetic)))
    assert tpl.get_undeclared_template_variables() == set(synthetic.field_ids)


def _check_blank(spec) -> str:
    data = render_docx(spec)
    d = docx.Document(io.BytesIO(data))  # valid: python-docx re-opens it
    assert d.sections[0].page_width is not None
    text = body_text(data)
    assert "{{" not in text and "{%" not in text and "}}" not in text
    assert_in_order(text, spec.official_texts())
    # a blank choice or checkbox shows empty boxes only
    assert "☑" not in text
    return text


@ALL
def test_blank_render(spec):
    _check_blank(spec)


def test_blank_synthetic(synthetic):
    text = _check_blank(synthetic)
    # choices in order, each followed by its box; blank lines to write on
    assert "医疗□ 康复□ 辅助器具配置□" in text
    assert "申请单位：" + "\u3000" * 5 in text
    assert "年" in text and "月" in text


def _check_prefilled(spec) -> str:
    record, expect = prefilled(spec)
    data = render_docx(spec, record)
    docx.Document(io.BytesIO(data))
    text = body_text(data)
    assert_in_order(text, spec.official_texts())
    for fid, strings in expect.items():
        for s in strings:
            assert s in text, f"{fid}: {s!r} not shown literally"
    return text


@ALL
def test_prefilled_render(spec):
    _check_prefilled(spec)


def test_prefilled_synthetic(synthetic):
    text = _check_prefilled(synthetic)
    assert "医疗☑ 康复□ 辅助器具配置□" in text or "医疗□ 康复☑ 辅助器具配置□" in text \
        or "医疗□ 康复□ 辅助器具配置☑" in text


@ALL
def test_every_piece_literally(spec):
    """Each hostile piece, whole, in the first text field: shown as typed, never run."""
    text_fields = [f for f in spec.fields if f.type in ("text", "multiline")]
    if not text_fields:
        pytest.skip("no text field")
    f = text_fields[0]
    for piece in PIECES + ["{{ " + spec.fields[0].id + " }}", "{%- for a in b %}{{ a }}{% endfor %}"]:
        if len(piece) > f.max_length:
            continue
        record = validate_record(spec, {f.id: piece})
        data = render_docx(spec, record)
        assert piece in body_text(data), piece


def test_multiline_keeps_lines(synthetic):
    record = validate_record(synthetic, {
        "note": "第一行 & <b>\r\n第二行“引号”\n\n第四行",
        "staff": [{"items": "王堃", "duty": "甲\n乙"}],
    })
    data = render_docx(synthetic, record)
    text = body_text(data)
    assert "第一行 & <b>\n第二行“引号”\n\n第四行" in text
    assert "甲\n乙" in text
    # a line break, not a new paragraph: the cell keeps one paragraph per line of the spec
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert "<w:br/>" in xml


def test_control_characters_do_not_break_the_document(synthetic):
    # \a and \f are docxtpl's paragraph and page-break markers; \x01 is not XML
    record = validate_record(synthetic, {"note": "甲\a乙\f丙\x01丁\t戊"})
    data = render_docx(synthetic, record)
    docx.Document(io.BytesIO(data))
    assert "甲乙丙丁\t戊" in body_text(data)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert 'w:type="page"' in xml  # the layout's own page break only
    assert xml.count('w:type="page"') == 1


def test_rows_padded_and_filled(synthetic):
    record = validate_record(synthetic, {"staff": [
        {"items": "张三", "since": "2020-02-03", "senior": True, "duty": "门诊"},
    ]})
    text = body_text(render_docx(synthetic, record))
    assert_in_order(text, ["张三", "2020年2月3日", "☑", "门诊"])
    # the two printed rows left blank show empty date lines and boxes
    assert text.count("□") >= 2 + 1  # two rows' boxes and the blank agree box


@ALL
def test_east_asia_font_on_every_run(spec):
    data = render_docx(spec, prefilled(spec)[0])
    z = zipfile.ZipFile(io.BytesIO(data))
    root = etree.fromstring(z.read("word/document.xml"))
    runs = list(root.iter(qn("w:r")))
    assert runs
    for r in runs:
        fonts = r.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        assert fonts is not None and fonts.get(qn("w:eastAsia")) == "宋体", etree.tostring(r)
        assert fonts.get(qn("w:ascii")) == "Times New Roman"
    styles = etree.fromstring(z.read("word/styles.xml"))
    normal = styles.find(f"{qn('w:style')}[@{qn('w:styleId')}='Normal']")
    assert normal.find(f"{qn('w:rPr')}/{qn('w:rFonts')}").get(qn("w:eastAsia")) == "宋体"
    default = styles.find(f"{qn('w:docDefaults')}//{qn('w:rFonts')}")
    assert default.get(qn("w:eastAsia")) == "宋体"
    assert default.get(qn("w:eastAsiaTheme")) is None  # a theme font would override it


@ALL
def test_page_and_title(spec):
    d = docx.Document(io.BytesIO(render_docx(spec)))
    sec = d.sections[0]
    assert round(sec.page_width.mm) == 210 and round(sec.page_height.mm) == 297
    assert round(sec.top_margin.mm) == 25 and round(sec.bottom_margin.mm) == 25
    assert round(sec.left_margin.mm) == 20 and round(sec.right_margin.mm) == 20
    title = next(p for p in d.paragraphs if p.text == spec.title)
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert all(r.bold and r.font.size.pt == 18 for r in title.runs)


@ALL
def test_tables_have_borders_and_widths(spec):
    d = docx.Document(io.BytesIO(build_template(spec)))
    tables = [b for b in spec.blocks if b.kind == "table"]
    assert len(d.tables) == len(tables)
    for t, block in zip(d.tables, tables):
        borders = t._tbl.tblPr.find(qn("w:tblBorders"))
        assert {b.get(qn("w:val")) for b in borders} == {"single"}
        grid = [int(g.get(qn("w:w"))) for g in t._tbl.tblGrid.findall(qn("w:gridCol"))]
        total = sum(block.columns)
        for w, c in zip(grid, block.columns):
            assert abs(w / sum(grid) - c / total) < 0.002
        heights = [r.height for r in t.rows]
        for h, row in zip(heights, block.rows):
            if row.height:
                assert abs(h.mm - row.height) < 0.1


def test_merged_cells(synthetic):
    d = docx.Document(io.BytesIO(build_template(synthetic)))
    (t,) = d.tables
    tcs = t.rows[0]._tr.findall(qn("w:tc"))
    assert tcs[-1].find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}").get(qn("w:val")) == "2"
    # 说明 spans two rows: restart, then a continuation
    first = t.rows[4]._tr.findall(qn("w:tc"))[0]
    cont = t.rows[5]._tr.findall(qn("w:tc"))[0]
    assert first.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}").get(qn("w:val")) == "restart"
    assert cont.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}") is not None
    assert t.cell(5, 0)._tc is t.cell(4, 0)._tc


def test_page_break_before_table(synthetic):
    xml = zipfile.ZipFile(io.BytesIO(build_template(synthetic))).read("word/document.xml")
    root = etree.fromstring(xml)
    body = list(root.find(qn("w:body")))
    i = next(k for k, el in enumerate(body) if el.tag == qn("w:tbl"))
    assert body[i - 1].find(f".//{qn('w:br')}").get(qn("w:type")) == "page"
    # the trailing page break does not add an empty page
    assert len(root.findall(f".//{qn('w:br')}[@{qn('w:type')}='page']")) == 1


@ALL
def test_stamp(spec):
    data = render_docx(spec, prefilled(spec)[0])
    core = docx.Document(io.BytesIO(data)).core_properties
    assert core.title == spec.title
    assert core.identifier == spec.id
    assert core.version == spec.version
    assert spec.id in core.subject and spec.version in core.subject
    assert read_stamp(core.subject, core.keywords) == Stamp(spec.id, spec.version, spec.spec_hash)


def test_read_stamp_after_libreoffice_keyword_rewrite():
    # LibreOffice splits keywords at , ; : and spaces and joins them with ", "
    s = read_stamp("xieyi:a-b@1.0", "xieyi-form=a-b, xieyi-version=1.0, xieyi-spec=ff00")
    assert s == Stamp("a-b", "1.0", "ff00")
    assert read_stamp("xieyi:a-b@1.0", None) == Stamp("a-b", "1.0", None)
    assert read_stamp("something else", "other, words") is None


@ALL
def test_committed_template_matches_fresh_build(spec):
    assert template_differences(spec) == [], \
        "run: python -m generator.docx write-templates"


def test_no_stray_committed_templates():
    assert check_templates() == []


def test_build_is_deterministic(synthetic):
    a = _Builder(synthetic).build()
    b = _Builder(synthetic).build()
    assert a == b


def test_check_templates_finds_a_change(tmp_path):
    write_templates(tmp_path)
    assert check_templates(tmp_path) == []
    spec = FORMS[0]
    path = tmp_path / f"{spec.id}.docx"
    # the same parts re-zipped by another writer still match
    with zipfile.ZipFile(path) as z:
        parts = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, blob in reversed(parts):
            z.writestr(name, blob)
    assert check_templates(tmp_path) == []
    # a changed part does not
    with zipfile.ZipFile(path, "w") as z:
        for name, blob in parts:
            if name == "word/document.xml":
                blob = blob.replace("{{".encode(), b"{{ ", 1)
            z.writestr(name, blob)
    assert check_templates(tmp_path) == [f"{spec.id}.docx: part word/document.xml differs"]
    (tmp_path / "gone-form.docx").write_bytes(b"x")
    assert f"gone-form.docx: no form of that id" in check_templates(tmp_path)


def test_cli_check_templates():
    r = subprocess.run([sys.executable, "-m", "generator.docx", "check-templates"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_decimal_values_exact():
    spec, f = next(((s, f) for s in FORMS for f in s.fields if f.type == "decimal"),
                   (None, None))
    if spec is None:
        pytest.skip("no decimal field")
    value = "12." + "50"[: f.places] if f.places else "12"
    record = validate_record(spec, {f.id: value})
    assert isinstance(record[f.id], Decimal)
    assert value in body_text(render_docx(spec, record))  # trailing zeros kept


# ---------------------------------------------------------------- LibreOffice

@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_pdf_keeps_identity(tmp_path):
    import pdfplumber
    import pypdf

    spec = FORMS[0]
    record, _ = prefilled(spec)
    src = tmp_path / f"{spec.id}.docx"
    src.write_bytes(render_docx(spec, record))
    profile = tmp_path / "lo-profile"
    r = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
        capture_output=True, text=True, timeout=120)
    pdf = tmp_path / f"{spec.id}.pdf"
    assert pdf.exists(), r.stderr
    info = pypdf.PdfReader(pdf).metadata
    assert info["/Title"] == spec.title
    assert read_stamp(info.get("/Subject"), info.get("/Keywords")) == \
        Stamp(spec.id, spec.version, spec.spec_hash)
    with pdfplumber.open(pdf) as doc:
        first = doc.pages[0].extract_text() or ""
    assert spec.title in first.replace(" ", "")
