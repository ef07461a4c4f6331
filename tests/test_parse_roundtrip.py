"""Round trip through the fillable PDF: record → ``render_pdf`` → ``parse_pdf`` → the same record.

Property-based over every form (``records`` below), then the things
viewers and other tools do to the fields of a PDF a person filled: values set
by a tool instead of by us, checkbox and radio states renamed, a value only in
the widget's appearance state, Windows line ends, byte strings, metadata
stripped, numbers and dates typed with units, full-width digits and Chinese
numerals, values the form refuses (reported, never guessed).
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    NameObject,
    TextStringObject,
)

from forms import (
    FormSpec,
    all_forms,
    get_form,
    record_to_json,
    sample_record,
    validate_record,
)
from generator.pdf import render_pdf
from parser import parse_pdf

FORMS = all_forms()


# ---------------------------------------------------------------- records from descriptions
# Hypothesis strategies (test_parse_libreoffice uses them too): valid records for any form,
# from its description.
#
# ``records(spec)`` draws what a person may put in a form: rare name characters
# (堃, 喆, 𠀀), full-width punctuation, markup and template syntax, the longest
# values a field allows, fields left empty, any number of rows up to the printed
# ones.  ``layout_safe=True`` keeps to what a printed page can say unambiguously
# (see ``test_parse_libreoffice``): no spaces at the ends of a value or next to a
# Chinese character (a page shows no difference between a wrapped line that lost
# its space and one that had none), no empty lines at the ends of a multi-line value.
CJK = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈" \
      "景德镇市第一人民医院康复辅助器具配置中心工伤保险协议服务机构山西湖南吉林天津省科室床位主任医师护士" \
      "堃喆"
FULLWIDTH = "（）；：“”‘’、。，《》！？【】…—·"
ASCII = "abcxyzABCXYZ0123456789&<>\"'{}%#$@/\\-_.,;:!?()[]+="
RARE = "𠀀𡃁"  # CJK Extension B: outside GBK
#: characters of a Latin word on a printed page: letters, digits and the symbols that
#: neither break a line nor are broken at (punctuation next to a space is ambiguous in print)
LATIN_WORD = "abcxyzABCXYZ0123456789_"
#: fields this short hold no spaces in layout-safe records (see ``_text``)
SHORT_FIELD = 12


def _text(max_size: int, layout_safe: bool, multiline: bool) -> st.SearchStrategy[str]:
    if not layout_safe:
        alphabet = st.sampled_from(CJK + FULLWIDTH + ASCII + RARE + " \u3000")
        line = st.text(alphabet, min_size=1, max_size=max_size)
        if not multiline:
            return line
        return st.lists(st.text(alphabet, max_size=max_size), min_size=1, max_size=4).map(
            "\n".join).filter(lambda s: 0 < len(s) <= max_size and s.strip() != "")

    # words: Chinese runs (with their punctuation) or Latin words, Latin words spaced
    # a Chinese run starts and ends with a character: punctuation glued to a Latin word makes
    # one unbreakable unit, which a narrow cell breaks wherever its layout engine likes
    cjk_word = st.text(st.sampled_from(CJK + FULLWIDTH), min_size=1, max_size=12).filter(
        lambda w: w[0] in CJK and w[-1] in CJK)
    latin_word = st.text(st.sampled_from(LATIN_WORD), min_size=1, max_size=6)

    words = st.lists(st.one_of(cjk_word.map(lambda w: ("cjk", w)),
                               latin_word.map(lambda w: ("latin", w))), min_size=1, max_size=8)

    # a short field (a score, a code) sits in a narrow cell where a value with a space
    # wraps with its first word filling the line: printed, "ab cd" and "abcd" look the same
    spaced = max_size > SHORT_FIELD

    def _join(ws):
        out, last = "", None
        for kind, w in ws:
            if out and kind == "latin" and last == "latin" and spaced:
                out += " "
            out += w
            last = kind
        return out

    line = words.map(_join)
    if multiline:
        # lines short of a cell's width: a line break where a full line would wrap anyway
        # cannot be told from a wrap (the page shows the same)
        short = words.map(_join).map(lambda s: s[:8].strip()).filter(bool)
        value = st.lists(st.one_of(short, short, st.just("")), min_size=1, max_size=4).map(
            "\n".join).map(lambda s: s.strip("\n"))
    else:
        value = line
    return value.map(lambda s: s[:max_size].strip()).filter(
        lambda s: s != "" and s == s.strip() and "\n\n\n" not in s
        and not any(ln != ln.strip() for ln in s.split("\n")))


def value(f, layout_safe: bool = False) -> st.SearchStrategy:
    if f.type in ("text", "multiline"):
        n = f.max_length or 40
        strat = _text(n, layout_safe, f.type == "multiline")
        if not layout_safe:
            # the longest value the field allows, now and then
            strat = st.one_of(strat, st.just(("堃喆（测试）“引号”；" * n)[:n]))
        return strat
    if f.type == "integer":
        return st.integers(min_value=0, max_value=99_999_999)
    if f.type == "decimal":
        places = f.places or 0
        return st.decimals(min_value=0, max_value=Decimal(9999999), places=places,
                           allow_nan=False, allow_infinity=False).map(
            lambda d: str(d.quantize(Decimal(1).scaleb(-places))))
    if f.type == "date":
        return st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31)).map(
            dt.date.isoformat)
    if f.type == "choice":
        return st.sampled_from(f.choices)
    if f.type == "checkbox":
        return st.booleans()
    raise AssertionError(f.type)


def _row(f, layout_safe: bool) -> st.SearchStrategy[dict]:
    cols = {c.id: (value(c, layout_safe) if c.type == "checkbox"
                   else st.one_of(st.none(), value(c, layout_safe))) for c in f.columns}

    def clean(row: dict) -> dict:
        return {k: v for k, v in row.items() if v is not None}

    def filled(row: dict) -> bool:
        cmap = {c.id: c for c in f.columns}
        return any(cmap[k].type != "checkbox" or v is True for k, v in row.items())

    return st.fixed_dictionaries(cols).map(clean).filter(filled)


@st.composite
def records(draw, spec: FormSpec, layout_safe: bool = False) -> dict:
    """A JSON record for ``spec``: each field filled or left out; checkboxes always given
    (a PDF cannot tell an unticked box from an unanswered one)."""
    rec = {}
    for f in spec.fields:
        if f.type == "rows":
            rows = draw(st.lists(_row(f, layout_safe), max_size=f.max_rows))
            if rows:
                rec[f.id] = rows
        elif f.type == "checkbox":
            rec[f.id] = draw(st.booleans())
        else:
            v = draw(st.one_of(st.none(), value(f, layout_safe)))
            if v is not None:
                rec[f.id] = v
    return rec


def _roundtrip(spec, data: dict):
    record = validate_record(spec, data)
    pdf = render_pdf(spec, record)
    return record, parse_pdf(pdf)


@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.id)
def test_property_roundtrip_through_the_fillable_pdf(spec):
    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(records(spec))
    def check(data):
        record, r = _roundtrip(spec, data)
        assert r.record == record_to_json(spec, record)
        assert (r.form, r.version, r.method, r.identified_by) == \
            (spec.id, spec.version, "acroform", "metadata")
        assert r.warnings == []
        for f in r.fields.values():
            if f["value"] is not None:
                assert f["page"] >= 1 and f["confidence"] == 1.0
                x0, top, x1, bottom = f["bbox"]
                assert 0 <= x0 < x1 <= 596 and 0 <= top < bottom <= 842

    check()


@pytest.mark.parametrize("style", ["typical", "special", "longest"])
@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.id)
def test_sample_records_roundtrip(spec, style):
    record, r = _roundtrip(spec, sample_record(spec, style))
    assert r.record == record_to_json(spec, record)


@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.id)
def test_blank_form_reads_as_no_values(spec):
    r = parse_pdf(render_pdf(spec))
    # only the unticked checkboxes, which read false
    assert all(spec.field(k).type == "checkbox" and v is False for k, v in r.record.items())
    assert r.warnings == []


def test_the_result_is_json_and_typed():
    spec = get_form("shanxi-application")
    record, r = _roundtrip(spec, sample_record(spec, "typical"))
    d = r.to_dict()
    assert list(d) == ["form", "version", "title", "method", "identified_by", "pages", "record",
                       "fields", "warnings"]
    assert d["pages"] == 4
    assert r.typed_record() == record
    dept = r.fields["departments.0.beds"]
    assert set(dept) == {"value", "raw", "page", "bbox", "method", "confidence"}
    assert dept["page"] == 3 and dept["method"] == "acroform"
    assert r.fields["apply_date"]["raw"].endswith("日")


# ---------------------------------------------------------------- what viewers do

def _fields(writer: PdfWriter) -> dict[str, DictionaryObject]:
    out = {}

    def walk(ref, parent):
        obj = ref.get_object()
        name = f"{parent}.{obj['/T']}" if parent and "/T" in obj else str(obj.get("/T", parent))
        out[name] = obj
        for k in obj.get("/Kids", []):
            if "/T" in k.get_object():
                walk(k, name)

    for f in writer._root_object["/AcroForm"]["/Fields"]:
        walk(f, "")
    return out


def _edit(pdf: bytes, fn, *, drop_info: bool = False) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    fn(_fields(writer))
    if drop_info:
        writer._info = None
        writer.metadata = None
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _set_text(field: DictionaryObject, value) -> None:
    field[NameObject("/V")] = value if not isinstance(value, str) else TextStringObject(value)


def test_values_set_by_another_tool():
    """pypdf's own form filling (as poppler- and pdf.js-based tools do): /V set on a blank
    form, appearances regenerated by the tool."""
    spec = get_form("jingdezhen-application")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(render_pdf(spec))))
    writer.set_need_appearances_writer(True)
    writer.update_page_form_field_values(writer.pages[0], {
        "institution_name": "景德镇市第一人民医院", "rated_beds": "120",
        "fill_date.year": "2024", "fill_date.month": "7", "fill_date.day": "1",
        "application_content": "第一行\r\n第二行",
    }, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    r = parse_pdf(out.getvalue())
    assert r.record["institution_name"] == "景德镇市第一人民医院"
    assert r.record["rated_beds"] == 120
    assert r.record["fill_date"] == "2024-07-01"
    assert r.record["application_content"] == "第一行\n第二行"


def test_checkbox_on_state_renamed_and_only_the_appearance_state_set():
    spec = get_form("hunan-application")
    pdf = render_pdf(spec, validate_record(spec, {"material_application": False,
                                                  "material_license": True}))

    def edit(f):
        # a tool that names its on-state /On
        box = f["material_application"]
        box[NameObject("/V")] = NameObject("/On")
        box[NameObject("/AS")] = NameObject("/On")
        ap = box["/AP"]["/N"]
        ap[NameObject("/On")] = ap.pop("/Yes")
        # a viewer that updated the widget's state but not the field's value
        other = f["material_service_scale"]
        del other["/V"]
        other[NameObject("/AS")] = NameObject("/Yes")

    r = parse_pdf(_edit(pdf, edit))
    assert r.record["material_application"] is True
    assert r.record["material_license"] is True
    assert r.record["material_service_scale"] is True
    assert r.record["material_service_quality"] is False


def test_radio_states_renamed_read_by_position():
    spec = get_form("jingdezhen-application")
    pdf = render_pdf(spec, validate_record(spec, {"profit_nature": "营利性", "ownership": "公立"}))

    def edit(f):
        # a tool that renamed the states (and dropped /Opt): read by the button's position
        group = f["profit_nature"]
        del group["/Opt"]
        group[NameObject("/V")] = NameObject("/B")
        for i, kid in enumerate(group["/Kids"]):
            kid = kid.get_object()
            ap = kid["/AP"]["/N"]
            on = next(k for k in ap if k != "/Off")
            ap[NameObject(f"/{'AB'[i]}")] = ap.pop(on)
            kid[NameObject("/AS")] = NameObject("/B" if i == 1 else "/Off")
        # the other group: /V gone, one kid's /AS on
        own = f["ownership"]
        del own["/V"]

    r = parse_pdf(_edit(pdf, edit))
    assert r.record["profit_nature"] == "营利性"
    assert r.fields["profit_nature"]["confidence"] < 1
    assert r.record["ownership"] == "公立"


def test_metadata_stripped_identified_by_field_names():
    spec = get_form("jilin-application")
    record = validate_record(spec, sample_record(spec, "special"))
    pdf = _edit(render_pdf(spec, record), lambda f: None, drop_info=True)
    assert b"XieyiForm" not in pdf
    r = parse_pdf(pdf)
    assert (r.form, r.identified_by, r.method) == ("jilin-application", "fields", "acroform")
    assert r.record == record_to_json(spec, record)


def test_byte_string_and_windows_line_ends():
    spec = get_form("jilin-application")
    pdf = render_pdf(spec, validate_record(spec, {}))

    def edit(f):
        _set_text(f["institution_name"], ByteStringObject(b"Hospital No. 1"))
        _set_text(f["service_scope"], "内科\r\n外科\r康复")

    r = parse_pdf(_edit(pdf, edit))
    assert r.record["institution_name"] == "Hospital No. 1"
    assert r.record["service_scope"] == "内科\n外科\n康复"


def test_numbers_and_dates_as_people_type_them():
    spec = get_form("jingdezhen-application")
    pdf = render_pdf(spec)

    def edit(f):
        _set_text(f["rated_beds"], "１２０张")
        _set_text(f["outpatient_departments"], "  12 个 ")
        _set_text(f["outpatient_total_cost"], "1,234.50万元")
        _set_text(f["outpatient_avg_cost"], "12000元")
        _set_text(f["inpatient_total_cost"], "3.5万元")
        _set_text(f["assistive_avg_cost"], "0.5万元")  # 元 field: converted, exact
        _set_text(f["fill_date.year"], "２０２４")
        _set_text(f["fill_date.month"], "07")
        _set_text(f["fill_date.day"], "1")

    r = parse_pdf(_edit(pdf, edit))
    rec = r.record
    assert rec["rated_beds"] == 120
    assert rec["outpatient_departments"] == 12
    assert rec["outpatient_total_cost"] == "1234.50"
    assert rec["outpatient_avg_cost"] == "12000"
    assert rec["inpatient_total_cost"] == "3.5"
    assert rec["assistive_avg_cost"] == "5000"
    assert r.fields["assistive_avg_cost"]["confidence"] < 1
    assert rec["fill_date"] == "2024-07-01"
    assert r.warnings == []


def test_unreadable_and_refused_values_are_reported_not_guessed():
    spec = get_form("jingdezhen-application")
    pdf = render_pdf(spec)

    def edit(f):
        _set_text(f["rated_beds"], "一百二十")
        _set_text(f["wards"], "-3")
        _set_text(f["beds"], "12.5")
        _set_text(f["outpatient_avg_cost"], "1.234")  # three places; the form has two
        _set_text(f["total_cost"], "12㎡")  # a unit that is not the form's
        _set_text(f["fill_date.year"], "2024")
        _set_text(f["fill_date.day"], "1")  # no month
        _set_text(f["license_date.year"], "2023")
        _set_text(f["license_date.month"], "2")
        _set_text(f["license_date.day"], "30")

    r = parse_pdf(_edit(pdf, edit))
    codes = {w["field"]: w["code"] for w in r.warnings}
    assert codes == {
        "rated_beds": "not_a_number", "wards": "negative", "beds": "not_an_integer",
        "outpatient_avg_cost": "too_many_places", "total_cost": "unit_mismatch",
        "fill_date": "date_incomplete", "license_date": "date_invalid",
    }
    for k in codes:
        assert k not in r.record
    assert r.fields["rated_beds"]["raw"] == "一百二十"
    for w in r.warnings:
        assert w["message_zh"] and w["message_en"]


def test_rows_left_empty_between_filled_ones():
    spec = get_form("shanxi-application")
    pdf = render_pdf(spec)

    def edit(f):
        _set_text(f["departments.0.name"], "骨科")
        _set_text(f["departments.0.beds"], "30")
        _set_text(f["departments.2.name"], "康复科")
        _set_text(f["departments.2.scope"], "运动疗法\r\n作业疗法")

    r = parse_pdf(_edit(pdf, edit))
    assert r.record["departments"] == [
        {"name": "骨科", "beds": 30},
        {"name": "康复科", "scope": "运动疗法\n作业疗法"},
    ]
    assert [w["code"] for w in r.warnings] == ["row_empty"]
    assert r.warnings[0]["field"] == "departments.1"
    assert r.fields["departments.2.name"]["value"] == "康复科"  # printed row kept in fields


def test_an_array_of_fields_that_loops_is_survived():
    """A field whose /Kids contains itself (a hostile file): read once, no hang."""
    spec = get_form("hunan-application")
    pdf = render_pdf(spec, validate_record(spec, {"institution_name": "某医院"}))

    def edit(f):
        apply_date = f["apply_date"]
        apply_date[NameObject("/Kids")] = ArrayObject(
            list(apply_date["/Kids"]) + [apply_date.indirect_reference])

    r = parse_pdf(_edit(pdf, edit))
    assert r.record["institution_name"] == "某医院"


# ---------------------------------------------------------------- flattened: fields into page

needs_qpdf = pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")


def _flatten(pdf: bytes, tmp_path: Path, *, drop_info: bool = False) -> bytes:
    """What "print to PDF" and some viewers' save do: every field drawn into the page and
    removed as a field (qpdf --flatten-annotations=all); without our metadata, when asked."""
    src, out = tmp_path / "filled.pdf", tmp_path / "flat.pdf"
    src.write_bytes(pdf)
    subprocess.run(["qpdf", "--flatten-annotations=all", str(src), str(out)], check=True)
    if not drop_info:
        return out.read_bytes()
    writer = PdfWriter()
    for page in PdfReader(out).pages:
        writer.add_page(page)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@needs_qpdf
@pytest.mark.parametrize("spec", FORMS, ids=lambda s: s.id)
def test_flattened_fillable_pdf_is_read_from_its_page(spec, tmp_path):
    """No fields left: values read from the page text, ticks found where the description
    puts each box (they are drawn, not printed as characters)."""
    record = validate_record(spec, sample_record(spec, "typical"))
    r = parse_pdf(_flatten(render_pdf(spec, record), tmp_path))
    assert (r.method, r.identified_by) == ("layout", "metadata")
    assert r.record == record_to_json(spec, record)
    assert r.warnings == []


@needs_qpdf
def test_flattened_without_metadata_is_recognised_by_its_printed_layout(tmp_path):
    spec = get_form("hunan-application")
    record = validate_record(spec, sample_record(spec, "typical"))
    r = parse_pdf(_flatten(render_pdf(spec, record), tmp_path, drop_info=True))
    assert (r.method, r.identified_by) == ("layout", "text")
    assert r.record == record_to_json(spec, record)
    assert record["category"] and record["material_application"] is True
