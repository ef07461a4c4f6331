"""The agreement as DOCX: a docxtpl template built from the same flowing document as the PDF.

The template is built once per text (python-docx, with the form builder's
helpers: eastAsia fonts, pruned styles, a declared 宋体, deterministic zip) from
``_content.skeleton(text).blocks(None)``: the official text as runs, each value
as a Jinja tag (``{{ party_b.name or '　…' }}``, ``{{ city or '　　　' }}``,
``{{ term }}``).  Rendering runs docxtpl with ``autoescape=True`` and the
values made inert by ``generator.docx._render.inert`` (DESIGN §3): a name with
``& < > { }`` comes out literally.

Layout matches the PDF: A4, the GB/T 9704 margins, 14 pt Song on an exact
22.78 pt line (28 lines a page), justified, first lines indented two
characters, chapter headings centred in bold with outline level 1 (Word's
navigation pane; LibreOffice exports them as PDF bookmarks), the signature
block a borderless two-column table, page numbers "— N —" outside on odd and
even pages.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from forms import STAMP_AUTHOR, stamp_keywords, stamp_subject
from generator.docx._build import (_add_run, _Builder, _jinja_str, _set_fonts, normalize_zip,
                                   set_doc_defaults)
from generator.docx._render import _ENV, _Template, inert
from generator.pdf._document import (
    BODY_SIZE,
    FOLIO_SIZE,
    PITCH,
    Para,
    SignatureBlock,
    Span,
)

from ._content import skeleton
from ._model import PARTIES, PARTY_FIELDS, AgreementText

# GB/T 9704: top, bottom, left (订口), right, in mm
MARGINS_MM = (37.0, 35.0, 28.0, 26.0)
TEXT_WIDTH_MM = 210.0 - MARGINS_MM[2] - MARGINS_MM[3]
_TWIPS_PER_MM = 1440 / 25.4
#: the 28-line grid: exact line height in twentieths of a point
LINE_TWIPS = round(PITCH * 20)
_ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
          "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}


def _tag(sp: Span) -> str:
    if sp.blank:
        return "{{ " + f"{sp.field} or {_jinja_str(sp.blank)}" + " }}"
    return "{{ " + sp.field + " }}"


class _AgreementBuilder(_Builder):
    """The form builder's document set-up, for a text instead of a form description."""

    def __init__(self, text: AgreementText):  # noqa: D107 - no FormSpec here
        from docx import Document

        self.text = text
        self.spec = None
        self.doc = Document()
        self._page_break_pending = False

    def setup(self) -> None:
        doc = self.doc
        sec = self._page(MARGINS_MM)
        # GB/T 9704 §7.5: the page number's line sits 7 mm below the 版心
        sec.footer_distance = Mm(MARGINS_MM[1] - 7 - FOLIO_SIZE * 25.4 / 72)
        # GB/T 9704: exact line pitch, so a page holds its 28 lines
        set_doc_defaults(doc, BODY_SIZE, str(LINE_TWIPS), "exact")
        self._prune_styles()
        self._font_table()
        self._drop_parts()
        self._folios()

    def _folios(self) -> None:
        """"— N —" with a PAGE field: odd pages right, even pages left (GB/T 9704 §7.5)."""
        doc = self.doc
        doc.settings.odd_and_even_pages_header_footer = True
        sec = doc.sections[0]
        for footer, align in ((sec.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                              (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
            footer.is_linked_to_previous = False
            p = footer.paragraphs[0]
            p.alignment = align
            fmt = p.paragraph_format
            fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
            if align == WD_ALIGN_PARAGRAPH.RIGHT:
                fmt.right_indent = Pt(FOLIO_SIZE)
            else:
                fmt.left_indent = Pt(FOLIO_SIZE)
            _add_run(p, "— ", FOLIO_SIZE, False)
            fld = OxmlElement("w:fldSimple")
            fld.set(qn("w:instr"), "PAGE")
            r = _add_run(p, "1", FOLIO_SIZE, False)
            r._r.addprevious(fld)
            fld.append(r._r)
            _add_run(p, " —", FOLIO_SIZE, False)

    # ------------------------------------------------------------ blocks

    def para(self, blk: Para) -> None:
        p = self.doc.add_paragraph()
        fmt = p.paragraph_format
        p.alignment = _ALIGN[blk.align]
        size = blk.size
        if blk.leading != 1.0 or size > BODY_SIZE:
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = Pt(blk.leading * PITCH)
        if blk.space_before:
            fmt.space_before = Pt(blk.space_before * PITCH)
        if blk.keep_with_next:
            fmt.keep_with_next = True
        ppr = p._p.get_or_add_pPr()
        if blk.first_indent:
            fmt.first_line_indent = Pt(blk.first_indent * size)
            ppr.find(qn("w:ind")).set(qn("w:firstLineChars"), str(int(blk.first_indent * 100)))
        if blk.heading:
            lvl = OxmlElement("w:outlineLvl")
            lvl.set(qn("w:val"), "0")
            # schema order: outlineLvl comes late in pPr, before rPr
            rpr = ppr.find(qn("w:rPr"))
            if rpr is not None:
                rpr.addprevious(lvl)
            else:
                ppr.append(lvl)
        _set_fonts(self._mark_rpr(p), size, any(sp.bold for sp in blk.spans))
        if blk.hang:
            # 地　　址：value — continuation lines under the value, the line to the right edge
            label = blk.spans[0].text
            fmt.left_indent = Pt(len(label) * size)
            fmt.first_line_indent = Pt(-len(label) * size)
            tabs = fmt.tab_stops
            tabs.add_tab_stop(Mm(TEXT_WIDTH_MM))
        for sp in blk.spans:
            self.span(p, sp, size)

    def span(self, p, sp: Span, size: float) -> None:
        if sp.field:
            _add_run(p, _tag(sp), size, sp.bold, underline=sp.underline or sp.fill)
            if sp.fill:
                _add_run(p, "\t", size, False, underline=True)
        else:
            _add_run(p, sp.text, size, sp.bold, underline=sp.underline)

    def signature(self, blk: SignatureBlock) -> None:
        spacer = self.doc.add_paragraph()
        spacer.paragraph_format.space_before = Pt((blk.space_before - 1) * PITCH)
        spacer.paragraph_format.keep_with_next = True
        half = round(TEXT_WIDTH_MM / 2 * _TWIPS_PER_MM)
        t = self.doc.add_table(rows=0, cols=2)
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        tbl = t._tbl
        for gc in tbl.tblGrid.findall(qn("w:gridCol")):
            gc.set(qn("w:w"), str(half))
        for row in blk.rows:
            tr = t.add_row()
            trpr = tr._tr.get_or_add_trPr()
            trpr.append(OxmlElement("w:cantSplit"))
            h = OxmlElement("w:trHeight")
            h.set(qn("w:val"), str(round(row.lines * PITCH * 20)))
            h.set(qn("w:hRule"), "exact")
            trpr.append(h)
            for cell, c in zip(row.cells, tr.cells):
                c.width = Mm(TEXT_WIDTH_MM / 2)
                p = c.paragraphs[0]
                p.alignment = _ALIGN["right" if cell.align == "right" else "left"]
                p.paragraph_format.keep_with_next = True
                if cell.align == "right":
                    p.paragraph_format.right_indent = Pt(BODY_SIZE)
                _set_fonts(self._mark_rpr(p), BODY_SIZE)
                for sp in cell.spans:
                    self.span(p, sp, BODY_SIZE)

    def build_text(self) -> bytes:
        self.setup()
        for blk in skeleton(self.text).blocks(None):
            if isinstance(blk, Para):
                self.para(blk)
            else:
                self.signature(blk)
        # the table ends the body: Word wants a paragraph after it
        self._tiny(self.doc.add_paragraph())
        _stamp(self.doc.core_properties, self.text, None)
        buf = io.BytesIO()
        self.doc.save(buf)
        return normalize_zip(buf.getvalue())


def _stamp(core, text: AgreementText, info: dict | None) -> None:
    """The identity stamp in core properties (``generator.docx._build`` documents which of
    them reach a PDF that LibreOffice exports): title, subject, keywords."""
    when = dt.datetime.combine(text.valid_from, dt.time(0, 0))
    core.title = text.title
    core.subject = (info or {}).get("Subject", stamp_subject(text.id, text.version))
    core.keywords = (info or {}).get("Keywords",
                                     stamp_keywords(text.id, text.version, text.spec_hash))
    core.identifier = text.id
    core.version = text.version
    core.author = STAMP_AUTHOR
    core.last_modified_by = STAMP_AUTHOR
    core.category = "agreement"
    core.language = "zh-CN"
    core.comments = f"{text.jurisdiction_name} {text.source.document} {text.attachment} 《{text.title}》"
    core.revision = 1
    core.created = when
    core.modified = when


@lru_cache(maxsize=16)
def build_template(text: AgreementText) -> bytes:
    """The docxtpl template of an agreement text, as DOCX bytes (cached per text)."""
    return _AgreementBuilder(text).build_text()


def docx_context(values: dict[str, str]) -> dict:
    """The template context: ``party_a``/``party_b`` objects, ``city``, ``term``, each value
    made inert (escaped, braces as character references, control characters dropped)."""
    ctx: dict = {}
    for party in PARTIES:
        ctx[party] = {f: inert(values.get(f"{party}.{f}", ""))
                      for f in (*PARTY_FIELDS, "signed_on")}
    ctx["city"] = inert(values.get("city", ""))
    ctx["term"] = inert(values.get("term", ""))
    return ctx


def render_docx(text: AgreementText, values: dict[str, str], info: dict) -> bytes:
    tpl = _Template(io.BytesIO(build_template(text)))
    tpl.render(docx_context(values), jinja_env=_ENV, autoescape=True)
    _stamp(tpl.docx.core_properties, text, info)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()
