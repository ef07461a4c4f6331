"""The fillable PDF of every form: fields read back exactly, official text, fonts, metadata.

Each form is rendered blank and pre-filled with records built here from its
description (rare name characters, full-width punctuation, markup and template
syntax, the longest value a field allows), then read back the ways the
parser and a person will: pypdf for the fields, pdfplumber for the printed
text, poppler for the picture, qpdf and pdffonts for the file itself.
"""

from __future__ import annotations

import bisect
import io
import re
import shutil
import subprocess
from decimal import Decimal

import pdfplumber
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from fontTools.ttLib import TTFont
from PIL import Image
from pypdf import PdfReader

from forms import SpecError, all_forms, get_form, parse_spec, validate_record
from forms.errors import FontUnavailable
from generator import pdf_values
from forms.layout import layout_geometry
from generator.pdf import render_pdf
from forms.layout import _font
from generator.pdf import _render

FORMS = all_forms()
IDS = [s.id for s in FORMS]
STYLES = ("blank", "special", "longest")

# every hostile or unusual piece a value may hold; each must come back literally
SPECIALS = ["王堃喆", "（）；：“”、。", "& < > \" '", "{{ x }}", "{% if %}"]
LONG_UNIT = "堃喆（测试）；“引号”、。"

needs_poppler = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils missing")
needs_qpdf = pytest.mark.skipif(not shutil.which("qpdf"), reason="qpdf missing")


# ---------------------------------------------------------------- records from descriptions

