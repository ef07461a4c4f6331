"""What a regulation text is: its metadata, its corrections and its outline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

CERTAINTIES = ("certain", "probable")
CERTAINTY_ZH = {"certain": "确定", "probable": "推断"}


@dataclass(frozen=True)
class Erratum:
    source: str
    where: str
    printed: str
    corrected: str
    certainty: str
    #: why, for the project's maintainers (English) and for users (Chinese)
    reason: str
    reason_zh: str
    #: the transcription file the text comes from (provenance)
    seed: str

    def to_dict(self) -> dict:
        return {"source": self.source, "where": self.where, "printed": self.printed,
                "corrected": self.corrected, "certainty": self.certainty,
                "certainty_zh": CERTAINTY_ZH[self.certainty], "reason": self.reason,
                "reason_zh": self.reason_zh}


@dataclass(frozen=True)
class Section:
    """A part, chapter, article or numbered item of a text, with its span in the text."""

    #: the path that names it: ("附件3", "第四条") or ("三", "（一）")
    path: tuple[str, ...]
    #: the heading as written (corrected): 第四条, 三、, （一）, 1．
    label: str
    kind: str
    start: int
    end: int

    @property
    def key(self) -> str:
        return " ".join(self.path)


@dataclass(frozen=True)
class Part:
    key: str
    starts: str
    title: str | None


@dataclass(frozen=True)
class SourceText:
    jurisdiction: str
    name: str
    title: str
    #: 文号; None where the document has none (then the title stands for it)
    number: str | None
    issuing_body: str
    issued: dt.date | None
    valid_from: dt.date
    valid_to: dt.date | None
    validity_quote: str
    validity_note: str | None
    published: dict
    seed: str
    sha256: str
    parts: tuple[Part, ...]
    printed: str = field(repr=False)
    corrected: str = field(repr=False)
    #: (corrected start, corrected end, printed start, printed end, erratum)
    marks: tuple[tuple[int, int, int, int, Erratum], ...] = field(repr=False)
    sections: tuple[Section, ...] = field(repr=False)

    @property
    def document(self) -> str:
        """How citations name the document: its 文号, or its title where it has none."""
        return self.number or self.title

    def expired(self, on: dt.date) -> bool:
        return self.valid_to is not None and on > self.valid_to

    def printed_span(self, start: int, end: int) -> str:
        """The printed text behind ``corrected[start:end]``."""
        return self.printed[self._to_printed(start, False):self._to_printed(end, True)]

    def _to_printed(self, pos: int, is_end: bool) -> int:
        delta = 0
        for cs, ce, ps, pe, _ in self.marks:
            if ce <= pos:
                delta = pe - ce
                continue
            if cs < pos:   # inside a correction: take the whole printed span
                return pe if is_end else ps
            break
        return pos + delta

    def errata_in(self, start: int, end: int) -> list[Erratum]:
        return [e for cs, ce, _, _, e in self.marks if cs < end and ce > start]

    def metadata(self) -> dict:
        return {"jurisdiction": self.jurisdiction, "name": self.name, "title": self.title,
                "number": self.number, "document": self.document,
                "issuing_body": self.issuing_body,
                "issued": self.issued.isoformat() if self.issued else None,
                "valid_from": self.valid_from.isoformat(),
                "valid_to": self.valid_to.isoformat() if self.valid_to else None,
                "validity_quote": self.validity_quote, "validity_note": self.validity_note,
                "published": dict(self.published),
                "transcription": {"seed": self.seed, "sha256": self.sha256},
                "parts": [{"key": p.key, "title": p.title} for p in self.parts]}


#: what each state of a document means for someone using xieyi's papers today
STATUS_ZH = {"in_force": "有效", "expired": "已失效", "not_yet_in_force": "尚未施行"}


def validity_on(valid_from: dt.date, valid_to: dt.date | None, document: str,
                today: dt.date) -> dict:
    """Whether a document (or a form of it) is in force ``today``, and what that means.

    ``today`` is given by the caller (the catalogue's date): nothing here reads a clock."""
    if valid_to is not None and today > valid_to:
        status = "expired"
        zh = (f"{document}已于 {valid_to} 期满失效。依据它的表单、评分表和协议文本只能作参考："
              f"经办机构现在可能适用新的文件，使用前请向当地经办机构确认现行规定。")
        en = (f"{document} expired on {valid_to}. Its forms, tables and agreement texts are for "
              f"reference only: the agency may now apply a newer document; check with it first.")
    elif today < valid_from:
        status = "not_yet_in_force"
        zh = f"{document}自 {valid_from} 起施行，目前尚未施行。"
        en = f"{document} takes effect on {valid_from}; it is not yet in force."
    else:
        status = "in_force"
        until = f"至 {valid_to}" if valid_to else "未定终止日期"
        zh = f"{document}现行有效（{valid_from} 起施行，{until}）。"
        en = f"{document} is in force (from {valid_from}" + (f" to {valid_to})." if valid_to else ").")
    return {"status": status, "status_zh": STATUS_ZH[status], "expired": status == "expired",
            "as_of": today.isoformat(), "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
            "message_zh": zh, "message_en": en}
