"""Form descriptions as data: the dataclasses every renderer and parser reads.

A form is described once (a YAML file under ``forms/specs/``).  The
description has two halves:

* ``fields``: what a record holds (id, exact official label, type, unit,
  choices, required, max length; repeating rows as a ``rows`` field with
  ``columns``);
* ``layout``: where each official text and each value sits on the page
  (blocks: titles, paragraphs, tables of rows of cells; a cell holds
  paragraphs of runs, a run is official text or a reference to a field).

Repeating rows are written once in the YAML (``repeat: FIELD``) and expanded
here into concrete rows whose field references carry a row index, so no
renderer ever deals with repetition.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field as _dcfield
from functools import cached_property
from typing import Union

FIELD_TYPES = ("text", "multiline", "integer", "decimal", "date", "choice", "checkbox", "rows")
#: the field types a ``rows`` field may have as columns
COLUMN_TYPES = ("text", "multiline", "integer", "decimal", "date", "checkbox")
ALIGNS = ("left", "center", "right", "justify")
VALIGNS = ("top", "middle", "bottom")
#: the parts of a date field, as PDF sub-field names and DOCX context keys
DATE_PARTS = ("year", "month", "day")


@dataclass(frozen=True)
class Field:
    """One value of a record."""

    id: str
    #: the exact official label that marks the value on the form
    label: str
    type: str
    #: the official heading the label sits under (e.g. 门诊 for 科室), if any
    section: str | None = None
    unit: str | None = None
    choices: tuple[str, ...] = ()
    required: bool = False
    max_length: int | None = None
    #: ``rows`` fields only: the columns of one row
    columns: tuple["Field", ...] = ()
    #: ``rows`` fields only: how many rows the printed form offers
    max_rows: int | None = None
    #: ``decimal`` fields only: digits after the point
    places: int | None = None
    #: a short note for the person filling in (shown in the web form)
    hint: str | None = None

    def column(self, column_id: str) -> "Field":
        for c in self.columns:
            if c.id == column_id:
                return c
        raise KeyError(column_id)

    @property
    def qualified_label(self) -> str:
        return f"{self.section}·{self.label}" if self.section else self.label


@dataclass(frozen=True)
class FieldRef:
    """A run that shows a field's value (or a column of one row of a rows field)."""

    field: str
    #: ``rows`` fields: which row (0-based) and which column
    row: int | None = None
    column: str | None = None
    #: width of an inline value box, in millimetres; ``None`` fills the cell
    width: float | None = None

    @property
    def name(self) -> str:
        """The PDF field name (fully qualified) and the parser's key."""
        if self.row is None:
            return self.field
        return f"{self.field}.{self.row}.{self.column}"


Run = Union[str, FieldRef]


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...]
    align: str = "left"
    bold: bool = False
    #: font size in points; ``None`` takes the enclosing default
    size: float | None = None
    #: first-line indent in characters (中文段落首行缩进两字)
    indent: int = 0
    #: space before, in points
    space_before: float = 0.0

    @property
    def text(self) -> str:
        return "".join(r for r in self.runs if isinstance(r, str))

    @property
    def fields(self) -> tuple[FieldRef, ...]:
        return tuple(r for r in self.runs if isinstance(r, FieldRef))


@dataclass(frozen=True)
class Cell:
    paragraphs: tuple[Paragraph, ...]
    colspan: int = 1
    rowspan: int = 1
    align: str = "center"
    valign: str = "middle"

    @property
    def fields(self) -> tuple[FieldRef, ...]:
        return tuple(f for p in self.paragraphs for f in p.fields)

    @property
    def is_value(self) -> bool:
        """A cell whose whole content is one field's value box."""
        return (
            len(self.paragraphs) == 1
            and len(self.paragraphs[0].runs) == 1
            and isinstance(self.paragraphs[0].runs[0], FieldRef)
            and self.paragraphs[0].runs[0].width is None
        )


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    #: minimum height in millimetres
    height: float | None = None


@dataclass(frozen=True)
class Table:
    #: relative column widths (scaled to the text width)
    columns: tuple[float, ...]
    rows: tuple[Row, ...]
    #: font size in points for the table's text
    size: float = 10.5
    #: the leading rows that head the table's columns: printed again at the top of each
    #: page the table continues on (the DOCX marks them "repeat as header row")
    header_rows: int = 0
    kind: str = _dcfield(default="table", init=False)

    @cached_property
    def placements(self) -> tuple[tuple[int, int, Cell], ...]:
        """Every cell with its grid position ``(row, column, cell)``: a cell takes the
        first column of its row not covered by a rowspan from above."""
        placed = []
        occupied: dict[int, set[int]] = {}
        for ri, row in enumerate(self.rows):
            col = 0
            taken = occupied.setdefault(ri, set())
            for cell in row.cells:
                while col in taken:
                    col += 1
                for dr in range(cell.rowspan):
                    occupied.setdefault(ri + dr, set()).update(range(col, col + cell.colspan))
                placed.append((ri, col, cell))
                col += cell.colspan
        return tuple(placed)


