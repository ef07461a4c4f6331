"""Reading a form from its printed pages: a DOCX typed into in Word, WPS or LibreOffice and
exported to PDF has no form fields; its values are page text in the cells.

How a value is found: the description says which cell of which table holds it,
and which official text (label) comes before and after it.

1. Page text: pdfminer's characters (read directly: pdfplumber's page objects
   around them cost a fifth of the time), doubled ones removed (fake bold is
   printed twice), spaces a producer printed over the glyphs beside them
   dropped, symbol-font boxes and ticks turned into their Unicode glyphs
   (Wingdings codes told apart by font name).
2. Tables: pdfplumber's ``TableFinder`` finds each ruled table's cells from the
   page's ruling edges; the cell edges make a grid.  Each description table is
   matched, in order, to the tables found (one or more fragments when it runs over
   a page break): columns by their relative positions, rows in order, checked
   against the labels printed in the cells.
3. In a cell, the value is the text between the labels around it (``科室：`` …
   ``个，其中工伤特色科室：``); a cell that holds nothing but the value is the value.
   Text outside tables is read the same way over all pages, paragraph by
   paragraph, a paragraph's first label looked for at the start of a line.
4. Lines: a value that wraps in its cell is joined again, with the space a wrap
   between two Latin words swallowed (``_soft_join``).  In a multi-line value a
   line break is kept only when the next line's first unit (a character with the
   punctuation that may not start or end a line, or a Latin word) would have
   fitted where the line ended; a larger gap between lines is an empty line.
   Where a person's line break falls exactly where the line was full anyway, the
   page is the same either way: read as a wrap.
5. Our own fillable PDF with its fields flattened into the page (printed to PDF):
   read the same way; its ticks are drawn, not printed, so they are looked for
   inside the boxes ``forms.layout.layout_geometry`` places.

A value that the layout cannot give (its label missing, its text in a font
without a character map, a box with neither glyph nor drawn tick) is reported,
not guessed.
"""

from __future__ import annotations

import bisect
import io
import math
from dataclasses import dataclass, field

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LTChar, LTCurve, LTFigure, LTImage, LTLine, LTRect
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfplumber.table import TableFinder

from forms import FormSpec, Paragraph, Table, Text

from ._normalize import (
    char_key,
    clean_text,
    parse_choice,
    parse_date,
    parse_number,
    problem,
    read_mark,
    symbol_char,
)
from ._result import Reading

#: cell padding of our DOCX (generator.docx CELL_MARGIN_MM = 1.2 mm), in points
CELL_MARGIN = 1.2 * 72 / 25.4
#: what the cell's borders take of its width (our DOCX: 3/4 pt rules, half inside on each
#: side), measured: a character that fits to within this is still put on the next line
CELL_BORDER = 0.75
#: DOCX page margins left and right (20 mm), for text outside tables
PAGE_MARGIN = 20 * 72 / 25.4
EDGE_TOL = 1.5
#: relative distance within which a found column edge is a description's column edge
COLUMN_TOL = 0.025
#: line height over font size when a region gives no measure of its own
DEFAULT_PITCH = 1.3

# a line may not start with these (closing punctuation) nor end with those (opening)
NO_START = set("）)］]｝}〕〉》」』】〙〗〟’”｠»、。，．,.:;：；！!？?‼⁇⁈⁉・゠〜～ー…‥%％")
NO_END = set("（(［[｛{〔〈《「『【〘〖〝‘“｟«")
# Latin text: no break at a space before closing punctuation, ! ? , . : ; / (UAX #14 LB13),
# nor after opening punctuation (LB14)
_NO_BREAK_BEFORE = set(")]}!?,.:;/")
_NO_BREAK_AFTER = set("([{")


@dataclass(slots=True)
class Char:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    page: int
    synthetic: bool = False

    @property
    def key(self) -> str:
        return "" if self.synthetic else char_key(self.text)


@dataclass
class Line:
    chars: list[Char]
    top: float
    bottom: float

    @property
    def x0(self) -> float:
        return self.chars[0].x0

    @property
    def x1(self) -> float:
        for c in reversed(self.chars):
            if not c.text.isspace():
                return c.x1
        return self.chars[0].x0

    @property
    def size(self) -> float:
        return max(c.size for c in self.chars)

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chars)


@dataclass
class DetCell:
    bbox: tuple[float, float, float, float]
    r0: int
    r1: int
    c0: int
    c1: int
    page: int
    chars: list[Char] = field(default_factory=list)
    _lines: list[Line] | None = None

    @property
    def lines(self) -> list[Line]:
        if self._lines is None:
            self._lines = group_lines(self.chars)
        return self._lines

    @property
    def key(self) -> str:
        return "".join(c.key for ln in self.lines for c in ln.chars)


