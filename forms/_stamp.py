"""The identity stamp: what a document xieyi made says about the description it came from.

Written by the generators (DOCX core properties, PDF ``/Info``), read back by the
parser from a DOCX or from the PDF that Word, WPS or LibreOffice exports of it.
One format for both directions, so it lives with the descriptions.

Which core properties reach an exported PDF (measured with LibreOffice: ``title``,
``subject``, ``keywords``, ``author`` do; ``identifier``, ``version``,
``comments``, ``category`` do not) and how LibreOffice rewrites keywords (split at
spaces, commas, semicolons and colons, joined again with ", ") fix the format:

* ``subject``  = ``xieyi:<id>@<version>``;
* ``keywords`` = ``xieyi-form=<id>, xieyi-version=<version>, xieyi-spec=<hash>``
  (``key=value`` tokens joined by ", " survive the rewrite), plus any extra
  tokens (an agreement adds ``xieyi-parties=<hash>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: author and last-modified-by of every document xieyi writes
STAMP_AUTHOR = "xieyi"


@dataclass(frozen=True)
class Stamp:
    """What a generated document says about the description it came from."""

    form_id: str
    version: str
    spec_hash: str | None


def stamp_subject(doc_id: str, version: str) -> str:
    return f"xieyi:{doc_id}@{version}"


def stamp_keywords(doc_id: str, version: str, spec_hash: str | None, **extra: str) -> str:
    tokens = {"form": doc_id, "version": version, "spec": spec_hash, **extra}
    return ", ".join(f"xieyi-{k}={v}" for k, v in tokens.items())


_SUBJECT = re.compile(r"^xieyi:(?P<id>[a-z][a-z0-9-]*)@(?P<version>\S+)$")
_KEYWORD = re.compile(r"(xieyi-(?:form|version|spec))=([^\s,;:]+)")


def read_stamp(subject: str | None, keywords: str | None) -> Stamp | None:
    """The stamp from a DOCX's core properties or a PDF's /Info (subject, keywords).

    Keywords are read first (they carry the spec hash); the subject is the
    fallback for form id and version.  ``None`` when neither is ours.
    """
    kw = dict(_KEYWORD.findall(keywords or ""))
    m = _SUBJECT.match((subject or "").strip())
    form_id = kw.get("xieyi-form") or (m and m.group("id"))
    version = kw.get("xieyi-version") or (m and m.group("version"))
    if not form_id or not version:
        return None
    return Stamp(form_id=form_id, version=version, spec_hash=kw.get("xieyi-spec"))
