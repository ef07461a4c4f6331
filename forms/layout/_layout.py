"""Page layout of a form description: where every official text, rule and value box goes.

The layout depends on the description only (values live in the fields'
appearance streams), so it is computed once per description and cached;
rendering a record then only draws the values.

Coordinates here are PDF points measured from the page's top-left corner, y
downwards (pdfplumber's ``top``/``bottom``); the writer flips them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field as _dcfield

from forms import DATE_PARTS, FormSpec
from forms._model import Cell, FieldRef, PageBreak, Paragraph, Spacer, Table, Text

from ._font import PreparedFont

MM = 72 / 25.4
PAGE_W = 210 * MM
PAGE_H = 297 * MM
MARGIN_TOP = 25 * MM
MARGIN_BOTTOM = 25 * MM
MARGIN_LEFT = 20 * MM
MARGIN_RIGHT = 20 * MM
TEXT_WIDTH = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT
#: paragraphs outside tables: 小四 (12 pt), line spacing 1.5
TEXT_SIZE = 12.0
TEXT_LEADING = 1.5
CELL_LEADING = 1.3
CELL_PAD_X = 1.2 * MM
CELL_PAD_Y = 1.0 * MM
RULE = 0.6
OUTER_RULE = 1.0
UNDERLINE = 0.5
#: value box inside a value cell: a small inset keeps the cell's rules visible
VALUE_INSET = 1.5
#: the em box of the Song font: baseline sits 0.88 em below its top
ASCENT = 0.88
#: inline value box height and checkbox side, in em
BOX_HEIGHT = 1.35
SQUARE = 0.8
#: date part boxes in em: wide enough for 2024 / 12 at the cell's size
DATE_WIDTHS = {"year": 2.4, "month": 1.5, "day": 1.5}
DATE_UNITS = {"year": "年", "month": "月", "day": "日"}
#: how far date boxes may narrow so that a date fits its cell on one line
DATE_MIN_WIDTHS = {"year": 2.0, "month": 1.1, "day": 1.1}
#: inline boxes without a width: the printed blank's default length
DEFAULT_WIDTH = {"text": 30 * MM, "integer": 18 * MM, "decimal": 22 * MM}
FILL_MIN = 25 * MM

# line-breaking rules for Chinese (避头尾): these never start / end a line
NO_START = set("，。、；：？！）》」』】〕〉”’…—·%‰,.;:?!)]}>℃、～")
NO_END = set("（《「『【〔〈“‘([{<")


@dataclass
class TextRun:
    """Static text on a page (one line fragment of one run)."""

    x: float
    baseline: float
    size: float
    text: str
    bold: bool = False
    #: extra space after each character (justified lines)
    spacing: float = 0.0
    #: official / choice / date
    role: str = "official"
    #: index into ``spec.official_texts()`` for official runs
    src: int | None = None
    width: float = 0.0


@dataclass
class Widget:
    """One widget annotation (a text field, a checkbox, or one button of a radio group)."""

    name: str
    kind: str  # text, checkbox, radio
    label: str
    size: float
    rect: tuple[float, float, float, float] = (0, 0, 0, 0)  # x0, top, x1, bottom
    multiline: bool = False
    align: str = "center"
    max_length: int | None = None
    #: radio: the choice this button stands for
    option: str | None = None
    #: the table cell the widget sits in
    cell: tuple[float, float, float, float] | None = None
    #: inline multiline box in a cell: grows down to the cell's bottom
    extend: bool = False
    #: text widgets: the field's type (text, multiline, integer, decimal; a date's part:
    #: date)
    value_type: str | None = None


@dataclass
class Page:
    texts: list[TextRun] = _dcfield(default_factory=list)
    #: (x0, y0, x1, y1, width)
    lines: list[tuple[float, float, float, float, float]] = _dcfield(default_factory=list)
    #: (x0, top, x1, bottom, width): cell rectangles and checkbox squares
    rects: list[tuple[float, float, float, float, float]] = _dcfield(default_factory=list)
    widgets: list[Widget] = _dcfield(default_factory=list)


@dataclass
class Layout:
    pages: list[Page]


# ------------------------------------------------------------------ inline items

class _Item:
    """One unit of inline flow: a character, a space, a newline or an atomic group."""

    __slots__ = ("kind", "w", "h", "ch", "src", "role", "parts", "fill")

    def __init__(self, kind, w, h=0.0, ch="", src=None, role="official", parts=None, fill=False):
        self.kind = kind  # c (character), nl (forced break), g (group)
        self.w = w
        self.h = h
        self.ch = ch
        self.src = src
        self.role = role
        #: groups: [(dx, what, data)], what in text / widget / square / uline
        self.parts = parts
        self.fill = fill


def _is_word(ch: str) -> bool:
    return "!" <= ch <= "~"


def _can_break(prev: _Item, nxt: _Item) -> bool:
    if nxt.kind == "c" and nxt.ch in NO_START:
        return False
    if prev.kind == "c" and prev.ch in NO_END:
        return False
    if prev.kind == "c" and nxt.kind == "c" and _is_word(prev.ch) and _is_word(nxt.ch):
        return False  # keep Latin words and numbers whole
    return True


@dataclass
class _Line:
    items: list
    width: float  # natural width without trailing spaces
    height: float
    forced: bool  # ended by a newline or the paragraph's end
    indent: float = 0.0


def _measure(items: list, upto: int | None = None) -> float:
    return sum(it.w for it in items[:upto])


def squeeze_dates(items: list[_Item], width: float) -> None:
    """Narrow date boxes (down to DATE_MIN_WIDTHS) so a short paragraph fits on one line."""
    dates = [it for it in items if it.kind == "g" and it.role.startswith("date:")]
    if not dates:
        return
    total = _measure(items)
    excess = total - width
    if excess <= 0:
        return
    slack = []
    for it in dates:
        _d, part, size = it.role.split(":")
        box = it.parts[0][2][1]
        slack.append(max(0.0, box - DATE_MIN_WIDTHS[part] * float(size)))
    room = sum(slack)
    if room <= 0 or excess > room:
        return  # would not fit anyway: keep the full boxes and wrap
    k = excess / room
    for it, sl in zip(dates, slack):
        cut = sl * k
        (dx0, _w, (wd, bw, bh)), (dx1, _u, uw), (dx2, _t, tx) = it.parts
        it.parts = [(dx0, "widget", (wd, bw - cut, bh)), (dx1, "uline", uw - cut),
                    (dx2 - cut, "text", tx)]
        it.w -= cut


def break_lines(items: list[_Item], width: float, line_h: float, indent: float = 0.0) -> list[_Line]:
    """Greedy line breaking with Chinese rules; an item wider than the line gets a line."""
    lines: list[_Line] = []
    cur: list[_Item] = []
    x = 0.0
    last_break = None  # index in cur before which a break is allowed
    first = True

    def avail() -> float:
        return width - (indent if first else 0.0)

    def finish(chunk: list[_Item], forced: bool) -> None:
        nonlocal first
        body = list(chunk)
        while body and body[-1].kind == "c" and body[-1].ch == " ":
            body.pop()
        h = max([line_h] + [it.h for it in body])
        lines.append(_Line(body, _measure(body), h, forced, indent if first else 0.0))
        first = False

    for it in items:
        if it.kind == "nl":
            finish(cur, True)
            cur, x, last_break = [], 0.0, None
            continue
        if not cur and it.kind == "c" and it.ch == " " and lines and not lines[-1].forced:
            continue  # no leading space on a wrapped line
        if cur and _can_break(cur[-1], it):
            last_break = len(cur)
        if cur and x + it.w > avail() + 1e-6:
            if it.kind == "c" and it.ch == " ":
                cur.append(it)  # a space may hang past the margin: it ends the line
                finish(cur, False)
                cur, x, last_break = [], 0.0, None
                continue
            # no allowed break on the line (a word longer than the line): cut here anyway
            cut = last_break if last_break else len(cur)
            rest = cur[cut:]
            finish(cur[:cut], False)
            while rest and rest[0].kind == "c" and rest[0].ch == " ":
                rest = rest[1:]  # no leading space on a wrapped line
            cur = rest
            x = _measure(cur)
            last_break = None
            for k in range(1, len(cur)):
                if _can_break(cur[k - 1], cur[k]):
                    last_break = k
            if cur and _can_break(cur[-1], it):
                last_break = len(cur)
        cur.append(it)
        x += it.w
    if cur or not lines or lines[-1].forced:
        finish(cur, True)
    else:
        lines[-1].forced = True  # the text ended with a space that ended a line
    return lines


# ------------------------------------------------------------------ the layouter

class _Layouter:
    def __init__(self, spec: FormSpec, font: PreparedFont):
        self.spec = spec
        self.font = font
        self.pages: list[Page] = [Page()]
        self.y = MARGIN_TOP
        self._src = 0  # running index into spec.official_texts()

    # ---- helpers

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append(Page())
        self.y = MARGIN_TOP

    def room(self) -> float:
        return PAGE_H - MARGIN_BOTTOM - self.y

    def char_w(self, ch: str, size: float) -> float:
        return self.font.width.get(ch, self.font.notdef_width) * size / 1000.0

    def text_w(self, s: str, size: float) -> float:
        return self.font.text_width(s) * size / 1000.0

    def _ftype(self, ref: FieldRef):
        f = self.spec.field(ref.field)
        if ref.column is not None:
            col = f.column(ref.column)
            return f, col, col.type
        return f, f, f.type

    def _label(self, ref: FieldRef) -> str:
        f, col, _t = self._ftype(ref)
        if ref.column is not None:
            return f"{f.label}第{ref.row + 1}行·{col.label}"
        return f.qualified_label

    # ---- building inline items

    def items_for(self, p: Paragraph, size: float, in_cell: bool) -> list[_Item]:
        items: list[_Item] = []
        runs = p.runs
        for k, r in enumerate(runs):
            if isinstance(r, str):
                src = None
                if r.strip():
                    src = self._src
                    self._src += 1
                for ch in r:
                    if ch == "\n":
                        items.append(_Item("nl", 0.0))
                    elif ch in "\t\r":
                        continue
                    else:
                        items.append(_Item("c", self.char_w(ch, size), ch=ch, src=src))
            else:
                last = k == len(runs) - 1
                items.extend(self.field_items(r, size, in_cell, last))
        return items

    def _widget(self, name, kind, label, size, *, multiline=False, align="center",
                max_length=None, option=None, value_type=None) -> Widget:
        return Widget(name=name, kind=kind, label=label, size=size, multiline=multiline,
                      align=align, max_length=max_length, option=option,
                      value_type=value_type)

    def _square_group(self, size: float, widget: Widget, before: str = "",
                      role: str = "choice") -> _Item:
        parts = []
        x = 0.0
        if before:
            parts.append((0.0, "text", (before, role)))
            x = self.text_w(before, size) + 0.15 * size
        side = SQUARE * size
        parts.append((x, "square", side))
        parts.append((x, "widget", (widget, side, side)))
        return _Item("g", x + side, parts=parts)

    def field_items(self, ref: FieldRef, size: float, in_cell: bool, last: bool) -> list[_Item]:
        f, col, ftype = self._ftype(ref)
        label = self._label(ref)
        if ftype == "date":
            out = []
            for part in DATE_PARTS:
                w = DATE_WIDTHS[part] * size
                wd = self._widget(f"{ref.name}.{part}", "text",
                                  f"{label}（{DATE_UNITS[part]}）", size, max_length=4)
                unit = DATE_UNITS[part]
                parts = [(0.0, "widget", (wd, w, BOX_HEIGHT * size)),
                         (0.0, "uline", w),
                         (w, "text", (unit, "date"))]
                item = _Item("g", w + self.text_w(unit, size), parts=parts)
                item.role = f"date:{part}:{size}"
                out.append(item)
            return out
        if ftype == "choice":
            out = []
            for i, choice in enumerate(col.choices):
                wd = self._widget(ref.name, "radio", label, size, option=choice)
                if i:
                    out.append(_Item("c", 0.5 * size, ch=" ", role="choice"))
                out.append(self._square_group(size, wd, before=choice))
            return out
        if ftype == "checkbox":
            wd = self._widget(ref.name, "checkbox", label, size)
            return [self._square_group(size, wd)]
        multiline = ftype == "multiline"
        # a note reads from the left; a short blank in a sentence is centred on its line
        wd = self._widget(ref.name, "text", label, size, multiline=multiline,
                          align="left" if multiline else "center", max_length=col.max_length,
                          value_type=ftype)
        h = BOX_HEIGHT * size
        if ref.width is not None:
            w = ref.width * MM
            return [_Item("g", w, parts=[(0.0, "widget", (wd, w, h)), (0.0, "uline", w)])]
        if last or multiline:
            # a blank that ends its paragraph runs to the end of the line (申请单位：______)
            if multiline:
                if in_cell:
                    wd.extend = True
                else:
                    h = 3 * TEXT_LEADING * size
            parts = [(0.0, "widget", (wd, FILL_MIN, h))]
            if not wd.extend:
                # a note box that grows to its cell's bottom has the cell's rules; no line
                parts.append((0.0, "uline", FILL_MIN))
            return [_Item("g", FILL_MIN, h=h if not in_cell else 0.0, parts=parts, fill=True)]
        w = DEFAULT_WIDTH.get(ftype, DEFAULT_WIDTH["text"])
        return [_Item("g", w, parts=[(0.0, "widget", (wd, w, h)), (0.0, "uline", w)])]

    # ---- emitting lines

    def emit_lines(self, lines: list[_Line], x0: float, top: float, width: float, align: str,
                   size: float, bold: bool, line_h: float, page: Page,
                   cell: tuple | None = None, uline: bool = True) -> float:
        """Draw ``lines`` from ``top``; returns the y below the last line."""
        y = top
        for ln in lines:
            self.emit_line(ln, x0, y, width, align, size, bold, page, cell, uline)
            y += ln.height
        return y

    def emit_line(self, ln: _Line, x0: float, top: float, width: float, align: str,
                  size: float, bold: bool, page: Page, cell, uline: bool) -> None:
        avail = width - ln.indent
        items = ln.items
        fills = [it for it in items if it.kind == "g" and it.fill]
        natural = ln.width
        extra_fill = 0.0
        if fills and avail > natural:
            extra_fill = (avail - natural) / len(fills)
            natural = avail
        spacing = 0.0
        x = x0 + ln.indent
        if align == "center":
            x += max(0.0, (avail - natural) / 2)
        elif align == "right":
            x += max(0.0, avail - natural)
        elif align == "justify" and not ln.forced and len(items) > 1:
            spacing = max(0.0, (avail - natural) / (len(items) - 1))
        baseline = top + (ln.height - size) / 2 + ASCENT * size
        em_mid = baseline - (ASCENT - 0.5) * size
        run: TextRun | None = None
        for it in items:
            if it.kind == "c":
                if (run is not None and run.src == it.src and run.role == it.role):
                    run.text += it.ch
                    run.width += it.w + spacing
                else:
                    run = TextRun(x, baseline, size, it.ch, bold, spacing, it.role, it.src,
                                  it.w + spacing)
                    page.texts.append(run)
                x += it.w + spacing
                continue
            run = None
            w = it.w + (extra_fill if it.fill else 0.0)
            for dx, what, data in it.parts:
                if what == "text":
                    s, role = data
                    page.texts.append(TextRun(x + dx, baseline, size, s, False, 0.0, role, None,
                                              self.text_w(s, size)))
                elif what == "square":
                    side = data
                    t = em_mid - side / 2
                    page.rects.append((x + dx, t, x + dx + side, t + side, RULE))
                elif what == "uline":
                    if uline:
                        uw = w if it.fill else data
                        yb = em_mid + BOX_HEIGHT * size / 2
                        if it.h > BOX_HEIGHT * size:  # under a tall box: at its bottom
                            yb = top + (ln.height + it.h) / 2
                        page.lines.append((x + dx, yb, x + dx + uw, yb, UNDERLINE))
                elif what == "widget":
                    wd, ww, wh = data
                    if it.fill:
                        ww = w
                    if wh > BOX_HEIGHT * size:  # a tall inline box (multiline): from the line top
                        t = top + (ln.height - wh) / 2
                    else:
                        t = em_mid - wh / 2
                    wd.rect = (x + dx, t, x + dx + ww, t + wh)
                    wd.cell = cell
                    page.widgets.append(wd)
            x += w + spacing

    # ---- blocks

    def text_block(self, b: Text) -> None:
        p = b.paragraph
        size = p.size or TEXT_SIZE
        line_h = TEXT_LEADING * size
        items = self.items_for(p, size, in_cell=False)
        lines = break_lines(items, TEXT_WIDTH, line_h, p.indent * size)
        if p.space_before:
            if self.room() < p.space_before + lines[0].height:
                self.new_page()
            else:
                self.y += p.space_before
        for ln in lines:
            if self.room() < ln.height - 1e-6 and self.y > MARGIN_TOP:
                self.new_page()
            self.emit_line(ln, MARGIN_LEFT, self.y, TEXT_WIDTH, p.align, size, p.bold,
                           self.page, None, True)
            self.y += ln.height

    def spacer(self, b: Spacer) -> None:
        h = b.height * MM
        if self.room() < h:
            self.new_page()  # a spacer at a page's top is dropped
        else:
            self.y += h

    def table(self, t: Table) -> None:
        total = sum(t.columns)
        colw = [c / total * TEXT_WIDTH for c in t.columns]
        colx = [MARGIN_LEFT]
        for w in colw:
            colx.append(colx[-1] + w)
        nrows = len(t.rows)

        # cells on the grid (the loader has checked that they fill it)
        placed = t.placements

        # measure every cell's content
        measured = []
        for ri, ci, cell in placed:
            width = colx[ci + cell.colspan] - colx[ci] - 2 * CELL_PAD_X
            measured.append(self.measure_cell(cell, width, t.size))

        heights = []
        for row in t.rows:
            heights.append(row.height * MM if row.height else 0.0)
        # single-row cells first, then spans, shortest first
        order = sorted(range(len(placed)), key=lambda k: placed[k][2].rowspan)
        for k in order:
            ri, ci, cell = placed[k]
            need = measured[k][0] + 2 * CELL_PAD_Y
            have = sum(heights[ri:ri + cell.rowspan])
            if need > have:
                heights[ri + cell.rowspan - 1] += need - have

        # rows joined by a rowspan move to a new page together
        group_end = list(range(nrows))
        for ri, ci, cell in placed:
            end = ri + cell.rowspan - 1
            for r in range(ri, end + 1):
                group_end[r] = max(group_end[r], end)
        groups = []
        r = 0
        while r < nrows:
            end = group_end[r]
            k = r
            while k <= end:
                end = max(end, group_end[k])
                k += 1
            groups.append((r, end))
            r = end + 1

        rows_top: dict[int, tuple[int, float]] = {}  # row -> (page index, top)
        part_bounds: dict[int, list[float]] = {}  # page index -> [top, bottom]
        #: the header rows printed again at the top of a continuation page: (page, top)
        repeats: list[tuple[int, float]] = []
        nh = t.header_rows
        header_h = sum(heights[:nh])
        for g0, g1 in groups:
            gh = sum(heights[g0:g1 + 1])
            # the header rows stay with the first group of rows under them
            if g0 == 0 and nh:
                first_body = next((b1 for b0, b1 in groups if b0 <= nh <= b1), g1)
                gh = sum(heights[:first_body + 1])
            if self.room() < gh - 1e-6 and self.y > MARGIN_TOP + 1e-6:
                self.new_page()
                if nh and g0 >= nh:
                    repeats.append((len(self.pages) - 1, self.y))
                    part_bounds[len(self.pages) - 1] = [self.y, self.y]
                    self.y += header_h
            pi = len(self.pages) - 1
            bounds = part_bounds.setdefault(pi, [self.y, self.y])
            for r in range(g0, g1 + 1):
                rows_top[r] = (pi, self.y)
                self.y += heights[r]
            bounds[1] = self.y

        cells = list(zip(placed, measured))
        for (ri, ci, cell), (content_h, paras) in cells:
            pi, top = rows_top[ri]
            self._place_cell(cell, content_h, paras, pi, top,
                             top + sum(heights[ri:ri + cell.rowspan]), colx[ci],
                             colx[ci + cell.colspan], t.size)
        for pi, y in repeats:
            for (ri, ci, cell), (content_h, paras) in cells[:sum(1 for c in placed if c[0] < nh)]:
                top = y + sum(heights[:ri])
                self._place_cell(cell, content_h, paras, pi, top,
                                 top + sum(heights[ri:ri + cell.rowspan]), colx[ci],
                                 colx[ci + cell.colspan], t.size)
        for pi, (top, bottom) in part_bounds.items():
            self.pages[pi].rects.append((colx[0], top, colx[-1], bottom, OUTER_RULE))

    def _place_cell(self, cell: Cell, content_h: float, paras, pi: int, top: float,
                    bottom: float, x0: float, x1: float, size: float) -> None:
        page = self.pages[pi]
        page.rects.append((x0, top, x1, bottom, RULE))
        self.emit_cell(cell, paras, content_h, (x0, top, x1, bottom), size, page)

    def measure_cell(self, cell: Cell, width: float, table_size: float):
        """(content height, [(paragraph, size, lines)]) of a cell; value cells: one line."""
        if cell.is_value:
            ref = cell.paragraphs[0].runs[0]
            _f, _c, ftype = self._ftype(ref)
            if ftype in ("text", "multiline", "integer", "decimal"):
                size = cell.paragraphs[0].size or table_size
                return CELL_LEADING * size, [("value", size, ref)]
        out = []
        total = 0.0
        for p in cell.paragraphs:
            size = p.size or table_size
            line_h = CELL_LEADING * size
            items = self.items_for(p, size, in_cell=True)
            squeeze_dates(items, width - p.indent * size)
            lines = break_lines(items, width, line_h, p.indent * size)
            total += p.space_before + sum(ln.height for ln in lines)
            out.append((p, size, lines))
        return total, out

    def emit_cell(self, cell: Cell, paras, content_h: float, rect, table_size: float,
                  page: Page) -> None:
        x0, top, x1, bottom = rect
        if paras and isinstance(paras[0][0], str):  # ("value", size, ref)
            _v, size, ref = paras[0]
            f, col, ftype = self._ftype(ref)
            align = cell.align if cell.align in ("left", "center", "right") else "left"
            if ftype == "multiline" and align == "center":
                align = "left"
            wd = self._widget(ref.name, "text", self._label(ref), size,
                              multiline=ftype == "multiline", align=align,
                              max_length=col.max_length, value_type=ftype)
            wd.rect = (x0 + VALUE_INSET, top + VALUE_INSET, x1 - VALUE_INSET, bottom - VALUE_INSET)
            wd.cell = rect
            page.widgets.append(wd)
            return
        inner_top = top + CELL_PAD_Y
        inner_h = bottom - top - 2 * CELL_PAD_Y
        # a note box that grows to the cell's bottom starts at the top with its label
        extends = any(data[0].extend
                      for _p, _s, lines in paras for ln in lines for it in ln.items
                      if it.kind == "g" for _dx, what, data in it.parts if what == "widget")
        valign = "top" if extends else cell.valign
        if valign == "middle":
            y = inner_top + max(0.0, (inner_h - content_h) / 2)
        elif valign == "bottom":
            y = inner_top + max(0.0, inner_h - content_h)
        else:
            y = inner_top
        width = x1 - x0 - 2 * CELL_PAD_X
        n_before = len(page.widgets)
        for p, size, lines in paras:
            y += p.space_before
            y = self.emit_lines(lines, x0 + CELL_PAD_X, y, width, p.align, size, p.bold,
                                CELL_LEADING * size, page, rect)
        for wd in page.widgets[n_before:]:
            if wd.extend:
                wx0, wt, wx1, _wb = wd.rect
                wd.rect = (wx0, wt, wx1, max(wt + BOX_HEIGHT * wd.size, bottom - CELL_PAD_Y))

    def run(self) -> Layout:
        for b in self.spec.blocks:
            if isinstance(b, Text):
                self.text_block(b)
            elif isinstance(b, Table):
                self.table(b)
            elif isinstance(b, Spacer):
                self.spacer(b)
            elif isinstance(b, PageBreak):
                if self.page.texts or self.page.rects or self.page.widgets:
                    self.new_page()
        if len(self.pages) > 1 and not (self.page.texts or self.page.rects or self.page.widgets):
            self.pages.pop()
        return Layout(self.pages)


_cache: dict = {}
_cache_lock = threading.Lock()


def layout(spec: FormSpec, font: PreparedFont) -> Layout:
    """The layout of ``spec``, computed once per description and font."""
    key = (spec.id, spec.spec_hash or hash(spec), font.path)
    lay = _cache.get(key)
    if lay is None:
        lay = _Layouter(spec, font).run()
        with _cache_lock:
            _cache[key] = lay
    return lay
