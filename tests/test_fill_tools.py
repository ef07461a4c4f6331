"""Our fillable PDFs filled by the tools institutions use, with each tool's normal calls.

pypdf (``update_page_form_field_values``) and PyMuPDF (``widget.field_value``,
``widget.update()``) stand for the programs built on them; both regenerate the
appearances they touch.  Choices are set by the export value each tool lists for the
button (``/0``, ``/1`` … with the labels in ``/Opt``), checkboxes by their on-state; the
parser must read back the record that was meant, for every form.
"""

from __future__ import annotations

import io
from pathlib import Path

import pymupdf
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from forms import all_forms, get_form, record_to_json, validate_record
from generator.pdf import render_pdf
from parser import parse_pdf

FORMS = [s for s in all_forms() if any(f.type in ("choice", "checkbox") for f in s.fields)]


def _wanted(spec) -> dict:
    """A record choosing the last option of every choice and ticking every other checkbox
    (top-level fields; rows keep the tools' calls the same)."""
    rec: dict = {}
    boxes = 0
    for f in spec.fields:
        if f.type == "choice":
            rec[f.id] = f.choices[-1]
        elif f.type == "checkbox":
            rec[f.id] = boxes % 2 == 0
            boxes += 1
    return rec


def _pypdf_fill(pdf: bytes, spec, rec: dict) -> bytes:
    reader = PdfReader(io.BytesIO(pdf))
    fields = reader.get_fields()
    values = {}
    for f in spec.fields:
        if f.id not in rec:
            continue
        if f.type == "choice":
            # the export value the tool lists for the wanted label: /Opt gives the labels
            states = [str(s) for s in fields[f.id]["/_States_"] if str(s) != "/Off"]
            labels = [str(o) for o in fields[f.id]["/Opt"]]
            values[f.id] = states[labels.index(rec[f.id])]
        elif f.type == "checkbox":
            values[f.id] = "/Yes" if rec[f.id] else "/Off"
    writer = PdfWriter(clone_from=reader)
    for page in writer.pages:
        writer.update_page_form_field_values(page, values)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pymupdf_fill(pdf: bytes, spec, rec: dict) -> bytes:
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    labels = {}
    for f in spec.fields:
        if f.type == "choice":
            labels[f.id] = list(f.choices)
    for page in doc:
        for w in page.widgets():
            name = w.field_name
            if name not in rec:
                continue
            if w.field_type == pymupdf.PDF_WIDGET_TYPE_RADIOBUTTON:
                # PyMuPDF names the button by its on-state: the position of the label
                if w.on_state() == str(labels[name].index(rec[name])):
                    w.field_value = w.on_state()
                    w.update()
            elif w.field_type == pymupdf.PDF_WIDGET_TYPE_CHECKBOX:
                w.field_value = w.on_state() if rec[name] else "Off"
                w.update()
    return doc.tobytes()


#: where the run leaves a picture of each filled page, for a reader to look at
SCREENSHOTS = Path(__file__).resolve().parents[1] / "out" / "fill-tools"


def _screenshot(pdf: bytes, name: str) -> Path:
    """Page 1 as PDFium (Chrome's engine) draws it, fields included."""
    import pypdfium2 as pdfium

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    doc = pdfium.PdfDocument(pdf)
    try:
        doc.init_forms()
        page = doc[0]
        page.render(scale=1.5, may_draw_forms=True).to_pil().save(path)
    finally:
        doc.close()
    return path


@pytest.mark.parametrize("tool", ["pypdf", "pymupdf"])
@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.id)
def test_choices_and_checkboxes_set_by_each_tool_read_back(spec, tool):
    rec = _wanted(spec)
    blank = render_pdf(spec, validate_record(spec, {}))
    filled = (_pypdf_fill if tool == "pypdf" else _pymupdf_fill)(blank, spec, rec)
    assert _screenshot(filled, f"{spec.id}-{tool}").stat().st_size > 10_000
    r = parse_pdf(filled)
    assert r.form == spec.id and r.method == "acroform"
    expected = record_to_json(spec, validate_record(spec, rec))
    assert {k: r.record.get(k) for k in rec} == {k: expected[k] for k in rec}
    for k in rec:
        if spec.field(k).type == "choice":
            assert r.fields[k]["confidence"] == 1.0, k