@dataclass
class DetTable:
    page: int
    bbox: tuple[float, float, float, float]
    x_edges: list[float]
    y_edges: list[float]
    cells: list[DetCell]

    @property
    def nrows(self) -> int:
        return len(self.y_edges) - 1


@dataclass
class PageData:
    number: int
    width: float
    height: float
    nchars: int
    nimages: int
    tables: list[DetTable]
    flow: list[Line]
    #: small drawn marks (paths of three points or more, not rectangles): the ticks of a
    #: fillable PDF whose fields were flattened into the page
    ticks: list[tuple[float, float, float, float]] = field(default_factory=list)


# ---------------------------------------------------------------- page text

def _dedupe(chars: list[Char], fonts: list[str]) -> tuple[list[Char], list[str]]:
    """Chars printed twice at (nearly) the same place in the same font (fake bold, or a
    producer's doubled spaces): keep the first."""
    seen: set = set()
    out, out_fonts = [], []
    for c, f in zip(chars, fonts):
        base = (c.text, f, round(c.size, 1))
        x, y = round(c.x0), round(c.top)
        if any((base, x + dx, y + dy) in seen for dx in (-1, 0, 1) for dy in (-1, 0, 1)):
            continue
        seen.add((base, x, y))
        out.append(c)
        out_fonts.append(f)
    return out, out_fonts


def _is_symbol_font(fontname: str) -> bool:
    n = fontname.lower()
    return "wingding" in n or "symbol" in n or "dingbat" in n


class _EdgePage:
    """What pdfplumber's ``TableFinder`` reads of a page: its ruling edges and box."""

    def __init__(self, edges: list[dict], bbox: tuple[float, float, float, float]):
        self.edges = edges
        self.bbox = bbox


def _edge(kind: str, x0: float, top: float, x1: float, bottom: float) -> dict | None:
    if x0 == x1:
        orientation = "v"
    elif top == bottom:
        orientation = "h"
    else:
        return None
    return {"object_type": kind, "x0": x0, "x1": x1, "top": top, "bottom": bottom,
            "doctop": top, "width": x1 - x0, "height": bottom - top,
            "orientation": orientation}


def _walk(items, height: float, chars: list[Char], fonts: list[str], edges: list[dict],
          counts: list[int], number: int, ticks: list) -> None:
    for o in items:
        if isinstance(o, LTChar):
            chars.append(Char(o.get_text(), o.x0, o.x1, height - o.y1, height - o.y0,
                              o.size or 10.0, number))
            name = o.fontname or ""
            # a font named by a byte string in the file (pdfminer passes it on as bytes)
            fonts.append(name.decode("latin-1") if isinstance(name, bytes) else str(name))
        elif isinstance(o, LTRect):
            x0, top, x1, bottom = o.x0, height - o.y1, o.x1, height - o.y0
            for e in (_edge("rect_edge", x0, top, x1, top), _edge("rect_edge", x0, bottom, x1, bottom),
                      _edge("rect_edge", x0, top, x0, bottom), _edge("rect_edge", x1, top, x1, bottom)):
                if e is not None:
                    edges.append(e)
        elif isinstance(o, LTLine):
            (ax, ay), (bx, by) = o.pts[0], o.pts[-1]
            e = _edge("line", min(ax, bx), height - max(ay, by), max(ax, bx), height - min(ay, by))
            if e is not None:
                edges.append(e)
        elif isinstance(o, LTCurve):
            pts = o.pts
            if len(pts) >= 3 and o.width < 40 and o.height < 40:
                ticks.append((o.x0, height - o.y1, o.x1, height - o.y0))
            for (ax, ay), (bx, by) in zip(pts, pts[1:]):
                e = _edge("curve_edge", min(ax, bx), height - max(ay, by), max(ax, bx),
                          height - min(ay, by))
                if e is not None:
                    edges.append(e)
        elif isinstance(o, LTImage):
            counts[0] += 1
        elif isinstance(o, LTFigure):
            _walk(o, height, chars, fonts, edges, counts, number, ticks)


#: more ruling edges than any form has: table finding is quadratic in them, so a page
#: drawn with thousands of strokes is read as text only
MAX_EDGES = 4000


def extract_pages(data: bytes, npages: int) -> list[PageData]:
    """Every page's text and tables, read with pdfminer (which pdfplumber wraps) directly:
    pdfplumber's own page objects cost a fifth of the time and are not needed here."""
    doc = PDFDocument(PDFParser(io.BytesIO(data)))
    rsrc = PDFResourceManager(caching=True)
    device = PDFPageAggregator(rsrc, laparams=None)
    interp = PDFPageInterpreter(rsrc, device)
    pages = []
    for number, page in enumerate(PDFPage.create_pages(doc), start=1):
        if number > npages:
            break
        interp.process_page(page)
        lt = device.get_result()
        height = lt.height
        chars: list[Char] = []
        fonts: list[str] = []
        edges: list[dict] = []
        counts = [0]
        ticks: list = []
        _walk(lt, height, chars, fonts, edges, counts, number, ticks)
        pd = _page_data(chars, fonts, edges, counts[0], number, lt.width, height)
        pd.ticks = ticks
        pages.append(pd)
    return pages


