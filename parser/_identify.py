"""Which form and version a PDF is.

In order of trust:

1. ``metadata``: our fillable PDF's ``/Info`` (``/XieyiForm``, ``/XieyiVersion``,
   ``/XieyiSpecHash``);
2. ``stamp``: the DOCX's core properties, which Word and LibreOffice carry into an
   exported PDF's ``/Info`` (``/Subject`` ``xieyi:<id>@<version>``, ``/Keywords``
   ``xieyi-form=…, xieyi-version=…, xieyi-spec=…``; ``forms.read_stamp``);
3. ``fields``: the AcroForm's field names equal a form's (metadata stripped by a
   tool that rewrote the file);
4. ``text``: the official title printed on the page, confirmed by the share of the
   form's labels found (an export whose properties were lost).

A form id we do not know is not guessed from: the file is then identified by
its content like any other.  A version or description hash other than ours is
read with our description and reported in ``warnings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forms import FormSpec, all_forms, read_stamp

from ._normalize import key
from ._result import warning

#: share of a form's labels that must be on the page to identify it by its text
TEXT_MATCH = 0.6
#: share of a form's field names an AcroForm must have to be read as that form
FIELDS_MATCH = 0.9


@dataclass
class Identity:
    spec: FormSpec
    by: str
    warnings: list[dict] = field(default_factory=list)


def _forms() -> dict[str, FormSpec]:
    return {s.id: s for s in all_forms()}


def _text(v) -> str | None:
    if v is None:
        return None
    try:
        return str(v)
    except Exception:  # a broken string object: no identity from it
        return None


def _checked(spec: FormSpec, by: str, version: str | None, spec_hash: str | None) -> Identity:
    ident = Identity(spec, by)
    if version and version != spec.version:
        ident.warnings.append(warning(
            None, "version_differs",
            f"文件的表单版本为 {version}，按现行版本 {spec.version} 读取",
            f"the file is version {version} of the form; read with version {spec.version}"))
    elif spec_hash and spec.spec_hash and spec_hash != spec.spec_hash:
        ident.warnings.append(warning(
            None, "description_differs",
            "文件生成后表单说明有过修改，按现行说明读取",
            "the form's description changed since the file was made; read with the current one"))
    return ident


def from_metadata(info: dict) -> Identity | None:
    """From ``/Info`` (our keys, else the DOCX stamp); None when neither names a form we know."""
    specs = _forms()
    form_id = _text(info.get("/XieyiForm"))
    if form_id and form_id in specs:
        return _checked(specs[form_id], "metadata", _text(info.get("/XieyiVersion")),
                        _text(info.get("/XieyiSpecHash")))
    stamp = read_stamp(_text(info.get("/Subject")), _text(info.get("/Keywords")))
    if stamp and stamp.form_id in specs:
        return _checked(specs[stamp.form_id], "stamp", stamp.version, stamp.spec_hash)
    return None


def field_names(spec: FormSpec) -> frozenset[str]:
    return _names(spec)


_NAMES: dict[int, frozenset[str]] = {}


def _names(spec: FormSpec) -> frozenset[str]:
    s = _NAMES.get(id(spec))
    if s is None:
        s = _NAMES[id(spec)] = frozenset(spec.pdf_field_names())
    return s


def fields_match(spec: FormSpec, names: set[str]) -> float:
    """Share of the form's field names present in the file."""
    ours = _names(spec)
    return len(ours & names) / len(ours) if ours else 0.0


def from_fields(names: set[str]) -> Identity | None:
    best, score = None, 0.0
    for spec in all_forms():
        s = fields_match(spec, names)
        extra = len(names - _names(spec)) / max(len(names), 1)
        s -= extra  # a file with many fields of its own is another form
        if s > score:
            best, score = spec, s
    if best is not None and score >= FIELDS_MATCH:
        return Identity(best, "fields")
    return None


def _labels(spec: FormSpec) -> list[str]:
    out = []
    for t in spec.official_texts():
        k = key(t)
        if len(k) >= 2:
            out.append(k)
    return out


def text_score(spec: FormSpec, flow: str, cells: str) -> float:
    """Share of the form's labels printed on the pages (0 without its title)."""
    title = key(spec.title)
    if title not in flow and title not in cells:
        return 0.0
    labels = _labels(spec)
    if not labels:
        return 1.0
    found = sum(1 for k in labels if k in flow or k in cells)
    return found / len(labels)


def from_text(flow: str, cells: str) -> tuple[Identity | None, FormSpec | None, float]:
    """From the printed text: ``flow`` the keys of text outside tables, ``cells`` the keys of
    every table cell joined with a separator.  Also returns the best candidate and score."""
    best, score = None, 0.0
    for spec in all_forms():
        s = text_score(spec, flow, cells)
        # the longer title wins a tie (申请承诺书 over 申请书)
        if s > score or (s == score and best is not None and s > 0
                         and len(spec.title) > len(best.title)):
            best, score = spec, s
    if best is not None and score >= TEXT_MATCH:
        ident = Identity(best, "text")
        ident.warnings.append(warning(
            None, "identified_by_text",
            f"文件中没有表单标识，按标题和标签识别为“{best.title}”（版本 {best.version}）",
            f"the file carries no form identity; identified by its title and labels as "
            f"{best.id} (version {best.version})"))
        return ident, best, score
    return None, best, score
