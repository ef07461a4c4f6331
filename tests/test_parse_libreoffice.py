"""Round trip through the export route: DOCX → LibreOffice (headless) → PDF → ``parse_pdf``.

LibreOffice plays the person who fills the DOCX and exports a PDF (DESIGN §2):

* ``rendered``: the DOCX pre-filled by xieyi (``render_docx``) for every form, with
  the sample records (typical, special characters and markup, the longest values;
  made ``printable``: no spaces at a value's ends, nor in the narrow cells of short
  fields, where a wrap at a space prints exactly like a wrap inside a word),
  a record of multi-line answers whose lines wrap, break and leave a line empty,
  and records drawn by hypothesis (``parse_strategies.records(layout_safe=True)``);
* ``typed``: the blank DOCX typed into the way a person does:
  text into the value cells and after the labels, digits into the date blanks,
  boxes ticked three ways (☑ for □, √ after □, a Wingdings 2 symbol), Enter
  between lines, a printed row left empty between filled ones (``type_record`` below);
* ``stripped``: an export whose document properties were lost, identified by its
  title and labels.

The session's files are converted by a few ``soffice`` calls of 40 files each
(about 0.1 s a file instead of 1 s each), with a profile of their own so that they
run beside any other LibreOffice.  Skipped when ``soffice`` is not installed (``bash
scripts/test.sh`` installs it).
"""

from __future__ import annotations

import copy
import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from hypothesis import HealthCheck, Phase, given, settings
from test_parse_roundtrip import SHORT_FIELD, records

from forms import (
    FieldRef,
    FormSpec,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    Text,
    all_forms,
    record_to_json,
    sample_record,
    validate_record,
)
from generator._context import display_context
from generator.docx import render_docx
from parser import parse_pdf

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed"),
]

FORMS = all_forms()
#: hypothesis records per form (each costs ~0.2 s of LibreOffice)
HYPOTHESIS_EXAMPLES = 5
#: files per soffice call
BATCH = 40
STRIPPED = ("jingdezhen-application", "hunan-commitment")

MULTILINE = {
    # a line that wraps in its cell, a short line, an empty line, Latin words that wrap
    "jilin-application": {"service_scope": "内科、外科、骨科、康复医学科、医学影像科、检验科、麻醉科、"
                                           "急诊医学科、中医科、口腔科、眼科、耳鼻咽喉科\n工伤康复\n\n"
                                           "Orthopaedic surgery and rehabilitation of injured workers"},
    "jingdezhen-application": {"application_content": "申请成为工伤保险定点医疗机构。\n"
                                                      + "本院开设骨科、康复科、烧伤科，" * 4
                                                      + "\n\n联系人：王堃喆"},
    "shanxi-application": {"departments": [{"name": "康复医学科", "beds": 40,
                                            "scope": "运动疗法、作业疗法、言语治疗\n\n假肢装配"}]},
}



# ---------------------------------------------------------------- a person typing
#
# A person filling in our blank DOCX in a word processor, played with python-docx.
#
# They delete nothing: they click into a value cell and type, type after a label
# into its underlined blank (``申请单位：　　　　``), type the year, month and day into
# the blanks before 年 月 日, press Enter between the lines of a long answer, and
# tick a box either by replacing □ with ☑, by typing √ after it, or with Word's
# Insert Symbol (a Wingdings 2 tick, ``w:sym``).
#
# ``type_record(spec, record)`` returns the DOCX bytes.  It finds each place as
# people do, by the printed text around it: the builder's structure
# (``generator.docx``) is mirrored only to know which run is which, and every
# assumption is checked (a label run must read as the label), so a change in the
# template fails loudly here rather than typing into the wrong place.

UNTICKED = "□"
PAD = "\u3000"


def _runs(p) -> list:
    return [r for r in p.iter(qn("w:r"))]


def _text(r) -> str:
    return "".join(t.text or "" for t in r.iter(qn("w:t")))


def _set_text(r, text: str) -> None:
    ts = list(r.iter(qn("w:t")))
    if not ts:
        t = OxmlElement("w:t")
        r.append(t)
        ts = [t]
    ts[0].text = text
    ts[0].set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    for extra in ts[1:]:
        extra.getparent().remove(extra)


