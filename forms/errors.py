"""The one error hierarchy of xieyi.

Every error a user can meet carries a stable ``code``, a message in Simplified
Chinese and one in English, and optional per-field ``details``.  The command
line turns them into an exit status, the service into an HTTP status; neither
ever shows a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one field of a record (``field`` is a dotted path)."""

    field: str
    code: str
    message_zh: str
    message_en: str

    def to_dict(self) -> dict:
        return {
            "field": self.field,
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class XieyiError(Exception):
    """Base of every error xieyi raises on purpose."""

    code = "error"
    #: exit status of the command line
    exit_status = 1
    #: HTTP status of the service
    http_status = 500

    def __init__(self, message_zh: str, message_en: str, details: list[FieldProblem] | None = None):
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en
        self.details = list(details or [])

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": [d.to_dict() for d in self.details],
        }

    def __str__(self) -> str:
        lines = [f"{self.message_zh} / {self.message_en}"]
        for d in self.details:
            lines.append(f"  {d.field}: {d.message_zh} / {d.message_en}")
        return "\n".join(lines)


class SpecError(XieyiError):
    """A form description is malformed (a defect of the project, not of the user)."""

    code = "spec_invalid"
    exit_status = 1
    http_status = 500


class UnknownForm(XieyiError):
    code = "unknown_form"
    exit_status = 2
    http_status = 404

    def __init__(self, form_id: str):
        super().__init__(
            f"未知的表单：{form_id}",
            f"unknown form: {form_id}",
        )
        self.form_id = form_id


class InputInvalid(XieyiError):
    """Input given by a user is not acceptable (bad record, bad option)."""

    code = "input_invalid"
    exit_status = 2
    http_status = 422


class RecordInvalid(InputInvalid):
    """A record does not fit its form; ``details`` says which field and why."""

    code = "record_invalid"

    def __init__(self, form_id: str, details: list[FieldProblem]):
        super().__init__(
            f"表单 {form_id} 的数据有 {len(details)} 处错误",
            f"the record for form {form_id} has {len(details)} error(s)",
            details,
        )


class OutputError(XieyiError):
    """The result cannot be written where the user asked."""

    code = "output_unwritable"
    exit_status = 2
    http_status = 500


class FontUnavailable(XieyiError):
    code = "font_unavailable"
    exit_status = 1
    http_status = 500


class AgreementTextInvalid(SpecError):
    """An agreement's text source is malformed (a defect of the project, not of the user)."""

    code = "agreement_text_invalid"


class UnknownAgreement(InputInvalid):
    """No agreement text for that jurisdiction and category.

    HTTP 422 rather than 404: the issue asks an unknown category to be reported
    like any other bad input, with ``details`` naming the path parameter.
    """

    code = "unknown_agreement"


class PartiesInvalid(InputInvalid):
    """The party data of an agreement is incomplete or wrong; ``details`` names each field."""

    code = "parties_invalid"

    def __init__(self, details: list[FieldProblem], where_zh: str = "", where_en: str = ""):
        super().__init__(
            f"{where_zh}协议双方信息有 {len(details)} 处错误",
            f"{where_en}the party data has {len(details)} error(s)",
            details,
        )


class RuleDataInvalid(SpecError):
    """A rule set, fact list or form mapping under ``rules/data`` is malformed (a project defect)."""

    code = "rules_invalid"


class UnknownName(InputInvalid):
    """A name the user gave (jurisdiction, category, kind, step, fact…) that xieyi does not know.

    ``code`` is ``unknown_<what>`` (``unknown_jurisdiction``…), so a client can tell them apart.
    """

    def __init__(self, what: str, what_zh: str, name: str, known: list[str] | tuple[str, ...]):
        listed = "、".join(known)
        super().__init__(
            f"未知的{what_zh}：{name}（可选：{listed}）",
            f"unknown {what.replace('_', ' ')}: {name} (one of: {', '.join(known)})",
        )
        self.code = f"unknown_{what}"
        self.name = name


