"""Flowing multi-page documents (the service agreements), drawn directly.

A form (``_layout``/``_render``) is a fixed page of cells and boxes; an
agreement is running text: a title, chapter headings, articles wrapping over
many pages, page numbers, and a signature block at the end with empty
signature fields.  This module lays out and writes such a document from a
small model (:class:`FlowDocument` of :class:`Para` and
:class:`SignatureBlock`), with the same pieces as the forms: the prepared Song
font as Type0/Identity-H (``_render._type0``), one subset per document (the
kind's own text prepared once, extended by the party data's glyphs), the Chinese
line-breaking rules of ``_layout`` (NO_START / NO_END), and ``PdfWriter``.

Page (GB/T 9704-2012 §5.2, §7.5, adapted):

* A4, 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm;
* body 14 pt (四号) Song on a grid of 28 lines per page (22.78 pt pitch), about
  31 characters a line, justified.  GB/T 9704 asks for 3号 (16 pt) 仿宋 at 22
  lines × 28 characters; no free simplified-Chinese FangSong exists (DESIGN §2),
  and Song at 四号 keeps the longest agreement near 15 pages instead of 21;
* page numbers "— 1 —" in 14 pt, 7 mm below the 版心, odd pages right and
  even pages left, one character in from the edge; marked as pagination
  artifacts, so they are not part of the text a reader extracts in order.

Pagination keeps a heading with the first two lines after it, never leaves a
paragraph's first line alone at a page's foot nor its last line alone at a
page's head, and keeps the signature block on one page together with the last
lines before it, so the signatures never stand on a page of their own.

Line layouts of paragraphs that do not change between documents (the
official text) are computed once per paragraph object and reused: a caller
that keeps its static paragraphs (``generator.agreement`` does) pays only for
the paragraphs holding values.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from forms.layout import (ASCENT, HEX4, MM, NO_END, NO_START, PAGE_H, PAGE_W, ExtensibleSubset,
                          PreparedFont, prepared_font)
from ._render import _type0
from ._writer import PdfWriter, literal, num, ref, string, text

# GB/T 9704-2012 §5.2.1: 天头 37 mm, 订口 28 mm, 版心 156 mm × 225 mm
MARGIN_TOP = 37 * MM
MARGIN_LEFT = 28 * MM
TEXT_W = 156 * MM
TEXT_H = 225 * MM
BODY_SIZE = 14.0
LINES_PER_PAGE = 28
PITCH = TEXT_H / LINES_PER_PAGE
#: page number: 7 mm below the 版心, one character in from the outer edge
FOLIO_GAP = 7 * MM
FOLIO_SIZE = 14.0
#: the underline of a blank sits this far below the baseline (in em)
UNDERLINE_DROP = 0.18
UNDERLINE_W = 0.6
#: a justified line never spreads its characters further apart than this (in em)
MAX_SPACING = 0.5

FONT = "F1"
ANNOT_PRINT = 4
FOLIO_CHARS = "— 0123456789"


@dataclass(frozen=True)
class Span:
    """A piece of a paragraph's text with one style."""

    text: str
    bold: bool = False
    underline: bool = False
    #: the placeholder the span fills (DOCX writes a template tag here; the PDF draws ``text``)
    field: str | None = None
    #: an underlined blank running to the end of the line (the header's values)
    fill: bool = False
    #: what a DOCX template shows for an empty value (ideographic spaces to write on)
    blank: str = ""


@dataclass(eq=False)
class Para:
    spans: tuple[Span, ...]
    size: float = BODY_SIZE
    align: str = "justify"  # justify, center, left
    #: first-line indent, in em
    first_indent: float = 0.0
    #: continuation lines start under the end of the first span (a label: 地　　址：…)
    hang: bool = False
    #: extra space before, in grid lines (dropped at a page's top)
    space_before: float = 0.0
    #: line height, in grid lines
    leading: float = 1.0
    keep_with_next: bool = False
    #: a bookmark: (level, title); level 0 at the top
    outline: tuple[int, str] | None = None
    #: DOCX only: the outline level of the paragraph (headings)
    heading: bool = False
    #: (font, lines): the paragraph's line layout, computed once per paragraph object
    _lines: tuple | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SignatureCell:
    spans: tuple[Span, ...]
    #: an empty signature field after the text: (field name, tooltip)
    sig_field: tuple[str, str] | None = None
    #: "left", or "right": set against the column's end (年 月 日 under a signature)
    align: str = "left"