class Typist:
    def __init__(self, spec: FormSpec, tick_style: str = "replace"):
        self.spec = spec
        self.doc = Document(io.BytesIO(render_docx(spec)))
        self.tick_style = tick_style
        self._ticks = 0

    # ---------------------------------------------------------------- placing

    def _body_items(self):
        """The DOCX body elements of each description block (see generator.docx._Builder)."""
        body = [el for el in self.doc.element.body if el.tag in (qn("w:p"), qn("w:tbl"))]
        i = 0
        blocks = list(self.spec.blocks)
        for n, b in enumerate(blocks):
            if isinstance(b, (Text, Spacer)):
                yield b, body[i]
                i += 1
            elif isinstance(b, PageBreak):
                if n + 1 < len(blocks) and isinstance(blocks[n + 1], Table):
                    i += 1  # the tiny paragraph that holds the break
            elif isinstance(b, Table):
                assert body[i].tag == qn("w:tbl")
                yield b, body[i]
                i += 1

    def _cells(self, table: Table, tbl):
        trs = tbl.findall(qn("w:tr"))
        by_row: dict[int, dict[int, Any]] = {}
        for ri, tr in enumerate(trs):
            col = 0
            for tc in tr.findall(qn("w:tc")):
                span = tc.find(qn("w:tcPr")).find(qn("w:gridSpan"))
                by_row.setdefault(ri, {})[col] = tc
                col += int(span.get(qn("w:val"))) if span is not None else 1
        for r, c, cell in table.placements:
            yield cell, by_row[r][c]

    # ---------------------------------------------------------------- typing

    def type(self, values: dict[str, Any]) -> bytes:
        """``values``: display strings per field id as ``generator.display_context`` gives
        them (rows: lists with the printed number of rows; ``None`` rows stay blank)."""
        self.values = values
        for block, el in self._body_items():
            if isinstance(block, Text):
                self._paragraph(block.paragraph, el, whole=False)
            elif isinstance(block, Table):
                for cell, tc in self._cells(block, el):
                    ps = tc.findall(qn("w:p"))
                    for para, p in zip(cell.paragraphs, ps):
                        self._paragraph(para, p, whole=cell.is_value, tc=tc)
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()

    def _value(self, ref: FieldRef):
        v = self.values.get(ref.field)
        if ref.row is not None:
            row = v[ref.row] if v is not None and ref.row < len(v) else None
            return None if row is None else row.get(ref.column)
        return v

    def _paragraph(self, para: Paragraph, p, whole: bool, tc=None) -> None:
        runs = _runs(p)
        i = 0
        for run in para.runs:
            if isinstance(run, str):
                assert _text(runs[i]) == run, (_text(runs[i]), run)
                i += 1
                continue
            f = self.spec.field(run.field)
            ftype = f.column(run.column).type if run.column else f.type
            v = self._value(run)
            if ftype == "date":
                for k, (part, unit) in enumerate((("year", "年"), ("month", "月"), ("day", "日"))):
                    pad, u = runs[i + 2 * k], runs[i + 2 * k + 1]
                    assert _text(u) == unit and set(_text(pad)) <= {PAD}
                    if v and v.get(part):
                        _set_text(pad, v[part] + _text(pad))  # typed before the blank
                i += 6
            elif ftype == "choice":
                for k, choice in enumerate(f.choices):
                    if k:
                        i += 1  # the space between two choices
                    label, box = runs[i], runs[i + 1]
                    assert _text(label) == choice and _text(box) == UNTICKED
                    if v == choice:
                        self._tick(box)
                    i += 2
            elif ftype == "checkbox":
                assert _text(runs[i]) == UNTICKED
                if v is True:
                    self._tick(runs[i])
                i += 1
            else:
                r = runs[i]
                assert set(_text(r)) <= {PAD}
                if v:
                    lines = str(v).split("\n")
                    _set_text(r, lines[0] + _text(r))  # typed at the start of the blank
                    if len(lines) > 1:  # Enter between lines: new paragraphs like this one
                        assert whole and tc is not None
                        after = p
                        for line in lines[1:]:
                            new = copy.deepcopy(p)
                            for extra in _runs(new)[1:]:
                                extra.getparent().remove(extra)
                            _set_text(_runs(new)[0], line)
                            after.addnext(new)
                            after = new
                i += 1

    def _tick(self, r) -> None:
        """Tick a box the ways people do, in turn when the style is ``mixed``."""
        style = self.tick_style
        if style == "mixed":
            style = ("replace", "append", "symbol")[self._ticks % 3]
        self._ticks += 1
        if style == "replace":
            _set_text(r, "☑")
        elif style == "append":
            _set_text(r, UNTICKED + "√")
        elif style == "symbol":  # Insert Symbol: Wingdings 2, code F052 (☑)
            for t in list(r.iter(qn("w:t"))):
                t.getparent().remove(t)
            sym = OxmlElement("w:sym")
            sym.set(qn("w:font"), "Wingdings 2")
            sym.set(qn("w:char"), "F052")
            r.append(sym)
        else:
            raise ValueError(style)