def group_lines(chars: list[Char]) -> list[Line]:
    """Chars into visual lines (top to bottom, each left to right); a gap wider than a third
    of the font size between two non-Chinese characters is a space the producer did not
    print as a character."""
    if not chars:
        return []
    chars = sorted(chars, key=lambda c: (c.top, c.x0))
    lines: list[Line] = []
    cur: list[Char] = []
    top = bottom = 0.0
    for c in chars:
        mid = (c.top + c.bottom) / 2
        if cur and top - 0.5 <= mid <= bottom + 0.5:
            cur.append(c)
            top, bottom = min(top, c.top), max(bottom, c.bottom)
            continue
        if cur:
            lines.append(_make_line(cur, top, bottom))
        cur, top, bottom = [c], c.top, c.bottom
    if cur:
        lines.append(_make_line(cur, top, bottom))
    return lines


def _real_spaces(chars: list[Char]) -> list[Char]:
    """Spaces that stand in a gap of their own.  LibreOffice also prints spaces over the
    glyphs beside them where the font changes (Chinese next to Latin) in underlined text;
    those are no space anyone typed."""
    glyphs = [i for i, c in enumerate(chars) if not c.text.isspace()]
    out: list[Char] = []
    gi = 0
    for i, c in enumerate(chars):
        if not c.text.isspace():
            out.append(c)
            continue
        # one typed space printed twice, in two fonts (the Latin and the Chinese one) at
        # slightly different places: the second overlaps the first
        if out and out[-1].text.isspace() and c.x0 < out[-1].x1 - 0.5 * (c.x1 - c.x0):
            continue
        while gi < len(glyphs) and glyphs[gi] < i:
            gi += 1
        prev = chars[glyphs[gi - 1]] if gi > 0 else None
        nxt = chars[glyphs[gi]] if gi < len(glyphs) else None
        # a typed space abuts its neighbours (rounding aside); one that reaches into a glyph
        # is a filler: LibreOffice fills the gap it leaves between Chinese and Latin text
        # (autospacing, a fifth of an em or so, narrower than a space) with spaces that
        # carry the underline, and a font with wide spaces (Liberation, DejaVu) makes them
        # overlap the next glyph by a fraction of a point
        tol = 0.08 * (c.x1 - c.x0)
        if (prev is not None and c.x0 < prev.x1 - tol) or (nxt is not None and c.x1 > nxt.x0 + tol):
            continue
        out.append(c)
    return out


def _make_line(chars: list[Char], top: float, bottom: float) -> Line:
    chars.sort(key=lambda c: c.x0)
    chars = _real_spaces(chars)
    out: list[Char] = []
    for c in chars:
        if out:
            p = out[-1]
            gap = c.x0 - p.x1
            if (gap > max(1.0, 0.33 * c.size) and not p.text.isspace() and not c.text.isspace()
                    and p.text.isascii() and c.text.isascii()):
                out.append(Char(" ", p.x1, c.x0, c.top, c.bottom, c.size, c.page, synthetic=True))
        out.append(c)
    return Line(out, top, bottom)


def _cluster(values: list[float]) -> list[float]:
    values = sorted(values)
    out: list[float] = []
    for v in values:
        if out and v - out[-1] <= EDGE_TOL:
            continue
        out.append(v)
    return out


def _nearest(edges: list[float], v: float) -> int:
    i = bisect.bisect_left(edges, v)
    if i == 0:
        return 0
    if i == len(edges):
        return len(edges) - 1
    return i if edges[i] - v < v - edges[i - 1] else i - 1