@dataclass(frozen=True)
class SignatureRow:
    cells: tuple[SignatureCell, SignatureCell]
    #: height in grid lines
    lines: int = 1


@dataclass(eq=False)
class SignatureBlock:
    rows: tuple[SignatureRow, ...]
    space_before: float = 2.0
    #: lines of the text before it that move to a new page with it
    keep_lines: int = 2


@dataclass
class FlowDocument:
    blocks: list
    title: str
    #: extra /Info entries, name -> value (``XieyiForm`` …)
    info: dict
    #: the characters of the text that does not change between documents: drawn with a
    #: subset cached across documents; other characters use a small per-document font
    static_chars: frozenset | None = None
    #: what makes this document unique, for the file identifier
    key: str = ""


# ------------------------------------------------------------------ lines


class _Line:
    __slots__ = ("height", "size", "runs", "rules", "widgets", "keep", "space_before", "anchor")

    def __init__(self, height: float, size: float):
        self.height = height
        self.size = size
        #: (x, baseline offset, text, bold, spacing, size)
        self.runs: list[tuple] = []
        #: underlines (x0, y offset, x1)
        self.rules: list[tuple] = []
        #: signature fields (name, tooltip, x0, top offset, x1, bottom offset)
        self.widgets: list[tuple] = []
        self.keep = False
        self.space_before = 0.0
        self.anchor: tuple[int, str] | None = None


def _is_word(ch: str) -> bool:
    return "!" <= ch <= "~"


def _breakable(prev: str, ch: str) -> bool:
    return not (ch in NO_START or prev in NO_END or (_is_word(prev) and _is_word(ch)))


def break_text(s: str, ws: list[float], first: float, rest: float) -> list[tuple[int, int]]:
    """Line spans ``(start, end)`` of ``s`` (character widths ``ws``) for a first line of
    width ``first`` and further lines of width ``rest``: breaks anywhere between Chinese
    characters, never before a closing mark nor after an opening one (``_layout``'s
    NO_START / NO_END), never inside a Latin word or number unless it outruns a line;
    spaces at a break are dropped."""
    lines: list[tuple[int, int]] = []
    n = len(s)
    start = 0
    x = 0.0
    limit = first
    last_break = -1
    i = 0
    while i < n:
        ch = s[i]
        if i > start and _breakable(s[i - 1], ch):
            last_break = i
        if x + ws[i] > limit + 1e-6 and i > start and ch != " ":
            cut = last_break if last_break > start else i
            end = cut
            while end > start and s[end - 1] == " ":
                end -= 1
            lines.append((start, end))
            start = cut
            while start < n and s[start] == " ":
                start += 1
            limit = rest
            if start > i:
                i = start
                x = 0.0
                last_break = -1
                continue
            x = sum(ws[start:i])
            last_break = -1
            for k in range(start + 1, i + 1):
                if _breakable(s[k - 1], s[k]):
                    last_break = k
        x += ws[i]
        i += 1
    end = n
    while end > start and s[end - 1] == " ":
        end -= 1
    lines.append((start, end))
    return lines