def _text_value(f, style: str, i: int) -> str:
    n = f.max_length
    if style == "longest":
        return (LONG_UNIT * (n // len(LONG_UNIT) + 1))[:n]
    joined = "".join(SPECIALS)
    if len(joined) <= n:
        v = joined
    else:
        v = SPECIALS[i % len(SPECIALS)][:n]
    if f.type == "multiline" and len(v) + 2 + len(SPECIALS[0]) <= n:
        v = v + "\n" + SPECIALS[0]
    return v


def _value(f, style: str, i: int):
    if f.type in ("text", "multiline"):
        return _text_value(f, style, i)
    if f.type == "integer":
        return 99999 if style == "longest" else i
    if f.type == "decimal":
        whole = "9999999" if style == "longest" else str(i)
        return whole + ("." + "5" * f.places if f.places else "")
    if f.type == "date":
        return "2024-12-31" if style == "longest" else "2024-01-0%d" % (1 + i % 9)
    if f.type == "choice":
        return f.choices[i % len(f.choices)]
    if f.type == "checkbox":
        return i % 2 == 0
    raise AssertionError(f.type)


def make_record(spec, style: str) -> dict | None:
    """A typed record for the form: every field filled (every printed row of a rows field)."""
    if style == "blank":
        return None
    raw = {}
    for i, f in enumerate(spec.fields):
        if f.type == "rows":
            raw[f.id] = [{c.id: _value(c, style, i + r + j) for j, c in enumerate(f.columns)}
                         for r in range(f.max_rows)]
        else:
            raw[f.id] = _value(f, style, i)
    return validate_record(spec, raw)


_pdfs: dict = {}


def rendered(spec, style: str, typing_font: str = "viewer") -> bytes:
    key = (spec.id, style, typing_font)
    if key not in _pdfs:
        _pdfs[key] = render_pdf(spec, make_record(spec, style), typing_font=typing_font)
    return _pdfs[key]


def norm(s: str) -> str:
    return re.sub(r"\s+", "", s)


def terminal_fields(data: bytes) -> dict:
    fields = PdfReader(io.BytesIO(data)).get_fields() or {}
    return {k: v for k, v in fields.items() if "/FT" in v}


def expected_v(spec, name: str, value):
    """What pypdf's /V must be for a display value of pdf_values."""
    fid = name.split(".")[0]
    if isinstance(value, bool):
        return "/Yes" if value else "/Off"
    if spec.field(fid).type == "choice":
        # the button's position: /Opt lists the labels in the choices' order (checked below)
        return f"/{spec.field(fid).choices.index(value)}" if value else "/Off"
    return value if value != "" else None


# ---------------------------------------------------------------- fields

@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("spec", FORMS, ids=IDS)
def test_field_names_and_values_read_back(spec, style):
    data = rendered(spec, style)
    fields = terminal_fields(data)
    assert list(fields) == spec.pdf_field_names()
    values = pdf_values(spec, make_record(spec, style) or {})
    for name, value in values.items():
        got = fields[name].get("/V")
        assert got == expected_v(spec, name, value), name
    for f in spec.fields:
        if f.type == "choice":
            states = [str(s) for s in fields[f.id]["/_States_"]]
            assert sorted(states) == [f"/{i}" for i in range(len(f.choices))]
            # ASCII state names; the labels in /Opt, in the same order
            assert [str(o) for o in fields[f.id]["/Opt"]] == list(f.choices)


def test_special_and_longest_values_really_present():
    """The records above do carry the hostile pieces and full-length values."""
    spec = next(s for s in FORMS if any(f.type == "text" and f.max_length >= 40
                                         for f in s.fields))
    special = "".join(v for v in pdf_values(spec, make_record(spec, "special")).values()
                      if isinstance(v, str))
    for piece in SPECIALS:
        assert piece in special
    longest = make_record(spec, "longest")
    for f in spec.fields:
        if f.type in ("text", "multiline"):
            assert len(longest[f.id]) == f.max_length
            assert "堃" in longest[f.id]


def test_typing_font_embedded_reads_back_too():
    spec = FORMS[0]
    fields = terminal_fields(rendered(spec, "special", "embedded"))
    values = pdf_values(spec, make_record(spec, "special"))
    assert {k: fields[k].get("/V") for k in values} == {
        k: expected_v(spec, k, v) for k, v in values.items()}


def test_text_fields_are_merged_widgets_with_appearances():
    spec = next((s for s in FORMS if any(f.type == "multiline" for f in s.fields)), FORMS[0])
    reader = PdfReader(io.BytesIO(rendered(spec, "special")))
    assert reader.trailer["/Root"]["/AcroForm"]["/NeedAppearances"] == False  # noqa: E712
    dr = reader.trailer["/Root"]["/AcroForm"]["/DR"]["/Font"]
    multiline = {f.id for f in spec.fields if f.type == "multiline"}
    seen = 0
    for annot in reader.pages[0]["/Annots"]:
        a = annot.get_object()
        if a.get("/FT") != "/Tx":
            continue
        seen += 1
        assert a["/Subtype"] == "/Widget"
        font_name = a["/DA"].split()[0]
        assert font_name in dr
        ap = a["/AP"]["/N"].get_object()
        assert ap["/Subtype"] == "/Form"
        if "/V" in a:
            content = ap.get_data()
            assert b" re W n" in content and b"Tj" in content
            assert "/F1" in ap["/Resources"]["/Font"]
        if a["/T"] in multiline:
            assert int(a["/Ff"]) & (1 << 12)
    assert seen


# ---------------------------------------------------------------- official text

def _page_texts(data: bytes) -> tuple[str, list[list[list[str]]]]:
    flat = []
    tables = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            flat.append(page.extract_text() or "")
            tables.extend(page.extract_tables())
    return norm("".join(flat)), tables


@pytest.mark.parametrize("spec", FORMS, ids=IDS)
def test_official_text_extracted_in_order(spec):
    flat, tables = _page_texts(rendered(spec, "special"))
    cells = [norm(c) for t in tables for row in t for c in row if c]
    officials = [norm(t) for t in spec.official_texts()]
    for t in officials:
        # a label wrapped inside its cell interleaves with its neighbours' lines in the
        # page's flat text; the table's cell text holds it whole
        assert t in flat or any(t in c for c in cells), t
    # loose order (a rowspan label sits mid-span, a wrapped label interleaves): the
    # positions of the texts, each looked for after the previous one, mostly increase
    cursor = 0
    positions = []
    for t in officials:
        k = flat.find(t, cursor)
        if k < 0:
            k = flat.find(t)
        if k >= 0:
            positions.append(k)
            cursor = k
    assert len(positions) >= 0.5 * len(officials)
    assert _longest_increasing(positions) >= 0.8 * len(positions)


def _longest_increasing(seq: list[int]) -> int:
    tails: list[int] = []
    for x in seq:
        i = bisect.bisect_right(tails, x)
        if i == len(tails):
            tails.append(x)
        else:
            tails[i] = x
    return len(tails)


@pytest.mark.parametrize("spec", FORMS, ids=IDS)
def test_table_rows_read_left_to_right(spec):
    _flat, tables = _page_texts(rendered(spec, "blank"))
    officials = [norm(t) for t in spec.official_texts()]
    checked = 0
    for table in tables:
        for row in table:
            prev = -1
            for c in row:
                c = norm(c or "")
                if not c:
                    continue
                matches = [i for i, t in enumerate(officials) if t and c.startswith(t)]
                if not matches:
                    continue
                later = [i for i in matches if i > prev]
                assert later, f"{c!r} comes before what precedes it in the row {row}"
                prev = min(later)
                checked += 1
    if tables:
        assert checked


@pytest.mark.parametrize("spec", FORMS, ids=IDS)
def test_geometry_locates_every_official_text(spec):
    geo = layout_geometry(spec)
    data = rendered(spec, "blank")
    indices = set()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == len(geo["pages"])
        for page, gpage in zip(pdf.pages, geo["pages"]):
            for t in gpage["texts"]:
                if t["role"] != "official":
                    continue
                indices.add(t["index"])
                got = "".join(
                    page.within_bbox((x0 - 0.5, top - 1, x1 + 0.5, bottom + 1)).extract_text()
                    for x0, top, x1, bottom in t["lines"])
                assert norm(got) == norm(t["text"]), (t["text"], got)
            for name, f in gpage["fields"].items():
                x0, top, x1, bottom = f["bbox"]
                assert 0 <= x0 < x1 <= geo["page_size"][0]
                assert 0 <= top < bottom <= geo["page_size"][1]
    assert indices == set(range(len(spec.official_texts())))


@pytest.mark.parametrize("spec", FORMS, ids=IDS)
def test_geometry_fields_match_widgets(spec):
    geo = layout_geometry(spec)
    reader = PdfReader(io.BytesIO(rendered(spec, "blank")))
    height = geo["page_size"][1]
    names = set()
    for page, gpage in zip(reader.pages, geo["pages"]):
        for annot in page.get("/Annots", []):
            a = annot.get_object()
            parts = []
            node = a
            while node is not None:
                if "/T" in node:
                    parts.append(node["/T"])
                node = node.get("/Parent")
                node = node.get_object() if node is not None else None
            name = ".".join(reversed(parts))
            names.add(name)
            x0, y0, x1, y1 = (float(v) for v in a["/Rect"])
            g = gpage["fields"][name]
            if g["kind"] == "radio":
                boxes = list(g["options"].values())
            else:
                boxes = [g["bbox"]]
            assert any(abs(b[0] - x0) < 0.05 and abs(b[2] - x1) < 0.05
                       and abs((height - b[3]) - y0) < 0.05 and abs((height - b[1]) - y1) < 0.05
                       for b in boxes), name
    assert names == {n for n in spec.pdf_field_names()}
    assert layout_geometry(spec) == geo  # cached, and a fresh copy each time
    assert layout_geometry(spec) is not geo


# ---------------------------------------------------------------- the file

@needs_poppler
@pytest.mark.parametrize("spec", FORMS, ids=IDS)
def test_every_font_embedded(spec):
    for style, typing in (("blank", "viewer"), ("special", "viewer"), ("special", "embedded")):
        out = subprocess.run(["pdffonts", "-"], input=rendered(spec, style, typing),
                             capture_output=True, check=True).stdout.decode()
        rows = out.splitlines()[2:]
        assert rows, out
        for row in rows:
            # name type... encoding emb sub uni object ID: emb is the 5th field from the end
            assert row.split()[-5] == "yes", row


@needs_qpdf
@pytest.mark.parametrize("style", ("blank", "special"))
@pytest.mark.parametrize("spec", FORMS, ids=IDS)
def test_qpdf_check_clean(spec, style, tmp_path):
    p = tmp_path / "f.pdf"
    p.write_bytes(rendered(spec, style))
    r = subprocess.run(["qpdf", "--check", str(p)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No syntax or stream encoding errors" in r.stdout
    assert "WARNING" not in r.stdout + r.stderr


@pytest.mark.parametrize("spec", FORMS, ids=IDS)
def test_metadata(spec):
    info = PdfReader(io.BytesIO(rendered(spec, "special"))).metadata
    assert info["/Title"] == spec.title
    assert info["/Creator"] == "xieyi"
    assert info["/XieyiForm"] == spec.id
    assert info["/XieyiVersion"] == spec.version
    assert info["/XieyiSpecHash"] == spec.spec_hash
    assert "/CreationDate" not in info  # deterministic output


def test_deterministic():
    spec = FORMS[0]
    rec = make_record(spec, "special")
    _render._static_cache.clear()
    a = render_pdf(spec, rec)
    _render._static_cache.clear()
    assert render_pdf(spec, rec) == a


def test_a4_pages_and_margins():
    for spec in FORMS:
        geo = layout_geometry(spec)
        w, h = geo["page_size"]
        assert (round(w / 72 * 25.4), round(h / 72 * 25.4)) == (210, 297)
        for gpage in geo["pages"]:
            boxes = [t["bbox"] for t in gpage["texts"]] + [f["bbox"] for f in gpage["fields"].values()]
            for x0, top, x1, bottom in boxes:
                assert x0 >= 20 * 72 / 25.4 - 0.5 and x1 <= w - 20 * 72 / 25.4 + 0.5
                assert top >= 25 * 72 / 25.4 - 0.5 and bottom <= h - 25 * 72 / 25.4 + 0.5


@needs_poppler
@pytest.mark.parametrize("spec", FORMS, ids=IDS)
def test_poppler_draws_the_values(spec, tmp_path):
    """pdftoppm renders page 1 quietly, and a box holding a Chinese value is not blank."""
    geo = layout_geometry(spec)
    values = pdf_values(spec, make_record(spec, "special"))
    box = next((f["bbox"] for n, f in geo["pages"][0]["fields"].items()
                if f["kind"] == "text" and re.search(r"[\u4e00-\u9fff]", str(values.get(n)))),
               None)
    assert box is not None, "page 1 has no Chinese value to look at"
    dpi = 100
    ink = {}
    for style in ("blank", "special"):
        pdf = tmp_path / f"{style}.pdf"
        pdf.write_bytes(rendered(spec, style))
        r = subprocess.run(["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-gray", "-png",
                            str(pdf), str(tmp_path / style)], capture_output=True, text=True)
        assert r.returncode == 0 and not r.stderr.strip(), r.stderr
        img = Image.open(next(tmp_path.glob(f"{style}-*.png"))).convert("L")
        k = dpi / 72
        x0, top, x1, bottom = box
        crop = img.crop((int(x0 * k) + 2, int(top * k) + 2, int(x1 * k) - 2, int(bottom * k) - 2))
        ink[style] = sum(crop.histogram()[:128])  # dark pixels
    assert ink["blank"] == 0
    assert ink["special"] > 20


# ---------------------------------------------------------------- fonts

def test_every_gbk_character_has_a_real_glyph():
    font = _font.prepared_font("song")
    gbk = _font.covered_codepoints()
    empty = []
    for cp in gbk:
        ch = chr(cp)
        g = font.gid.get(ch)
        assert g, f"U+{cp:04X} has no glyph"
        if not ch.isspace() and font._loca[g + 1] == font._loca[g]:
            empty.append(ch)
    assert not empty, "".join(empty[:50])
    # 堃 and 喆 are not in UMing's GB2312 core, and U+FA0E… are in neither UMing nor Zen Hei
    for ch in "堃喆\ufa0e\ufa29":
        assert font._loca[font.gid[ch] + 1] > font._loca[font.gid[ch]]


def test_rare_name_characters_beyond_gbk_draw_too():
    """CJK Extension A (GB 18030 names such as 刘䶮) is in the page font as well."""
    font = _font.prepared_font("song")
    for ch in "䶮㐀":
        g = font.gid[ch]
        assert font._loca[g + 1] > font._loca[g]
    spec = next(s for s in FORMS if any(f.type == "text" and f.max_length >= 10
                                         for f in s.fields))
    f = next(f for f in spec.fields if f.type == "text" and f.max_length >= 10)
    rec = validate_record(spec, {f.id: "刘䶮堃喆"})
    data = render_pdf(spec, rec)
    assert terminal_fields(data)[f.id]["/V"] == "刘䶮堃喆"


def test_wrap_keeps_every_character_and_the_width():
    font = _font.prepared_font("song")
    text = "景德镇市第一人民医院（分院）；“测试”、。ABC 12345.67 & <x> {{ y }}\n第二行" * 3
    ws = [font.width.get(c, font.notdef_width) / 1000 for c in text]
    for limit in (1.0, 2.5, 7.0, 12.0, 40.0):
        lines = _render._wrap(text, ws, limit)
        assert "".join(lines).replace(" ", "") == text.replace("\n", "").replace(" ", "")
        for line in lines:
            width = sum(font.width.get(c, font.notdef_width) / 1000 for c in line)
            # over the limit only for a Latin word or number longer than the line
            assert width <= limit + 1e-9 or re.fullmatch(r"[!-~]+", line.strip()) \
                or len(line) <= 2, (limit, line)
        if limit >= 4:  # (narrower, a closing run like 院）； cannot stay together)
            assert not any(line[:1] in "，。、；：）”" for line in lines[1:] if line)


_WRAP_CHARS = "工伤保险协议服务机构堃喆，。、；：）（《》“”abcXYZ0123456789-/.\n"


@given(st.lists(st.tuples(st.sampled_from(_WRAP_CHARS), st.sampled_from([1.0, 0.5, 0.25, 0.75])),
                max_size=40),
       st.sampled_from([0.3, 1.0, 1.5, 2.0, 3.75, 5.0, 8.0, 12.5, 30.0]))
@settings(max_examples=400, deadline=None)
def test_wrap_breaks_values_where_the_layout_breaks_its_text(chars, limit):
    """A value's lines (``_wrap``, written for speed) are the layout's own (``break_lines``)
    for text without spaces: the same kinsoku rules, Latin words and numbers kept whole."""
    from forms.layout import _layout
    text = "".join(c for c, _w in chars)
    ws = [w for _c, w in chars]
    items = [_layout._Item("nl", 0.0) if c == "\n" else _layout._Item("c", w, ch=c)
             for c, w in chars]
    expected = ["".join(it.ch for it in ln.items)
                for ln in _layout.break_lines(items, limit, 1.0)]
    assert _render._wrap(text, ws, limit) == expected


def test_a_space_hanging_before_a_line_break_makes_no_empty_line():
    assert _render._wrap("ab \nc", [0.5] * 5, 1.0) == ["ab", "c"]


@needs_poppler
def test_prepare_fonts_command():
    import sys
    r = subprocess.run([sys.executable, "-m", "generator.pdf", "prepare-fonts"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "GBK 21886/21886" in r.stdout and "song:" in r.stdout and "typing:" in r.stdout
    r = subprocess.run([sys.executable, "-m", "generator.pdf"], capture_output=True, text=True)
    assert r.returncode == 2 and "prepare-fonts" in r.stderr


def test_gids_follow_unicode_order_and_maps_are_compact():
    font = _font.prepared_font("song")
    assert font.codepoints == sorted(font.codepoints)
    assert font.w_array().count(" ") < 300  # runs, not one entry per glyph
    assert font.to_unicode().count(b"\n") < 400


def test_embedded_subset_draws_rare_characters():
    spec = FORMS[0]
    reader = PdfReader(io.BytesIO(rendered(spec, "special")))
    font = _font.prepared_font("song")
    checked = False
    for annot in reader.pages[0]["/Annots"]:
        a = annot.get_object()
        if a.get("/FT") == "/Tx" and "堃" in str(a.get("/V", "")):
            res = a["/AP"]["/N"]["/Resources"]["/Font"]["/F1"].get_object()
            desc = res["/DescendantFonts"][0].get_object()
            assert desc["/CIDToGIDMap"] == "/Identity"
            assert res["/Encoding"] == "/Identity-H"
            ttf = TTFont(io.BytesIO(desc["/FontDescriptor"]["/FontFile2"].get_data()))
            order = ttf.getGlyphOrder()
            # the glyph each character is drawn with, as the font's ToUnicode says
            cmap = res["/ToUnicode"].get_data().decode("ascii")
            cid_of = {chr(int(u, 16)): int(c, 16)
                      for c, u in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]{4})>", cmap)}
            for ch in "堃喆":
                assert ch in font.gid
                glyph = ttf["glyf"][order[cid_of[ch]]]
                assert glyph.numberOfContours > 0
            checked = True
            break
    assert checked


def test_missing_font_is_reported_with_its_package(monkeypatch):
    _font.reset_cache()
    _render._static_cache.clear()
    broken = (_font.FontSource("uming.ttc", "AR PL UMing CN", "fonts-arphic-uming",
                               "/nonexistent"),) + _font.SOURCES[1:]
    monkeypatch.setattr(_font, "SOURCES", broken)
    monkeypatch.delenv("XIEYI_FONT_DIR", raising=False)
    try:
        with pytest.raises(FontUnavailable) as e:
            render_pdf(FORMS[0])
        assert "fonts-arphic-uming" in e.value.message_zh
        assert "fonts-arphic-uming" in e.value.message_en
    finally:
        monkeypatch.undo()
        _font.reset_cache()


def test_prepared_font_cached_by_key(monkeypatch, tmp_path):
    """Preparation runs once per cache key, writes to a temporary file and renames it."""
    real = _font.prepared_font_path("song")
    calls = []

    def fake_prepare(faces, out):
        calls.append(out)
        tmp = out.with_suffix(".partial")
        shutil.copyfile(real, tmp)
        tmp.replace(out)

    monkeypatch.setenv("XIEYI_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(_font._PREPARE, "song", (_font.SONG_NAME, fake_prepare))
    p1 = _font.prepared_font_path("song")
    p2 = _font.prepared_font_path("song")
    assert p1 == p2 and p1.parent == tmp_path and len(calls) == 1
    assert p1.name == real.name  # same sources, same version: same key


# ---------------------------------------------------------------- sizes

@pytest.mark.parametrize("spec", FORMS, ids=IDS)
def test_sizes(spec):
    assert len(rendered(spec, "longest")) <= 200 * 1024
    assert len(rendered(spec, "special")) <= 200 * 1024


def test_embedded_typing_font_size():
    spec = FORMS[0]
    data = rendered(spec, "longest", "embedded")
    assert len(data) <= 2 * 1024 * 1024
    assert len(data) > 1024 * 1024  # it does carry the whole font
    out = subprocess.run(["pdffonts", "-"], input=data, capture_output=True).stdout.decode() \
        if shutil.which("pdffonts") else ""
    assert "XieyiTypingHei" not in out  # kept out of the pages' resources


# ---------------------------------------------------------------- layout features

def _spec(layout: list, fields: list, sid: str = "test-layout") -> object:
    return parse_spec({
        "id": sid, "jurisdiction": "test", "jurisdiction_name": "测试市", "title": "测试表",
        "attachment": None, "kind": "application", "categories": ["medical"],
        "source": {"seed": "x", "document": "x", "article": "x"}, "version": "1",
        "valid_from": "2024-01-01", "derived": False, "fields": fields, "layout": layout,
    })


def test_long_table_splits_between_row_groups():
    fields = [{"id": "items", "label": "项目", "type": "rows", "max_rows": 24,
               "columns": [{"id": "name", "label": "名称", "type": "text", "max_length": 20},
                           {"id": "day", "label": "日期", "type": "date"},
                           {"id": "ok", "label": "合格", "type": "checkbox"}]},
              {"id": "kind", "label": "类别", "type": "choice", "choices": ["甲类", "乙类"]},
              {"id": "note", "label": "备注", "type": "multiline", "max_length": 200},
              {"id": "unit", "label": "申请单位", "type": "text", "max_length": 30}]
    rows = [{"cells": ["组别", "名称", "日期", "合格"], "height": 10}]
    for g in range(8):
        rows.append({"cells": [{"text": f"第{g + 1}组", "rowspan": 3}, "甲", "乙", "丙"],
                     "height": 12})
        rows.append({"cells": ["丁", "戊", "己"], "height": 12})
        rows.append({"cells": ["庚", "辛", "壬"], "height": 12})
    layout = [
        {"title": "测试表"},
        {"para": {"runs": ["申请单位：", {"field": "unit"}], "indent": 2}},
        {"table": {"columns": [20, 50, 60, 40], "rows": rows}},
        {"page_break": True},
        {"table": {"columns": [40, 60, 40, 30], "rows": [
            {"cells": ["名称", "日期", "合格", "类别"]},
            {"repeat": "items", "cells": [{"column": "name"}, {"column": "day"},
                                           {"column": "ok"}, {"text": "（{n}）"}],
             "height": 9},
            {"cells": ["类别", {"field": "kind", "colspan": 3}]},
            {"cells": ["备注", {"runs": ["说明：", {"field": "note"}], "colspan": 3,
                                "align": "left"}], "height": 30},
        ]}},
    ]
    spec = _spec(layout, fields)
    geo = layout_geometry(spec)
    assert len(geo["pages"]) >= 4
    officials = spec.official_texts()
    # every group label and its three rows' texts stay on one page
    where = {}
    for pi, gpage in enumerate(geo["pages"]):
        for t in gpage["texts"]:
            if t["role"] == "official":
                where.setdefault(t["index"], set()).add(pi)
    assert all(len(p) == 1 for p in where.values())
    for g in range(8):
        label = officials.index(f"第{g + 1}组")
        group = [label + k for k in range(10)]
        assert len({next(iter(where[i])) for i in group}) == 1, f"group {g + 1} split"
    # a row never splits: a table row's cells share a top on their page
    raw = {"unit": "堃喆单位", "kind": "乙类", "note": "第一行\n第二行" + "很长的说明" * 20,
           "items": [{"name": f"名称{i}", "day": "2024-02-29", "ok": i % 2 == 0}
                     for i in range(24)]}
    rec = validate_record(spec, raw)
    data = render_pdf(spec, rec)
    fields_ = terminal_fields(data)
    assert list(fields_) == spec.pdf_field_names()
    values = pdf_values(spec, rec)
    for name, value in values.items():
        assert fields_[name].get("/V") == expected_v(spec, name, value), name
    assert str(fields_["kind"]["/V"]) == "/1" and list(fields_["kind"]["/Opt"]) == ["甲类", "乙类"]
    # the inline multiline box grows to the bottom of its cell
    page = next(p for p in geo["pages"] if "note" in p["fields"])
    note = page["fields"]["note"]
    assert note["multiline"] and note["bbox"][3] > note["bbox"][1] + 40
    assert note["cell"] and note["bbox"][3] <= note["cell"][3]
    # the cover line's blank runs to the end of the line, over an underline
    unit = geo["pages"][0]["fields"]["unit"]
    assert unit["bbox"][2] == pytest.approx(geo["page_size"][0] - 20 * 72 / 25.4, abs=0.6)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        lines = pdf.pages[0].lines
        assert any(abs(ln["x1"] - unit["bbox"][2]) < 0.6 and abs(ln["x0"] - unit["bbox"][0]) < 0.6
                   for ln in lines)
        # every page: official texts inside the margins, tables ruled
        for page in pdf.pages:
            assert page.rects or page.lines


def test_value_fits_or_shrinks_in_its_box():
    spec = FORMS[0]
    font = _font.prepared_font("song")
    geo = layout_geometry(spec)
    rec = make_record(spec, "longest")
    values = pdf_values(spec, rec)
    for gpage in geo["pages"]:
        for name, f in gpage["fields"].items():
            v = values.get(name)
            if f["kind"] != "text" or not v:
                continue
            x0, top, x1, bottom = f["bbox"]
            wd = _render.Widget(name=name, kind="text", label="", size=10.5,
                                rect=(x0, top, x1, bottom), multiline=f["multiline"])
            size, lines = _render._value_layout(wd, v, font, x1 - x0, bottom - top)
            assert "".join(lines).replace(" ", "") == v.replace("\n", "").replace(" ", "")
            assert size >= _render.MIN_VALUE_SIZE
            if f["kind"] == "text" and len(lines) > 1:
                assert (len(lines) - 1) * size * _render.VALUE_LEADING + size <= \
                    bottom - top + 0.5 or size == _render.MIN_VALUE_SIZE


def test_decimal_and_integer_displayed_as_given():
    spec = next((s for s in FORMS if any(f.type == "decimal" for f in s.fields)), None)
    if spec is None:
        pytest.skip("no form with a decimal field")
    f = next(f for f in spec.fields if f.type == "decimal")
    rec = validate_record(spec, {f.id: "12.50"})
    assert rec[f.id] == Decimal("12.50")
    fields = terminal_fields(render_pdf(spec, rec))
    assert fields[f.id]["/V"] == "12.50"


# ---------------------------------------------------------------- the one font of a document

def test_adler32_combine_is_zlibs():
    import random
    import zlib
    rng = random.Random(3)
    for _ in range(200):
        a = rng.randbytes(rng.randint(0, 3000))
        b = rng.randbytes(rng.choice([0, 1, 65520, 65521, 65522, rng.randint(0, 200000)]))
        assert _font.adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) \
            == zlib.adler32(a + b)


def _font_of(pdf: bytes):
    """(program, /W, ToUnicode text) of the one font a form's pages and values use."""
    reader = PdfReader(io.BytesIO(pdf))
    res = reader.pages[0]["/Resources"]["/Font"]
    assert list(res) == ["/F1"]  # the values are drawn in the pages' font
    f1 = res["/F1"].get_object()
    desc = f1["/DescendantFonts"][0].get_object()
    return (desc["/FontDescriptor"]["/FontFile2"].get_data(), desc["/W"],
            f1["/ToUnicode"].get_data().decode("ascii"))


def test_extended_subset_is_a_valid_font_drawing_each_value_character(tmp_path):
    """The form's subset extended by a record's glyphs: every table checksum and the
    whole-file checksum right, each value character mapped (ToUnicode) to a glyph
    whose outline and width are the prepared font's own."""
    spec = next(s for s in FORMS if s.id == "jingdezhen-application")
    prepared = _font.prepared_font("song")
    names = "堃喆龘犇羴鱻"  # rare: none is printed on the form
    rec = validate_record(spec, {"institution_name": "王" + names, "address": "Ab-12 号"})
    program, widths, cmap = _font_of(render_pdf(spec, rec))
    path = tmp_path / "subset.ttf"
    path.write_bytes(program)
    ttf = TTFont(str(path), checkChecksums=2)  # raises on a wrong table checksum
    total = sum(int.from_bytes(program[i:i + 4].ljust(4, b"\0"), "big")
                for i in range(0, len(program), 4)) & 0xFFFFFFFF
    assert total == 0xB1B0AFBA  # head.checkSumAdjustment
    order = ttf.getGlyphOrder()
    cid_of = {chr(int(u, 16)): int(c, 16)
              for c, u in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]{4})>", cmap)}
    full = TTFont(str(prepared.path))
    full_order = full.getGlyphOrder()
    w = {}
    i = 0
    while i < len(widths):  # /W is [first [w w …]] runs
        first, run = widths[i], widths[i + 1]
        for k, v in enumerate(run):
            w[first + k] = v
        i += 2
    for ch in names + "王Ab-12号":
        cid = cid_of[ch]
        mine = ttf["glyf"][order[cid]]
        theirs = full["glyf"][full_order[prepared.gid[ch]]]
        assert mine.numberOfContours == theirs.numberOfContours > 0
        assert list(mine.getCoordinates(ttf["glyf"])[0]) == \
            list(theirs.getCoordinates(full["glyf"])[0])
        assert w[cid] == prepared.width[ch]


def test_numbers_add_no_glyph_to_the_form():
    """Dates, counts and codes are printable ASCII, in every form's subset already."""
    spec = next(s for s in FORMS if s.id == "jingdezhen-application")
    blank_program = _font_of(render_pdf(spec))[0]
    rec = validate_record(spec, {"address": "12-34 Room 5", "contact_person_phone": "0798-8888888",
                                 "license_date": "2024-03-01", "rated_beds": 120})
    assert _font_of(render_pdf(spec, rec))[0] == blank_program


def test_a_table_running_onto_another_page_repeats_its_header_rows():
    """header_rows: the column heads print again at the top of each continuation page (PDF),
    and the DOCX marks those rows "repeat as header row" (w:tblHeader)."""
    from docx import Document
    from docx.oxml.ns import qn

    from generator.docx import render_docx

    fields = [{"id": "items", "label": "项目", "type": "rows", "max_rows": 60,
               "columns": [{"id": "name", "label": "名称", "type": "text", "max_length": 20}]}]
    layout = [{"title": "测试表"},
              {"table": {"columns": [20, 80], "header_rows": 1, "rows": [
                  {"cells": ["序号", "名称（表头）"]},
                  {"repeat": "items", "cells": [{"text": "（{n}）"}, {"column": "name"}],
                   "height": 9}]}}]
    spec = _spec(layout, fields, "test-header")
    data = render_pdf(spec, validate_record(spec, {}))
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        texts = [(p.extract_text() or "").replace(" ", "").replace("\n", "") for p in pdf.pages]
    assert len(texts) >= 2
    for t in texts:
        assert t.startswith("测试表序号名称（表头）") or t.startswith("序号名称（表头）"), t[:30]
    assert sum(t.count("名称（表头）") for t in texts) == len(texts)
    doc = Document(io.BytesIO(render_docx(spec, validate_record(spec, {}))))
    rows = doc.tables[0].rows
    heads = [r._tr.trPr is not None and r._tr.trPr.find(qn("w:tblHeader")) is not None
             for r in rows]
    assert heads[0] and not any(heads[1:])
    # the scoring tables that run onto a second page carry it
    for sid in ("shanxi-annual-medical", "shanxi-eval-prosthetics", "tianjin-eval-assistive"):
        table = next(b for b in get_form(sid).blocks if getattr(b, "kind", "") == "table")
        assert table.header_rows == 1, sid


@pytest.mark.parametrize("bad", [
    {"header_rows": 2},  # every row
    {"header_rows": 1, "first": {"cells": [{"field": "unit"}, "名称"]}},  # a field in the header
])
def test_header_rows_that_hold_fields_or_the_whole_table_are_rejected(bad):
    first = bad.get("first", {"cells": ["序号", "名称"]})
    layout = [{"table": {"columns": [20, 80], "header_rows": bad["header_rows"],
                         "rows": [first, {"cells": ["1", "甲"]}]}}]
    fields = [{"id": "unit", "label": "单位", "type": "text", "max_length": 10}]
    with pytest.raises(SpecError, match="header_rows"):
        _spec(layout, fields, "test-bad-header")