def _page_data(chars: list[Char], fonts: list[str], edges: list[dict], nimages: int,
               number: int, width: float, height: float) -> PageData:
    chars, fonts = _dedupe(chars, fonts)
    for c, f in zip(chars, fonts):
        t = c.text
        if _is_symbol_font(f) or (len(t) == 1 and 0xF000 <= ord(t) <= 0xF0FF) or t.startswith("(cid:"):
            c.text = symbol_char(t, f)
    tables: list[DetTable] = []
    found = TableFinder(_EdgePage(edges, (0, 0, width, height)), {}).tables \
        if len(edges) <= MAX_EDGES else []
    for t in found:
        cells = [tuple(c) for c in t.cells if c]
        if not cells:
            continue
        xs = _cluster([v for c in cells for v in (c[0], c[2])])
        ys = _cluster([v for c in cells for v in (c[1], c[3])])
        dcells = []
        for c in cells:
            r0, r1 = _nearest(ys, c[1]), _nearest(ys, c[3])
            c0, c1 = _nearest(xs, c[0]), _nearest(xs, c[2])
            if r1 <= r0 or c1 <= c0:
                continue
            dcells.append(DetCell(c, r0, r1, c0, c1, number))
        if dcells:
            tables.append(DetTable(number, tuple(t.bbox), xs, ys, dcells))
    tables.sort(key=lambda t: t.bbox[1])

    # every grid slot of a table, to its cell
    slots: list[dict[tuple[int, int], DetCell]] = []
    for t in tables:
        m = {}
        for dc in t.cells:
            for r in range(dc.r0, dc.r1):
                for cc in range(dc.c0, dc.c1):
                    m[(r, cc)] = dc
        slots.append(m)
    flow: list[Char] = []
    for ch in chars:
        # a character belongs where it starts: punctuation may hang past a cell's edge
        xm, ym = ch.x0 + min(1.0, (ch.x1 - ch.x0) / 4), (ch.top + ch.bottom) / 2
        for t, m in zip(tables, slots):
            x0, top, x1, bottom = t.bbox
            if x0 <= xm <= x1 and top <= ym <= bottom:
                r = bisect.bisect_right(t.y_edges, ym) - 1
                cc = bisect.bisect_right(t.x_edges, xm) - 1
                dc = m.get((r, cc))
                if dc is not None:
                    dc.chars.append(ch)
                break
        else:
            flow.append(ch)
    return PageData(number, float(width), float(height), len(chars), nimages, tables,
                    group_lines(flow))


# ---------------------------------------------------------------- streams and spans

class Stream:
    """Characters of a run of lines, with the keys they are matched by."""

    def __init__(self, lines: list[Line]):
        self.lines = lines
        self.chars: list[Char] = []
        self.line_of: list[int] = []
        self.line_start: list[bool] = []
        keys: list[str] = []
        self.owner: list[int] = []  # key position -> char index
        for li, ln in enumerate(lines):
            first = True
            for c in ln.chars:
                idx = len(self.chars)
                self.chars.append(c)
                self.line_of.append(li)
                k = c.key
                self.line_start.append(first and bool(k))
                if k:
                    first = False
                keys.append(k)
                self.owner.extend([idx] * len(k))
        self.keys = "".join(keys)
        # char index -> position of its first key character
        self.key_pos: list[int] = []
        pos = 0
        for k in keys:
            self.key_pos.append(pos)
            pos += len(k)
        self.key_pos.append(pos)

    def find(self, lit: str, start_char: int, at_line_start: bool) -> tuple[int, int] | None:
        """Char range [a, b) of the first occurrence of ``lit`` (a key) from ``start_char``;
        at a line start when asked and one exists."""
        pos = self.key_pos[start_char] if start_char < len(self.key_pos) else len(self.keys)
        first = None
        i = self.keys.find(lit, pos)
        while i != -1:
            a = self.owner[i]
            b = self.owner[i + len(lit) - 1] + 1
            if first is None:
                first = (a, b)
            if not at_line_start or self.line_start[a]:
                return a, b
            i = self.keys.find(lit, i + 1)
        return first


def _tokens(paragraphs: list[Paragraph]) -> list[tuple]:
    """A description's paragraphs as ("lit", key, starts_paragraph) and ("field", FieldRef)."""
    toks: list[tuple] = []
    for p in paragraphs:
        first = True
        for run in p.runs:
            if isinstance(run, str):
                k = "".join(char_key(c) for c in run)
                if not k:
                    continue
                if toks and toks[-1][0] == "lit" and not first:
                    toks[-1] = ("lit", toks[-1][1] + k, toks[-1][2])
                else:
                    toks.append(("lit", k, first))
            else:
                toks.append(("field", run))
            first = False
    return toks


def spans(stream: Stream, toks: list[tuple]) -> dict[str, tuple[int, int] | None]:
    """For every field token, the char range between the labels around it (None when a
    label next to it is not on the page)."""
    out: dict[str, tuple[int, int] | None] = {}
    pos = 0
    pending: list = []  # field tokens waiting for the next label
    start_ok = True  # the label before the pending fields was found
    n = len(stream.chars)

    def close(end: int | None) -> None:
        for i, ref in enumerate(pending):
            if not start_ok or end is None or i > 0:  # two values with no label between
                out[ref.name] = None
            else:
                out[ref.name] = (span_start, end)
        pending.clear()

    span_start = 0
    for tok in toks:
        if tok[0] == "field":
            if not pending:
                span_start = pos
            pending.append(tok[1])
            continue
        hit = stream.find(tok[1], pos, tok[2])
        if hit is None:
            close(None)
            start_ok = False
            continue
        close(hit[0])
        pos = hit[1]
        start_ok = True
    close(n)
    return out


