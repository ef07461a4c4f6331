"""Building the DOCX template of a form from its description (python-docx).

The template is an ordinary Word document whose value places hold Jinja tags
for docxtpl.  Every tag's top-level variable is a field id, so
``get_undeclared_template_variables()`` equals the form's field ids:

* text, multiline, integer, decimal: ``{{ institution_name }}``; an inline
  value (one with a ``width``, or one in a paragraph outside any table) is an
  underlined run padded with ideographic spaces when blank
  (``{{ x or '　　　' }}``), so a blank form shows a line to write on;
* date: ``{{ d.year or '　　' }}年{{ d.month or '　' }}月{{ d.day or '　' }}日``;
* choice: each official choice label followed by
  ``{{ '☑' if profit_nature == '非营利性' else '□' }}``;
* checkbox: ``{{ '☑' if x else '□' }}``;
* a column of a ``rows`` field: ``{{ departments[0].name }}`` per printed row.

Identity stamp.  Measured with LibreOffice 7.4 (``soffice --headless
--convert-to pdf``): of the core properties, ``title``, ``subject``,
``keywords`` and ``author`` land in the exported PDF's ``/Info`` (as
``/Title``, ``/Subject``, ``/Keywords``, ``/Author``); ``identifier``,
``version``, ``comments``, ``category`` do not.  LibreOffice splits keywords
at spaces, commas, semicolons and colons and joins them again with ", ", so
the keywords hold ``key=value`` tokens joined by ", " (which survive
unchanged).  The stamp is therefore:

* ``title``    = the official title;
* ``subject``  = ``xieyi:<form id>@<version>``;
* ``keywords`` = ``xieyi-form=<form id>, xieyi-version=<version>, xieyi-spec=<spec hash>``;
* ``identifier`` = form id, ``version`` = version, ``author`` = ``xieyi``
  (DOCX only: they do not reach the PDF).

Word's own PDF export also writes title, author, subject and keywords to
``/Info`` (not measured here: no Word on this machine).  ``forms.read_stamp`` reads
the stamp back from DOCX core properties or PDF ``/Info`` alike (``forms._stamp``).

The build is deterministic (core-property dates fixed at the form's
``valid_from``, zip members in python-docx's order with a fixed timestamp), so
a rebuild of an unchanged description gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING, WD_UNDERLINE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell
from lxml import etree
from docx.text.paragraph import Paragraph as DocxParagraph

from forms import (STAMP_AUTHOR, FieldRef, FormSpec, PageBreak, Paragraph, Spacer, SpecError, Table,
                   Text, stamp_keywords, stamp_subject)

#: body text outside tables (小四); tables carry their own size
BODY_SIZE = 12.0
FONT_EAST_ASIA = "宋体"
FONT_LATIN = "Times New Roman"
PAGE_MM = (210.0, 297.0)
#: top, bottom, left, right
MARGINS_MM = (25.0, 25.0, 20.0, 20.0)
TEXT_WIDTH_MM = PAGE_MM[0] - MARGINS_MM[2] - MARGINS_MM[3]
#: left and right padding inside table cells
CELL_MARGIN_MM = 1.2
#: an inline value outside a table with no width of its own gets this line
DEFAULT_INLINE_MM = 40.0
#: blank date parts, in ideographic spaces: room to write by hand on a line, and
#: less inside a value cell, where 年 月 日 must fit a narrow cell on one line
DATE_PAD_INLINE = {"year": 3, "month": 2, "day": 2}
DATE_PAD_CELL = {"year": 2, "month": 1, "day": 1}
CHECKED, UNCHECKED = "☑", "□"
IDEOGRAPHIC_SPACE = "\u3000"

# names a Jinja expression cannot use as a variable
_JINJA_RESERVED = {"and", "or", "not", "in", "is", "if", "else", "true", "false", "none"}
_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}
_VALIGN = {
    "top": WD_CELL_VERTICAL_ALIGNMENT.TOP,
    "middle": WD_CELL_VERTICAL_ALIGNMENT.CENTER,
    "bottom": WD_CELL_VERTICAL_ALIGNMENT.BOTTOM,
}
_KEPT_STYLES = {"Normal", "DefaultParagraphFont", "TableNormal", "TableGrid", "NoList"}
_RT_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
# zip timestamps would otherwise be the build time
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_TWIPS_PER_MM = 1440 / 25.4
_MM_PER_PT = 25.4 / 72


# ---------------------------------------------------------------- stamp

def apply_stamp(core, spec: FormSpec) -> None:
    """Write the identity stamp into python-docx core properties (see module doc)."""
    when = dt.datetime.combine(spec.valid_from, dt.time(0, 0))
    core.title = spec.title
    core.subject = stamp_subject(spec.id, spec.version)
    core.keywords = stamp_keywords(spec.id, spec.version, spec.spec_hash)
    core.identifier = spec.id
    core.version = spec.version
    core.author = STAMP_AUTHOR
    core.last_modified_by = STAMP_AUTHOR
    core.category = spec.kind
    core.language = "zh-CN"
    core.comments = " ".join(filter(None, (spec.jurisdiction_name, spec.source.document,
                                           spec.attachment, f"《{spec.title}》")))
    core.revision = 1
    core.created = when
    core.modified = when


# ---------------------------------------------------------------- tags

def _jinja_str(s: str) -> str:
    """A Jinja string literal for ``s`` that survives the DOCX round trip.

    docxtpl turns curly quotes and ``&lt;``/``&gt;`` inside tags into ASCII, and
    XML escapes ``&``; ``\\uXXXX`` escapes (which Jinja decodes) keep such
    characters, quotes, backslashes and braces exact.
    """
    out = []
    for ch in s:
        if ch in "'\"\\{}%#&<>“”‘’" or ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def _expr(ref: FieldRef) -> str:
    """The Jinja expression of a value place: field id, or one row's column."""
    if ref.row is None:
        return ref.field
    # a column named like a dict method (items, keys…) would resolve to the
    # method through attribute lookup, and a Jinja keyword cannot follow a dot;
    # the subscript looks up the key first
    if hasattr(dict, ref.column) or ref.column in _JINJA_RESERVED:
        return f"{ref.field}[{ref.row}][{_jinja_str(ref.column)}]"
    return f"{ref.field}[{ref.row}].{ref.column}"


