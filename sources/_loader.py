"""Load the five regulation texts and their errata from sources/data, strictly, once."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from pathlib import Path

import yaml

from ._model import CERTAINTIES, Erratum, Part, SourceText
from ._outline import outline
from .errors import SourceDataError, UnknownSource

DATA = Path(__file__).resolve().parent / "data"
#: libyaml's safe loader when PyYAML has it (the same values, a tenth of the time)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ERRATA_FILE = DATA / "errata.yaml"
#: the order the documents are listed in (that of the transcriptions)
JURISDICTIONS = ("jilin", "tianjin", "jingdezhen", "shanxi", "hunan")

_META_KEYS = {"jurisdiction", "name", "title", "number", "issuing_body", "issued", "valid_from",
              "valid_to", "validity_quote", "validity_note", "published", "transcription",
              "parts"}
_ERRATUM_KEYS = {"source", "where", "printed", "corrected", "certainty", "reason", "reason_zh"}


def _fail(where: str, what: str) -> SourceDataError:
    return SourceDataError(f"来源数据有误：{where}：{what}", f"bad source data: {where}: {what}")


def _date(where: str, v) -> dt.date | None:
    if v is None:
        return None
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise _fail(where, f"not a date: {v!r}") from None


def split_file(raw: bytes, where: str) -> tuple[dict, bytes]:
    """The front matter (between the first two ``---`` lines) and the text as printed."""
    if not raw.startswith(b"---\n"):
        raise _fail(where, "no front matter")
    end = raw.find(b"\n---\n", 4)
    if end < 0:
        raise _fail(where, "front matter not closed")
    meta = yaml.load(raw[4:end].decode("utf-8"), Loader=_LOADER)
    return meta, raw[end + 5:]


@functools.cache
def _errata() -> tuple[Erratum, ...]:
    raw = yaml.load(ERRATA_FILE.read_text(encoding="utf-8"), Loader=_LOADER)
    seeds = {j: _meta(j)[0]["transcription"]["seed"] for j in JURISDICTIONS}
    out = []
    seen = set()
    for i, e in enumerate(raw):
        where = f"errata.yaml[{i}]"
        if not isinstance(e, dict) or set(e) != _ERRATUM_KEYS:
            raise _fail(where, f"keys are {sorted(_ERRATUM_KEYS)}")
        if not all(isinstance(v, str) and v.strip() for v in e.values()):
            raise _fail(where, "every value is a non-empty text")
        if e["source"] not in seeds:
            raise _fail(where, f"unknown source {e['source']!r}")
        if e["certainty"] not in CERTAINTIES:
            raise _fail(where, f"certainty is one of {CERTAINTIES}")
        if e["printed"] == e["corrected"]:
            raise _fail(where, "corrected equals printed")
        key = (e["source"], e["printed"])
        if key in seen:
            raise _fail(where, f"listed twice: {e['printed']}")
        seen.add(key)
        out.append(Erratum(seed=seeds[e["source"]], **e))
    return tuple(out)


@functools.cache
def _meta(jurisdiction: str) -> tuple[dict, str]:
    path = DATA / f"{jurisdiction}.txt"
    meta, body = split_file(path.read_bytes(), path.name)
    if set(meta) != _META_KEYS:
        raise _fail(path.name, f"keys are {sorted(_META_KEYS)}")
    t = meta["transcription"]
    if hashlib.sha256(body).hexdigest() != t["sha256"]:
        raise _fail(path.name, "the printed text differs from the transcription it records")
    return meta, body.decode("utf-8")


def apply_errata(printed: str, errata: list[Erratum]):
    """The corrected text and the marks: where each erratum sits in both texts."""
    if not errata:
        return printed, ()
    by_text = {e.printed: e for e in errata}
    pattern = re.compile("|".join(re.escape(t) for t in sorted(by_text, key=len, reverse=True)))
    out, marks, last, shift = [], [], 0, 0
    for m in pattern.finditer(printed):
        e = by_text[m.group(0)]
        out.append(printed[last:m.start()])
        cs = m.start() + shift
        out.append(e.corrected)
        marks.append((cs, cs + len(e.corrected), m.start(), m.end(), e))
        shift += len(e.corrected) - len(e.printed)
        last = m.end()
    out.append(printed[last:])
    found = {id(mk[4]) for mk in marks}
    missing = [e.printed for e in errata if id(e) not in found]
    if missing:
        raise _fail("errata.yaml", f"printed text not found in {errata[0].source}: {missing}")
    return "".join(out), tuple(marks)


@functools.cache
def get_source(jurisdiction: str) -> SourceText:
    if jurisdiction not in JURISDICTIONS:
        raise UnknownSource(f"未知的地区：{jurisdiction}（可选：{'、'.join(JURISDICTIONS)}）",
                            f"unknown jurisdiction {jurisdiction!r}: one of {', '.join(JURISDICTIONS)}")
    meta, printed = _meta(jurisdiction)
    where = f"{jurisdiction}.txt"
    if meta["jurisdiction"] != jurisdiction:
        raise _fail(where, "jurisdiction differs from the file name")
    errata = [e for e in _errata() if e.source == jurisdiction]
    corrected, marks = apply_errata(printed, errata)
    parts = tuple(Part(key=p["key"], starts=p["starts"], title=p.get("title"))
                  for p in meta["parts"])
    try:
        sections = outline(corrected, parts)
    except ValueError as exc:
        raise _fail(where, str(exc)) from None
    return SourceText(
        jurisdiction=jurisdiction, name=meta["name"], title=meta["title"],
        number=meta["number"], issuing_body=meta["issuing_body"],
        issued=_date(where, meta["issued"]), valid_from=_date(where, meta["valid_from"]),
        valid_to=_date(where, meta["valid_to"]), validity_quote=meta["validity_quote"],
        validity_note=meta["validity_note"], published=meta["published"],
        seed=meta["transcription"]["seed"], sha256=meta["transcription"]["sha256"],
        parts=parts, printed=printed, corrected=corrected, marks=marks, sections=sections)


def all_sources() -> tuple[SourceText, ...]:
    return tuple(get_source(j) for j in JURISDICTIONS)


def errata() -> tuple[Erratum, ...]:
    return _errata()


def by_seed(seed: str) -> SourceText:
    """The source transcribed in the file ``seed`` (form descriptions name their seed)."""
    for j in JURISDICTIONS:
        if _meta(j)[0]["transcription"]["seed"] == seed:
            return get_source(j)
    raise UnknownSource(f"未知的来源文件：{seed}", f"unknown source file {seed!r}")


def by_document(document: str) -> SourceText:
    """The source a citation's document (文号, or title) names."""
    for s in all_sources():
        if document in (s.number, s.title):
            return s
    raise UnknownSource(f"未知的文件：{document}", f"unknown document {document!r}")