@dataclass(frozen=True)
class Text:
    """A paragraph outside any table (title, note, signature line…)."""

    paragraph: Paragraph
    kind: str = _dcfield(default="text", init=False)


@dataclass(frozen=True)
class Spacer:
    height: float  # millimetres
    kind: str = _dcfield(default="spacer", init=False)


@dataclass(frozen=True)
class PageBreak:
    kind: str = _dcfield(default="page_break", init=False)


Block = Union[Table, Text, Spacer, PageBreak]


@dataclass(frozen=True)
class Source:
    """Where the official form comes from."""

    seed: str
    document: str
    #: article or attachment the form is given in (or built from)
    article: str
    quote: str | None = None
    #: derived forms: every passage of the seed the form quotes verbatim (items, headings,
    #: material names); a test finds each one in the seed and on the page
    quotes: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)  # identity: specs are loaded once, and hashing a whole
class FormSpec:                    # description for every cache lookup would cost more than it saves
    id: str
    jurisdiction: str
    #: the jurisdiction's Chinese name (吉林省, 景德镇市…)
    jurisdiction_name: str
    title: str
    #: 附件1, 附件2…; ``None`` for a form the seed does not attach
    attachment: str | None
    #: application, commitment
    kind: str
    #: the categories of institution the form is for (medical, rehab, assistive)
    categories: tuple[str, ...]
    source: Source
    version: str
    valid_from: _dt.date
    valid_to: _dt.date | None
    #: True when the seed gives no official layout and ours is built from its articles
    derived: bool
    #: shown on the page of a derived form (依据第X条编制…)
    derived_note: str | None
    fields: tuple[Field, ...]
    blocks: tuple[Block, ...]
    #: sha256 of the canonical description, stamped into every rendering
    spec_hash: str = ""

    def field(self, field_id: str) -> Field:
        return self._fields_by_id[field_id]

    @cached_property
    def subtitle(self) -> str | None:
        """The line printed under the title that tells forms of one title apart
        (山西 附件2's four tables for assistive devices: （假眼配置机构）…), else None."""
        for i, b in enumerate(self.blocks[:-1]):
            if isinstance(b, Text) and b.paragraph.runs == (self.title,):
                nxt = self.blocks[i + 1]
                if isinstance(nxt, Text) and nxt.paragraph.align == "center" \
                        and all(isinstance(r, str) for r in nxt.paragraph.runs):
                    line = "".join(nxt.paragraph.runs).strip()
                    if line[:1] in "(（" and line[-1:] in ")）":
                        return line
                return None
        return None

    @property
    def full_title(self) -> str:
        """The title with its distinguishing subtitle, if any."""
        return self.title + (self.subtitle or "")

    @cached_property
    def _fields_by_id(self) -> dict[str, Field]:
        return {f.id: f for f in self.fields}

    @cached_property
    def field_ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.fields)

    def field_refs(self) -> tuple[FieldRef, ...]:
        """Every value box of the layout, in layout order."""
        return self._field_refs

    @cached_property
    def _field_refs(self) -> tuple[FieldRef, ...]:
        refs: list[FieldRef] = []
        for b in self.blocks:
            if isinstance(b, Table):
                for r in b.rows:
                    for c in r.cells:
                        refs.extend(c.fields)
            elif isinstance(b, Text):
                refs.extend(b.paragraph.fields)
        return tuple(refs)

    def official_texts(self) -> list[str]:
        """Every piece of official text of the layout, in layout order."""
        texts: list[str] = []

        def add(p: Paragraph) -> None:
            for r in p.runs:
                if isinstance(r, str) and r.strip():
                    texts.append(r.strip())

        for b in self.blocks:
            if isinstance(b, Table):
                for r in b.rows:
                    for c in r.cells:
                        for p in c.paragraphs:
                            add(p)
            elif isinstance(b, Text):
                add(b.paragraph)
        return texts

    def pdf_field_names(self) -> list[str]:
        """Fully qualified names of every AcroForm terminal field, in layout order.

        A date field has one text field per part (``id.year``…); a choice
        field is one radio group named by its id.
        """
        names: list[str] = []
        for ref in self.field_refs():
            f = self.field(ref.field)
            ftype = f.column(ref.column).type if ref.column else f.type
            if ftype == "date":
                names.extend(f"{ref.name}.{p}" for p in DATE_PARTS)
            else:
                names.append(ref.name)
        return names