def _tag(expr: str) -> str:
    return "{{ " + expr + " }}"


def _pad_tag(expr: str, pad: int) -> str:
    if pad <= 0:
        return _tag(expr)
    return _tag(f"{expr} or {_jinja_str(IDEOGRAPHIC_SPACE * pad)}")


def _check_tag(expr: str) -> str:
    return _tag(f"{_jinja_str(CHECKED)} if {expr} else {_jinja_str(UNCHECKED)}")


# ---------------------------------------------------------------- runs and paragraphs

def set_doc_defaults(doc, body_size: float, line: str, line_rule: str) -> None:
    """Document-wide defaults: Song with the eastAsia attribute at ``body_size``, zh-CN,
    no space after paragraphs, the given line spacing (w:line, w:lineRule); the same
    fonts on the Normal style."""
    styles = doc.styles.element
    # theme font attributes take precedence over named fonts: replace them
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    old = rpr.find(qn("w:rFonts"))
    if old is not None:
        rpr.remove(old)
    _set_fonts(rpr, body_size)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr.find(qn("w:spacing"))
    for k, v in (("w:after", "0"), ("w:line", line), ("w:lineRule", line_rule)):
        spacing.set(qn(k), v)
    normal = doc.styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr(), body_size)
    normal.paragraph_format.space_after = Pt(0)