def _width(chars: list[Char]) -> float:
    return sum(c.x1 - c.x0 for c in chars)


#: quotation marks bind to both neighbours: no line break before or after them (UAX #14 LB19)
QUOTES = set("“”‘’\"'")


def _atom(cs: list[Char], i: int) -> int:
    """End of the unbreakable piece starting at ``i``: a run of Latin characters, or one."""
    if i < len(cs) and cs[i].text.isascii() and not cs[i].text.isspace():
        while i < len(cs) and cs[i].text.isascii() and not cs[i].text.isspace() \
                and cs[i].text not in QUOTES:
            i += 1
        return i
    return i + 1


def _first_unit(line: Line) -> list[Char]:
    """The shortest start of a line that could have ended the line before it: opening
    punctuation, then a character or a Latin word, then what may not start a line."""
    cs = [c for c in line.chars if not c.synthetic]
    if not cs:
        return []
    i = 0
    while i < len(cs) and cs[i].text in NO_END:
        i += 1
    i = _atom(cs, i)
    while i < len(cs):
        t = cs[i].text
        if t in QUOTES:
            i += 1
            if i < len(cs) and not cs[i].text.isspace():
                i = _atom(cs, i)
        elif t in NO_START:
            i += 1
        else:
            break
    return cs[:i]


def _line_break(prev: Line, nxt: Line, avail: float, pitch: float) -> tuple[str, bool]:
    """(separator, certain) for the break between two lines of a multi-line value."""
    unit = _first_unit(nxt)
    w = _width(unit)
    last = prev.chars[-1].text
    if unit and unit[0].text.isascii() and last.isascii() and not last.isspace():
        w += 0.3 * nxt.size  # two Latin words: a soft break there was at a space
    line_w = prev.x1 - prev.x0
    room = avail - line_w
    gap = nxt.top - prev.top
    blank = max(0, math.floor(gap / (pitch * max(nxt.size, 1.0)) - 0.5))
    certain = abs(w - room) > 1.0
    if w <= room + 0.1 or blank:
        return "\n" * (1 + blank), certain or bool(blank)
    return _soft_join(prev, nxt, avail), certain


def _soft_join(prev: Line, nxt: Line, avail: float) -> str:
    """What a wrapped line lost at its end: the space it broke at, between two Latin
    characters (a centred line does not print it).

    Lines break at spaces and beside Chinese characters, and inside a run only when the
    run is wider than the line, filling the line to its last character; so when the next
    line's first character would still have fitted, the break was at a space, and so it
    was when the line's last run did not begin the line.  A full line that is one run
    broke inside it.  (A space after a run that fills a whole line cannot be told from
    none: read as none.)  Never before closing or after opening punctuation: no break is made at a
    space there (UAX #14 LB13, LB14), so a break there was inside a run of punctuation."""
    a = prev.chars[-1].text
    b = nxt.chars[0].text if nxt.chars else ""
    if not a or not b or a.isspace() or b.isspace():
        return ""
    if not (a.isascii() and b.isascii() and a.isprintable() and b.isprintable()) or a == "-":
        return ""
    if b in _NO_BREAK_BEFORE or a in _NO_BREAK_AFTER:
        return ""
    first = nxt.chars[0]
    if (prev.x1 - prev.x0) + (first.x1 - first.x0) <= avail + 0.1:
        return " "  # room was left: the line was not filled to the last character
    # a full line: a Latin run that began the line was too long for it and broke inside
    cs = prev.chars
    i = len(cs)
    while i > 0:
        t = cs[i - 1].text
        if t.isspace():
            j = i - 1
            while j > 0 and cs[j - 1].text.isspace():
                j -= 1
            # no break at a space after opening punctuation ("{{ name" is one unit)
            if j == 0 or (cs[j - 1].text not in _NO_BREAK_AFTER and cs[j - 1].text not in NO_END):
                break
            i = j
        elif t.isascii() or t in NO_START or t in NO_END:
            i -= 1
        else:
            break
    return " " if i > 0 else ""


def _pitch(pages: list[PageData]) -> float:
    """Line height over font size: the closest two lines of any cell stand (most cells of
    more than one line are labels that wrap).  A gap between two lines of a value is
    measured in it; with no such pair, or only pairs with an empty line between, the usual
    ratio is taken."""
    ratios = [(b.top - a.top) / max(b.size, 1.0)
              for p in pages for t in p.tables for dc in t.cells
              for a, b in zip(dc.lines, dc.lines[1:]) if b.top > a.top]
    low = min(ratios) if ratios else DEFAULT_PITCH
    return max(low, 1.05) if low <= 1.6 else DEFAULT_PITCH


