"""Drawing a form's layout and a record's values into a fillable PDF.

Per description (cached): the layout, each page's content stream (compressed),
the Song subset of the glyphs the pages print and of printable ASCII, the
widgets' fixed strings.  Per record: one appearance stream per filled field,
that subset extended by the values' other glyphs (nothing is recompressed: see
``ExtensibleSubset``), the field tree, the file.  A document has one font.

AcroForm choices (DESIGN §2):

* text fields are merged field/widget dictionaries with ``/V`` and ``/TU`` as
  UTF-16BE, ``/DA`` naming the typing font of ``/DR``, and an appearance
  stream of their own that draws the value in the embedded Song subset,
  clipped to the box; ``/NeedAppearances false``, so viewers show our drawing;
* a choice field is one radio group named by the field id; the on-state name
  of each button is its position, ``/0``, ``/1`` … (ASCII: pypdf, PyMuPDF, pdf.js
  and PDFium all set and show it as it is), and the group's ``/Opt`` lists the
  choices' official labels in that order (PDF 32000 12.7.4.2.3), so ``/V /1`` of
  ``/Opt [(非营利性) (营利性)]`` is 营利性; ``/Off`` when nothing is chosen.  (Files
  of earlier versions named the states by their UTF-8 labels; the parser reads both);
* a checkbox field's on-state is ``/Yes``;
* checkbox and radio marks are drawn as paths (a tick in the box), the box
  itself as a rectangle on the page: no font needed, and UMing lacks ☑.
"""

from __future__ import annotations

import hashlib
import struct
import threading
import zlib
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate, repeat

from forms import FormSpec, mark_text

from forms.layout import (
    HEX4,
    SONG_NAME,
    TYPING_NAME,
    ExtensibleSubset,
    FontStreams,
    PreparedFont,
    prepared_font,
    ASCENT,
    NO_END,
    NO_START,
    PAGE_H,
    PAGE_W,
    Layout,
    Page,
    Widget,
    layout,
)
from ._writer import PdfWriter, literal, num, ref, string, text

#: resource name of the Song font in page and appearance resources
PAGE_FONT = "F1"
#: the object number of the resources every value appearance uses (fixed, so the
#: appearance dictionaries are written once per description)
AP_RESOURCES = 5
#: printable ASCII is in every form's font: dates, numbers, codes and telephone
#: numbers (most values) then add no glyph to it
ALWAYS_EMBEDDED = "".join(chr(c) for c in range(0x20, 0x7F))
#: resource name of the typing font in /DR, the one /DA names
TYPING_FONT = "TyF"
TYPING_FONTS = ("viewer", "embedded", "song")

#: value text: inner padding of a box, line spacing, smallest size we shrink to
VALUE_PAD_X = 2.0
VALUE_PAD_Y = 1.0
VALUE_LEADING = 1.15
MIN_VALUE_SIZE = 4.0

FLAG_MULTILINE = 1 << 12
FLAG_NO_TOGGLE_TO_OFF = 1 << 14
FLAG_RADIO = 1 << 15
ANNOT_PRINT = 4


def _hex(gids: list[int]) -> str:
    return struct.pack(f">{len(gids)}H", *gids).hex().upper()


# ------------------------------------------------------------------ static pages

def _page_gids(page: Page, font: PreparedFont) -> set[int]:
    gids: set[int] = set()
    for t in page.texts:
        gids.update(font.glyph_ids(t.text))
    return gids


def _mark_ops(text: str) -> str:
    """The page mark (forms/_mark.py) in the bottom right margin: a 1-bit inline image,
    one sample per QR module, drawn without interpolation so it stays sharp."""
    from forms._mark import MARK_BOTTOM, MARK_RIGHT, MODULE_PT, mark_modules

    rows = mark_modules(text)
    n = len(rows)
    data = bytearray()
    for row in rows:  # 1 is white (DeviceGray), rows padded to a byte
        bits = [0 if dark else 1 for dark in row] + [1] * (-n % 8)
        data += bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))
    side = n * MODULE_PT
    x, y = PAGE_W - MARK_RIGHT - side, MARK_BOTTOM
    return (f"q {num(side)} 0 0 {num(side)} {num(x)} {num(y)} cm\n"
            f"BI /W {n} /H {n} /BPC 1 /CS /G /I false /F /AHx ID\n{data.hex()}>\nEI Q")


