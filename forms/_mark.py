"""The page mark: a small QR code in the bottom margin of every page of a form's PDF,
outside the official content, that says which form, which version of its description
and which page it is.  A scan or photograph of a printed page is then identified
without guessing from its text.

Written by the PDF generator, read from page images by the parser; one format for both
directions, so it lives with the descriptions (as the identity stamp does):
``xieyi/1/<form id>/<version>/<page>``, the ``1`` being the format's own version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARK_PREFIX = "xieyi/1/"
_MARK = re.compile(r"^xieyi/1/([a-z0-9-]{1,64})/([0-9A-Za-z.\-]{1,20})/([1-9][0-9]{0,2})$")
#: side of one QR module in points (0.5 mm): 3 pixels at 150 dpi, the lowest scan resolution
MODULE_PT = 1.44
#: the mark's place: its right edge and its bottom this far from the page's edges (points)
MARK_RIGHT = 36.0
MARK_BOTTOM = 22.0


@dataclass(frozen=True)
class PageMark:
    form: str
    version: str
    page: int


def mark_text(form: str, version: str, page: int) -> str:
    text = f"{MARK_PREFIX}{form}/{version}/{page}"
    if read_mark(text) is None:
        raise ValueError(f"no page mark can say {text!r}")
    return text


def read_mark(text: str) -> PageMark | None:
    """The mark a decoded QR text is, or None when it is not one of ours."""
    m = _MARK.match(text.strip())
    return PageMark(m.group(1), m.group(2), int(m.group(3))) if m else None


def mark_modules(text: str) -> list[list[bool]]:
    """The QR code of ``text`` as rows of modules (True: dark), without its quiet zone.
    Error correction M: a seal's edge or a fold over a few modules still reads."""
    import segno

    qr = segno.make(text, error="m", micro=False, boost_error=False)
    return [[bool(v) for v in row] for row in qr.matrix]