def test_pymupdf_lists_ascii_states_and_the_labels():
    """What a PyMuPDF user sees: the on-states are 0, 1 …, not #E8#90#A5… escapes."""
    spec = get_form("jingdezhen-application")
    doc = pymupdf.open(stream=render_pdf(spec, validate_record(spec, {})), filetype="pdf")
    states = {w.on_state() for p in doc for w in p.widgets() if w.field_name == "profit_nature"}
    assert states == {"0", "1"}
    reader = PdfReader(io.BytesIO(render_pdf(spec, validate_record(spec, {}))))
    assert [str(o) for o in reader.get_fields()["profit_nature"]["/Opt"]] == ["非营利性", "营利性"]


def test_files_of_earlier_versions_with_label_states_read_back():
    """Before /Opt, a state was the label as a UTF-8 name (/#E8#90#A5…): still read."""
    spec = get_form("jingdezhen-application")
    pdf = render_pdf(spec, validate_record(spec, {"profit_nature": "营利性"}))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    group = next(f.get_object() for f in writer._root_object["/AcroForm"]["/Fields"]
                 if f.get_object()["/T"] == "profit_nature")
    del group["/Opt"]
    labels = ["非营利性", "营利性"]
    for i, kid in enumerate(group["/Kids"]):
        kid = kid.get_object()
        ap = kid["/AP"]["/N"]
        ap[NameObject("/" + labels[i])] = ap.pop(f"/{i}")
        kid[NameObject("/AS")] = NameObject("/营利性" if i == 1 else "/Off")
    group[NameObject("/V")] = NameObject("/营利性")
    out = io.BytesIO()
    writer.write(out)
    r = parse_pdf(out.getvalue())
    assert r.record["profit_nature"] == "营利性" and r.fields["profit_nature"]["confidence"] == 1.0


def _fields_by_name(pdf: bytes) -> dict:
    """Each terminal field's own dictionary, by its full name."""
    out = {}

    def visit(f, parent):
        f = f.get_object()
        name = f"{parent}.{f['/T']}" if parent else str(f["/T"])
        named = [k for k in f.get("/Kids", []) if "/T" in k.get_object()]
        if named:
            for k in named:
                visit(k, name)
        else:
            out[name] = f

    for f in PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/AcroForm"]["/Fields"]:
        visit(f, "")
    return out


def test_a_long_value_in_a_tall_cell_wraps_in_viewers_short_ones_stay_on_a_line():
    """The institution's name sits in a three-line cell: the field is multi-line (viewers
    that lay out CJK text — PDFium, pdf.js, Acrobat, WPS — wrap it there instead of cutting
    it off); a score, a date part or a number stays a one-line field, centred."""
    flag = 1 << 12
    spec = get_form("jingdezhen-application")
    fields = _fields_by_name(render_pdf(spec, validate_record(spec, {})))
    assert int(fields["institution_name"].get("/Ff", 0)) & flag
    assert int(fields["institution_name"]["/MaxLen"]) == spec.field("institution_name").max_length
    assert not int(fields["rated_beds"].get("/Ff", 0)) & flag
    assert not int(fields["fill_date.year"].get("/Ff", 0)) & flag
    # every form: a one-line text field is multi-line exactly when its box holds two lines
    # and its longest value (max_length Chinese characters) is wider than the box
    from forms.layout import layout, prepared_font
    from generator.pdf._render import VALUE_PAD_X, _holds_lines

    seen = {True: 0, False: 0}
    for spec in all_forms():
        fields = _fields_by_name(render_pdf(spec, validate_record(spec, {})))
        for page in layout(spec, prepared_font("song")).pages:
            for wd in page.widgets:
                if wd.kind != "text" or wd.multiline:
                    continue
                width = wd.rect[2] - wd.rect[0] - 2 * VALUE_PAD_X
                wraps = (wd.value_type == "text" and _holds_lines(wd) >= 2
                         and (wd.max_length or 10**6) * wd.size > width)
                assert bool(int(fields[wd.name].get("/Ff", 0)) & flag) == wraps, (spec.id, wd.name)
                seen[wraps] += 1
    assert seen[True] > 50 and seen[False] > 50


