"""What a parse returns: the record, each value's provenance, the warnings.

Both reading paths (AcroForm fields, page layout) produce one ``Reading`` per
value box of the form (``FieldRef.name``: ``institution_name``,
``departments.2.beds``); ``assemble`` turns them into the record the form's
schema accepts:

* a value that could not be read, or that the schema refuses (a negative count,
  too many decimal places), is left out of the record and reported in
  ``warnings``; its raw text stays in ``fields``;
* a ``rows`` field lists the rows that hold anything, in printed order; an empty
  row between filled ones is skipped and reported (``row_empty``), so the record
  never holds a row of nothing;
* an unticked checkbox reads ``false``: a PDF cannot tell "not ticked" from
  "not answered".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from forms import FieldProblem, FormSpec, RecordInvalid, validate_record

from ._normalize import Problem

METHODS = ("acroform", "layout", "ocr")
#: how the form was known: our PDF's metadata, the DOCX stamp an export carries, the
#: AcroForm's field names, the printed title and labels, a scan's page mark
IDENTIFIED_BY = ("metadata", "stamp", "fields", "text", "mark")


@dataclass
class Reading:
    """One value box as read: typed value (None: empty or unreadable), printed text, where."""

    name: str
    value: Any
    raw: str | None
    page: int | None  # 1-based
    bbox: tuple[float, float, float, float] | None  # x0, top, x1, bottom in points
    method: str
    confidence: float
    problem: Problem | None = None

    def to_dict(self) -> dict:
        return {
            "value": json_value(self.value),
            "raw": self.raw,
            "page": self.page,
            "bbox": [round(v, 2) for v in self.bbox] if self.bbox else None,
            "method": self.method,
            "confidence": round(self.confidence, 2),
        }


@dataclass
class ParseResult:
    """The outcome of a parse (``to_dict`` is the JSON the command line and service print)."""

    form: str
    version: str
    title: str
    method: str
    identified_by: str
    record: dict[str, Any]
    fields: dict[str, dict]
    warnings: list[dict] = field(default_factory=list)
    pages: int = 0

    def to_dict(self) -> dict:
        return {
            "form": self.form,
            "version": self.version,
            "title": self.title,
            "method": self.method,
            "identified_by": self.identified_by,
            "pages": self.pages,
            "record": self.record,
            "fields": self.fields,
            "warnings": self.warnings,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ParseResult:
        return cls(form=d["form"], version=d["version"], title=d["title"], method=d["method"],
                   identified_by=d["identified_by"], record=d["record"], fields=d["fields"],
                   warnings=d["warnings"], pages=d.get("pages", 0))

    def typed_record(self) -> dict[str, Any]:
        """The record with Python types (``int``, ``Decimal``, ``date``), as ``validate_record``
        gives it."""
        from forms import get_form

        return validate_record(get_form(self.form), self.record, complete=False)


def json_value(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


def warning(field_name: str | None, code: str, zh: str, en: str) -> dict:
    return FieldProblem(field_name or "", code, zh, en).to_dict()


def _label(spec: FormSpec, name: str) -> str:
    parts = name.split(".")
    f = spec.field(parts[0])
    if len(parts) >= 3 and f.type == "rows":
        return f"{f.label}第{int(parts[1]) + 1}行·{f.column(parts[2]).label}"
    return f.qualified_label


def problem_warning(spec: FormSpec, r: Reading) -> dict:
    label = _label(spec, r.name)
    raw = f"（“{r.raw}”）" if r.raw else ""
    raw_en = f" ({r.raw!r})" if r.raw else ""
    return warning(r.name, r.problem.code, f"{label}{raw}：{r.problem.message_zh}",
                   f"{r.name}{raw_en} {r.problem.message_en}")


def _empty(v: Any, ftype: str) -> bool:
    return v is None or (ftype == "checkbox" and v is False)


def assemble(spec: FormSpec, readings: dict[str, Reading], *, method: str, identified_by: str,
             warnings: list[dict], pages: int) -> ParseResult:
    """The record and provenance from every value box's reading (see module doc)."""
    warnings = list(warnings)
    fields: dict[str, dict] = {}
    for ref in spec.field_refs():
        r = readings.get(ref.name)
        if r is None:
            continue
        fields[ref.name] = r.to_dict()
        if r.problem is not None:
            warnings.append(problem_warning(spec, r))

    record: dict[str, Any] = {}
    for f in spec.fields:
        if f.type == "rows":
            rows: list[dict] = []
            pending_empty: list[int] = []
            for i in range(f.max_rows or 0):
                row = {}
                filled = False
                for c in f.columns:
                    r = readings.get(f"{f.id}.{i}.{c.id}")
                    if r is None or r.value is None:
                        continue
                    row[c.id] = json_value(r.value)
                    filled = filled or not _empty(r.value, c.type)
                if filled:
                    for j in pending_empty:
                        warnings.append(warning(
                            f"{f.id}.{j}", "row_empty",
                            f"{f.label}第{j + 1}行为空，已略去（其后的行依次前移）",
                            f"{f.id} row {j + 1} is empty and left out (the rows after it move up)"))
                    pending_empty = []
                    rows.append(row)
                else:
                    pending_empty.append(i)
            if rows:
                record[f.id] = rows
            continue
        r = readings.get(f.id)
        if r is not None and r.value is not None:
            record[f.id] = json_value(r.value)

    record = _validated(spec, record, readings, warnings)
    return ParseResult(form=spec.id, version=spec.version, title=spec.title, method=method,
                       identified_by=identified_by, record=record, fields=fields,
                       warnings=warnings, pages=pages)


def _validated(spec: FormSpec, record: dict, readings: dict[str, Reading],
               warnings: list[dict]) -> dict:
    """The record as the schema accepts it: values it refuses move to ``warnings``."""
    for _ in range(3):  # a refused value is removed; the rest is checked again
        try:
            validate_record(spec, record, complete=False)
            return record
        except RecordInvalid as e:
            for d in e.details:
                path = d.field.split(".")
                if not path or path[0] not in record:
                    continue
                if len(path) >= 3 and isinstance(record[path[0]], list):
                    idx = int(path[1])
                    rows = record[path[0]]
                    if idx < len(rows):
                        rows[idx].pop(path[2], None)
                else:
                    record.pop(path[0], None)
                warnings.append(warning(d.field, d.code, d.message_zh, d.message_en))
            for k in [k for k, v in record.items() if isinstance(v, list)]:
                record[k] = [row for row in record[k] if row]
                if not record[k]:
                    del record[k]
    return record