def type_record(spec: FormSpec, record: dict, *, tick_style: str = "mixed",
                skip_rows: dict[str, set[int]] | None = None) -> bytes:
    """A blank DOCX typed into with a typed record's values.  ``skip_rows``: printed rows a
    person left empty (the record's rows go to the other rows, in order)."""
    ctx = display_context(spec, record)
    values: dict[str, Any] = {}
    for f in spec.fields:
        v = ctx[f.id]
        if f.type == "rows":
            rows = [r for r in record.get(f.id, [])]
            skipped = (skip_rows or {}).get(f.id, set())
            printed: list = []
            src = iter(v[: len(rows)])
            for i in range(f.max_rows):
                if i in skipped:
                    printed.append(None)
                    continue
                printed.append(next(src, None))
            values[f.id] = printed
        else:
            values[f.id] = v if f.id in record else None
    return Typist(spec, tick_style).type(values)


class Case:
    def __init__(self, name: str, spec, record: dict, docx: bytes, kind: str,
                 skipped: dict[str, set[int]] | None = None):
        self.name, self.spec, self.record, self.docx, self.kind = name, spec, record, docx, kind
        self.skipped = skipped or {}
        self.result = None
        self.error = None

    @property
    def expected(self) -> dict:
        """The record; a box not ticked reads as ``false`` (print cannot say "unanswered")."""
        rec = record_to_json(self.spec, self.record)
        for f in self.spec.fields:
            if f.type == "checkbox":
                rec.setdefault(f.id, False)
        return rec