def test_a_line_break_typed_into_a_one_line_value_is_joined():
    spec = get_form("jingdezhen-application")
    pdf = render_pdf(spec, validate_record(spec, {}))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.update_page_form_field_values(writer.pages[0], {
        "institution_name": "景德镇市第一人民医院\n康复医学中心",
        "address": "Jingdezhen No.1\nPeople's Hospital"}, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    r = parse_pdf(out.getvalue())
    assert r.record["institution_name"] == "景德镇市第一人民医院康复医学中心"
    assert r.record["address"] == "Jingdezhen No.1 People's Hospital"
    assert r.fields["institution_name"]["confidence"] < 1


def _typing_font(pdf: bytes):
    acro = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/AcroForm"]
    font = acro["/DR"]["/Font"][str(acro["/DA"]).split()[0]].get_object()
    return font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()


def test_the_download_embeds_the_font_viewers_type_with(client, capsys, tmp_path):
    """A viewer or tool that redraws a field draws the typed characters with the form's
    typing font (/DA, /DR): the download embeds a whole GBK font, so no viewer has to bring
    one; ?typing_font=viewer (or --typing-font viewer) names the viewer's own Song instead,
    for files about 40 times smaller."""
    from api.cli import main

    default = client.get("/api/forms/jingdezhen-application.pdf")
    small = client.get("/api/forms/jingdezhen-application.pdf?typing_font=viewer")
    assert "/FontFile2" in _typing_font(default.data)
    assert "/FontFile2" not in _typing_font(small.data)
    assert str(_typing_font(small.data)["/FontName"]) == "/STSong-Light"
    assert len(default.data) > 1_000_000 and len(small.data) < 200_000
    filled = client.post("/api/forms/jingdezhen-application/render?format=pdf",
                         json={"institution_name": "张伟堃喆医院"})
    assert "/FontFile2" in _typing_font(filled.data)
    r = client.get("/api/forms/jingdezhen-application.pdf?typing_font=other")
    assert r.status_code == 422 and r.get_json()["message_zh"]
    # the command line: the same default and the same choice
    assert main(["render", "jingdezhen-application", "-o", str(tmp_path / "a.pdf"),
                 "--typing-font", "viewer"]) == 0
    assert "/FontFile2" not in _typing_font((tmp_path / "a.pdf").read_bytes())
    assert main(["render", "jingdezhen-application", "-o", str(tmp_path / "b.pdf")]) == 0
    assert "/FontFile2" in _typing_font((tmp_path / "b.pdf").read_bytes())
    capsys.readouterr()


def _glyph_chars(pdf: bytes) -> set[str]:
    """The characters the typing font's embedded program has an outline for."""
    from fontTools.ttLib import TTFont

    program = _typing_font(pdf)["/FontFile2"].get_object().get_data()
    font = TTFont(io.BytesIO(program))
    glyf = font["glyf"]
    return {chr(cp) for cp, name in font.getBestCmap().items()
            if glyf[name].numberOfContours != 0}


def test_the_song_typing_font_types_like_the_form_body(client):
    """?typing_font=song embeds the Song of the form's pages, whole: GBK and CJK Extension A
    (㐀, which GBK lacks and the Hei typing font has no outline for), so a value typed in
    a viewer looks like the printed form.  It costs about 9 MB a file, measured here."""
    song = client.get("/api/forms/jingdezhen-application.pdf?typing_font=song")
    hei = client.get("/api/forms/jingdezhen-application.pdf")
    assert song.status_code == 200
    assert str(_typing_font(song.data)["/FontName"]) == "/XieyiSong"
    assert 8_000_000 < len(song.data) < 10_000_000
    value = "堃喆㐀彧昶医院"
    assert set(value) <= _glyph_chars(song.data)
    assert "㐀" not in _glyph_chars(hei.data) and set("堃喆彧昶") <= _glyph_chars(hei.data)
    # pypdf draws with it: the printed box shows the value, and it reads back exactly
    spec = get_form("jingdezhen-application")
    printed = _flattened_by_pypdf(song.data, {"institution_name": value})
    assert _text_in_box(printed, spec, "institution_name") == value
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(song.data)))
    writer.update_page_form_field_values(writer.pages[0], {"institution_name": value})
    out = io.BytesIO()
    writer.write(out)
    r = parse_pdf(out.getvalue())
    assert r.record["institution_name"] == value and r.warnings == []


