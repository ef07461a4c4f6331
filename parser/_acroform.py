"""Reading the values of a fillable PDF's form fields (pypdf).

The field tree is walked here rather than through ``PdfReader.get_fields``: the
walk keeps each terminal field's widgets (their ``/Rect``, ``/AS``, ``/P``), which
give the value's page and box, and it costs less.  It guards against what
hostile files do: loops in ``/Kids``, absurd depth, values of the wrong type.

What viewers do to our fields (see ``generator.pdf``):

* text: ``/V`` is a text string; some tools write a byte string or a stream,
  Windows tools ``\\r\\n`` or ``\\r`` for line ends;
* checkbox: on-state ``/Yes`` in our file, but any name other than ``/Off`` is
  ticked (tools rename states); a viewer that updates only the widget's
  ``/AS`` and not ``/V`` is read from ``/AS``;
* radio group: our on-state names are the choice labels themselves; a state
  name that matches no label (a tool that renumbered the states) is read from
  the position of the ticked button among the group's buttons, in the order we
  wrote them (the choices' order), with lower confidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _dcfield

from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
    TextStringObject,
)

from forms import DATE_PARTS, FormSpec

from ._normalize import clean_field_value, digits, key, make_date, parse_number, problem
from ._result import Reading

MAX_DEPTH = 32
MAX_FIELDS = 20_000
FLAG_RADIO = 1 << 15
FLAG_PUSHBUTTON = 1 << 16


@dataclass
class Terminal:
    """A terminal field: full name, type, value, flags, widgets."""

    name: str
    ft: str | None
    value: object
    flags: int
    widgets: list = _dcfield(default_factory=list)  # (idnum or None, widget dictionary)
    #: a button field's /Opt: the export value of each widget, by position
    opt: tuple[str, ...] = ()


def _resolve(o):
    return o.get_object() if isinstance(o, IndirectObject) else o


def _name_text(o) -> str:
    if isinstance(o, (TextStringObject, str)):
        return str(o)
    if isinstance(o, ByteStringObject):
        for enc in ("utf-16" if bytes(o)[:2] in (b"\xfe\xff", b"\xff\xfe") else "utf-8", "gbk"):
            try:
                return bytes(o).decode(enc)
            except UnicodeDecodeError:
                continue
        return bytes(o).decode("latin-1")
    return str(o) if o is not None else ""


def walk_fields(reader) -> list[Terminal]:
    """Every terminal field of the AcroForm, in tree order."""
    root = _resolve(reader.trailer.get("/Root"))
    if not isinstance(root, DictionaryObject):
        return []
    acro = _resolve(root.get("/AcroForm"))
    if not isinstance(acro, DictionaryObject):
        return []
    top = _resolve(acro.get("/Fields"))
    if not isinstance(top, ArrayObject):
        return []
    out: list[Terminal] = []
    seen: set[int] = set()

    def visit(ref, parent: str, ft, value, flags, depth: int) -> None:
        if depth > MAX_DEPTH or len(out) > MAX_FIELDS:
            return
        idnum = ref.idnum if isinstance(ref, IndirectObject) else None
        if idnum is not None:
            if idnum in seen:
                return
            seen.add(idnum)
        obj = _resolve(ref)
        if not isinstance(obj, DictionaryObject):
            return
        t = obj.get("/T")
        part = _name_text(_resolve(t)) if t is not None else ""
        name = f"{parent}.{part}" if parent and part else (part or parent)
        ft = obj.get("/FT", ft)
        value = obj.get("/V", value)
        ff = obj.get("/Ff", flags)
        kids = _resolve(obj.get("/Kids"))
        kid_list = [k for k in kids] if isinstance(kids, ArrayObject) else []
        named = [k for k in kid_list
                 if isinstance(_resolve(k), DictionaryObject) and "/T" in _resolve(k)]
        if named:
            for k in named:
                visit(k, name, ft, None, ff, depth + 1)
            return
        opt = _resolve(obj.get("/Opt"))
        term = Terminal(name=name, ft=str(ft) if ft is not None else None, value=_resolve(value),
                        flags=int(ff) if isinstance(ff, int) else 0,
                        opt=tuple(_name_text(_resolve(o)) for o in opt)
                        if isinstance(opt, ArrayObject) and len(opt) <= MAX_FIELDS else ())
        widgets = kid_list or [ref]
        for w in widgets:
            wd = _resolve(w)
            if isinstance(wd, DictionaryObject):
                term.widgets.append((w.idnum if isinstance(w, IndirectObject) else None, wd))
        out.append(term)

    for f in top:
        visit(f, "", None, None, 0, 0)
    return out


class _Pages:
    """Page number (1-based) and height of a widget, from its /P or the pages' /Annots."""

    def __init__(self, reader):
        self.reader = reader
        self._by_page_id: dict[int, int] | None = None
        self._by_annot: dict[int, int] | None = None
        self._heights: dict[int, float] = {}

    def _index(self) -> None:
        self._by_page_id, self._by_annot = {}, {}
        for i, page in enumerate(self.reader.pages, start=1):
            ref = getattr(page, "indirect_reference", None)
            if ref is not None:
                self._by_page_id[ref.idnum] = i
            annots = _resolve(page.get("/Annots"))
            if isinstance(annots, ArrayObject):
                for a in annots:
                    if isinstance(a, IndirectObject):
                        self._by_annot[a.idnum] = i

    def page_of(self, idnum: int | None, widget: DictionaryObject) -> int | None:
        if self._by_page_id is None:
            self._index()
        p = widget.get("/P")
        if isinstance(p, IndirectObject) and p.idnum in self._by_page_id:
            return self._by_page_id[p.idnum]
        if idnum is not None:
            return self._by_annot.get(idnum)
        return None

    def box(self, page: int | None, widget: DictionaryObject):
        rect = _resolve(widget.get("/Rect"))
        if page is None or not isinstance(rect, ArrayObject) or len(rect) != 4:
            return None
        try:
            x0, y0, x1, y1 = (float(_resolve(v)) for v in rect)
        except (TypeError, ValueError):
            return None
        if page not in self._heights:
            mb = self.reader.pages[page - 1].mediabox
            self._heights[page] = float(mb.top)
        top = self._heights[page]
        x0, x1 = sorted((x0, x1))
        y0, y1 = sorted((y0, y1))
        return (x0, top - y1, x1, top - y0)