def _para_lines(p: Para, font: PreparedFont) -> list[_Line]:
    """The lines of a paragraph, positioned from the left of the 版心 and the line's top."""
    size = p.size
    k = size / 1000.0
    fw, nd = font.width, font.notdef_width
    chars: list[str] = []
    style: list[int] = []
    for si, sp in enumerate(p.spans):
        chars.extend(sp.text)
        style.extend([si] * len(sp.text))
    s = "".join(chars)
    ws = [fw.get(c, nd) * k for c in s]
    indent = p.first_indent * size
    hang = 0.0
    if p.hang and p.spans:
        hang = sum(ws[: len(p.spans[0].text)])
    first_w = TEXT_W - indent
    rest_w = TEXT_W - hang
    spans_at = break_text(s, ws, first_w, rest_w) if s else [(0, 0)]
    height = p.leading * PITCH
    baseline = (height - size) / 2 + ASCENT * size
    out = []
    nlines = len(spans_at)
    for li, (a, b) in enumerate(spans_at):
        ln = _Line(height, size)
        x0 = indent if li == 0 else hang
        avail = TEXT_W - x0
        natural = sum(ws[a:b])
        spacing = 0.0
        if p.align == "center":
            x0 += max(0.0, (avail - natural) / 2)
        elif p.align == "justify" and li < nlines - 1 and b - a > 1:
            spacing = (avail - natural) / (b - a - 1)
            if spacing > MAX_SPACING * size or spacing < 0:
                spacing = 0.0
        # runs of one span each; x advances by width plus spacing per character
        x = x0
        j = a
        while j < b:
            si = style[j]
            e = j
            while e < b and style[e] == si:
                e += 1
            sp = p.spans[si]
            w = sum(ws[j:e]) + spacing * (e - j)
            ln.runs.append((x, baseline, s[j:e], sp.bold, spacing, size))
            if sp.underline or sp.fill:
                ln.rules.append((x, baseline + UNDERLINE_DROP * size, x + w - spacing))
            x += w
            j = e
        # a blank that fills its line: the line runs on to the right edge
        last_style = style[b - 1] if b > a else None
        for si, sp in enumerate(p.spans):
            if not sp.fill:
                continue
            holds = last_style == si
            empty_here = not sp.text and li == nlines - 1
            if holds or empty_here:
                ln.rules.append((x, baseline + UNDERLINE_DROP * size, TEXT_W))
        out.append(ln)
    out[0].space_before = p.space_before * PITCH
    out[0].anchor = p.outline
    # orphans and widows: a first line never alone at a page's foot, a last line never
    # alone at a page's head
    if nlines >= 2:
        out[0].keep = True
        out[-2].keep = True
    if p.keep_with_next:
        out[-1].keep = True
    return out


def _lines_of(p: Para, font: PreparedFont) -> list[_Line]:
    if p._lines is None or p._lines[0] is not font:
        p._lines = (font, _para_lines(p, font))
    return p._lines[1]


def _signature_lines(blk: SignatureBlock, font: PreparedFont) -> _Line:
    """The whole block as one unbreakable line: two columns, a row per line group."""
    k = BODY_SIZE / 1000.0
    fw, nd = font.width, font.notdef_width
    col_x = (0.0, TEXT_W / 2 + BODY_SIZE)
    col_end = (TEXT_W / 2 - BODY_SIZE, TEXT_W)
    total = sum(r.lines for r in blk.rows) * PITCH
    ln = _Line(total, BODY_SIZE)
    top = 0.0
    baseline0 = (PITCH - BODY_SIZE) / 2 + ASCENT * BODY_SIZE
    for row in blk.rows:
        h = row.lines * PITCH
        for ci, cell in enumerate(row.cells):
            x = col_x[ci]
            if cell.align == "right":
                tw = sum(fw.get(c, nd) for sp in cell.spans for c in sp.text) * k
                x = max(x, col_end[ci] - BODY_SIZE - tw)
            for sp in cell.spans:
                w = sum(fw.get(c, nd) for c in sp.text) * k
                if sp.text:
                    ln.runs.append((x, top + baseline0, sp.text, sp.bold, 0.0, BODY_SIZE))
                if sp.underline:
                    ln.rules.append((x, top + baseline0 + UNDERLINE_DROP * BODY_SIZE, x + w))
                x += w
            if cell.sig_field:
                name, tip = cell.sig_field
                ln.widgets.append((name, tip, x + 0.25 * BODY_SIZE, top + 0.1 * PITCH,
                                   col_end[ci], top + h - 0.1 * PITCH))
        top += h
    ln.space_before = blk.space_before * PITCH
    return ln