def _page_stream(page: Page, font: PreparedFont, number: dict[int, int],
                 mark: str | None = None) -> bytes:
    """The page's static drawing; glyphs as numbered in the form's subset; the page mark."""
    ops: list[str] = ["0 G 0 g 0 J 0 j"]
    if mark:
        ops.append(_mark_ops(mark))
    # rectangles (by line width) then lines, stroked once per run of one width
    paths = [(w, f"{num(x0)} {num(PAGE_H - bottom)} {num(x1 - x0)} {num(bottom - top)} re")
             for x0, top, x1, bottom, w in sorted(page.rects, key=lambda r: r[4])]
    paths += [(w, f"{num(x0)} {num(PAGE_H - y0)} m {num(x1)} {num(PAGE_H - y1)} l")
              for x0, y0, x1, y1, w in page.lines]
    cur_w = None
    for w, path in paths:
        if w != cur_w:
            if cur_w is not None:
                ops.append("S")
            ops.append(f"{num(w)} w")
            cur_w = w
        ops.append(path)
    if cur_w is not None:
        ops.append("S")
    if page.texts:
        ops.append("BT")
        size = None
        spacing = 0.0
        bold = False
        for t in page.texts:
            g = [number[x] for x in font.glyph_ids(t.text)]
            if t.size != size:
                ops.append(f"/{PAGE_FONT} {num(t.size)} Tf")
                size = t.size
            if t.bold != bold:
                # no bold Song face: fill and stroke the outline (the common fake bold)
                ops.append(f"2 Tr {num(0.03 * t.size)} w" if t.bold else "0 Tr")
                bold = t.bold
            if t.spacing != spacing:
                ops.append(f"{num(t.spacing)} Tc")
                spacing = t.spacing
            ops.append(f"1 0 0 1 {num(t.x)} {num(PAGE_H - t.baseline)} Tm <{_hex(g)}> Tj")
        ops.append("ET")
    return "\n".join(ops).encode("latin-1")


# ------------------------------------------------------------------ font objects

def _descriptor(w: PdfWriter, font: PreparedFont, fontname: str, file_ref: int | None,
                flags: int = 4) -> int:
    k = 1000 / font.upem
    bbox = " ".join(num(round(v * k)) for v in font.bbox)
    ff = f" /FontFile2 {ref(file_ref)}" if file_ref else ""
    return w.add(
        f"<< /Type /FontDescriptor /FontName /{fontname} /Flags {flags} /FontBBox [{bbox}] "
        f"/ItalicAngle 0 /Ascent {round(font.ascent * k)} /Descent {round(font.descent * k)} "
        f"/CapHeight {round(font.ascent * k)} /StemV 80{ff} >>"
    )


def _type0(w: PdfWriter, font: PreparedFont, fs: FontStreams) -> int:
    """A Type0 / CIDFontType2 font, Identity-H, CIDToGIDMap Identity, with ToUnicode."""
    ff = w.stream(f"/Length1 {fs.file_len}", fs.file_z, compressed=True)
    fd = _descriptor(w, font, fs.name, ff)
    cid = w.add(
        f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{fs.name} "
        f"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        f"/FontDescriptor {ref(fd)} /DW 1000 /W {fs.widths} /CIDToGIDMap /Identity >>"
    )
    tu = w.stream("", fs.to_unicode_z, compressed=True)
    return w.add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /{fs.name} /Encoding /Identity-H "
        f"/DescendantFonts [{ref(cid)}] /ToUnicode {ref(tu)} >>"
    )


_typing_cache: dict = {}


def _typing_font(w: PdfWriter, kind: str) -> int:
    if kind == "viewer":
        # Adobe-GB1 without a font file: a viewer types with its own Song (small files)
        fd = w.add(
            "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
            "/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
            "/CapHeight 880 /StemV 93 >>"
        )
        cid = w.add(
            "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
            f"/FontDescriptor {ref(fd)} /DW 1000 /W [1 95 500 814 939 500] >>"
        )
        return w.add(
            "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
            f"/DescendantFonts [{ref(cid)}] >>"
        )
    # "embedded": the Hei typing font, GBK (1.6 MB); "song": the whole Song font of the
    # pages, GBK and CJK Extension A, so typed values look like the form body (9 MB)
    tf = prepared_font("song" if kind == "song" else "typing")
    fs = _typing_cache.get(tf.path)
    if fs is None:
        n = len(tf.codepoints)
        name = SONG_NAME if kind == "song" else TYPING_NAME
        fs = FontStreams(name, tf.full_compressed(), len(tf.data),
                         tf.w_array(range(n + 1)), zlib.compress(tf.to_unicode(), 9))
        _typing_cache[tf.path] = fs
    return _type0(w, tf, fs)


