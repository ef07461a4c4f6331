"""Fillable PDFs of the forms, drawn directly (DESIGN §2).

>>> from forms import get_form
>>> from generator.pdf import render_pdf
>>> pdf = render_pdf(get_form("jingdezhen-application"))          # blank form

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
viewer, ``"song"`` embeds the whole Song font of the pages (GBK and CJK
Extension A, about 9 MB) so typed values look like the form body.  Values we
fill in are always drawn with the embedded Song subset.
"""

from __future__ import annotations

from forms import FormSpec
from forms.errors import FontUnavailable
from forms.layout import prepared_font_path

from ._render import TYPING_FONTS, render as _render_values

__all__ = ["render_pdf", "prepare_fonts", "TYPING_FONTS", "FontUnavailable"]


def render_pdf(spec: FormSpec, record: dict | None = None, *, typing_font: str = "viewer") -> bytes:
    """The form as a fillable PDF, blank (``record=None``) or pre-filled from a typed record."""
    from generator._context import pdf_values

    values = pdf_values(spec, record or {})
    return _render_values(spec, values, typing_font)


def prepare_fonts() -> dict[str, str]:
    """Prepare (or find cached) both fonts; returns {kind: path}."""
    return {kind: str(prepared_font_path(kind)) for kind in ("song", "typing")}