# ------------------------------------------------------------------ pages


@dataclass
class _Placed:
    page: int
    top: float  # from the page's top edge
    line: _Line


def _paginate(lines: list[_Line]) -> tuple[list[_Placed], int]:
    bottom = MARGIN_TOP + TEXT_H
    y = MARGIN_TOP
    page = 0
    placed = []
    n = len(lines)
    i = 0
    while i < n:
        ln = lines[i]
        sb = ln.space_before if y > MARGIN_TOP + 1e-6 else 0.0
        # the chain of lines that must stay on one page with this one
        need = sb + ln.height
        j = i
        while lines[j].keep and j + 1 < n:
            j += 1
            need += lines[j].space_before + lines[j].height
        fits_alone = y + sb + ln.height <= bottom + 1e-6
        chain_fits = y + need <= bottom + 1e-6
        if y > MARGIN_TOP + 1e-6 and (not fits_alone or
                                      (not chain_fits and need - sb <= TEXT_H + 1e-6)):
            page += 1
            y = MARGIN_TOP
            sb = 0.0
        y += sb
        placed.append(_Placed(page, y, ln))
        y += ln.height
        i += 1
    return placed, page + 1


# ------------------------------------------------------------------ drawing


class _Glyphs:
    """Text as 4-hex-digit glyph numbers in the document's one font: the kind's own
    subset, extended by the party data's glyphs."""

    def __init__(self, font: PreparedFont, number: dict[int, int]):
        self.gid = font.gid
        self.number = number

    def hex(self, s: str) -> str:
        gid, number = self.gid, self.number
        return "".join([HEX4[number[gid.get(c, 0)]] for c in s])


def _folio(page_no: int, font: PreparedFont) -> tuple[float, float, str]:
    s = f"— {page_no} —"
    w = font.text_width(s) * FOLIO_SIZE / 1000.0
    baseline = MARGIN_TOP + TEXT_H + FOLIO_GAP + ASCENT * FOLIO_SIZE
    if page_no % 2:  # odd pages: right, one character in
        x = MARGIN_LEFT + TEXT_W - FOLIO_SIZE - w
    else:
        x = MARGIN_LEFT + FOLIO_SIZE
    return x, baseline, s


def _page_stream(items: list[_Placed], page_no: int, glyphs: _Glyphs,
                 font: PreparedFont) -> bytes:
    ops = ["0 g 0 G"]
    rules = []
    for pl in items:
        for x0, dy, x1 in pl.line.rules:
            y = PAGE_H - (pl.top + dy)
            rules.append(f"{num(MARGIN_LEFT + x0)} {num(y)} m {num(MARGIN_LEFT + x1)} {num(y)} l")
    if rules:
        ops.append(f"{num(UNDERLINE_W)} w")
        ops.extend(rules)
        ops.append("S")
    ops.append("BT")
    cur_size = None
    bold = False
    spacing = 0.0
    for pl in items:
        for x, dy, s, b, sp, size in pl.line.runs:
            if b != bold:
                # no bold Song face: fill and stroke the outline (as the forms do)
                ops.append(f"2 Tr {num(0.03 * size)} w" if b else "0 Tr")
                bold = b
            if sp != spacing:
                ops.append(f"{num(sp)} Tc")
                spacing = sp
            if size != cur_size:
                ops.append(f"/{FONT} {num(size)} Tf")
                cur_size = size
            ops.append(f"1 0 0 1 {num(MARGIN_LEFT + x)} {num(PAGE_H - (pl.top + dy))} Tm "
                       f"<{glyphs.hex(s)}> Tj")
    if bold:
        ops.append("0 Tr")
    if spacing:
        ops.append("0 Tc")
    ops.append("ET")
    # the page number: a pagination artifact (not part of the text read in order)
    fx, fb, fs = _folio(page_no, font)
    ops.append(f"/Artifact << /Type /Pagination >> BDC BT 1 0 0 1 {num(fx)} "
               f"{num(PAGE_H - fb)} Tm")
    ops.append(f"/{FONT} {num(FOLIO_SIZE)} Tf <{glyphs.hex(fs)}> Tj")
    ops.append("ET EMC")
    return "\n".join(ops).encode("latin-1")


