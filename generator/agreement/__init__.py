"""The service agreements, word for word, ready for signature (issue 6).

>>> from generator.agreement import render_agreement
>>> pdf = render_agreement("shanxi", "medical", parties, "pdf")     # or "docx"
>>> blank = render_agreement("shanxi", "rehab", None, "pdf")         # to fill by hand

Each agreement's official text is held once (``texts/<jurisdiction>-<category>.yaml``,
loaded strictly by ``_loader``); the PDF (drawn directly, ``generator.pdf._document``)
and the DOCX (docxtpl, ``_docx``) are both made from it (``_content``).  Party data
is checked field by field (``validate_parties``: ``PartiesInvalid`` with a Chinese
and an English message per field).  ``run_batch`` writes one file per institution
and a zip.

PDF facts a reader can rely on: A4; a bookmark per chapter (articles below it);
empty signature fields ``party_a_seal``, ``party_a_signature``, ``party_b_seal``,
``party_b_signature`` (/FT /Sig) on the last page; /Info ``XieyiForm`` (the text id,
``shanxi-medical``), ``XieyiVersion``, ``XieyiSpecHash`` (sha256 of the text source)
and ``XieyiPartiesHash`` (``parties_hash``: sha256 of the canonical JSON of the
party data), repeated in the keywords as ``xieyi-…=`` pairs.
"""

from ._batch import BatchResult, Row, read_rows, rows_from_csv, rows_from_json, run_batch, unique_name, \
    safe_stem
from ._content import sig_field_name
from ._loader import TEXT_DIR, all_agreements, get_agreement, load_text_file, parse_text
from ._model import (
    CATEGORIES,
    CATEGORY_NAMES,
    PARTIES,
    PARTY_FIELDS,
    PARTY_NAMES,
    AgreementText,
    Article,
    Chapter,
    chinese_number,
)
from ._parties import (
    CITIES,
    FIELD_LABELS,
    TERMS,
    PartySchema,
    PartiesSchema,
    display_values,
    parties_hash,
    parties_json,
    validate_parties,
)
from ._render import FORMATS, render_agreement, render_typed, stamp

#: the AcroForm signature fields of every agreement PDF
SIGNATURE_FIELDS = tuple(sig_field_name(p, r) for p in PARTIES for r in ("seal", "sign"))

__all__ = [
    "AgreementText", "Article", "Chapter", "CATEGORIES", "CATEGORY_NAMES", "CITIES", "FORMATS",
    "FIELD_LABELS", "TERMS",
    "PARTIES", "PARTY_FIELDS", "PARTY_NAMES", "SIGNATURE_FIELDS", "TEXT_DIR",
    "BatchResult", "Row", "PartySchema", "PartiesSchema",
    "all_agreements", "get_agreement", "load_text_file", "parse_text", "chinese_number",
    "validate_parties", "display_values", "parties_hash", "parties_json",
    "render_agreement", "render_typed", "stamp",
    "read_rows", "rows_from_csv", "rows_from_json", "run_batch", "safe_stem", "unique_name",
]