def _hypothesis_records(spec, n: int) -> list[dict]:
    found: list[dict] = []

    @settings(max_examples=n, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(records(spec, layout_safe=True))
    def collect(rec):
        found.append(rec)

    collect()
    return found


def _strip(docx: bytes) -> bytes:
    doc = Document(io.BytesIO(docx))
    cp = doc.core_properties
    cp.title = cp.subject = cp.keywords = cp.identifier = cp.comments = ""
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def printable(spec, data: dict) -> dict:
    """A sample record as print can carry it: no spaces at the ends of a value (they do not
    print), none inside a value of a short field (a score or code cell is so narrow that any
    value with a space wraps, and a wrap at a space prints like a wrap inside a word)."""
    out = {}
    for f in spec.fields:
        if f.id not in data:
            continue
        v = data[f.id]
        if f.type in ("text", "multiline"):
            v = "\n".join(ln.strip() for ln in v.strip().split("\n"))
            if (f.max_length or 99) <= SHORT_FIELD:
                v = v.replace(" ", "")
            if not v:
                continue
        out[f.id] = v
    return out


def _cases() -> list[Case]:
    cases: list[Case] = []
    for spec in FORMS:
        for style in ("typical", "special", "longest"):
            rec = validate_record(spec, printable(spec, sample_record(spec, style)))
            cases.append(Case(f"{spec.id}--rendered-{style}", spec, rec, render_docx(spec, rec),
                              "rendered"))
        if spec.id in MULTILINE:
            rec = validate_record(spec, MULTILINE[spec.id])
            cases.append(Case(f"{spec.id}--rendered-multiline", spec, rec,
                              render_docx(spec, rec), "rendered"))
        for i, data in enumerate(_hypothesis_records(spec, HYPOTHESIS_EXAMPLES)):
            rec = validate_record(spec, data)
            cases.append(Case(f"{spec.id}--hypothesis-{i}", spec, rec, render_docx(spec, rec),
                              "hypothesis"))
        for style in ("typical", "special"):
            rec = validate_record(spec, printable(spec, sample_record(spec, style)))
            skip = {f.id: {1} for f in spec.fields
                    if f.type == "rows" and style == "typical" and f.max_rows >= 4}
            cases.append(Case(f"{spec.id}--typed-{style}", spec, rec,
                              type_record(spec, rec, skip_rows=skip), "typed", skip))
        if spec.id in STRIPPED:
            rec = validate_record(spec, sample_record(spec, "typical"))
            cases.append(Case(f"{spec.id}--stripped", spec, rec, _strip(render_docx(spec, rec)),
                              "stripped"))
    return cases


# ---------------------------------------------------------------- font sets
# The machine that exports decides which fonts draw the values: the same DOCX comes out
# with other glyph widths, other gaps between Chinese and Latin text, other fallbacks.
# Every export is made twice, with fontconfig limited to the project's fonts (those
# scripts/setup.sh installs) and with those plus the fonts Debian's LibreOffice and
# Chromium pull in (Liberation, DejaVu) and Noto CJK, unpacked by scripts/setup.sh
# --with-libreoffice into the cache (nothing is installed for it).
FONT_SETS = ("project", "extra")
PROJECT_FONT_DIRS = ("/usr/share/fonts/truetype/arphic", "/usr/share/fonts/truetype/wqy",
                     "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/libreoffice")
EXTRA_FONTS = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) \
    / "xieyi" / "fontsets" / "extra"


def _fonts_conf(work: Path, font_set: str) -> Path:
    """A fontconfig file for the font set: its directories, the system's rules (aliases,
    language matching), a cache of its own."""
    dirs = list(PROJECT_FONT_DIRS)
    if font_set == "extra":
        if not (EXTRA_FONTS / ".complete").exists():
            if os.environ.get("CI"):
                pytest.fail(f"the second font set is missing ({EXTRA_FONTS}): "
                            "bash scripts/setup.sh --with-libreoffice prepares it")
            pytest.skip("second font set not prepared (bash scripts/setup.sh --with-libreoffice)")
        dirs.append(str(EXTRA_FONTS / "root" / "usr" / "share" / "fonts"))
    conf = work / f"fonts-{font_set}.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        + "".join(f"  <dir>{d}</dir>\n" for d in dirs)
        + '  <include ignore_missing="yes">/etc/fonts/conf.d</include>\n'
        + f"  <cachedir>{work / ('fc-cache-' + font_set)}</cachedir>\n</fontconfig>\n",
        encoding="utf-8")
    return conf


def _fonts_used(pdf: bytes) -> set[str]:
    from pypdf import PdfReader

    out = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for f in (page.get("/Resources", {}).get("/Font", {}) or {}).values():
            out.add(str(f.get_object().get("/BaseFont", "")).split("+")[-1])
    return out