@lru_cache(maxsize=16)
def _kind_subset(font: PreparedFont, chars: frozenset) -> ExtensibleSubset:
    """The subset of the text shared by every document of a kind, prepared once."""
    g = font.gid
    return ExtensibleSubset(font, {g[c] for c in chars if c in g})


def missing_glyphs(s: str, font: PreparedFont | None = None) -> list[str]:
    """Characters of ``s`` the Song font cannot draw (in order, once each)."""
    font = font or prepared_font("song")
    out = []
    for c in s:
        if c not in font.gid and not c.isspace() and c not in out:
            out.append(c)
    return out


def render_document(doc: FlowDocument) -> bytes:
    """The document as PDF bytes (A4, outline, page numbers, signature fields, metadata)."""
    font = prepared_font("song")
    placed, npages = layout_document(doc, font)

    used: set[str] = set()
    for pl in placed:
        for run in pl.line.runs:
            used.update(run[2])
    used.update(FOLIO_CHARS)
    static_chars = (doc.static_chars | frozenset(FOLIO_CHARS)) if doc.static_chars is not None \
        else frozenset(used)
    subset = _kind_subset(font, frozenset(static_chars))
    gid = font.gid
    added = subset.added(gid.get(c, 0) for c in used)
    glyphs = _Glyphs(font, {**subset.number, **added})

    w = PdfWriter()
    catalog = w.alloc()
    pages_obj = w.alloc()
    info = w.alloc()
    page_objs = [w.alloc() for _ in range(npages)]
    f1 = _type0(w, font, subset.streams(list(added)))
    resources = w.add(f"<< /Font << /{FONT} {ref(f1)} >> >>")

    by_page: list[list[_Placed]] = [[] for _ in range(npages)]
    for pl in placed:
        by_page[pl.page].append(pl)

    # signature fields: merged field/widget dictionaries, empty (no /V) for a signing tool
    fields = []
    annots: list[list[int]] = [[] for _ in range(npages)]
    empty_ap = 0
    for pl in placed:
        for name, tip, x0, t, x1, b in pl.line.widgets:
            if not empty_ap:
                empty_ap = w.stream("/Type /XObject /Subtype /Form /BBox [0 0 1 1]", b"",
                                    compress=False)
            rect = (f"[{num(MARGIN_LEFT + x0)} {num(PAGE_H - (pl.top + b))} "
                    f"{num(MARGIN_LEFT + x1)} {num(PAGE_H - (pl.top + t))}]")
            n = w.add(f"<< /Type /Annot /Subtype /Widget /FT /Sig /T {literal(name)} "
                      f"/TU {text(tip)} /Rect {rect} /F {ANNOT_PRINT} "
                      f"/P {ref(page_objs[pl.page])} /AP << /N {ref(empty_ap)} >> >>")
            fields.append(n)
            annots[pl.page].append(n)

    media = f"[0 0 {num(PAGE_W)} {num(PAGE_H)}]"
    for pi in range(npages):
        data = _page_stream(by_page[pi], pi + 1, glyphs, font)
        content = w.stream("", data)
        ann = f" /Annots [{' '.join(ref(a) for a in annots[pi])}]" if annots[pi] else ""
        w.put(page_objs[pi], f"<< /Type /Page /Parent {ref(pages_obj)} /MediaBox {media} "
                             f"/Resources {ref(resources)} /Contents {ref(content)}{ann} >>")
    w.put(pages_obj, f"<< /Type /Pages /Kids [{' '.join(ref(p) for p in page_objs)}] "
                     f"/Count {npages} >>")

    outline = _outline(w, placed, page_objs)
    extra_cat = ""
    if outline:
        extra_cat += f" /Outlines {ref(outline)} /PageMode /UseOutlines"
    if fields:
        acro = w.add(f"<< /Fields [{' '.join(ref(f) for f in fields)}] >>")
        extra_cat += f" /AcroForm {ref(acro)}"
    w.put(catalog, f"<< /Type /Catalog /Pages {ref(pages_obj)}{extra_cat} /Lang (zh-CN) "
                   f"/ViewerPreferences << /DisplayDocTitle true >> >>")
    entries = [f"/Title {text(doc.title)}", "/Creator (xieyi)", "/Producer (xieyi)"]
    for k, v in doc.info.items():
        entries.append(f"/{k} {string(v)}")
    w.put(info, "<< " + " ".join(entries) + " >>")
    file_id = hashlib.md5(doc.key.encode("utf-8")).hexdigest().upper()
    return w.tobytes(catalog, info, file_id)


