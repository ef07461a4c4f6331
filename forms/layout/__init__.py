"""The printed shape of every form: its typeface, its page layout, its geometry.

Both directions need it: ``generator.pdf`` draws a form where this layout puts
each text and box, and ``parser`` reads a flattened or exported page back by
where that same layout put them.  So it lives with the form descriptions, not
in either direction.

>>> from forms import get_form
>>> from forms.layout import layout_geometry
>>> geometry = layout_geometry(get_form("jingdezhen-application"))

* ``layout(spec, font)``: pages of positioned texts, lines and widgets
  (``_layout``), computed once per description and font;
* ``layout_geometry(spec)``: the same as plain data in points from the page's
  top-left corner, for the parser;
* ``prepared_font(kind)`` / ``prepared_font_path(kind)``: the prepared Song and
  typing fonts (``_font``), whose advance widths the layout measures with.

Imported only where it is used: loading the prepared font costs time that a
command which only lists forms should not pay.
"""

from __future__ import annotations

import copy
import threading

from forms._model import FormSpec

from ._font import (
    HEX4,
    SONG_NAME,
    TYPING_NAME,
    ExtensibleSubset,
    FontStreams,
    PreparedFont,
    cache_dir,
    covered_codepoints,
    prepared_font,
    prepared_font_path,
    reset_cache,
)
from ._layout import (
    ASCENT,
    MM,
    NO_END,
    NO_START,
    PAGE_H,
    PAGE_W,
    Layout,
    Page,
    Widget,
    break_lines,
    layout,
)

__all__ = [
    "layout_geometry", "layout", "Layout", "Page", "Widget", "break_lines",
    "ASCENT", "MM", "NO_END", "NO_START", "PAGE_H", "PAGE_W",
    "HEX4", "SONG_NAME", "TYPING_NAME", "ExtensibleSubset", "FontStreams", "PreparedFont",
    "cache_dir", "covered_codepoints", "prepared_font", "prepared_font_path", "reset_cache",
]


_geometry_cache: dict = {}
_geometry_lock = threading.Lock()


def _r(v: float) -> float:
    return round(v, 2)


def _bbox(b) -> tuple[float, float, float, float]:
    return tuple(_r(v) for v in b)


def _build_geometry(spec: FormSpec) -> dict:
    lay = layout(spec, prepared_font("song"))
    official = spec.official_texts()
    pages = []
    for page in lay.pages:
        fields: dict[str, dict] = {}
        for wd in page.widgets:
            if wd.kind == "radio":
                entry = fields.setdefault(wd.name, {"kind": "radio", "bbox": _bbox(wd.rect),
                                                    "cell": _bbox(wd.cell) if wd.cell else None,
                                                    "options": {}})
                entry["options"][wd.option] = _bbox(wd.rect)
                x0, t, x1, b = entry["bbox"]
                entry["bbox"] = (min(x0, _r(wd.rect[0])), min(t, _r(wd.rect[1])),
                                 max(x1, _r(wd.rect[2])), max(b, _r(wd.rect[3])))
            else:
                fields[wd.name] = {"kind": wd.kind, "bbox": _bbox(wd.rect),
                                   "cell": _bbox(wd.cell) if wd.cell else None,
                                   "multiline": wd.multiline}
        texts: list[dict] = []
        by_src: dict[int, dict] = {}
        for t in page.texts:
            top = t.baseline - 0.88 * t.size
            box = (t.x, top, t.x + t.width, top + t.size)
            if t.src is None:
                texts.append({"text": t.text, "role": t.role, "index": None,
                              "bbox": _bbox(box), "lines": [_bbox(box)]})
                continue
            entry = by_src.get(t.src)
            if entry is None:
                entry = {"text": official[t.src], "role": "official", "index": t.src,
                         "bbox": _bbox(box), "lines": []}
                by_src[t.src] = entry
                texts.append(entry)
            entry["lines"].append(_bbox(box))
            x0, tp, x1, b = entry["bbox"]
            entry["bbox"] = (min(x0, _r(box[0])), min(tp, _r(box[1])),
                             max(x1, _r(box[2])), max(b, _r(box[3])))
        pages.append({"fields": fields, "texts": texts})
    return {
        "form": spec.id,
        "spec_hash": spec.spec_hash,
        "page_size": (_r(PAGE_W), _r(PAGE_H)),
        "units": "pt",
        "origin": "top-left",
        "pages": pages,
    }


def layout_geometry(spec: FormSpec) -> dict:
    """Where things are on the rendered pages, for the parser.

    ``{"page_size": (w, h), "origin": "top-left", "units": "pt", "pages": [page…]}``;
    each page is ``{"fields": {name: field}, "texts": [text…]}``, boxes are
    ``(x0, top, x1, bottom)`` in points from the page's top-left corner (as
    pdfplumber's words).  A field is ``{"kind": "text"|"checkbox"|"radio",
    "bbox", "cell"}`` (``cell``: the table cell it sits in, or None), plus
    ``"multiline"`` for text and ``"options": {label: bbox}`` for a radio group.
    A text is ``{"text", "role", "index", "bbox", "lines"}``: role ``official``
    (``index`` into ``spec.official_texts()``, ``text`` the whole stripped run,
    ``lines`` a box per wrapped line on this page), ``choice`` (a choice
    label printed before its box) or ``date`` (年 月 日 after date parts).
    Computed once per description; each call returns a fresh copy.
    """
    key = (spec.id, spec.spec_hash or hash(spec))
    geo = _geometry_cache.get(key)
    if geo is None:
        geo = _build_geometry(spec)
        with _geometry_lock:
            _geometry_cache[key] = geo
    return copy.deepcopy(geo)


