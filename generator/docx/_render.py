"""Rendering a form's DOCX, blank or pre-filled, with docxtpl.

``render_docx`` fills the template built in memory from the description
(``build_template``, cached per description); it never reads the committed
``templates/*.docx``, so a rendering always matches the description it is
asked for.  The committed templates are for people (to open, review, edit by
hand) and are kept equal to a fresh build by ``check-templates``.

docxtpl runs with ``autoescape=True`` always (DESIGN §3).  On top of that the
context is made inert:

* strings are HTML-escaped into ``Markup`` here, with ``{`` and ``}`` as
  character references: docxtpl rewrites ``{_{``, ``}_}``, ``{_%``, ``%_}``
  in its output into Jinja delimiters, which would alter a value holding them;
* line ends become ``\\n`` (docxtpl turns ``\\n`` into a line break, so a
  multiline value keeps its lines) and the control characters XML forbids are
  dropped, including ``\\a`` and ``\\f``, which docxtpl would turn into a new
  paragraph or a page break;
* choice values are only compared, never printed, so they stay plain.

Speed: docxtpl cleans up and compiles the document XML on every rendering;
both depend on the template only, so they are cached (``_patched``,
``_Environment``): a rendering of jingdezhen-application took ~55 ms
without, ~10 ms with them.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import Environment
from markupsafe import Markup, escape

from forms import Field, FormSpec
from generator._context import display_context

from ._build import apply_stamp, build_template

# C0 controls other than tab and line feed (XML 1.0 forbids them, and docxtpl
# turns \a and \f into a new paragraph and a page break), and XML non-characters
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")


class _Environment(Environment):
    """autoescape on, and each template source compiled once.

    docxtpl compiles the whole document XML again on every rendering; the
    source is the same for every rendering of a form, so the compiled
    template is kept (bounded: a few sources per form).
    """

    _MAX = 256

    def __init__(self) -> None:
        super().__init__(autoescape=True)
        self._compiled: dict[str, Any] = {}

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        tpl = self._compiled.get(source)
        if tpl is None:
            if len(self._compiled) >= self._MAX:
                self._compiled.clear()
            tpl = self._compiled[source] = super().from_string(source)
        return tpl


_ENV = _Environment()


@lru_cache(maxsize=64)
def _patched(src_xml: str) -> str:
    return DocxTemplate.patch_xml(None, src_xml)


class _Template(DocxTemplate):
    """docxtpl's template with its XML clean-up (a pure function of the XML) cached."""

    def patch_xml(self, src_xml):
        return _patched(src_xml)


def inert(value: str) -> Markup:
    """A display string as markup that docxtpl copies literally into the XML."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return Markup(str(escape(value)).replace("{", "&#123;").replace("}", "&#125;"))


def _prepare(f: Field, v: Any) -> Any:
    if f.type in ("text", "multiline", "integer", "decimal"):
        return inert(v)
    if f.type == "date":
        return {k: inert(s) for k, s in v.items()}
    if f.type == "rows":
        return [{c.id: _prepare(c, row[c.id]) for c in f.columns} for row in v]
    return v  # choice (compared only), checkbox (bool)


def docx_context(spec: FormSpec, record: dict[str, Any] | None) -> dict[str, Any]:
    """The docxtpl context: the shared display context, made inert."""
    ctx = display_context(spec, record or {})
    return {f.id: _prepare(f, ctx[f.id]) for f in spec.fields}


def render_docx(spec: FormSpec, record: dict[str, Any] | None = None) -> bytes:
    """The form as DOCX bytes, blank (``record`` None) or pre-filled.

    ``record`` is a typed record from ``forms.validate_record``.
    """
    tpl = _Template(io.BytesIO(build_template(spec)))
    tpl.render(docx_context(spec, record), jinja_env=_ENV, autoescape=True)
    # docxtpl renders some core properties as templates; set the stamp again
    apply_stamp(tpl.docx.core_properties, spec)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()