# ------------------------------------------------------------------ field tree

class _Node:
    __slots__ = ("part", "kids", "widgets")

    def __init__(self, part: str):
        self.part = part
        self.kids: dict[str, _Node] = {}
        self.widgets: list[Widget] = []


def _tree(pages: list[Page]) -> _Node:
    root = _Node("")
    for page in pages:
        for wd in page.widgets:
            node = root
            for part in wd.name.split("."):
                node = node.kids.setdefault(part, _Node(part))
            node.widgets.append(wd)
    return root


@dataclass
class _WidgetStrings:
    """What a widget's dictionary says whatever the record: written once per description."""

    page: int
    #: /Type /Annot … /Rect … /F 4 (the /P entry is added per document)
    annot: str
    #: appearance bounding box [0 0 w h]
    bbox: str
    #: text fields: /FT /Tx … /TU … /DA … /Q … (no /V)
    field: str = ""
    #: text fields, for a value drawn on one line at the field's size (most values):
    #: the appearance stream's dictionary (a template for /Length), its opening
    #: operators, the widest value that fits (in 1/1000 em), the baseline
    ap_head: bytes = b""
    ap_open: str = ""
    ap_fit: float = 0.0
    ap_y: float = 0.0
    ap_w: float = 0.0
    #: a left-aligned field's x (else None: centred or right-aligned, by the value)
    ap_left: float | None = None


# ------------------------------------------------------------------ per description

@dataclass
class _Static:
    layout: Layout
    contents: list[bytes]  # compressed page streams
    #: the glyphs the pages print; a record's values add theirs per document
    subset: ExtensibleSubset
    hex_of: dict  # character -> its glyph in ``subset``, 4 hex digits
    tree: _Node
    strings: dict  # id(widget) -> _WidgetStrings
    da_size: float


_static_cache: dict = {}
_static_lock = threading.Lock()


def _widget_strings(wd: Widget, page: int) -> _WidgetStrings:
    x0, top, x1, bottom = wd.rect
    annot = (f"/Type /Annot /Subtype /Widget /Rect [{num(x0)} {num(PAGE_H - bottom)} "
             f"{num(x1)} {num(PAGE_H - top)}] /F {ANNOT_PRINT}")
    ws = _WidgetStrings(page, annot, f"[0 0 {num(x1 - x0)} {num(bottom - top)}]")
    if wd.kind == "text":
        # a box tall enough for two lines, for a value that may be wider than one (a name
        # or an address in a three-line cell), takes it on several lines in any viewer
        # that fills it, as xieyi's own appearance does; short values (a score, a code)
        # stay on one line, centred in their box
        ff = FLAG_MULTILINE if wd.multiline or _wraps_in_viewers(wd) else 0
        q = {"left": 0, "center": 1, "right": 2}.get(wd.align, 0)
        extra = f" /Ff {ff}" if ff else ""
        if wd.max_length:
            extra += f" /MaxLen {wd.max_length}"
        ws.field = (f"/FT /Tx /T {literal(wd.name.rsplit('.', 1)[-1])} /TU {text(wd.label)} "
                    f"/DA (/{TYPING_FONT} {num(wd.size)} Tf 0 g) /Q {q}{extra}")
        w, h = x1 - x0, bottom - top
        ws.ap_head = (f"<< /Length %d /Type /XObject /Subtype /Form /BBox {ws.bbox} "
                      f"/Resources {ref(AP_RESOURCES)} >>\nstream\n").encode("latin-1")
        ws.ap_open = _ap_open(w, h, wd.size)
        ws.ap_fit = (w - 2 * VALUE_PAD_X) / wd.size * 1000
        ws.ap_y = _first_baseline(wd, h, 1, wd.size)
        ws.ap_w = w
        ws.ap_left = VALUE_PAD_X if wd.align not in ("center", "right") else None
    return ws


