"""Reading form descriptions from YAML, with every check a description must pass.

Loading rejects unknown keys, unknown field types, a field the layout never
shows, a layout reference to no field, a field shown twice, and table rows
whose cells do not fill the grid.  A description that loads is one every
renderer can draw and the parser can read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError, UnknownForm
from ._model import (
    ALIGNS,
    COLUMN_TYPES,
    FIELD_TYPES,
    VALIGNS,
    Cell,
    Field,
    FieldRef,
    FormSpec,
    PageBreak,
    Paragraph,
    Row,
    Source,
    Spacer,
    Table,
    Text,
)
from ._strict import check_keys
from ._yaml import load_yaml

SPEC_DIR = Path(__file__).parent / "specs"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_FORM_ID = re.compile(r"^[a-z]+-[a-z0-9-]+$")
TITLE_SIZE = 18.0  # 小二号
CATEGORIES = ("medical", "rehab", "assistive")
#: application forms, commitment letters; the panel's evaluation tables (准入评估表),
#: annual assessment tables (年度考核评分表) and the injured workers' survey (调查表)
KINDS = ("application", "commitment", "evaluation", "assessment", "survey")


def _fail(where: str, msg: str) -> SpecError:
    return SpecError(f"表单描述有误（{where}）：{msg}", f"form description invalid ({where}): {msg}")


def _keys(where: str, d: Any, allowed: set[str], required: set[str] = frozenset()) -> dict:
    return check_keys(where, d, allowed, required, _fail)


def _date(where: str, v: Any) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise _fail(where, f"not an ISO date: {v!r}") from None


_FIELD_KEYS = {"id", "label", "type", "section", "unit", "choices", "required", "max_length",
               "columns", "max_rows", "places", "hint"}


def _field(where: str, d: Any, column: bool = False) -> Field:
    _keys(where, d, _FIELD_KEYS, {"id", "label", "type"})
    fid = d["id"]
    where = f"{where}.{fid}"
    if not isinstance(fid, str) or not _ID.match(fid):
        raise _fail(where, f"bad field id {fid!r}")
    ftype = d["type"]
    allowed = COLUMN_TYPES if column else FIELD_TYPES
    if ftype not in allowed:
        raise _fail(where, f"type {ftype!r} not one of {allowed}")
    choices = tuple(d.get("choices") or ())
    if (ftype == "choice") != bool(choices):
        raise _fail(where, "choices go with type choice, and only with it")
    columns = tuple(_field(where, c, column=True) for c in d.get("columns") or ())
    if (ftype == "rows") != bool(columns):
        raise _fail(where, "columns go with type rows, and only with it")
    if ftype == "rows" and not d.get("max_rows"):
        raise _fail(where, "a rows field needs max_rows")
    if len({c.id for c in columns}) != len(columns):
        raise _fail(where, "duplicate column ids")
    max_length = d.get("max_length")
    if ftype in ("text", "multiline") and not max_length:
        raise _fail(where, "a text field needs max_length")
    places = d.get("places")
    if ftype == "decimal" and places is None:
        raise _fail(where, "a decimal field needs places")
    return Field(
        id=fid,
        label=str(d["label"]),
        type=ftype,
        section=d.get("section"),
        unit=d.get("unit"),
        choices=choices,
        required=bool(d.get("required", False)),
        max_length=max_length,
        columns=columns,
        max_rows=d.get("max_rows"),
        places=places,
        hint=d.get("hint"),
    )


_RUN_KEYS = {"field", "width", "column"}
_PARA_KEYS = {"runs", "align", "bold", "size", "indent", "space_before"}
_CELL_KEYS = {"text", "field", "runs", "paragraphs", "column", "colspan", "rowspan", "align",
              "valign", "bold", "size", "width"}


def _run(where: str, r: Any, row: int | None) -> str | FieldRef:
    if isinstance(r, str):
        return r
    _keys(where, r, _RUN_KEYS)
    if "column" in r:
        if row is None:
            raise _fail(where, "column reference outside a repeated row")
        return FieldRef(field="", row=row, column=r["column"], width=r.get("width"))
    if "field" not in r:
        raise _fail(where, f"a run is text or {{field: …}}, got {r!r}")
    return FieldRef(field=r["field"], width=r.get("width"))


def _paragraph(where: str, d: Any, row: int | None, defaults: dict) -> Paragraph:
    if isinstance(d, str):
        d = {"runs": [d]}
    _keys(where, d, _PARA_KEYS, {"runs"})
    align = d.get("align", defaults.get("align", "left"))
    if align not in ALIGNS:
        raise _fail(where, f"align {align!r}")
    runs = d["runs"]
    if isinstance(runs, str):
        runs = [runs]
    return Paragraph(
        runs=tuple(_run(where, r, row) for r in runs),
        align=align,
        bold=bool(d.get("bold", defaults.get("bold", False))),
        size=d.get("size", defaults.get("size")),
        indent=int(d.get("indent", 0)),
        space_before=float(d.get("space_before", 0)),
    )


def _cell(where: str, d: Any, row: int | None, repeat: str | None) -> Cell:
    if isinstance(d, str):
        d = {"text": d}
    if d is None:
        d = {}
    _keys(where, d, _CELL_KEYS)
    align = d.get("align", "center")
    valign = d.get("valign", "middle")
    if align not in ALIGNS or valign not in VALIGNS:
        raise _fail(where, f"align {align!r} / valign {valign!r}")
    pdefaults = {"align": align, "bold": d.get("bold", False), "size": d.get("size")}
    content = [k for k in ("text", "field", "runs", "paragraphs", "column") if k in d]
    if len(content) > 1:
        raise _fail(where, f"a cell holds one of text/field/runs/paragraphs/column, got {content}")
    if "text" in d:
        paragraphs = tuple(
            _paragraph(where, {"runs": [line]}, row, pdefaults) for line in str(d["text"]).split("\n")
        )
    elif "field" in d:
        paragraphs = (_paragraph(where, {"runs": [{"field": d["field"]}]}, row, pdefaults),)
    elif "column" in d:
        if repeat is None:
            raise _fail(where, "column cell outside a repeated row")
        paragraphs = (Paragraph(runs=(FieldRef(field=repeat, row=row, column=d["column"]),),
                                align=align),)
    elif "runs" in d:
        paragraphs = (_paragraph(where, {"runs": d["runs"]}, row, pdefaults),)
    elif "paragraphs" in d:
        paragraphs = tuple(_paragraph(where, p, row, pdefaults) for p in d["paragraphs"])
    else:
        paragraphs = ()
    if repeat is not None:
        # column runs written inside runs/paragraphs belong to the repeated field;
        # "{n}" in a text run is the row's number, from 1 (printed row numbers: (1), (2)…)
        paragraphs = tuple(
            Paragraph(
                runs=tuple(
                    FieldRef(field=repeat, row=r.row, column=r.column, width=r.width)
                    if isinstance(r, FieldRef) and r.column is not None
                    else r.replace("{n}", str(row + 1)) if isinstance(r, str) else r
                    for r in p.runs
                ),
                align=p.align, bold=p.bold, size=p.size, indent=p.indent,
                space_before=p.space_before,
            )
            for p in paragraphs
        )
    return Cell(
        paragraphs=paragraphs,
        colspan=int(d.get("colspan", 1)),
        rowspan=int(d.get("rowspan", 1)),
        align=align,
        valign=valign,
    )


def _rows(where: str, rows: Any, fields: dict[str, Field]) -> tuple[Row, ...]:
    out: list[Row] = []
    for i, r in enumerate(rows):
        w = f"{where}.rows[{i}]"
        if isinstance(r, list):
            r = {"cells": r}
        _keys(w, r, {"cells", "height", "repeat", "count"}, {"cells"})
        if "repeat" in r:
            fid = r["repeat"]
            f = fields.get(fid)
            if f is None or f.type != "rows":
                raise _fail(w, f"repeat of {fid!r}, which is not a rows field")
            count = int(r.get("count", f.max_rows))
            if count != f.max_rows:
                raise _fail(w, f"repeat count {count} differs from max_rows {f.max_rows}")
            for k in range(count):
                out.append(Row(cells=tuple(_cell(w, c, k, fid) for c in r["cells"]),
                               height=r.get("height")))
        else:
            out.append(Row(cells=tuple(_cell(w, c, None, None) for c in r["cells"]),
                           height=r.get("height")))
    return tuple(out)


def _check_header(where: str, table: Table) -> None:
    """Header rows: fewer than all, only official text, no cell reaching below them."""
    n = table.header_rows
    if n == 0:
        return
    if not 0 < n < len(table.rows):
        raise _fail(where, f"header_rows {n}: between 1 and the number of rows less one")
    for ri, _col, cell in table.placements:
        if ri < n and (cell.fields or ri + cell.rowspan > n):
            raise _fail(where, f"header_rows {n}: a header row holds a field or spans below")


def _check_grid(where: str, table: Table) -> None:
    ncols = len(table.columns)
    covered: dict[int, set[int]] = {}
    for ri, col, cell in table.placements:
        for dr in range(cell.rowspan):
            covered.setdefault(ri + dr, set()).update(range(col, col + cell.colspan))
    for ri in range(len(table.rows)):
        used = covered.get(ri, set())
        if used != set(range(ncols)):
            raise _fail(f"{where}.rows[{ri}]",
                        f"cells cover columns {sorted(used)}, the grid has {ncols}")
    if max(covered) >= len(table.rows):
        raise _fail(where, "a rowspan runs past the last row")


def _block(where: str, d: Any, fields: dict[str, Field]):
    if not isinstance(d, dict) or len(d) != 1:
        raise _fail(where, f"a layout block is a one-key mapping, got {d!r}")
    (kind, v), = d.items()
    if kind == "title":
        return Text(Paragraph(runs=(str(v),), align="center", bold=True, size=TITLE_SIZE,
                              space_before=6))
    if kind == "para":
        if isinstance(v, dict):
            return Text(_paragraph(where, v, None, {}))
        return Text(_paragraph(where, {"runs": v if isinstance(v, list) else [v]}, None, {}))
    if kind == "spacer":
        return Spacer(float(v))
    if kind == "page_break":
        return PageBreak()
    if kind == "table":
        _keys(where, v, {"columns", "rows", "size", "header_rows"}, {"columns", "rows"})
        t = Table(columns=tuple(float(c) for c in v["columns"]),
                  rows=_rows(where, v["rows"], fields),
                  size=float(v.get("size", 10.5)),
                  header_rows=int(v.get("header_rows", 0)))
        _check_grid(where, t)
        _check_header(where, t)
        return t
    raise _fail(where, f"unknown block kind {kind!r}")


_SPEC_KEYS = {"id", "jurisdiction", "jurisdiction_name", "title", "attachment", "kind",
              "categories", "source", "version", "valid_from", "valid_to", "derived",
              "derived_note", "fields", "layout"}


def spec_hash(raw: dict) -> str:
    canonical = json.dumps(raw, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_spec(raw: dict, where: str = "spec") -> FormSpec:
    _keys(where, raw, _SPEC_KEYS, _SPEC_KEYS - {"attachment", "valid_to", "derived_note"})
    form_id = raw["id"]
    if not isinstance(form_id, str) or not _FORM_ID.match(form_id):
        raise _fail(where, f"bad form id {form_id!r}")
    where = form_id
    if raw["kind"] not in KINDS:
        raise _fail(where, f"kind {raw['kind']!r} not one of {KINDS}")
    categories = tuple(raw["categories"])
    if not categories or set(categories) - set(CATEGORIES):
        raise _fail(where, f"categories {categories!r}")
    fields = tuple(_field(f"{where}.fields", f) for f in raw["fields"])
    by_id = {f.id: f for f in fields}
    if len(by_id) != len(fields):
        raise _fail(where, "duplicate field ids")
    blocks = tuple(_block(f"{where}.layout[{i}]", b, by_id) for i, b in enumerate(raw["layout"]))
    src = dict(_keys(f"{where}.source", raw["source"],
                     {"seed", "document", "article", "quote", "quotes"},
                     {"seed", "document", "article"}))
    quotes = src.get("quotes") or ()
    if not isinstance(quotes, (list, tuple)) or not all(isinstance(q, str) and q for q in quotes):
        raise _fail(f"{where}.source", "quotes is a list of non-empty strings")
    src["quotes"] = tuple(quotes)
    derived = bool(raw["derived"])
    if derived and not raw.get("derived_note"):
        raise _fail(where, "a derived form needs derived_note, shown on the page")
    spec = FormSpec(
        id=form_id,
        jurisdiction=raw["jurisdiction"],
        jurisdiction_name=raw["jurisdiction_name"],
        title=raw["title"],
        attachment=raw.get("attachment"),
        kind=raw["kind"],
        categories=categories,
        source=Source(**src),
        version=str(raw["version"]),
        valid_from=_date(f"{where}.valid_from", raw["valid_from"]),
        valid_to=_date(f"{where}.valid_to", raw.get("valid_to")),
        derived=derived,
        derived_note=raw.get("derived_note"),
        fields=fields,
        blocks=blocks,
        spec_hash=spec_hash(raw),
    )
    _check_refs(spec)
    if derived and spec.derived_note not in spec.official_texts():
        raise _fail(where, "the derived note must appear on the page")
    return spec


def _check_refs(spec: FormSpec) -> None:
    seen: set[str] = set()
    for ref in spec.field_refs():
        if ref.field not in spec.field_ids:
            raise _fail(spec.id, f"layout shows unknown field {ref.field!r}")
        f = spec.field(ref.field)
        if ref.column is not None:
            if f.type != "rows":
                raise _fail(spec.id, f"column reference into non-rows field {f.id}")
            try:
                f.column(ref.column)
            except KeyError:
                raise _fail(spec.id, f"{f.id} has no column {ref.column!r}") from None
        elif f.type == "rows":
            raise _fail(spec.id, f"rows field {f.id} shown without a column")
        if ref.name in seen:
            raise _fail(spec.id, f"field {ref.name} shown twice")
        seen.add(ref.name)
    expected: set[str] = set()
    for f in spec.fields:
        if f.type == "rows":
            expected.update(f"{f.id}.{i}.{c.id}" for i in range(f.max_rows) for c in f.columns)
        else:
            expected.add(f.id)
    missing = expected - seen
    if missing:
        raise _fail(spec.id, f"fields never shown in the layout: {sorted(missing)}")


def load_spec_file(path: Path) -> FormSpec:
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise _fail(path.name, f"YAML: {e}") from None
    spec = parse_spec(raw, path.name)
    if path.stem != spec.id:
        raise _fail(path.name, f"file name must be the form id {spec.id}")
    return spec


@lru_cache(maxsize=1)
def _all_specs() -> dict[str, FormSpec]:
    specs = {}
    for path in sorted(SPEC_DIR.glob("*.yaml")):
        spec = load_spec_file(path)
        specs[spec.id] = spec
    return specs


def all_forms() -> list[FormSpec]:
    """Every form description, ordered by jurisdiction then id."""
    return sorted(_all_specs().values(), key=lambda s: (s.jurisdiction, s.id))


def get_form(form_id: str) -> FormSpec:
    try:
        return _all_specs()[form_id]
    except KeyError:
        raise UnknownForm(form_id) from None
