"""An agreement text as a flowing document: the one structure both the PDF and the DOCX draw.

``document(text, values)`` gives a :class:`~generator.pdf._document.FlowDocument`
whose spans carry the display values (for the PDF) and the placeholder each
value fills (``Span.field``, for the DOCX template's tags).  The paragraphs that
hold no value are built once per text and shared by every document, so their
line layout is computed once per process.
"""

from __future__ import annotations

import re
import threading

from generator.pdf._document import (
    FlowDocument,
    Para,
    SignatureBlock,
    SignatureCell,
    SignatureRow,
    Span,
)

from ._model import PARTIES, PARTY_FIELDS, PARTY_NAMES, AgreementText

IDEOGRAPHIC_SPACE = "\u3000"
TITLE_SIZE = 22.0  # 二号
#: blanks in the DOCX template, in ideographic spaces: a line to write on
BLANK_CITY = IDEOGRAPHIC_SPACE * 3
BLANK_DATE = f"{IDEOGRAPHIC_SPACE * 4}年{IDEOGRAPHIC_SPACE * 2}月{IDEOGRAPHIC_SPACE * 2}日"
#: signature rows: the seal line takes room for a seal (about 32 mm), the signature two lines
SEAL_LINES = 4
SIGN_LINES = 2

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def spread_label(label: str) -> str:
    """A two-character label set to four characters' width, as printed (甲　　方, 地　　址)."""
    if len(label) == 2:
        return label[0] + IDEOGRAPHIC_SPACE * 2 + label[1]
    return label


def sig_field_name(party: str, row: str) -> str:
    """The AcroForm name of a signature field: ``party_a_seal``, ``party_b_signature``."""
    return f"{party}_{'seal' if row == 'seal' else 'signature'}"


def _body(p: str, values: dict | None, **kw) -> Para:
    """A paragraph of official text; ``{city}`` and ``{term}`` filled from ``values``."""
    spans = []
    pos = 0
    for m in _PLACEHOLDER.finditer(p):
        if m.start() > pos:
            spans.append(Span(p[pos:m.start()]))
        name = m.group(1)
        v = (values or {}).get(name, "")
        if name == "city":
            # the plaque's city: a blank to fill (underlined), as 山西省（**市） leaves it
            spans.append(Span(v or BLANK_CITY, underline=True, field="city", blank=BLANK_CITY))
        else:
            spans.append(Span(v, field=name))
        pos = m.end()
    if pos < len(p):
        spans.append(Span(p[pos:]))
    return Para(tuple(spans), **kw)


class _Skeleton:
    """The blocks of a text, with the ones that hold values as builders."""

    def __init__(self, text: AgreementText):
        self.text = text
        self.items: list = []  # Para | ("header", party, i) | ("body", str, kw) | ("sig",)
        chars: set[str] = set()
        add = self.items.append

        for line in text.title_lines:
            add(Para((Span(line, bold=True),), size=TITLE_SIZE, align="center", leading=1.5))
        for party in PARTIES:
            for i in range(len(PARTY_FIELDS)):
                add(("header", party, i))
        add(Para((Span(text.preamble),), first_indent=2, space_before=1.0))
        for ch in text.chapters:
            title = f"{ch.label}{IDEOGRAPHIC_SPACE}{ch.heading}"
            add(Para((Span(title, bold=True),), align="center", space_before=0.5,
                     keep_with_next=True, outline=(0, title), heading=True))
            for a in ch.articles:
                for pi, p in enumerate(a.paragraphs):
                    kw = {"first_indent": 2}
                    if pi == 0:
                        kw["outline"] = (1, a.label)
                    lead = (Span(a.label, bold=True), Span(IDEOGRAPHIC_SPACE)) if pi == 0 else ()
                    if _PLACEHOLDER.search(p):
                        add(("body", lead, p, kw))
                    else:
                        add(Para(lead + (Span(p),), **kw))
                for ii, item in enumerate(a.items):
                    add(Para((Span(a.item_label(ii) + item),), first_indent=2))
        add(("sig",))

        for it in self.items:
            if isinstance(it, Para):
                for sp in it.spans:
                    chars.update(sp.text)
            elif it[0] == "body":
                chars.update(_PLACEHOLDER.sub("", it[2]))
                for sp in it[1]:
                    chars.update(sp.text)
        for labels in text.header:
            for label in labels:
                chars.update(spread_label(label) + "：")
        for row in (text.seal, text.sign):
            for label in row:
                chars.update(label)
        # what dates and the term are written with
        chars.update(BLANK_DATE + BLANK_CITY + "0123456789一两年")
        self.static_chars = frozenset(chars)

    def blocks(self, values: dict | None) -> list:
        out = []
        text = self.text
        for it in self.items:
            if isinstance(it, Para):
                out.append(it)
            elif it[0] == "header":
                _kind, party, i = it
                label = spread_label(text.header[PARTIES.index(party)][i]) + "："
                key = f"{party}.{PARTY_FIELDS[i]}"
                v = (values or {}).get(key, "")
                space = 0.5 if (i == 0 and party == "party_b") else 0.0
                space = 1.0 if (i == 0 and party == "party_a") else space
                out.append(Para((Span(label), Span(v, field=key, fill=True,
                                                   blank=IDEOGRAPHIC_SPACE * 12)),
                                align="left", hang=True, space_before=space))
            elif it[0] == "body":
                _kind, lead, p, kw = it
                para = _body(p, values, **kw)
                out.append(Para(lead + para.spans, **kw))
            else:
                out.append(self.signature(values))
        return out

    def signature(self, values: dict | None) -> SignatureBlock:
        text = self.text
        rows = []
        for row, labels, lines in (("seal", text.seal, SEAL_LINES),
                                   ("sign", text.sign, SIGN_LINES)):
            cells = []
            for party, label in zip(PARTIES, labels):
                tip = label.rstrip("：")
                if not tip.startswith(PARTY_NAMES[party]):
                    tip = f"{PARTY_NAMES[party]}{tip}"
                cells.append(SignatureCell((Span(label),), (sig_field_name(party, row), tip)))
            rows.append(SignatureRow(tuple(cells), lines))
        dates = []
        for party in PARTIES:
            key = f"{party}.signed_on"
            v = (values or {}).get(key, "")
            dates.append(SignatureCell((Span(v or BLANK_DATE, field=key, blank=BLANK_DATE),),
                                       align="right"))
        rows.append(SignatureRow(tuple(dates), 1))
        return SignatureBlock(tuple(rows))


_skeletons: dict = {}
_lock = threading.Lock()


def skeleton(text: AgreementText) -> _Skeleton:
    key = (text.id, text.spec_hash)
    sk = _skeletons.get(key)
    if sk is None:
        with _lock:
            sk = _skeletons.get(key)
            if sk is None:
                sk = _skeletons[key] = _Skeleton(text)
    return sk


def document(text: AgreementText, values: dict | None, info: dict, key: str) -> FlowDocument:
    """The flowing document of ``text`` filled with display ``values`` (None: blank)."""
    sk = skeleton(text)
    return FlowDocument(sk.blocks(values), text.title, info, sk.static_chars, key)


__all__ = ["document", "skeleton", "spread_label", "sig_field_name"]