def _static(spec: FormSpec, font: PreparedFont) -> _Static:
    key = (spec.id, spec.spec_hash or hash(spec), font.path)
    st = _static_cache.get(key)
    if st is None:
        lay = layout(spec, font)
        gids = set(font.glyph_ids(ALWAYS_EMBEDDED)).union(*(_page_gids(p, font) for p in lay.pages))
        subset = ExtensibleSubset(font, gids)
        contents = []
        strings = {}
        for pi, page in enumerate(lay.pages):
            mark = mark_text(spec.id, spec.version, pi + 1)
            contents.append(zlib.compress(_page_stream(page, font, subset.number, mark), 9))
            for wd in page.widgets:
                strings[id(wd)] = _widget_strings(wd, pi)
        first = next((wd for p in lay.pages for wd in p.widgets), None)
        # each character the pages' glyphs draw, as 4 hex digits of its number in the subset
        hex_of = {c: HEX4[subset.number[g]] for c, g in font.gid.items() if g in subset.number}
        st = _Static(lay, contents, subset, hex_of, _tree(lay.pages), strings,
                     first.size if first else 10.5)
        with _static_lock:
            _static_cache[key] = st
    return st


# ------------------------------------------------------------------ appearances

def _wrap(text: str, ws: list[float], limit: float) -> list[str]:
    """Break a value into lines no wider than ``limit`` (widths ``ws`` per character, in
    the same unit): anywhere between Chinese characters, never before a closing mark nor
    after an opening one, never inside a Latin word or number unless it is longer than
    a line; a space never starts a line and may hang past its end.  The same breaks as
    the layout's ``break_lines`` (tested), but fast: each line's end is found by
    bisecting the running widths, then stepped back to the nearest allowed break.
    Around spaces the two may differ: here a space hanging at a line's end just before
    a line break makes no empty line (``"ab \\nc"`` in a two-character box: ab / c)."""
    if "\n" not in text:
        return _wrap_paragraph(text, ws, limit)
    lines = []
    pos = 0
    for para in text.split("\n"):
        lines.extend(_wrap_paragraph(para, ws[pos:pos + len(para)], limit))
        pos += len(para) + 1
    return lines


def _breakable(prev: str, ch: str) -> bool:
    return not (ch in NO_START or prev in NO_END or ("!" <= prev <= "~" and "!" <= ch <= "~"))


def _wrap_paragraph(text: str, ws: list[float], limit: float) -> list[str]:
    n = len(text)
    cum = list(accumulate(ws, initial=0.0))  # cum[i]: width of text[:i]
    lines = []
    start = 0
    # after a cut, the characters up to the one that overflowed stay on the new line
    # as they are: no break is looked for before ``seen``
    seen = 0
    while True:
        # the first character after the line's first (and from ``seen`` on) that
        # would overflow the line
        i = bisect_right(cum, cum[start] + limit, max(start + 2, seen + 1)) - 1
        while i < n and text[i] == " ":
            i += 1  # a space does not overflow a line: it hangs
        if i >= n:
            lines.append(text[start:].rstrip(" "))
            return lines
        cut = i
        for k in range(i, max(start, seen - 1), -1):
            if _breakable(text[k - 1], text[k]):
                cut = k  # the last allowed break on the line
                break
        lines.append(text[start:cut].rstrip(" "))
        start = cut
        while start < n and text[start] == " ":
            start += 1
        seen = i + 1
        if start >= n:
            return lines


def _value_layout(wd: Widget, value: str, font: PreparedFont, w: float, h: float,
                  em: float | None = None):
    """(size, lines) for a value in a box: shrink, then wrap, to show it whole if we can.
    ``em``: the value's width in em, when the caller has measured it."""
    aw = w - 2 * VALUE_PAD_X
    ah = h - 2 * VALUE_PAD_Y
    size = wd.size

    def fits(n: int, s: float) -> bool:
        return (n - 1) * s * VALUE_LEADING + s <= ah + 0.01

    single = "\n" not in value and "\r" not in value
    if em is None:
        em = font.text_width(value) / 1000.0
    if single:
        tw = em * size
        if tw <= aw:
            return size, [value]
        shrunk = size * aw / tw
        if not wd.multiline and shrunk >= max(0.75 * size, 6.0):
            return shrunk, [value]
    text_ = value.replace("\r\n", "\n").replace("\r", "\n")
    fw = font.width
    nd = font.notdef_width
    ws = [fw.get(c, nd) / 1000.0 for c in text_]
    # the largest size whose area could hold the text, then down in half points
    s = size
    if em:
        s = min(size, (aw * ah / (em * VALUE_LEADING)) ** 0.5 + 0.5)
        s = max(MIN_VALUE_SIZE, int(s * 2) / 2)
    while s >= MIN_VALUE_SIZE:
        lines = _wrap(text_, ws, aw / s)
        if fits(len(lines), s):
            return s, lines
        s -= 0.5
    if single and not wd.multiline:
        s = max(MIN_VALUE_SIZE, min(size, aw / em if em else size))
        return s, [value]
    return MIN_VALUE_SIZE, _wrap(text_, ws, aw / MIN_VALUE_SIZE)


