"""Rendering an agreement: the PDF drawn directly, the DOCX through docxtpl, one text source.

Both carry the same identity stamp (DESIGN §2 "every generated PDF carries its
template id, version and a hash of its spec"): template id, version, the text
source's sha256 and the sha256 of the party data (``parties_hash``), in the PDF's
/Info (``/XieyiForm``, ``/XieyiVersion``, ``/XieyiSpecHash``, ``/XieyiPartiesHash``
and the ``xieyi-…`` keywords ``generator.docx.read_stamp`` reads) and in the
DOCX's core properties (subject and keywords, which LibreOffice and Word carry
over into a PDF they export).
"""

from __future__ import annotations

from typing import Any

from forms.errors import FieldProblem, InputInvalid, PartiesInvalid

from forms import stamp_keywords, stamp_subject

from ._content import document
from ._loader import get_agreement
from ._model import AgreementText
from ._parties import display_values, parties_hash, validate_parties

FORMATS = ("pdf", "docx")


def stamp(text: AgreementText, phash: str) -> dict[str, str]:
    """The identity entries: subject, keywords and xieyi's own /Info keys."""
    return {
        "Subject": stamp_subject(text.id, text.version),
        "Keywords": stamp_keywords(text.id, text.version, text.spec_hash, parties=phash),
        "XieyiForm": text.id,
        "XieyiVersion": text.version,
        "XieyiSpecHash": text.spec_hash,
        "XieyiPartiesHash": phash,
    }


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputInvalid(
            f"不支持的格式：{fmt}（可选：{'、'.join(FORMATS)}）",
            f"unsupported format: {fmt} (one of: {', '.join(FORMATS)})",
            [FieldProblem("format", "not_a_choice", f"格式：只能选择 {'、'.join(FORMATS)}",
                          f"format: must be one of {', '.join(FORMATS)}")])
    return fmt


def _check_glyphs(values: dict[str, str]) -> None:
    """A value the PDF's font cannot draw is reported on its field, not drawn as a box."""
    from generator.pdf._document import missing_glyphs

    problems = []
    for key, v in values.items():
        bad = missing_glyphs(v) if v else []
        if bad:
            shown = "".join(bad[:5])
            problems.append(FieldProblem(
                key, "unprintable",
                f"{key}：含有字体中没有的字符 {shown}（U+{ord(bad[0]):04X}），无法印出",
                f"{key}: holds characters the font lacks: {shown} (U+{ord(bad[0]):04X})"))
    if problems:
        raise PartiesInvalid(problems)


def render_typed(text: AgreementText, typed: dict | None, fmt: str) -> bytes:
    """Render already validated party data (``validate_parties``; None: a blank agreement)."""
    check_format(fmt)
    values = display_values(text, typed)
    phash = parties_hash(typed)
    if fmt == "pdf":
        from generator.pdf._document import render_document

        _check_glyphs(values)
        doc = document(text, values, stamp(text, phash), f"{text.id}|{text.spec_hash}|{phash}")
        return render_document(doc)
    from ._docx import render_docx

    return render_docx(text, values, stamp(text, phash))


def render_agreement(jurisdiction: str, category: str, parties: Any, fmt: str = "pdf") -> bytes:
    """The agreement for ``jurisdiction``/``category`` filled with ``parties`` (a JSON-like
    dict, see ``generator.agreement._parties``; ``None`` for a blank agreement to fill by
    hand), as PDF or DOCX bytes.  Raises ``UnknownAgreement``, ``PartiesInvalid`` or
    ``InputInvalid`` (format) before anything is drawn."""
    check_format(fmt)
    text = get_agreement(jurisdiction, category)
    typed = None if parties is None else validate_parties(text, parties)
    return render_typed(text, typed, fmt)