@pytest.fixture(scope="session", params=FONT_SETS)
def exported(request, tmp_path_factory) -> dict[str, Case]:
    font_set = request.param
    work = tmp_path_factory.mktemp(f"libreoffice-{font_set}")
    env = {**os.environ, "FONTCONFIG_FILE": str(_fonts_conf(work, font_set))}
    cases = _cases()
    docx_dir, pdf_dir = work / "docx", work / "pdf"
    docx_dir.mkdir()
    pdf_dir.mkdir()
    for c in cases:
        (docx_dir / f"{c.name}.docx").write_bytes(c.docx)
    profile = (work / "profile").as_uri()

    def convert(batch: list[Case]) -> None:
        subprocess.run(
            ["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(pdf_dir)]
            + [str(docx_dir / f"{c.name}.docx") for c in batch],
            capture_output=True, timeout=600, env=env)

    # batches of 40: one soffice process has been seen to stop after a few hundred files
    for i in range(0, len(cases), BATCH):
        convert(cases[i:i + BATCH])
    missing = [c for c in cases if not (pdf_dir / f"{c.name}.pdf").exists()]
    if missing:  # once more, for a batch that stopped short
        convert(missing)
    fonts: set[str] = set()
    for c in cases:
        pdf = pdf_dir / f"{c.name}.pdf"
        assert pdf.exists(), f"LibreOffice did not convert {c.name}"
        data = pdf.read_bytes()
        c.result = parse_pdf(data)
        fonts |= _fonts_used(data)
    # the font set took effect: the extra one draws with its fonts, the project's never
    extra = {f for f in fonts if f.startswith(("Liberation", "NotoSans", "NotoSerif"))}
    assert bool(extra) == (font_set == "extra"), (font_set, sorted(fonts))
    return {c.name: c for c in cases}


def _diff(c: Case) -> str:
    exp, got = c.expected, c.result.record
    lines = [f"{c.name}: identified by {c.result.identified_by}, "
             f"warnings {[(w['code'], w['field']) for w in c.result.warnings]}"]
    for k in sorted(set(exp) | set(got)):
        if exp.get(k) != got.get(k):
            lines.append(f"  {k}: expected {exp.get(k)!r}\n  {' ' * len(k)}  got      {got.get(k)!r}")
    return "\n".join(lines)


def _group(exported: dict[str, Case], spec, kind: str) -> list[Case]:
    return [c for c in exported.values() if c.spec.id == spec.id and c.kind == kind]


@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.id)
def test_rendered_docx_exported_reads_back_exactly(exported, spec):
    cases = _group(exported, spec, "rendered")
    bad = [_diff(c) for c in cases if c.result.record != c.expected or c.result.warnings]
    assert not bad, "\n".join(bad)
    for c in cases:
        assert (c.result.form, c.result.method, c.result.identified_by) == \
            (spec.id, "layout", "stamp")


@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.id)
def test_hypothesis_records_exported_read_back_exactly(exported, spec):
    cases = _group(exported, spec, "hypothesis")
    assert len(cases) >= HYPOTHESIS_EXAMPLES // 2
    bad = [_diff(c) for c in cases if c.result.record != c.expected or c.result.warnings]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.id)
def test_docx_typed_into_by_a_person_reads_back(exported, spec):
    """Rows left empty between filled ones are skipped (and reported); nothing else differs."""
    for c in _group(exported, spec, "typed"):
        assert c.result.record == c.expected, _diff(c)
        reported = {w["field"] for w in c.result.warnings if w["code"] == "row_empty"}
        assert reported == {f"{f}.{i}" for f, rows in c.skipped.items() for i in rows}, _diff(c)
        assert all(w["code"] == "row_empty" for w in c.result.warnings), _diff(c)


@pytest.mark.parametrize("form_id", STRIPPED)
def test_export_without_properties_is_identified_by_title_and_labels(exported, form_id):
    c = exported[f"{form_id}--stripped"]
    assert c.result.identified_by == "text"
    assert c.result.record == c.expected, _diff(c)
    assert [w["code"] for w in c.result.warnings] == ["identified_by_text"]


def test_provenance_of_layout_values(exported):
    c = exported["shanxi-application--rendered-typical"]
    r = c.result
    beds = r.fields["departments.0.beds"]
    assert beds["method"] == "layout" and beds["page"] == 3
    x0, top, x1, bottom = beds["bbox"]
    assert 0 < x0 < x1 < 596 and 0 < top < bottom < 842
    assert beds["raw"] == str(c.record["departments"][0]["beds"])
    assert r.fields["apply_date"]["raw"].replace(" ", "").endswith("日")
    assert all(0 <= f["confidence"] <= 1 for f in r.fields.values())
    # empty value boxes are listed with their place, value null
    assert r.fields["departments.9.name"]["value"] is None


def test_every_case_was_read_as_its_own_form(exported):
    wrong = [(c.name, c.result.form) for c in exported.values() if c.result.form != c.spec.id]
    assert not wrong