@dataclass
class Span:
    text: str
    certain: bool
    unreadable: bool
    page: int | None
    bbox: tuple[float, float, float, float] | None


def span_text(stream: Stream, a: int, b: int, multiline: bool, avail: float,
              pitch: float) -> Span:
    chars = stream.chars[a:b]
    if not chars:
        return Span("", True, False, None, None)
    parts: list[str] = []
    certain = True
    prev_li = None
    for i in range(a, b):
        li = stream.line_of[i]
        if prev_li is not None and li != prev_li:
            prev, nxt = stream.lines[prev_li], stream.lines[li]
            if multiline:
                sep, ok = _line_break(prev, nxt, avail, pitch)
                certain = certain and ok
            else:
                sep = _soft_join(prev, nxt, avail)
            parts.append(sep)
        parts.append(stream.chars[i].text)
        prev_li = li
    real = [c for c in chars if not c.synthetic and not c.text.isspace()]
    unreadable = any(c.text.startswith("(cid:") or c.text == "\ufffd" for c in real)
    box = None
    if real:
        box = (min(c.x0 for c in real), min(c.top for c in real),
               max(c.x1 for c in real), max(c.bottom for c in real))
    return Span("".join(parts), certain, unreadable, real[0].page if real else chars[0].page, box)


# ---------------------------------------------------------------- values

def read_value(spec: FormSpec, ref, sp: Span, cell_box, cell_page) -> Reading:
    f = spec.field(ref.field)
    col = f.column(ref.column) if ref.column else None
    fd = col or f
    ftype = fd.type
    raw = sp.text
    page = sp.page or cell_page
    box = cell_box if cell_box is not None else sp.bbox
    conf = 0.95 if sp.certain else 0.75
    if sp.unreadable:
        return Reading(ref.name, None, raw, page, box, "layout", 0.0, problem("text_unreadable"))
    if ftype in ("text", "multiline"):
        value, changed = clean_text(raw, multiline=ftype == "multiline")
        if changed:
            conf -= 0.1
        return Reading(ref.name, value or None, raw or None, page, box, "layout", conf)
    if ftype in ("integer", "decimal"):
        v, prob, converted = parse_number(raw, fd.unit, ftype == "integer")
        if converted:
            conf -= 0.1
        return Reading(ref.name, v, raw or None, page, box, "layout", conf, prob)
    if ftype == "date":
        v, prob = parse_date(raw)
        return Reading(ref.name, v, raw or None, page, box, "layout", conf, prob)
    if ftype == "checkbox":
        m = read_mark(raw)
        if m == "ambiguous":
            return Reading(ref.name, None, raw, page, box, "layout", conf,
                           problem("mark_ambiguous"))
        if m is None:  # no box printed, no tick: nothing to tell ticked from not
            return Reading(ref.name, None, raw or None, page, box, "layout", 0.0,
                           problem("marks_missing"))
        return Reading(ref.name, m, raw, page, box, "layout", conf)
    if ftype == "choice":
        v, prob = parse_choice(raw, f.choices)
        return Reading(ref.name, v, raw or None, page, box, "layout", conf, prob)
    raise AssertionError(ftype)


# ---------------------------------------------------------------- tables

def _spec_edges(t: Table) -> list[float]:
    total = sum(t.columns)
    acc, out = 0.0, [0.0]
    for w in t.columns:
        acc += w
        out.append(acc / total)
    return out


def _column_map(d: DetTable, spec_edges: list[float]) -> list[int] | None:
    """Found column edges to description column edges (None: not this table)."""
    xs = d.x_edges
    if len(xs) == len(spec_edges):
        return list(range(len(xs)))
    span = xs[-1] - xs[0]
    if span <= 0:
        return None
    out = []
    for x in xs:
        rel = (x - xs[0]) / span
        j = min(range(len(spec_edges)), key=lambda k: abs(spec_edges[k] - rel))
        if abs(spec_edges[j] - rel) > COLUMN_TOL or (out and j <= out[-1]):
            return None
        out.append(j)
    if out[0] != 0 or out[-1] != len(spec_edges) - 1:
        return None
    return out


def _label_cells(t: Table) -> dict[tuple[int, int], str]:
    """Grid slot of every cell that holds only official text, to that text's key."""
    out = {}
    for r, c, cell in t.placements:
        if cell.fields:
            continue
        k = "".join(char_key(ch) for p in cell.paragraphs for run in p.runs
                    if isinstance(run, str) for ch in run)
        if k:
            out[(r, c)] = k
    return out


