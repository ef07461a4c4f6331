"""What each renderer shows for a record: display strings, shared by PDF and DOCX.

``display_context`` gives, per field id, what the DOCX template reads:

* text, number, choice fields: a string ('' when not filled in);
* checkbox fields: ``True`` or ``False``;
* date fields: ``{"year": "2024", "month": "7", "day": "1"}`` (empty strings
  when not filled in), printed before the form's own 年 月 日;
* rows fields: a list of exactly ``max_rows`` dicts of column strings, the
  record's rows first, then empty rows for the person to fill in.

``pdf_values`` flattens the same into fully qualified AcroForm field names.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from forms import DATE_PARTS, Field, FormSpec


def _display(f: Field, v: Any) -> Any:
    if f.type == "date":
        if v is None or v == "":
            return {p: "" for p in DATE_PARTS}
        if not isinstance(v, dt.date):
            v = dt.date.fromisoformat(str(v))
        return {"year": str(v.year), "month": str(v.month), "day": str(v.day)}
    if f.type == "checkbox":
        return v is True
    if v is None:
        return ""
    if isinstance(v, Decimal):
        return format(v, "f")
    return str(v)


def display_context(spec: FormSpec, record: dict[str, Any]) -> dict[str, Any]:
    """Display values for every field of the form (see module docstring)."""
    ctx: dict[str, Any] = {}
    for f in spec.fields:
        v = record.get(f.id)
        if f.type == "rows":
            rows = list(v or [])
            ctx[f.id] = [
                {c.id: _display(c, (rows[i] if i < len(rows) else {}).get(c.id))
                 for c in f.columns}
                for i in range(f.max_rows)
            ]
        else:
            ctx[f.id] = _display(f, v)
    return ctx


def pdf_values(spec: FormSpec, record: dict[str, Any]) -> dict[str, str | bool]:
    """Display strings keyed by fully qualified PDF field name.

    A choice field's entry is the chosen official label ('' for none); a
    checkbox field's entry is ``True`` or ``False``.
    """
    ctx = display_context(spec, record)
    out: dict[str, str | bool] = {}
    for ref in spec.field_refs():
        f = spec.field(ref.field)
        if ref.row is not None:
            col = f.column(ref.column)
            value = ctx[f.id][ref.row][ref.column]
            ftype = col.type
        else:
            value = ctx[f.id]
            ftype = f.type
        if ftype == "date":
            for p in DATE_PARTS:
                out[f"{ref.name}.{p}"] = value[p]
        else:
            out[ref.name] = value
    return out