def _flattened_by_pypdf(pdf: bytes, values: dict) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.update_page_form_field_values(None, values, flatten=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _text_in_box(pdf: bytes, spec, name: str) -> str:
    import pdfplumber

    from forms.layout import layout_geometry

    for pi, page in enumerate(layout_geometry(spec)["pages"]):
        if name in page["fields"]:
            x0, top, x1, bottom = page["fields"][name]["bbox"]
            with pdfplumber.open(io.BytesIO(pdf)) as doc:
                crop = doc.pages[pi].within_bbox((x0 - 1, top - 1, x1 + 1, bottom + 1))
                return "".join((crop.extract_text() or "").split())
    raise KeyError(name)


@pytest.mark.parametrize("spec", [get_form(i) for i in ("jingdezhen-application",
                                                        "jilin-application",
                                                        "hunan-application")],
                         ids=lambda s: s.id)
def test_values_printed_by_pypdf_are_the_typed_ones_each_in_its_box(spec):
    """pypdf fills and flattens (what pypdf-based tools print): each empty field has an
    appearance stream of its own (a shared one took every value at once), and the typing
    font is embedded, so each box shows its value in the right characters.  Values short
    enough for one line: pypdf does not break lines between Chinese characters."""
    names = [f.id for f in spec.fields if f.type == "text" and (f.max_length or 99) >= 8][:4]
    values = {n: f"堃喆{i}号张伟" for i, n in enumerate(names)}
    printed = _flattened_by_pypdf(render_pdf(spec, validate_record(spec, {}),
                                             typing_font="embedded"), values)
    assert {n: _text_in_box(printed, spec, n) for n in names} == values
    # with the viewer's own font, not embedded, pypdf cannot encode the characters
    printed = _flattened_by_pypdf(render_pdf(spec, validate_record(spec, {}),
                                             typing_font="viewer"), values)
    assert {n: _text_in_box(printed, spec, n) for n in names} != values


def _pymupdf_text(pdf: bytes, values: dict) -> bytes:
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    for page in doc:
        for w in page.widgets():
            if w.field_name in values:
                w.field_value = values[w.field_name]
                w.update()
    return doc.tobytes()


def test_a_tool_appearance_that_shows_other_text_is_reported():
    """PyMuPDF redraws a field with a font of its own and writes 𠮷 (outside the BMP) in a
    two-byte encoding: the page shows other characters than the value.  The value is read
    exactly, and the reviewer is told to check the paper copy; a correct appearance (BMP
    characters, or our own) raises nothing."""
    spec = get_form("jingdezhen-application")
    blank = render_pdf(spec, validate_record(spec, {}), typing_font="embedded")
    r = parse_pdf(_pymupdf_text(blank, {"institution_name": "张伟𠮷医院"}))
    assert r.record["institution_name"] == "张伟𠮷医院"
    w = [x for x in r.warnings if x["field"] == "institution_name"]
    assert [x["code"] for x in w] == ["appearance_mismatch"] and "纸质件" in w[0]["message_zh"]
    assert r.fields["institution_name"]["confidence"] < 1
    r = parse_pdf(_pymupdf_text(blank, {"institution_name": "张伟堃喆医院"}))
    assert r.record["institution_name"] == "张伟堃喆医院" and r.warnings == []
    # pypdf drawing with the viewer's font it has no file of: other characters
    viewer = render_pdf(spec, validate_record(spec, {}), typing_font="viewer")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(viewer)))
    writer.update_page_form_field_values(writer.pages[0], {"institution_name": "张伟堃喆医院"})
    out = io.BytesIO()
    writer.write(out)
    r = parse_pdf(out.getvalue())
    assert r.record["institution_name"] == "张伟堃喆医院"
    assert [x["code"] for x in r.warnings] == ["appearance_mismatch"]


@pytest.mark.parametrize("tool", ["pypdf", "pymupdf"])
def test_a_long_value_a_tool_draws_past_its_box_is_reported(tool):
    """Neither PyMuPDF nor pypdf breaks a line between Chinese characters: a long name runs
    out of its box in the appearance they draw, and would print cut off.  The value reads
    back whole, with a warning for the reviewer; a short one raises nothing."""
    spec = get_form("jingdezhen-application")
    blank = render_pdf(spec, validate_record(spec, {}), typing_font="embedded")
    long_name = "景德镇市第一人民医院康复医学中心附属工伤康复分院"

    def fill(values):
        if tool == "pymupdf":
            return _pymupdf_text(blank, values)
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank)))
        writer.update_page_form_field_values(writer.pages[0], values)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    r = parse_pdf(fill({"institution_name": long_name}))
    assert r.record["institution_name"] == long_name
    assert [(w["field"], w["code"]) for w in r.warnings] == [("institution_name",
                                                              "appearance_clipped")]
    assert "显示不全" in r.warnings[0]["message_zh"]
    r = parse_pdf(fill({"institution_name": "景德镇医院"}))
    assert r.record["institution_name"] == "景德镇医院" and r.warnings == []