class TableMatch:
    """Which found cells make up each cell of one description table."""

    def __init__(self, t: Table):
        self.table = t
        self.slot: dict[tuple[int, int], int] = {}
        for i, (r, c, cell) in enumerate(t.placements):
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    self.slot[(r + dr, c + dc)] = i
        self.parts: dict[int, list[DetCell]] = {}
        self.labels = _label_cells(t)
        self.checked = 0
        self.mismatched = 0


def _repeated_header(tm: TableMatch, d: DetTable, cmap: list[int]) -> int:
    """How many of a continuation part's first rows are the table's header rows printed
    again (a table that runs onto another page repeats them): every label of those rows
    found as it is in the description's header, and at least one."""
    nh = tm.table.header_rows
    if not nh or d.nrows <= nh:
        return 0
    hits = 0
    for dc in d.cells:
        if dc.r0 >= nh:
            continue
        k = tm.labels.get((dc.r0, cmap[dc.c0]))
        if k is not None and k != dc.key:
            return 0
        hits += k is not None
    return nh if hits else 0


def _score(tm: TableMatch, d: DetTable, cmap: list[int], offset: int,
           skip: int = 0) -> tuple[int, int]:
    hits = misses = 0
    for dc in d.cells:
        if dc.r0 < skip:
            continue
        k = tm.labels.get((offset + dc.r0 - skip, cmap[dc.c0]))
        if k is None:
            continue
        if k == dc.key:
            hits += 1
        else:
            misses += 1
    return hits, misses


def match_tables(spec: FormSpec, pages: list[PageData]) -> list[TableMatch]:
    found = [d for p in pages for d in p.tables]
    out = []
    di = 0
    for block in spec.blocks:
        if not isinstance(block, Table):
            continue
        tm = TableMatch(block)
        out.append(tm)
        edges = _spec_edges(block)
        nrows = len(block.rows)
        done = 0
        while done < nrows and di < len(found):
            d = found[di]
            cmap = _column_map(d, edges)
            if cmap is None:
                if done:  # the rest of this table is missing; the next one may match
                    break
                di += 1
                continue
            # a continuation part that starts with the header printed again: past it
            skip = _repeated_header(tm, d, cmap) if done else 0
            room = nrows - (d.nrows - skip)
            if room < 0:
                di += 1
                continue
            # rows in order; checked against the labels, another offset only if better
            best = (_score(tm, d, cmap, min(done, room), skip), min(done, room))
            for off in range(room + 1):
                s = _score(tm, d, cmap, off, skip)
                if s[0] - s[1] > best[0][0] - best[0][1]:
                    best = (s, off)
            (hits, misses), off = best
            if hits == 0 and misses > 0:
                if done:
                    break
                di += 1
                continue
            tm.checked += hits + misses
            tm.mismatched += misses
            for dc in d.cells:
                if dc.r0 < skip:
                    continue
                i = tm.slot.get((off + dc.r0 - skip, cmap[dc.c0]))
                if i is not None:
                    tm.parts.setdefault(i, []).append(dc)
            done = off + d.nrows - skip
            di += 1
    return out


# ---------------------------------------------------------------- the form

def _margin(lines: list[Line], cell_x0: float) -> float:
    """The cell's inner margin: where its left-aligned lines start, else our DOCX's."""
    starts = [ln.x0 - cell_x0 for ln in lines]
    if len(starts) > 1 and max(starts) - min(starts) < 0.5 and 1.0 < starts[0] < 2 * CELL_MARGIN:
        return starts[0]
    return CELL_MARGIN


