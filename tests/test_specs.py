"""Form descriptions: they load, they say what the seeds say, and their records are checked.

* every description loads, and a broken one is rejected (inline YAML-shaped dicts);
* every official text of a transcribed form is found in its seed (after the errata), every
  quotation of a derived form too, and a derived form shows its derived note;
* every erratum's seed text is in its seed and its corrected text in a description;
* ``validate_record`` takes a full record of each form and rejects bad ones, naming the field.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

import forms
import sources
from forms import RecordInvalid, SpecError, all_forms, get_form, parse_spec, validate_record
from forms._errata import page_texts
from forms._loader import SPEC_DIR
from generator.agreement import all_agreements

ROOT = Path(__file__).resolve().parents[1]

FORMS = all_forms()
FORM_IDS = [s.id for s in FORMS]
TRANSCRIBED = [s.id for s in FORMS if not s.derived]
DERIVED = [s.id for s in FORMS if s.derived]

_WS = re.compile(r"\s+")
_UNIFY = str.maketrans({"（": "(", "）": ")", "：": ":"})


def norm(text: str) -> str:
    """Whitespace (and tabs) removed, full- and half-width （）() and ：: unified."""
    return _WS.sub("", text).translate(_UNIFY)


def errata() -> list[dict]:
    """The errata of sources/data, each with the transcription it corrects."""
    return [{**e.to_dict(), "seed": e.seed} for e in sources.errata()]


def raw_seed(name: str) -> str:
    """The transcription ``name`` exactly as printed (sources/data/<jurisdiction>.txt)."""
    return sources.by_seed(name).printed


def corrected_seed(name: str) -> str:
    """The transcription with every erratum for it applied, normalised."""
    return norm(sources.by_seed(name).corrected)


# ---------------------------------------------------------------------------------------
# loading

def test_every_description_loads_with_a_unique_id():
    files = sorted(SPEC_DIR.glob("*.yaml"))
    assert len(FORMS) == len(files)
    assert sorted(FORM_IDS) == sorted(p.stem for p in files)
    assert len(set(FORM_IDS)) == len(FORM_IDS)
    assert {"jingdezhen-application", "jingdezhen-commitment", "shanxi-application",
            "hunan-commitment", "hunan-application", "jilin-application"} <= set(FORM_IDS)
    for form_id in FORM_IDS:
        assert get_form(form_id).id == form_id


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_field_is_shown_exactly_once(form_id):
    spec = get_form(form_id)
    names = [ref.name for ref in spec.field_refs()]
    assert len(names) == len(set(names))
    assert len(spec.field_ids) == len(set(spec.field_ids))
    expected = set()
    for f in spec.fields:
        if f.type == "rows":
            expected |= {f"{f.id}.{i}.{c.id}" for i in range(f.max_rows) for c in f.columns}
        else:
            expected.add(f.id)
    assert set(names) == expected
    pdf = spec.pdf_field_names()
    assert len(pdf) == len(set(pdf))


# validity as DOMAIN.md states it (以上/届满 count the end day: two years from 2022-08-08 end on
# 2024-08-07)
VALIDITY = {
    "jingdezhen": (dt.date(2022, 7, 27), None),
    "shanxi": (dt.date(2022, 8, 8), dt.date(2024, 8, 7)),
    "hunan": (dt.date(2022, 6, 1), dt.date(2024, 5, 31)),
    "jilin": (dt.date(2026, 1, 30), None),
    "tianjin": (dt.date(2024, 7, 1), dt.date(2029, 6, 30)),
}


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_validity_follows_the_document(form_id):
    spec = get_form(form_id)
    assert spec.jurisdiction in VALIDITY, f"add the validity of {spec.jurisdiction} (DOMAIN.md)"
    assert (spec.valid_from, spec.valid_to) == VALIDITY[spec.jurisdiction]


def test_free_rows_are_numbered():
    texts = get_form("shanxi-application").official_texts()
    assert texts[-5:] == ["（1）", "（2）", "（3）", "（4）", "（5）"]


# --- broken descriptions are rejected

def _minimal() -> dict:
    return {
        "id": "test-form",
        "jurisdiction": "test",
        "jurisdiction_name": "测试",
        "title": "测试表",
        "kind": "application",
        "categories": ["medical"],
        "source": {"seed": "x.txt", "document": "测〔2022〕1号", "article": "第一条"},
        "version": "1",
        "valid_from": "2022-01-01",
        "derived": False,
        "fields": [
            {"id": "name", "label": "名称", "type": "text", "max_length": 10},
            {"id": "count", "label": "人数", "type": "integer", "unit": "人"},
            {"id": "items", "label": "清单", "type": "rows", "max_rows": 2,
             "columns": [{"id": "what", "label": "品目", "type": "text", "max_length": 10}]},
        ],
        "layout": [
            {"title": "测试表"},
            {"table": {"columns": [1, 1], "rows": [
                ["名称", {"field": "name"}],
                [{"runs": ["人数：", {"field": "count", "width": 10}, "人"], "colspan": 2}],
                {"repeat": "items", "cells": ["（{n}）", {"column": "what"}]},
            ]}},
        ],
    }


def test_the_minimal_description_loads():
    spec = parse_spec(_minimal())
    assert spec.field_ids == ("name", "count", "items")
    assert "（2）" in spec.official_texts()


def _broken(change) -> dict:
    raw = copy.deepcopy(_minimal())
    change(raw)
    return raw


BROKEN = {
    "unknown top-level key": (lambda r: r.update(colour="red"), "unknown keys"),
    "unknown field key": (lambda r: r["fields"][0].update(size=3), "unknown keys"),
    "unknown cell key": (lambda r: r["layout"][1]["table"]["rows"][0].__setitem__(
        0, {"text": "名称", "colour": "red"}), "unknown keys"),
    "unknown field type": (lambda r: r["fields"][1].update(type="number"), "not one of"),
    "text without max_length": (lambda r: r["fields"][0].pop("max_length"), "max_length"),
    "rows without max_rows": (lambda r: r["fields"][2].pop("max_rows"), "max_rows"),
    "choice without choices": (lambda r: r["fields"][0].update(type="choice"), "choices"),
    "duplicate field id": (lambda r: r["fields"][1].update(id="name"), "duplicate"),
    "unknown field reference": (lambda r: r["layout"][1]["table"]["rows"][0].__setitem__(
        1, {"field": "nmae"}), "unknown field"),
    "unknown column reference": (lambda r: r["layout"][1]["table"]["rows"][2]["cells"]
                                 .__setitem__(1, {"column": "wat"}), "no column"),
    "a field never shown": (lambda r: r["fields"].append(
        {"id": "phone", "label": "电话", "type": "text", "max_length": 20}), "never shown"),
    "a field shown twice": (lambda r: r["layout"].append({"para": [{"field": "name"}]}),
                            "shown twice"),
    "a rows field without a column": (lambda r: r["layout"].append(
        {"para": [{"field": "items"}]}), "without a column"),
    "repeat of a plain field": (lambda r: r["layout"][1]["table"]["rows"][2].update(
        repeat="name"), "not a rows field"),
    "a row too short for the grid": (lambda r: r["layout"][1]["table"]["rows"][0].pop(),
                                     "cells cover columns"),
    "a row too long for the grid": (lambda r: r["layout"][1]["table"]["rows"][0].append("多"),
                                    "cells cover columns"),
    "a rowspan past the last row": (lambda r: r["layout"][1]["table"]["rows"][2]["cells"]
                                    .__setitem__(0, {"text": "（{n}）", "rowspan": 2}),
                                    "cells cover columns|past the last row"),
    "unknown block kind": (lambda r: r["layout"].append({"picture": "x.png"}), "unknown block"),
    "derived without a note": (lambda r: r.update(derived=True), "derived_note"),
    "derived note not on the page": (lambda r: r.update(derived=True, derived_note="依据第一条编制"),
                                     "must appear on the page"),
    "quotes not a list": (lambda r: r["source"].update(quotes="第一条"), "quotes"),
    "bad form id": (lambda r: r.update(id="Test Form"), "bad form id"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_description_is_rejected(case):
    change, message = BROKEN[case]
    with pytest.raises(SpecError) as info:
        parse_spec(_broken(change))
    assert re.search(message, info.value.message_en), info.value.message_en


# ---------------------------------------------------------------------------------------
# what the forms say against what the seeds say

@pytest.mark.parametrize("form_id", TRANSCRIBED)
def test_every_official_text_is_in_the_seed(form_id):
    spec = get_form(form_id)
    seed = corrected_seed(spec.source.seed)
    missing = [t for t in spec.official_texts() if norm(t) not in seed]
    assert not missing, f"{form_id}: not in {spec.source.seed}: {missing}"
    labels = [f.label for f in spec.fields] + [c.label for f in spec.fields for c in f.columns]
    choices = [c for f in spec.fields for c in f.choices]
    missing = [t for t in labels + choices if norm(t) not in seed]
    assert not missing, f"{form_id}: labels or choices not in {spec.source.seed}: {missing}"


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_the_source_quote_is_in_the_seed(form_id):
    spec = get_form(form_id)
    assert spec.source.quote, f"{form_id} quotes no passage for its source"
    assert norm(spec.source.quote) in corrected_seed(spec.source.seed)
    # a document's title may be broken across lines in the transcription
    assert norm(spec.source.document) in norm(raw_seed(spec.source.seed))


@pytest.mark.parametrize("form_id", DERIVED)
def test_a_derived_form_shows_its_note_and_quotes_the_seed_verbatim(form_id):
    spec = get_form(form_id)
    assert spec.derived_note in spec.official_texts()
    assert "非官方" in spec.derived_note and spec.source.document in spec.derived_note
    assert spec.source.quotes, f"{form_id} lists no quotations"
    seed = corrected_seed(spec.source.seed)
    page = norm("\n".join(page_texts(spec)))
    for q in spec.source.quotes:
        assert norm(q) in seed, f"{form_id}: quotation not in {spec.source.seed}: {q}"
        assert norm(q) in page, f"{form_id}: quotation not on the page: {q}"


def test_every_erratum_is_in_its_seed_and_says_how_sure_it_is():
    entries = errata()
    assert entries, "errata.yaml is empty"
    for e in entries:
        assert e["certainty"] in ("certain", "probable"), e
        assert e["certainty_zh"] in ("确定", "推断"), e
        assert e["printed"] in raw_seed(e["seed"]), f"not in {e['seed']}: {e['printed']}"
        assert e["corrected"] in sources.get_source(e["source"]).corrected, e


def test_every_erratum_shows_where_xieyi_reproduces_or_cites_the_text():
    """A correction is used: in a form, an agreement, a scoring table, a rule's quotation,
    or (for headings and items xieyi only cites) in the article ``rules cite`` opens."""
    import rules
    import scoring
    for e in errata():
        shown = [t for s in FORMS if s.source.seed == e["seed"] for t in page_texts(s)]
        shown += [t.official_text() for t in all_agreements() if t.source.seed == e["seed"]]
        rs = rules.get_rule_set(e["source"])
        shown += [c.quote for r in rs.rules for c in (r.citation, *r.also)]
        shown += [str(v) for t in scoring.all_tables() if t.jurisdiction == e["source"]
                  for it in t.items for v in (it.content, it.standard, it.name, it.group)]
        if any(e["corrected"] in t for t in shown):
            continue
        src = sources.get_source(e["source"])
        at = src.corrected.index(e["corrected"])
        around = [x for x in src.sections if x.start <= at < x.end]
        assert around, f"{e['corrected']}: in no form, quotation or section"
        inner = max(around, key=lambda x: (x.start, -x.end))
        if inner.kind in ("chapter", "part"):
            # a heading (第一章…): the outline names it, no article quotes it
            assert src.corrected[inner.start:at].strip() == "", e
            continue
        assert e["corrected"] in sources.cite(e["source"], inner.key)["text"], e


def test_the_known_defects_are_recorded_with_their_certainty():
    corrected = {(e["printed"], e["corrected"]): e["certainty"] for e in errata()}
    assert corrected[("医疗、康.复机构等级", "医疗、康复机构等级")] == "certain"
    # inferred from the parallel 门诊次均费用 / 住院次均费用 columns: probable
    assert corrected[("手术次费 用(元)", "手术次均费用（元）")] == "probable"
    # a doubled 线状镜: an instrument may be missing rather than doubled
    assert corrected[("线状镜、线状镜、", "线状镜、")] == "probable"
    assert corrected[("第1章", "第一章")] == "certain"


# ---------------------------------------------------------------------------------------
# records

def _good_value(f: forms.Field):
    if f.type == "text":
        return "测试文字内容"[: f.max_length]
    if f.type == "multiline":
        return "第一行\n第二行"[: f.max_length]
    if f.type == "integer":
        return 3
    if f.type == "decimal":
        return "12.50"
    if f.type == "date":
        return "2024-07-01"
    if f.type == "choice":
        return f.choices[-1]
    if f.type == "checkbox":
        return True
    if f.type == "rows":
        row = {c.id: _good_value(c) for c in f.columns}
        return [row, dict(row)]
    raise AssertionError(f.type)


def full_record(spec: forms.FormSpec) -> dict:
    return {f.id: _good_value(f) for f in spec.fields}


def problems(spec, data) -> list:
    with pytest.raises(RecordInvalid) as info:
        validate_record(spec, data, complete=True)
    return info.value.details


def assert_named(spec, data, field_path: str, code: str | None = None):
    found = [p for p in problems(spec, data) if p.field == field_path]
    assert found, f"{spec.id}: no problem reported for {field_path}"
    if code is not None:
        assert any(p.code == code for p in found), [p.code for p in found]
    return found


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_a_full_record_is_accepted(form_id):
    spec = get_form(form_id)
    record = validate_record(spec, full_record(spec), complete=True)
    assert set(record) == set(spec.field_ids)
    for f in spec.fields:
        v = record[f.id]
        expected = {"text": str, "multiline": str, "integer": int, "decimal": Decimal,
                    "date": dt.date, "choice": str, "checkbox": bool, "rows": list}[f.type]
        assert isinstance(v, expected), (f.id, v)
    # the JSON form of the typed record reads back the same
    again = validate_record(spec, forms.record_to_json(spec, record), complete=True)
    assert again == record


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_a_complete_record_needs_every_required_field(form_id):
    spec = get_form(form_id)
    required = [f for f in spec.fields if f.required]
    assert required, f"{form_id} requires nothing"
    data = {k: v for k, v in full_record(spec).items() if not spec.field(k).required}
    found = {p.field for p in problems(spec, data)}
    assert found == {f.id for f in required}
    # a pre-fill record may leave them out
    validate_record(spec, data, complete=False)


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_an_unknown_key_is_rejected(form_id):
    spec = get_form(form_id)
    data = full_record(spec) | {"no_such_field": "x"}
    assert_named(spec, data, "no_such_field", "unknown")


_WRONG = {
    "text": (123, "type_text"),
    "multiline": (["a"], "type_text"),
    "integer": ("三", "type_integer"),
    "decimal": ("十二元", "type_decimal"),
    "date": ("2024-13-01", "type_date"),
    "choice": (1, "type_text"),
    "checkbox": ("是", "type_checkbox"),
    "rows": ("一行", "type_rows"),
}


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_a_wrong_type_is_rejected_naming_the_field(form_id):
    spec = get_form(form_id)
    for f in spec.fields:
        bad, code = _WRONG[f.type]
        data = full_record(spec) | {f.id: bad}
        for p in assert_named(spec, data, f.id, code):
            assert p.message_zh.startswith(f.label), p.message_zh
    # a number is not a count when it is true
    ints = [f for f in spec.fields if f.type == "integer"]
    for f in ints[:1]:
        assert_named(spec, full_record(spec) | {f.id: True}, f.id, "type_integer")


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_a_value_over_max_length_is_rejected(form_id):
    spec = get_form(form_id)
    texts = [f for f in spec.fields if f.type in ("text", "multiline")]
    assert texts
    for f in texts:
        data = full_record(spec) | {f.id: "字" * (f.max_length + 1)}
        assert_named(spec, data, f.id, "too_long")
        ok = full_record(spec) | {f.id: "字" * f.max_length}
        validate_record(spec, ok, complete=True)
    for f in spec.fields:
        for c in f.columns:
            if c.type in ("text", "multiline"):
                rows = _good_value(f)
                rows[1][c.id] = "字" * (c.max_length + 1)
                assert_named(spec, full_record(spec) | {f.id: rows}, f"{f.id}.1.{c.id}",
                             "too_long")


def test_a_single_line_text_refuses_a_line_break():
    spec = get_form("jingdezhen-commitment")
    assert_named(spec, full_record(spec) | {"address": "一行\n两行"}, "address", "newline")


CHOICE_FORMS = [s.id for s in FORMS if any(f.type == "choice" for f in s.fields)]
COUNT_FORMS = [s.id for s in FORMS
               if any(f.type in ("integer", "decimal") for f in s.fields)
               or any(c.type in ("integer", "decimal") for f in s.fields for c in f.columns)]
ROWS_FORMS = [s.id for s in FORMS if any(f.type == "rows" for f in s.fields)]


def test_each_record_check_is_exercised():
    assert "shanxi-application" in CHOICE_FORMS and "jilin-application" in CHOICE_FORMS
    assert "shanxi-application" in COUNT_FORMS and "shanxi-application" in ROWS_FORMS


@pytest.mark.parametrize("form_id", CHOICE_FORMS)
def test_a_choice_not_offered_is_rejected(form_id):
    spec = get_form(form_id)
    for f in spec.fields:
        if f.type == "choice":
            for choice in f.choices:
                validate_record(spec, full_record(spec) | {f.id: choice}, complete=True)
            found = assert_named(spec, full_record(spec) | {f.id: "其他"}, f.id, "not_a_choice")
            assert all(c in found[0].message_zh for c in f.choices)


@pytest.mark.parametrize("form_id", COUNT_FORMS)
def test_a_negative_count_is_rejected(form_id):
    spec = get_form(form_id)
    for f in spec.fields:
        if f.type in ("integer", "decimal"):
            assert_named(spec, full_record(spec) | {f.id: -1}, f.id, "negative")
            validate_record(spec, full_record(spec) | {f.id: 0}, complete=True)
        for c in f.columns:
            if c.type in ("integer", "decimal"):
                rows = _good_value(f)
                rows[0][c.id] = -1
                assert_named(spec, full_record(spec) | {f.id: rows}, f"{f.id}.0.{c.id}",
                             "negative")


@pytest.mark.parametrize("form_id", COUNT_FORMS)
def test_money_takes_at_most_its_places(form_id):
    spec = get_form(form_id)
    for f in spec.fields:
        if f.type == "decimal":
            assert_named(spec, full_record(spec) | {f.id: "1.005"}, f.id, "too_many_places")


@pytest.mark.parametrize("form_id", ROWS_FORMS)
def test_too_many_rows_are_rejected(form_id):
    spec = get_form(form_id)
    for f in spec.fields:
        if f.type == "rows":
            row = _good_value(f)[0]
            validate_record(spec, full_record(spec) | {f.id: [row] * f.max_rows}, complete=True)
            found = assert_named(spec, full_record(spec) | {f.id: [row] * (f.max_rows + 1)},
                                 f.id, "too_many_rows")
            assert str(f.max_rows) in found[0].message_zh
            assert_named(spec, full_record(spec) | {f.id: [dict(row, extra=1)]}, f"{f.id}.0.extra",
                         "unknown")