def _union(boxes):
    boxes = [b for b in boxes if b]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _text_value(v) -> str:
    if v is None or isinstance(v, NameObject) and str(v) == "/Off":
        return ""
    if isinstance(v, StreamObject):
        try:
            return _name_text(ByteStringObject(v.get_data()))
        except Exception:  # an undecodable stream: no value
            return ""
    if isinstance(v, ArrayObject):  # a list box's several values
        return "\n".join(_text_value(_resolve(x)) for x in v)
    return _name_text(v)


def _state_name(v) -> str | None:
    """A button state as text (without the slash); None for off/absent."""
    if v is None:
        return None
    s = str(v)
    if s.startswith("/"):
        s = s[1:]
    if s in ("", "Off"):
        return None
    # pypdf decodes #xx escapes; a name it took as Latin-1 may be UTF-8 bytes
    try:
        s = s.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return s


def _widget_state(wd: DictionaryObject) -> str | None:
    return _state_name(wd.get("/AS"))


def _on_states(wd: DictionaryObject) -> list[str]:
    ap = _resolve(wd.get("/AP"))
    n = _resolve(ap.get("/N")) if isinstance(ap, DictionaryObject) else None
    if not isinstance(n, DictionaryObject):
        return []
    return [s for s in (_state_name(k) for k in n) if s]


