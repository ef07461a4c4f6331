"""Open a citation: from an article reference (第三十四条, 34, 附件3 五、（二）1.) to its text."""

from __future__ import annotations

import functools
import re
from urllib.parse import quote

from ._loader import by_document, get_source
from ._model import Section, SourceText
from ._outline import cn_number, label_of
from .errors import ArticleNotFound, SourceError

_CN = "零〇一二三四五六七八九十百两"
#: (kind, pattern) of the tokens of a reference; the group is the number
_TOKENS = (
    ("article", re.compile(rf"第([{_CN}]+)条")),
    ("item", re.compile(rf"第?[（(]([{_CN}]+)[）)]项?")),
    ("subpoint", re.compile(r"[（(](\d+)[）)]")),
    ("point", re.compile(r"第(\d+)[项目]")),
    ("point", re.compile(r"(\d+)[.．、]?(?!\d)")),
    ("section", re.compile(rf"([{_CN}]+)、?")),
)
_SPACE = " \u3000\t"


def _tokens(text: str) -> tuple[list[str], str]:
    """The section labels a reference names, and the rest it ends with that names none."""
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos] in _SPACE:
            pos += 1
            continue
        for kind, pattern in _TOKENS:
            m = pattern.match(text, pos)
            if m:
                out.append(label_of(kind, m.group(1)))
                pos = m.end()
                break
        else:
            return out, text[pos:].strip(_SPACE)
    return out, ""


def _first(src: SourceText, label: str, within: Section | None,
           after: int = -1) -> Section | None:
    lo, hi = (within.start, within.end) if within else (0, len(src.corrected))
    depth = len(within.path) if within else 0
    for s in src.sections:
        if s.start < lo or s.end > hi or s.start <= after or s is within:
            continue
        if s.kind in ("part", "chapter"):
            continue
        if len(s.path) > depth and s.path[-1] == label and (within is None or s.path[:depth] == within.path):
            return s
    return None


def _parent(src: SourceText, s: Section) -> Section | None:
    best = None
    for t in src.sections:
        if t.start <= s.start and t.end >= s.end and t is not s and len(t.path) < len(s.path) \
                and t.kind != "chapter" and s.path[:len(t.path)] == t.path:
            if best is None or len(t.path) > len(best.path):
                best = t
    return best


def resolve(jurisdiction: str, article: str) -> tuple[SourceText, Section, str]:
    """The section an article reference names (the deepest it resolves to) and what of
    the reference it could not follow ("" when it resolved exactly)."""
    src = get_source(jurisdiction)
    ref = article.strip(_SPACE)
    if re.fullmatch(r"\d{1,3}", ref):
        ref = f"第{cn_number(int(ref))}条" if 0 < int(ref) < 1000 else ref
    current: Section | None = None
    part = next((p for p in sorted(src.parts, key=lambda p: -len(p.key))
                 if ref.startswith(p.key)), None)
    if part is not None and not (part.key == "附件" and re.match(r"附件\d", ref)):
        current = next(s for s in src.sections if s.kind == "part" and s.path == (part.key,))
        ref = ref[len(part.key):].strip(_SPACE)
        # the part's own name after its number (附件3 医疗服务协议 第四条)
        words = re.match(rf"[^{_SPACE}]+", ref)
        if words and part.title and words.group(0) in part.title:
            ref = ref[words.end():].strip(_SPACE)
    labels, rest = _tokens(ref)
    if not labels and current is None:
        raise ArticleNotFound(f"{src.name}文件中没有“{article}”",
                              f"{jurisdiction}: no article {article!r}")
    for i, label in enumerate(labels):
        found = _first(src, label, current)
        if found is None and current is not None and i:
            # an item numbered after its heading's own number, printed as a sibling
            # (景德镇 二、1. then (一) …): the first such after the heading
            found = _first(src, label, _parent(src, current), after=current.start)
        if found is None:
            if current is None:
                raise ArticleNotFound(f"{src.name}文件中没有“{article}”",
                                      f"{jurisdiction}: no article {article!r}")
            rest = " ".join([*labels[i:], rest]).strip()
            break
        current = found
    assert current is not None
    return src, current, rest


def url_of(jurisdiction: str, key: str) -> str:
    return f"/api/sources/{jurisdiction}/articles/{quote(key)}"


def cite(jurisdiction: str, article: str) -> dict:
    """What ``xieyi rules cite`` prints and ``GET /api/sources/…/articles/…`` returns."""
    src, s, rest = resolve(jurisdiction, article)
    part = next((p for p in src.parts if s.path and p.key == s.path[0]), None)
    return {
        "jurisdiction": src.jurisdiction, "name": src.name, "document": src.document,
        "number": src.number, "title": src.title,
        "part": {"key": part.key, "title": part.title} if part else None,
        "query": article, "key": s.key, "heading": s.label, "kind": s.kind,
        "exact": not rest, "unresolved": rest or None,
        "text": src.corrected[s.start:s.end].strip(),
        "printed": src.printed_span(s.start, s.end).strip(),
        "errata": [e.to_dict() for e in src.errata_in(s.start, s.end)],
        "expired": None if src.valid_to is None else src.valid_to.isoformat(),
        "url": url_of(src.jurisdiction, s.key),
    }


@functools.lru_cache(maxsize=4096)
def reference(document: str, article: str) -> dict | None:
    """The reference a citation carries: where its article opens (None if it names no
    document xieyi holds)."""
    try:
        src = by_document(document)
        _, s, rest = resolve(src.jurisdiction, article)
    except SourceError:
        return None
    return {"jurisdiction": src.jurisdiction, "key": s.key, "exact": not rest,
            "url": url_of(src.jurisdiction, s.key)}