class CitationNotFound(XieyiError):
    """A jurisdiction or an article that none of the regulation texts xieyi holds has."""

    exit_status = 2
    http_status = 404

    def __init__(self, code: str, message_zh: str, message_en: str):
        super().__init__(message_zh, message_en)
        self.code = code


class ParserUnavailable(XieyiError):
    """A filled PDF was given, but no PDF reader is installed in ``parser`` yet."""

    code = "parser_unavailable"
    exit_status = 1
    http_status = 501


__all__ = [
    "FieldProblem",
    "XieyiError",
    "SpecError",
    "UnknownForm",
    "InputInvalid",
    "RecordInvalid",
    "OutputError",
    "FontUnavailable",
    "AgreementTextInvalid",
    "UnknownAgreement",
    "PartiesInvalid",
    "RuleDataInvalid",
    "UnknownName",
    "ParserUnavailable",
]


# ---- reading filled PDFs back (parser/): command line exit status 3, HTTP 422, or 413 for
# a file over the size or page limit.  Each subclass is one reason a user can act on.

class ParseError(XieyiError):
    """A PDF could not be read as a filled form of ours; the subclass says why."""

    code = "parse_failed"
    exit_status = 3
    http_status = 422


class NotPdf(ParseError):
    code = "not_pdf"


class PdfEncrypted(ParseError):
    code = "pdf_encrypted"


class PdfMalformed(ParseError):
    """Truncated, a broken cross-reference table beyond repair, or objects no reader can parse."""

    code = "pdf_malformed"


class PdfNoPages(ParseError):
    code = "pdf_no_pages"


class PdfNoTextLayer(ParseError):
    """Pages with images and no text: a scan (reading scans, OCR, is later work)."""

    code = "pdf_no_text_layer"


class UnknownTemplate(ParseError):
    """A readable PDF that is none of our forms (another document, another tool's form)."""

    code = "unknown_template"


class PdfTextInvalid(ParseError):
    """A value read from the file holds a character no record may hold (a lone surrogate,
    a control character, a text-direction override: ``forms.text_problems``); ``details``
    names each field.  Refused, as the same text typed into the API would be."""

    code = "pdf_text_invalid"


class PdfTooLarge(ParseError):
    code = "pdf_too_large"
    http_status = 413


class PdfTooManyPages(ParseError):
    code = "pdf_too_many_pages"
    http_status = 413


class ParseTimeout(ParseError):
    code = "parse_timeout"


class ParseResourceLimit(ParseError):
    """Reading the file needed more memory than allowed (a decompression bomb) or crashed."""

    code = "parse_resource_limit"


class ParseInternal(ParseError):
    """A defect of the parser itself on this file (logged; never shown as a traceback)."""

    code = "parse_internal"
    exit_status = 1
    http_status = 500


__all__ += [
    "ParseError", "NotPdf", "PdfEncrypted", "PdfMalformed", "PdfNoPages", "PdfNoTextLayer",
    "UnknownTemplate", "PdfTextInvalid", "PdfTooLarge", "PdfTooManyPages", "ParseTimeout", "ParseResourceLimit",
    "ParseInternal",
]


# ---- scoring/ (evaluation and assessment tables, settlement money)

class ScoringDataInvalid(SpecError):
    """A scoring table under ``scoring/data`` is malformed (a defect of the project)."""

    code = "scoring_data_invalid"


class ScoreInputInvalid(InputInvalid):
    """The input of a scoring or a settlement does not fit; ``details`` names each item."""

    code = "score_input_invalid"

    def __init__(self, what_zh: str, what_en: str, details: list[FieldProblem]):
        super().__init__(
            f"{what_zh}的输入有 {len(details)} 处错误",
            f"the input of {what_en} has {len(details)} error(s)",
            details,
        )


__all__ += ["ScoringDataInvalid", "ScoreInputInvalid"]