def read_fields(reader, spec: FormSpec, terminals: list[Terminal]) -> dict[str, Reading]:
    """A reading for every value box of the form that has a field in the file."""
    by_name = {t.name: t for t in terminals}
    pages = _Pages(reader)
    out: dict[str, Reading] = {}

    def where(ts: list[Terminal]):
        boxes, page = [], None
        for t in ts:
            for idnum, wd in t.widgets:
                p = pages.page_of(idnum, wd)
                page = page or p
                boxes.append(pages.box(p, wd))
        return page, _union(boxes)

    for ref in spec.field_refs():
        f = spec.field(ref.field)
        col = f.column(ref.column) if ref.column else None
        ftype = col.type if col else f.type
        name = ref.name
        if ftype == "date":
            parts = [by_name.get(f"{name}.{p}") for p in DATE_PARTS]
            if all(t is None for t in parts):
                continue
            texts = [digits(_text_value(t.value)) if t else "" for t in parts]
            value, prob = make_date(*texts)
            raw = None if not any(texts) else f"{texts[0]}年{texts[1]}月{texts[2]}日"
            page, box = where([t for t in parts if t])
            out[name] = Reading(name, value, raw, page, box, "acroform", 1.0, prob)
            continue
        t = by_name.get(name)
        if t is None:
            continue
        page, box = where([t])
        if ftype == "checkbox":
            state = _state_name(t.value)
            if state is None and t.value is None:  # a viewer that set only the widget's /AS
                state = next((s for s in (_widget_state(wd) for _, wd in t.widgets) if s), None)
            out[name] = Reading(name, state is not None, state, page, box, "acroform", 1.0)
        elif ftype == "choice":
            out[name] = _choice(name, f.choices, t, page, box)
        else:
            text = clean_field_value(_text_value(t.value))
            if ftype in ("integer", "decimal"):
                num, prob, converted = parse_number(text, (col or f).unit, ftype == "integer")
                conf = 0.9 if converted else 1.0
                out[name] = Reading(name, num, text or None, page, box, "acroform", conf, prob)
            elif text and (bad := _appearance_problem(t, text)):
                # what prints is not the value: the value is read, the reviewer told
                value = _join_lines(text) if ftype == "text" else text
                out[name] = Reading(name, value or None, text, page, box, "acroform", 0.7,
                                    problem(bad))
            elif ftype == "text" and "\n" in text:
                # a one-line value a viewer let the filler break (its box wraps): the lines
                # joined, with a space only between two Latin words
                joined = _join_lines(text)
                out[name] = Reading(name, joined or None, text, page, box, "acroform", 0.9)
            else:
                out[name] = Reading(name, text if text != "" else None, text or None, page, box,
                                    "acroform", 1.0)
    return out


#: the resource name of the Song subset xieyi draws its own appearances with (generator.pdf)
_XIEYI_AP_FONT = "/F1"
#: the typing font xieyi embeds (forms.layout.TYPING_NAME): tools encode it right
_XIEYI_TYPING_FONT = "XieyiTypingHei"


def _appearance_problem(t: Terminal, value: str) -> str | None:
    """What is wrong with the appearance a tool drew for a field, with fonts of its own:
    ``appearance_clipped`` when its text runs out of the box (neither PyMuPDF nor pypdf
    breaks lines between Chinese characters: a long value is cut off in print),
    ``appearance_mismatch`` when it shows other text than the value (PyMuPDF writes
    characters outside the BMP in a two-byte encoding; pypdf cannot encode for a font it
    has no file of).  Appearances xieyi drew are not looked at (no cost)."""
    want = "".join(value.split())
    for _idnum, wd in t.widgets:
        n, fonts = _tool_appearance(wd)
        if n is None:
            continue
        if _runs_out_of_box(n, fonts):
            return "appearance_clipped"
        # the typing font xieyi embeds: tools encode it right, and its ToUnicode is long
        # to read; any other font's text is read and compared
        if all(_XIEYI_TYPING_FONT in str(_resolve(f).get("/BaseFont", ""))
               for f in fonts.values() if isinstance(_resolve(f), DictionaryObject)):
            continue
        drawn = _appearance_text(n)
        if drawn is not None and "".join(drawn.split()) != want:
            return "appearance_mismatch"
    return None


def _tool_appearance(wd: DictionaryObject):
    """(appearance stream, its fonts) of a widget whose appearance is not xieyi's own."""
    ap = _resolve(wd.get("/AP"))
    n = _resolve(ap.get("/N")) if isinstance(ap, DictionaryObject) else None
    if not isinstance(n, StreamObject):
        return None, None
    res = _resolve(n.get("/Resources"))
    fonts = _resolve(res.get("/Font")) if isinstance(res, DictionaryObject) else None
    if not isinstance(fonts, DictionaryObject) or not fonts or set(fonts) == {_XIEYI_AP_FONT}:
        return None, None
    return n, fonts