def read_layout(spec: FormSpec, pages: list[PageData], geometry=None,
                ) -> tuple[dict[str, Reading], list[dict]]:
    """Every value box of ``spec`` read from the pages; ``geometry``: a function giving our
    fillable PDF's ``layout_geometry`` when the pages are that PDF flattened (else None),
    called only when a box shows no mark, for the ticks drawn there."""
    from ._result import warning

    pitch = _pitch(pages)
    readings: dict[str, Reading] = {}
    warnings: list[dict] = []
    for tm in match_tables(spec, pages):
        t = tm.table
        shaky = tm.checked and tm.mismatched / tm.checked > 0.2
        if shaky:
            warnings.append(warning(None, "layout_differs",
                                    "表格中的部分标签与表单说明不符，读取结果请核对",
                                    "some labels in a table differ from the form's description; "
                                    "check the values read"))
        for i, (r, c, cell) in enumerate(t.placements):
            refs = cell.fields
            if not refs:
                continue
            parts = tm.parts.get(i)
            if not parts:
                for ref in refs:
                    readings[ref.name] = Reading(ref.name, None, None, None, None, "layout", 0.0,
                                                 problem("cell_not_found"))
                continue
            lines = [ln for dc in parts for ln in dc.lines]
            stream = Stream(lines)
            x0 = min(dc.bbox[0] for dc in parts)
            x1 = max(dc.bbox[2] for dc in parts)
            box = (x0, min(dc.bbox[1] for dc in parts), x1, max(dc.bbox[3] for dc in parts))
            avail = (x1 - x0) - 2 * _margin(lines, x0) - CELL_BORDER
            if cell.is_value:
                found = {refs[0].name: (0, len(stream.chars))}
            else:
                found = spans(stream, _tokens(list(cell.paragraphs)))
            for ref in refs:
                rng = found.get(ref.name)
                whole = cell.is_value
                if rng is None:
                    readings[ref.name] = Reading(ref.name, None, None, parts[0].page,
                                                 box if whole else None, "layout", 0.0,
                                                 problem("label_not_found"))
                    continue
                ftype = _ftype(spec, ref)
                sp = span_text(stream, rng[0], rng[1], ftype == "multiline", avail, pitch)
                rd = read_value(spec, ref, sp, box if whole else None, parts[0].page)
                if shaky:
                    rd.confidence = min(rd.confidence, 0.6)
                readings[ref.name] = rd

    # text outside tables, over all pages
    paragraphs = [b.paragraph for b in spec.blocks if isinstance(b, Text)]
    if any(p.fields for p in paragraphs):
        lines = [ln for p in pages for ln in p.flow]
        stream = Stream(lines)
        width = pages[0].width if pages else 595.0
        found = spans(stream, _tokens(paragraphs))
        for p in paragraphs:
            for ref in p.fields:
                rng = found.get(ref.name)
                if rng is None:
                    readings[ref.name] = Reading(ref.name, None, None, None, None, "layout", 0.0,
                                                 problem("label_not_found"))
                    continue
                ftype = _ftype(spec, ref)
                sp = span_text(stream, rng[0], rng[1], ftype == "multiline",
                               width - 2 * PAGE_MARGIN, pitch)
                readings[ref.name] = read_value(spec, ref, sp, None, None)
    if geometry is not None and any(r.problem is not None and r.problem.code == "marks_missing"
                                    for r in readings.values()):
        geo = geometry()
        if geo is not None:
            _drawn_marks(spec, pages, geo, readings)
    return readings, warnings


def _drawn_marks(spec: FormSpec, pages: list[PageData], geometry: dict,
                 readings: dict[str, Reading]) -> None:
    """Our fillable PDF with its fields flattened into the page (printed to PDF, or a tool
    that flattens): boxes and ticks are drawn, not printed as characters.  Where the
    description puts each box is known (``forms.layout.layout_geometry``): a tick drawn
    inside a box ticks it."""

    def ticked(page: int, bbox) -> bool:
        if page > len(pages):
            return False
        x0, top, x1, bottom = bbox
        return any(x0 - 1 <= (t[0] + t[2]) / 2 <= x1 + 1 and top - 1 <= (t[1] + t[3]) / 2 <= bottom + 1
                   for t in pages[page - 1].ticks)

    for pi, gpage in enumerate(geometry["pages"], start=1):
        for name, g in gpage["fields"].items():
            r = readings.get(name)
            if r is None or r.problem is None or r.problem.code != "marks_missing":
                continue
            if g["kind"] == "checkbox":
                on = ticked(pi, g["bbox"])
                readings[name] = Reading(name, on, "☑" if on else "□", pi, tuple(g["bbox"]),
                                         "layout", 0.9)
            elif g["kind"] == "radio":
                chosen = [label for label, bbox in g["options"].items() if ticked(pi, bbox)]
                if len(chosen) > 1:
                    readings[name] = Reading(name, None, "、".join(chosen), pi, tuple(g["bbox"]),
                                             "layout", 0.0, problem("choice_ambiguous"))
                else:
                    readings[name] = Reading(name, chosen[0] if chosen else None,
                                             chosen[0] if chosen else None, pi,
                                             tuple(g["bbox"]), "layout", 0.9)


def _ftype(spec: FormSpec, ref) -> str:
    f = spec.field(ref.field)
    return f.column(ref.column).type if ref.column else f.type


def printed_at(pages: list[PageData], text: str, bbox, tol: float = 3.0) -> bool:
    """Whether ``text`` is printed on the first page at ``bbox`` (top-left points)."""
    k = "".join(char_key(c) for c in text)
    for ln in pages[0].flow if pages else []:
        if "".join(c.key for c in ln.chars) == k:
            return abs(ln.x0 - bbox[0]) <= tol and abs(ln.top - bbox[1]) <= tol
    return False


def page_keys(pages: list[PageData]) -> tuple[str, str]:
    """Keys of the text outside tables, and of every cell (joined with a separator)."""
    flow = "".join(c.key for p in pages for ln in p.flow for c in ln.chars)
    cells = "|".join(dc.key for p in pages for t in p.tables for dc in t.cells)
    return flow, cells