def _wraps_in_viewers(wd: Widget) -> bool:
    """A one-line field a viewer should wrap: its box holds two lines or more and its
    longest value (Chinese characters, one em each) is wider than one line."""
    if wd.value_type != "text":  # numbers, dates: short, and one line reads them best
        return False
    width = wd.rect[2] - wd.rect[0] - 2 * VALUE_PAD_X
    longest = (wd.max_length * wd.size) if wd.max_length else float("inf")
    return _holds_lines(wd) >= 2 and longest > width


def _holds_lines(wd: Widget) -> int:
    """How many lines of the field's size its box holds."""
    h = wd.rect[3] - wd.rect[1] - 2 * VALUE_PAD_Y
    return int((h - wd.size) // (wd.size * VALUE_LEADING)) + 1 if h >= wd.size else 0


def _ap_open(w: float, h: float, size: float) -> str:
    return f"/Tx BMC q 0.5 0.5 {w - 1:.2f} {h - 1:.2f} re W n BT /{PAGE_FONT} {size:.2f} Tf 0 g\n"


def _first_baseline(wd: Widget, h: float, n_lines: int, size: float) -> float:
    lead = size * VALUE_LEADING
    if wd.multiline and (n_lines > 1 or h > 3 * size):
        first_top = h - VALUE_PAD_Y  # a note starts at the top of its box
    else:
        first_top = (h + (n_lines - 1) * lead + size) / 2  # centred
    return first_top - ASCENT * size


def _line_x(align: str, w: float, lw: float) -> float:
    if lw > w - 2 * VALUE_PAD_X or align == "left":
        return VALUE_PAD_X
    if align == "center":
        return (w - lw) / 2
    return w - VALUE_PAD_X - lw


def _text_appearance(wd: Widget, value: str, font: PreparedFont, hexes: dict[str, str],
                     widths: dict[str, int]) -> bytes:
    """The value drawn in its box, clipped, aligned as the field's /Q.

    ``hexes`` and ``widths`` map every character of the record's values to its
    glyph id (4 hex digits, in the font that draws the values) and its width in
    1/1000 em: built once per record, so each character costs one lookup here."""
    x0, top, x1, bottom = wd.rect
    w, h = x1 - x0, bottom - top
    if not value:
        return b"/Tx BMC EMC"
    em = sum(map(widths.__getitem__, value)) / 1000.0
    if em * wd.size <= w - 2 * VALUE_PAD_X and "\n" not in value and "\r" not in value:
        size, lines, line_ems = wd.size, [value], [em]  # the common case: it fits as it is
    else:
        size, lines = _value_layout(wd, value, font, w, h, em)
        line_ems = [sum(map(widths.__getitem__, line)) / 1000.0 for line in lines]
    lead = size * VALUE_LEADING
    y = _first_baseline(wd, h, len(lines), size)
    ops = [_ap_open(w, h, size)]
    for line, line_em in zip(lines, line_ems):
        x = _line_x(wd.align, w, line_em * size)
        ops.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm <{''.join(map(hexes.__getitem__, line))}> Tj\n")
        y -= lead
    ops.append("ET Q EMC")
    return "".join(ops).encode("latin-1")


def _tick(side: float) -> bytes:
    a = side
    return (
        f"q 0 G {num(0.12 * a)} w 1 J 1 j {num(0.2 * a)} {num(0.52 * a)} m "
        f"{num(0.42 * a)} {num(0.27 * a)} l {num(0.84 * a)} {num(0.8 * a)} l S Q"
    ).encode("latin-1")


# ------------------------------------------------------------------ the document

def render(spec: FormSpec, values: dict, typing_font: str) -> bytes:
    if typing_font not in TYPING_FONTS:
        raise ValueError(f"typing_font must be one of {TYPING_FONTS}, not {typing_font!r}")
    font = prepared_font("song")
    st = _static(spec, font)
    pages = st.layout.pages
    strings = st.strings
    w = PdfWriter()

    catalog = w.alloc()
    pages_obj = w.alloc()
    info = w.alloc()
    acroform = w.alloc()
    ap_res = w.alloc()
    assert ap_res == AP_RESOURCES
    page_objs = [w.alloc() for _ in pages]

    # the values first: the glyphs they need beyond the pages' join the one font
    filled = []
    for page in pages:
        for wd in page.widgets:
            if wd.kind == "text":
                v = values.get(wd.name)
                if v:
                    filled.append((wd, v if isinstance(v, str) else str(v)))
    hexes = st.hex_of
    widths = font.width
    extra: list[int] = []
    if filled:
        chars = set().union(*(v for _wd, v in filled))
        missing = chars.difference(hexes)
        if missing:
            missing = list(missing)
            gids = list(map(font.gid.get, missing, repeat(0)))
            number = st.subset.added(gids)
            extra = list(number)
            number[0] = 0  # characters no font has: .notdef
            hexes = {**hexes, **dict(zip(missing, map(HEX4.__getitem__,
                                                      map(number.__getitem__, gids))))}
            if 0 in gids:
                widths = {c: widths.get(c, font.notdef_width) for c in chars}
    page_font = _type0(w, font, st.subset.streams(extra))
    w.put(ap_res, f"<< /Font << /{PAGE_FONT} {ref(page_font)} >> >>")

    # each filled text field's appearance stream: the common case (one line at the
    # field's size) from the widget's prepared strings, anything else laid out
    text_aps = {}
    width_of = widths.__getitem__
    hex_of = hexes.__getitem__
    for wd, v in filled:
        ws = strings[id(wd)]
        em = sum(map(width_of, v))
        if em <= ws.ap_fit and "\n" not in v and "\r" not in v:
            lw = em / 1000.0 * wd.size
            x = ws.ap_left if ws.ap_left is not None else \
                (ws.ap_w - lw) / 2 if wd.align == "center" else ws.ap_w - VALUE_PAD_X - lw
            data = (f"{ws.ap_open}1 0 0 1 {x:.2f} {ws.ap_y:.2f} Tm "
                    f"<{''.join(map(hex_of, v))}> Tj\nET Q EMC").encode("latin-1")
        else:
            data = _text_appearance(wd, v, font, hexes, widths)
        text_aps[id(wd)] = data
    typing = _typing_font(w, typing_font)

    marks: dict[str, tuple[int, int]] = {}

    def mark_streams(bbox: str, side: float) -> tuple[int, int]:
        # checkbox / radio states, shared by boxes of one size
        if bbox not in marks:
            d = f"/Type /XObject /Subtype /Form /BBox {bbox}"
            marks[bbox] = (w.stream(d, _tick(side), compress=False),
                           w.stream(d, b"", compress=False))
        return marks[bbox]

    annots: list[list[int]] = [[] for _ in pages]

    def write_node(node: _Node, parent: int | None) -> int:
        n = w.alloc()
        par = f" /Parent {ref(parent)}" if parent else ""
        if node.kids:
            kids = [write_node(k, n) for k in node.kids.values()]
            w.put(n, f"<< /T {literal(node.part)}{par} "
                     f"/Kids [{' '.join(ref(k) for k in kids)}] >>")
            return n
        first = node.widgets[0]
        ws = strings[id(first)]
        pref = ref(page_objs[ws.page])
        if first.kind == "text":
            data = text_aps.get(id(first))
            v = values.get(first.name)
            if data is None:
                # an empty field: an empty appearance of its own.  Not one shared by all:
                # a tool that fills a field may rewrite its appearance stream in place
                # (pypdf does), which would put that value in every empty field
                ap = w.stream(f"/Type /XObject /Subtype /Form /BBox {ws.bbox}",
                              b"/Tx BMC EMC", compress=False)
                vv = ""
            else:
                if len(data) > 300:  # a long value: compressed
                    ap = w.stream(f"/Type /XObject /Subtype /Form /BBox {ws.bbox} "
                                  f"/Resources {ref(ap_res)}", data)
                else:
                    ap = w.put_stream(ws.ap_head % len(data) + data + b"\nendstream")
                vv = f" /V {text(v if isinstance(v, str) else str(v))}"
            w.put(n, f"<< {ws.annot} /P {pref} {ws.field}{par}{vv} /AP << /N {ref(ap)} >> >>")
            annots[ws.page].append(n)
            return n
        t = f"/T {literal(node.part)}"
        tu = f"/TU {text(first.label)}"
        if first.kind == "checkbox":
            on, off = mark_streams(ws.bbox, first.rect[2] - first.rect[0])
            state = "/Yes" if values.get(first.name) is True else "/Off"
            w.put(n, f"<< {ws.annot} /P {pref} /FT /Btn {t}{par} {tu} /V {state} /AS {state} "
                     f"/AP << /N << /Yes {ref(on)} /Off {ref(off)} >> >> >>")
            annots[ws.page].append(n)
            return n
        # a radio group: the field, and one widget per choice.  Each button's on-state is
        # its position, /0 /1 …, and /Opt gives the choices' labels in the same order
        # (PDF 32000 12.7.4.2.3): ASCII names every tool can set, the Chinese label
        # beside them for any tool that shows export values
        chosen = values.get(first.name) or ""
        kids = []
        v = "/Off"
        for i, wd in enumerate(node.widgets):
            wsk = strings[id(wd)]
            on, off = mark_streams(wsk.bbox, wd.rect[2] - wd.rect[0])
            state_name = f"/{i}"
            state = state_name if wd.option == chosen else "/Off"
            if wd.option == chosen:
                v = state_name
            k = w.add(f"<< {wsk.annot} /P {ref(page_objs[wsk.page])} /Parent {ref(n)} "
                      f"/AS {state} /AP << /N << {state_name} {ref(on)} /Off {ref(off)} >> >> >>")
            annots[wsk.page].append(k)
            kids.append(k)
        opt = " ".join(text(wd.option) for wd in node.widgets)
        w.put(n, f"<< /FT /Btn /Ff {FLAG_RADIO | FLAG_NO_TOGGLE_TO_OFF} {t}{par} {tu} /V {v} "
                 f"/Opt [{opt}] /Kids [{' '.join(ref(k) for k in kids)}] >>")
        return n

    top_fields = [write_node(node, None) for node in st.tree.kids.values()]

    media = f"[0 0 {num(PAGE_W)} {num(PAGE_H)}]"
    for pi in range(len(pages)):
        content = w.stream("", st.contents[pi], compressed=True)
        ann = annots[pi]
        ann_s = f" /Annots [{' '.join(ref(a) for a in ann)}]" if ann else ""
        w.put(page_objs[pi],
              f"<< /Type /Page /Parent {ref(pages_obj)} /MediaBox {media} "
              f"/Resources << /Font << /{PAGE_FONT} {ref(page_font)} >> >> "
              f"/Contents {ref(content)}{ann_s} >>")
    w.put(pages_obj, f"<< /Type /Pages /Kids [{' '.join(ref(p) for p in page_objs)}] "
                     f"/Count {len(page_objs)} >>")
    w.put(acroform,
          f"<< /Fields [{' '.join(ref(f) for f in top_fields)}] /NeedAppearances false "
          f"/DA (/{TYPING_FONT} {num(st.da_size)} Tf 0 g) "
          f"/DR << /Font << /{TYPING_FONT} {ref(typing)} >> >> >>")
    w.put(catalog, f"<< /Type /Catalog /Pages {ref(pages_obj)} /AcroForm {ref(acroform)} "
                   f"/Lang (zh-CN) /ViewerPreferences << /DisplayDocTitle true >> >>")
    w.put(info, f"<< /Title {text(spec.title)} /Creator (xieyi) /Producer (xieyi) "
                f"/XieyiForm {string(spec.id)} /XieyiVersion {string(spec.version)} "
                f"/XieyiSpecHash {string(spec.spec_hash)} >>")
    h = hashlib.md5(f"{spec.id}|{spec.spec_hash}|{typing_font}|".encode())
    h.update(repr(sorted(values.items())).encode("utf-8"))
    return w.tobytes(catalog, info, h.hexdigest().upper())