def _set_fonts(rpr, size: float | None = None, bold: bool = False, underline: bool = False):
    """Fonts on a w:rPr: the eastAsia attribute on every run (DESIGN §3)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), FONT_LATIN)
    fonts.set(qn("w:eastAsia"), FONT_EAST_ASIA)
    # punctuation such as “” and the boxes □☑ are ambiguous: draw them in 宋体
    fonts.set(qn("w:hint"), "eastAsia")
    # CT_RPr keeps its children in schema order
    if bold:
        rpr.get_or_add_b()
        rpr.get_or_add_bCs()
    if underline:
        rpr.get_or_add_u().val = WD_UNDERLINE.SINGLE
    if size is not None:
        rpr.get_or_add_sz().val = Pt(size)
        szcs = rpr.find(qn("w:szCs"))
        if szcs is None:
            szcs = OxmlElement("w:szCs")
            rpr.get_or_add_sz().addnext(szcs)
        szcs.set(qn("w:val"), str(int(round(size * 2))))


def _add_run(p: DocxParagraph, text: str, size: float, bold: bool, underline: bool = False):
    r = p.add_run(text)
    _set_fonts(r._r.get_or_add_rPr(), size, bold, underline)
    return r


def _pad_for(width_mm: float, size: float) -> int:
    return max(2, round(width_mm / (size * _MM_PER_PT)))


def _date_pad(width_mm: float | None, size: float) -> dict[str, int]:
    """Blank lines of an inline date: its width shared 2:1:1 among year, month and
    day, after the 年月日 themselves; no width, the default."""
    if width_mm is None:
        return DATE_PAD_INLINE
    room = width_mm / (size * _MM_PER_PT) - 3
    month = max(DATE_PAD_INLINE["month"], int(room / 4))
    return {"year": max(DATE_PAD_INLINE["year"], int(room - 2 * month)),
            "month": month, "day": month}


def _insert_before(parent, el, successors: tuple[str, ...]) -> None:
    """Insert ``el`` before the first of its schema successors present, else last."""
    for tag in successors:
        anchor = parent.find(qn(tag))
        if anchor is not None:
            anchor.addprevious(el)
            return
    parent.append(el)


class _Builder:
    def __init__(self, spec: FormSpec):
        self.spec = spec
        for f in spec.fields:
            if f.id in _JINJA_RESERVED:
                raise SpecError(f"字段标识 {f.id} 是模板语言的保留字，不能用作字段标识",
                                f"field id {f.id!r} is a Jinja reserved word")
        self.doc = Document()
        self._page_break_pending = False

    # ------------------------------------------------------------ document set-up

    def _page(self, margins_mm: tuple[float, float, float, float] = MARGINS_MM):
        """An A4 portrait page with ``margins_mm`` (top, bottom, left, right); its section,
        for more settings."""
        sec = self.doc.sections[0]
        sec.orientation = WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
        sec.top_margin, sec.bottom_margin = Mm(margins_mm[0]), Mm(margins_mm[1])
        sec.left_margin, sec.right_margin = Mm(margins_mm[2]), Mm(margins_mm[3])
        sec.header_distance = sec.footer_distance = Mm(15)
        return sec

    def setup(self) -> None:
        doc = self.doc
        self._page()
        set_doc_defaults(doc, BODY_SIZE, "240", "auto")
        doc.styles["Normal"].paragraph_format.line_spacing = 1.0

        self._prune_styles()
        self._font_table()
        self._drop_parts()
        apply_stamp(doc.core_properties, self.spec)

    def _font_table(self) -> None:
        """Declare 宋体 (SimSun) so Word and LibreOffice find or substitute a Song face."""
        part = None
        for rel in self.doc.part.rels.values():
            if rel.reltype == RT.FONT_TABLE:
                part = rel.target_part
        if part is None:
            return
        root = etree.fromstring(part.blob)
        font = OxmlElement("w:font")
        font.set(qn("w:name"), FONT_EAST_ASIA)
        for tag, val in (("w:altName", "SimSun"), ("w:panose1", "02010600030101010101"),
                         ("w:charset", "86"), ("w:family", "auto"), ("w:pitch", "variable")):
            el = OxmlElement(tag)
            el.set(qn("w:val"), val)
            font.append(el)
        root.insert(0, font)
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    def _prune_styles(self) -> None:
        """Keep the styles the form uses: python-docx's default carries ~160 (350 KB),
        which every rendering would parse and write again."""
        styles = self.doc.styles.element
        for st in styles.findall(qn("w:style")):
            if st.get(qn("w:styleId")) not in _KEPT_STYLES:
                styles.remove(st)
        latent = styles.find(qn("w:latentStyles"))
        if latent is not None:
            styles.remove(latent)

    def _drop_parts(self) -> None:
        # the default package's thumbnail shows python-docx's own sample page;
        # stylesWithEffects (Word 2010 only) and numbering (list definitions) name
        # styles pruned above; the custom XML is an empty bibliography
        for rels, reltype in ((self.doc.part.package.rels, RT.THUMBNAIL),
                              (self.doc.part.rels, _RT_STYLES_WITH_EFFECTS),
                              (self.doc.part.rels, RT.NUMBERING),
                              (self.doc.part.rels, RT.CUSTOM_XML)):
            for rid, rel in list(rels.items()):
                if rel.reltype == reltype:
                    rels.pop(rid)

    # ------------------------------------------------------------ paragraphs

    def _format(self, p: DocxParagraph, para: Paragraph, size: float) -> None:
        fmt = p.paragraph_format
        p.alignment = _ALIGN[para.align]
        fmt.space_before = Pt(para.space_before)
        fmt.space_after = Pt(0)
        if para.indent:
            fmt.first_line_indent = Pt(para.indent * size)
            # Word measures the indent in characters when this is present
            p._p.get_or_add_pPr().find(qn("w:ind")).set(qn("w:firstLineChars"),
                                                        str(para.indent * 100))
        # the paragraph mark's font sets the height of an empty line
        _set_fonts(self._mark_rpr(p), size, para.bold)

    @staticmethod
    def _mark_rpr(p: DocxParagraph):
        ppr = p._p.get_or_add_pPr()
        rpr = ppr.find(qn("w:rPr"))
        if rpr is None:
            rpr = OxmlElement("w:rPr")
            # w:rPr comes after every other pPr child except sectPr/pPrChange
            ppr.append(rpr)
        return rpr

    def fill_paragraph(self, p: DocxParagraph, para: Paragraph, size: float,
                       in_table: bool, whole_cell: bool) -> None:
        size = para.size or size
        self._format(p, para, size)
        for run in para.runs:
            if isinstance(run, str):
                _add_run(p, run, size, para.bold)
            else:
                self._field_runs(p, run, size, para.bold, in_table, whole_cell)

    def _field_runs(self, p: DocxParagraph, ref: FieldRef, size: float, bold: bool,
                    in_table: bool, whole_cell: bool) -> None:
        f = self.spec.field(ref.field)
        ftype = f.column(ref.column).type if ref.column else f.type
        expr = _expr(ref)
        # an inline value gets a line to write on; a value that fills its cell has the box
        inline = not whole_cell and (ref.width is not None or not in_table)
        if ftype == "date":
            pad = _date_pad(ref.width, size) if inline else DATE_PAD_CELL
            for part, unit in (("year", "年"), ("month", "月"), ("day", "日")):
                _add_run(p, _pad_tag(f"{expr}.{part}", pad[part]), size, bold,
                         underline=inline)
                _add_run(p, unit, size, bold)
        elif ftype == "choice":
            for i, choice in enumerate(f.choices):
                if i:
                    _add_run(p, " ", size, bold)
                _add_run(p, choice, size, bold)
                _add_run(p, _check_tag(f"{expr} == {_jinja_str(choice)}"), size, bold)
        elif ftype == "checkbox":
            _add_run(p, _check_tag(expr), size, bold)
        elif inline:
            width = ref.width if ref.width is not None else DEFAULT_INLINE_MM
            _add_run(p, _pad_tag(expr, _pad_for(width, size)), size, bold, underline=True)
        else:
            _add_run(p, _tag(expr), size, bold)

    def _new_paragraph(self) -> DocxParagraph:
        p = self.doc.add_paragraph()
        if self._page_break_pending:
            p.paragraph_format.page_break_before = True
            self._page_break_pending = False
        return p

    def _flush_page_break(self) -> None:
        """A page break before a table: a tiny paragraph holding the break."""
        if not self._page_break_pending:
            return
        self._page_break_pending = False
        p = self.doc.add_paragraph()
        self._tiny(p)
        _add_run(p, "", 1, False).add_break(WD_BREAK.PAGE)

    @staticmethod
    def _tiny(p: DocxParagraph, height_mm: float = 0.5) -> None:
        fmt = p.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Mm(height_mm)
        fmt.space_before = fmt.space_after = Pt(0)
        _set_fonts(_Builder._mark_rpr(p), 1)

    # ------------------------------------------------------------ blocks

    def text(self, block: Text) -> None:
        p = self._new_paragraph()
        self.fill_paragraph(p, block.paragraph, BODY_SIZE, in_table=False, whole_cell=False)

    def spacer(self, block: Spacer) -> None:
        p = self._new_paragraph()
        self._tiny(p, block.height)

    def table(self, block: Table) -> None:
        self._flush_page_break()
        ncols = len(block.columns)
        total = sum(block.columns)
        widths = [round(c / total * TEXT_WIDTH_MM * _TWIPS_PER_MM) for c in block.columns]
        t = self.doc.add_table(rows=0, cols=ncols)
        t.style = self.doc.styles["Table Grid"]
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        tbl = t._tbl
        tblPr = tbl.tblPr
        self._table_props(tblPr, sum(widths))
        for gc, w in zip(tbl.tblGrid.findall(qn("w:gridCol")), widths):
            gc.set(qn("w:w"), str(w))

        # columns still covered by a rowspan from above: row -> {col: colspan}
        covered: dict[int, dict[int, int]] = {}
        for ri, row in enumerate(block.rows):
            tr = OxmlElement("w:tr")
            tbl.append(tr)
            trPr = OxmlElement("w:trPr")
            tr.append(trPr)
            # a form row torn across two pages is hard to fill in
            trPr.append(OxmlElement("w:cantSplit"))
            if row.height:
                h = OxmlElement("w:trHeight")
                h.set(qn("w:val"), str(round(row.height * _TWIPS_PER_MM)))
                h.set(qn("w:hRule"), "atLeast")
                trPr.append(h)
            if ri < block.header_rows:
                # the column heads repeat at the top of each page the table runs onto
                trPr.append(OxmlElement("w:tblHeader"))
            here = covered.get(ri, {})
            col = 0
            cells = iter(row.cells)
            while col < ncols:
                if col in here:
                    span = here[col]
                    tc = self._tc(tr, widths[col:col + span], span, merge="continue")
                    self._tiny_cell_paragraph(tc, block.size)
                    col += span
                    continue
                cell = next(cells)
                tc = self._tc(tr, widths[col:col + cell.colspan], cell.colspan,
                              merge="restart" if cell.rowspan > 1 else None)
                for dr in range(1, cell.rowspan):
                    covered.setdefault(ri + dr, {})[col] = cell.colspan
                self._fill_cell(_Cell(tc, t), cell, block.size)
                col += cell.colspan

    @staticmethod
    def _table_props(tblPr, width: int) -> None:
        tblW = tblPr.find(qn("w:tblW"))
        if tblW is None:
            tblW = OxmlElement("w:tblW")
            tblPr.append(tblW)
        tblW.set(qn("w:w"), str(width))
        tblW.set(qn("w:type"), "dxa")
        # explicit borders: the form's grid must not depend on a style being honoured
        borders = OxmlElement("w:tblBorders")
        for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
            b = OxmlElement(f"w:{side}")
            b.set(qn("w:val"), "single")
            b.set(qn("w:sz"), "6")
            b.set(qn("w:space"), "0")
            b.set(qn("w:color"), "000000")
            borders.append(b)
        # narrower cell margins than Word's 1.9 mm: the official forms set short
        # labels such as （1） or 营利性□ in narrow columns
        margins = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            m = OxmlElement(f"w:{side}")
            m.set(qn("w:w"), str(round(CELL_MARGIN_MM * _TWIPS_PER_MM)))
            m.set(qn("w:type"), "dxa")
            margins.append(m)
        # schema order: …, tblBorders, shd, tblLayout, tblCellMar, tblLook;
        # autofit=False has already written tblLayout fixed
        _insert_before(tblPr, borders, ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook"))
        _insert_before(tblPr, margins, ("w:tblLook",))

    @staticmethod
    def _tc(tr, widths: list[int], span: int, merge: str | None):
        tc = OxmlElement("w:tc")
        tr.append(tc)
        tcPr = OxmlElement("w:tcPr")
        tc.append(tcPr)
        tcW = OxmlElement("w:tcW")
        tcW.set(qn("w:w"), str(sum(widths)))
        tcW.set(qn("w:type"), "dxa")
        tcPr.append(tcW)
        if span > 1:
            gs = OxmlElement("w:gridSpan")
            gs.set(qn("w:val"), str(span))
            tcPr.append(gs)
        if merge is not None:
            vm = OxmlElement("w:vMerge")
            if merge == "restart":
                vm.set(qn("w:val"), "restart")
            tcPr.append(vm)
        return tc

    def _tiny_cell_paragraph(self, tc, size: float) -> None:
        p = OxmlElement("w:p")
        tc.append(p)
        _set_fonts(self._mark_rpr(DocxParagraph(p, None)), size)

    def _fill_cell(self, c: _Cell, cell, size: float) -> None:
        c.vertical_alignment = _VALIGN[cell.valign]
        paragraphs = cell.paragraphs or (Paragraph(runs=(), align=cell.align),)
        whole = cell.is_value
        for para in paragraphs:
            p = DocxParagraph(OxmlElement("w:p"), c)
            c._tc.append(p._p)
            self.fill_paragraph(p, para, size, in_table=True, whole_cell=whole)

    def finish(self) -> None:
        # a page break at the very end would only add a blank page
        self._page_break_pending = False
        body = self.doc.element.body
        # Word needs a paragraph after a final table and would add a full-height one
        if len(body) > 1 and body[-2].tag == qn("w:tbl"):
            self._tiny(self.doc.add_paragraph())

    def build(self) -> bytes:
        self.setup()
        for block in self.spec.blocks:
            if isinstance(block, Text):
                self.text(block)
            elif isinstance(block, Table):
                self.table(block)
            elif isinstance(block, Spacer):
                self.spacer(block)
            elif isinstance(block, PageBreak):
                self._page_break_pending = True
            else:  # pragma: no cover - the loader knows no other block
                raise SpecError(f"未知的版式块：{block!r}", f"unknown layout block {block!r}")
        self.finish()
        buf = io.BytesIO()
        self.doc.save(buf)
        return normalize_zip(buf.getvalue())


def normalize_zip(data: bytes) -> bytes:
    """The same members in the same order, with a fixed timestamp: reproducible bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


@lru_cache(maxsize=64)
def build_template(spec: FormSpec) -> bytes:
    """The docxtpl template of a form, as DOCX bytes (cached per description)."""
    return _Builder(spec).build()
