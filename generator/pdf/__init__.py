"""Fillable PDFs of the forms, drawn directly (DESIGN §2).

>>> from forms import get_form
>>> from generator.pdf import render_pdf, layout_geometry
>>> pdf = render_pdf(get_form("jingdezhen-application"))          # blank form
>>> geometry = layout_geometry(get_form("jingdezhen-application"))

``render_pdf(spec, record)`` takes a typed record (``forms.validate_record``)
or ``None`` and returns the PDF bytes: A4, the official layout in a Song font,
an AcroForm field per value (names: ``spec.pdf_field_names()``), metadata
``/XieyiForm``, ``/XieyiVersion``, ``/XieyiSpecHash``.

Field conventions the parser relies on:

* text fields (dates: ``id.year`` / ``id.month`` / ``id.day``): ``/V`` is the
  display string of ``generator.pdf_values``; an empty field has no ``/V``;
* choice fields: a radio group named by the field id; each button's on-state
  name is its position (``/0``, ``/1`` …) and the group's ``/Opt`` lists the
  official labels in that order, so ``/V`` is ``/<position>`` or ``/Off`` when
  nothing is chosen;
* checkbox fields: on-state ``/Yes``, else ``/Off``.

``typing_font`` picks the font a viewer types new values with (``/DR``):
``"viewer"`` names Adobe-GB1 STSong-Light without embedding it (small files;
the viewer brings its own Chinese font), ``"embedded"`` embeds a whole GBK
font (WenQuanYi Micro Hei cut to GBK, about 1.6 MB) so typing works in any
viewer.  Values we fill in are always drawn with the embedded Song subset.
"""

from __future__ import annotations

import copy
import threading

from forms import FormSpec
from forms.errors import FontUnavailable

from ._font import prepared_font, prepared_font_path
from ._layout import PAGE_H, PAGE_W, layout as _page_layout
from ._render import TYPING_FONTS, render as _render_values

__all__ = ["render_pdf", "layout_geometry", "prepare_fonts", "TYPING_FONTS", "FontUnavailable"]


def render_pdf(spec: FormSpec, record: dict | None = None, *, typing_font: str = "viewer") -> bytes:
    """The form as a fillable PDF, blank (``record=None``) or pre-filled from a typed record."""
    from generator._context import pdf_values

    values = pdf_values(spec, record or {})
    return _render_values(spec, values, typing_font)


_geometry_cache: dict = {}
_geometry_lock = threading.Lock()


def _r(v: float) -> float:
    return round(v, 2)


def _bbox(b) -> tuple[float, float, float, float]:
    return tuple(_r(v) for v in b)


def _build_geometry(spec: FormSpec) -> dict:
    lay = _page_layout(spec, prepared_font("song"))
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


def prepare_fonts() -> dict[str, str]:
    """Prepare (or find cached) both fonts; returns {kind: path}."""
    return {kind: str(prepared_font_path(kind)) for kind in ("song", "typing")}