def _runs_out_of_box(n: StreamObject, fonts: DictionaryObject) -> bool:
    """Whether a line of the appearance's text starts left of its box or ends right of it:
    positions from Td/TD/Tm/T*/'/", widths estimated (a two-byte code is a Chinese character,
    one em; a one-byte code half an em), so only a clear overrun counts."""
    try:
        from pypdf.generic import ContentStream

        bbox = [float(_resolve(v)) for v in _resolve(n.get("/BBox"))]
        width = bbox[2] - bbox[0]
        ops = ContentStream(n, None).operations
    except Exception:  # an appearance pypdf cannot read: no claim
        return False
    # only the horizontal position matters: a new line (T*, ', ") starts at the line's x
    x = line_x = size = 0.0
    wide = False
    for operands, op in ops[:2000]:
        try:
            if op == b"BT":
                x = line_x = 0.0
            elif op in (b"Td", b"TD"):
                line_x += float(operands[0])
                x = line_x
            elif op == b"Tm":
                line_x = x = float(operands[4])
            elif op == b"T*":
                x = line_x
            elif op == b"Tf":
                size = float(operands[1])
                f = _resolve(fonts.get(operands[0]))
                wide = isinstance(f, DictionaryObject) and f.get("/Subtype") == "/Type0"
            elif op in (b"Tj", b"TJ", b"'", b'"'):
                if op in (b"'", b'"'):
                    x = line_x
                items = operands[-1] if op != b"TJ" else operands[0]
                strings = [items] if op != b"TJ" else [i for i in items if not isinstance(i, (int, float))]
                n_codes = sum(len(bytes(s) if not isinstance(s, str) else s.encode("latin-1", "replace"))
                              for s in strings)
                w = (n_codes / 2 * 1.0 if wide else n_codes * 0.5) * size
                if x < -0.05 * size:
                    return True
                x += w
                if x > width + 0.5 * size:
                    return True
        except (TypeError, ValueError, IndexError, KeyError):
            continue
    return False


def _appearance_text(n: StreamObject) -> str | None:
    res = _resolve(n.get("/Resources"))
    try:
        from pypdf import PageObject

        page = PageObject.create_blank_page(width=1, height=1)
        page[NameObject("/Resources")] = res
        page[NameObject("/Contents")] = n.indirect_reference or n
        return page.extract_text()
    except Exception:  # an appearance pypdf cannot read: nothing to compare, no claim
        return None


def _join_lines(text: str) -> str:
    parts = [ln.strip() for ln in text.split("\n") if ln.strip()]
    out = ""
    for part in parts:
        if out and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() \
                and part[0].isalnum():
            out += " "
        out += part
    return out


def _choice(name: str, choices: tuple[str, ...], t: Terminal, page, box) -> Reading:
    state = _state_name(t.value)
    kids = [wd for _, wd in t.widgets]
    if state is None and t.value is None:
        on = [s for s in (_widget_state(wd) for wd in kids) if s]
        state = on[0] if len(on) == 1 else None
        if len(on) > 1:
            return Reading(name, None, "、".join(on), page, box, "acroform", 1.0,
                           problem("choice_ambiguous"))
    if state is None:
        return Reading(name, None, None, page, box, "acroform", 1.0)
    by_key = {key(c): c for c in choices}
    # the export value by position (/0, /1 … with /Opt: xieyi's own files, and any tool's
    # that follows PDF 32000 12.7.4.2.3): the label /Opt gives for it
    if t.opt and state.isdigit() and int(state) < len(t.opt):
        label = t.opt[int(state)]
        if label in choices or key(label) in by_key:
            return Reading(name, label if label in choices else by_key[key(label)], state,
                           page, box, "acroform", 1.0 if label in choices else 0.95)
    if state in choices:
        return Reading(name, state, state, page, box, "acroform", 1.0)
    if key(state) in by_key:
        return Reading(name, by_key[key(state)], state, page, box, "acroform", 0.95)
    # a renamed state: the position of the button that carries it, in our order
    if len(kids) == len(choices):
        for i, wd in enumerate(kids):
            if state in _on_states(wd):
                return Reading(name, choices[i], state, page, box, "acroform", 0.8)
    return Reading(name, None, state, page, box, "acroform", 1.0, problem("choice_unknown"))