def _kept(ln: _Line) -> _Line:
    """A copy of ``ln`` kept with the next line (lines of the official text are shared
    between documents: a mark for one document must not stick to them)."""
    c = _Line(ln.height, ln.size)
    c.runs, c.rules, c.widgets = ln.runs, ln.rules, ln.widgets
    c.space_before, c.anchor, c.keep = ln.space_before, ln.anchor, True
    return c


def layout_document(doc: FlowDocument, font: PreparedFont | None = None):
    """``(placed lines, page count)``: every line of ``doc`` with its page and top."""
    font = font or prepared_font("song")
    lines: list[_Line] = []
    for blk in doc.blocks:
        if isinstance(blk, Para):
            lines.extend(_lines_of(blk, font))
        else:
            # the last lines before a signature block go over to its page with it
            for k in range(max(0, len(lines) - blk.keep_lines), len(lines)):
                lines[k] = _kept(lines[k])
            lines.append(_signature_lines(blk, font))
    return _paginate(lines)


def _outline(w: PdfWriter, placed: list[_Placed], page_objs: list[int]) -> int | None:
    """Bookmarks from the lines' anchors: level 0 at the top, deeper levels as children
    (closed, so the outline opens on the chapters)."""
    entries = [(pl.line.anchor[0], pl.line.anchor[1], pl.page, pl.top)
               for pl in placed if pl.line.anchor]
    if not entries:
        return None
    root = w.alloc()
    nodes = []  # (level, title, page, top, n, children)
    stack: list[tuple[int, list]] = [(-1, [])]
    for level, title, page, top in entries:
        node = (level, title, page, top, w.alloc(), [])
        while stack[-1][0] >= level:
            stack.pop()
        stack[-1][1].append(node)
        stack.append((level, node[5]))
        nodes.append(node)

    def write(children: list, parent: int) -> None:
        for i, (level, title, page, top, n, kids) in enumerate(children):
            d = [f"/Title {text(title)}", f"/Parent {ref(parent)}",
                 f"/Dest [{ref(page_objs[page])} /XYZ {num(MARGIN_LEFT)} "
                 f"{num(PAGE_H - top + 2)} null]"]
            if i:
                d.append(f"/Prev {ref(children[i - 1][4])}")
            if i + 1 < len(children):
                d.append(f"/Next {ref(children[i + 1][4])}")
            if kids:
                d.append(f"/First {ref(kids[0][4])} /Last {ref(kids[-1][4])} /Count -{len(kids)}")
            w.put(n, "<< " + " ".join(d) + " >>")
            write(kids, n)

    top_level = stack[0][1]
    write(top_level, root)
    w.put(root, f"<< /Type /Outlines /First {ref(top_level[0][4])} "
                f"/Last {ref(top_level[-1][4])} /Count {len(top_level)} >>")
    return root
