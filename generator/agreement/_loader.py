"""Loading the agreement texts, strictly.

A text source that breaks a rule is a defect of the project: loading raises
``AgreementTextInvalid`` naming the file and the place.  The rules catch the
transcription defects the seeds are known for (DOMAIN.md): a half-width
parenthesis or colon in Chinese text, a blank left as ``_____`` or ``**``, a
paragraph the transcription split at a page break (it would not end with
。；or ：), an article number out of sequence (第二十八 without 条 comes out as
a gap), an item that carries its own （一） mark, a stray space.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
from pathlib import Path

import yaml

from forms._yaml import load_yaml
from forms.errors import AgreementTextInvalid, FieldProblem, UnknownAgreement

from ._model import (
    CATEGORIES,
    PARTIES,
    PARTY_FIELDS,
    PLACEHOLDERS,
    AgreementText,
    Article,
    Chapter,
    Source,
)

TEXT_DIR = Path(__file__).resolve().parent / "texts"

_TOP_KEYS = {
    "id", "jurisdiction", "jurisdiction_name", "category", "title", "title_lines", "attachment",
    "source", "version", "valid_from", "valid_to", "header", "preamble", "chapters", "signature",
}
_OPTIONAL_TOP = {"valid_to"}
_ID = re.compile(r"^[a-z]+-[a-z]+$")
_PLACEHOLDER = re.compile(r"\{([a-z_]*)\}")
# half-width punctuation in Chinese text, blanks, whitespace: transcription leftovers
_FORBIDDEN = re.compile(r"[(),:;!?\[\]_*\s]")
_ENUM_MARK = re.compile(r"^(（[一二三四五六七八九十]+）|\([一二三四五六七八九十0-9]+\)|[0-9]+[.、])")
_ARTICLE_MARK = re.compile(r"^第[一二三四五六七八九十百]+[条章]")
_PARAGRAPH_END = "。；："


def _fail(path: Path, where: str, zh: str, en: str) -> AgreementTextInvalid:
    return AgreementTextInvalid(f"协议文本 {path.name}（{where}）：{zh}",
                                f"agreement text {path.name} ({where}): {en}")


def _keys(path: Path, where: str, d, required: set, optional: set = frozenset()) -> None:
    if not isinstance(d, dict):
        raise _fail(path, where, "应为映射", "must be a mapping")
    missing = required - optional - set(d)
    unknown = set(d) - required
    if missing:
        raise _fail(path, where, f"缺少 {sorted(missing)}", f"missing {sorted(missing)}")
    if unknown:
        raise _fail(path, where, f"不认识的键 {sorted(unknown)}", f"unknown keys {sorted(unknown)}")


def _string(path: Path, where: str, v) -> str:
    if not isinstance(v, str) or not v:
        raise _fail(path, where, "应为非空文字", "must be a non-empty string")
    return v


def _text(path: Path, where: str, v, *, ends: str | None = _PARAGRAPH_END,
          placeholders: list | None = None) -> str:
    """An official text: no whitespace, no half-width punctuation, known placeholders only."""
    s = _string(path, where, v)
    bare = _PLACEHOLDER.sub("", s)
    if "{" in bare or "}" in bare:
        raise _fail(path, where, "花括号只能用于占位符 {city}、{term}",
                    "braces are for the placeholders {city} and {term} only")
    for name in _PLACEHOLDER.findall(s):
        if placeholders is None or name not in PLACEHOLDERS:
            raise _fail(path, where, f"此处不能有占位符 {{{name}}}",
                        f"placeholder {{{name}}} not allowed here")
        placeholders.append(name)
    m = _FORBIDDEN.search(bare)
    if m:
        ch = m.group()
        raise _fail(path, where, f"含有不应出现的字符 {ch!r}（半角标点、空白或填空线）",
                    f"holds {ch!r} (half-width punctuation, whitespace or a blank)")
    if ends and s[-1] not in ends:
        raise _fail(path, where, f"段落应以“{'”“'.join(ends)}”结尾（是否被分页截断？）",
                    f"a paragraph must end with one of {ends} (split at a page break?)")
    return s


def _date(path: Path, where: str, v) -> dt.date:
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v
    raise _fail(path, where, "应为日期（YYYY-MM-DD）", "must be a date (YYYY-MM-DD)")


def _canonical(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str).encode("utf-8")


def parse_text(raw: dict, path: Path) -> AgreementText:
    """An :class:`AgreementText` from a parsed YAML document (``path`` names it in errors)."""
    _keys(path, "顶层 / top level", raw, _TOP_KEYS, _OPTIONAL_TOP)
    tid = _string(path, "id", raw["id"])
    jurisdiction = _string(path, "jurisdiction", raw["jurisdiction"])
    category = _string(path, "category", raw["category"])
    if not _ID.match(tid) or tid != f"{jurisdiction}-{category}":
        raise _fail(path, "id", "应为“地区-类别”", "must be '<jurisdiction>-<category>'")
    if tid != path.stem:
        raise _fail(path, "id", f"与文件名 {path.stem} 不一致", "differs from the file name")
    if category not in CATEGORIES:
        raise _fail(path, "category", f"应为 {'、'.join(CATEGORIES)} 之一",
                    f"must be one of {', '.join(CATEGORIES)}")
    title = _text(path, "title", raw["title"], ends=None)
    lines = raw["title_lines"]
    if not isinstance(lines, list) or not lines or "".join(
            _text(path, "title_lines", x, ends=None) for x in lines) != title:
        raise _fail(path, "title_lines", "各行连起来应等于 title", "must join to the title")
    src = raw["source"]
    _keys(path, "source", src, {"seed", "document", "article"})
    version = raw["version"]
    if not isinstance(version, str) or not version:
        raise _fail(path, "version", "应为文字（加引号）", "must be a quoted string")
    valid_from = _date(path, "valid_from", raw["valid_from"])
    valid_to = raw.get("valid_to")
    if valid_to is not None:
        valid_to = _date(path, "valid_to", valid_to)
        if valid_to < valid_from:
            raise _fail(path, "valid_to", "早于 valid_from", "is before valid_from")

    header = raw["header"]
    _keys(path, "header", header, set(PARTIES))
    for party in PARTIES:
        labels = header[party]
        if not isinstance(labels, list) or len(labels) != len(PARTY_FIELDS):
            raise _fail(path, f"header.{party}", f"应有 {len(PARTY_FIELDS)} 行标签",
                        f"must list {len(PARTY_FIELDS)} labels")
        for i, label in enumerate(labels):
            _text(path, f"header.{party}[{i}]", label, ends=None)

    used: list[str] = []
    preamble = _text(path, "preamble", raw["preamble"], placeholders=used)

    chapters_raw = raw["chapters"]
    if not isinstance(chapters_raw, list) or not chapters_raw:
        raise _fail(path, "chapters", "应为非空列表", "must be a non-empty list")
    chapters = []
    expect = 1
    for ci, ch in enumerate(chapters_raw, 1):
        where = f"第{ci}章"
        _keys(path, where, ch, {"heading", "articles"})
        heading = _text(path, f"{where} heading", ch["heading"], ends=None)
        if _ARTICLE_MARK.match(heading):
            raise _fail(path, where, "标题不应含“第X章”（由编号生成）",
                        "the heading must not carry its 第X章 (it is generated)")
        arts_raw = ch["articles"]
        if not isinstance(arts_raw, list) or not arts_raw:
            raise _fail(path, where, "articles 应为非空列表", "articles must be a non-empty list")
        articles = []
        for a in arts_raw:
            if not isinstance(a, dict):
                raise _fail(path, where, "每一条应为映射", "each article must be a mapping")
            _keys(path, f"{where} 第{expect}条", a, {"article", "text", "items"}, {"items"})
            if a["article"] != expect:
                raise _fail(path, f"{where} 第{expect}条",
                            f"条号 {a['article']!r} 不连续（应为 {expect}）",
                            f"article number {a['article']!r} out of sequence (expected {expect})")
            aw = f"第{expect}条"
            paras = a["text"]
            if isinstance(paras, str):
                paras = [paras]
            if not isinstance(paras, list) or not paras:
                raise _fail(path, aw, "text 应为文字或文字列表", "text must be a string or a list")
            paras = [_text(path, f"{aw} 第{i}段", p, placeholders=used)
                     for i, p in enumerate(paras, 1)]
            if _ARTICLE_MARK.match(paras[0]):
                raise _fail(path, aw, "正文不应以“第X条”开头（由条号生成）",
                            "the text must not start with its 第X条 (it is generated)")
            items = a.get("items") or []
            if not isinstance(items, list):
                raise _fail(path, aw, "items 应为列表", "items must be a list")
            items = [_text(path, f"{aw} 第{i}项", t, placeholders=used)
                     for i, t in enumerate(items, 1)]
            for i, t in enumerate(items, 1):
                if _ENUM_MARK.match(t):
                    raise _fail(path, f"{aw} 第{i}项", "不应带编号（由位置生成）",
                                "an item must not carry its own mark (it is generated)")
            if items and paras[-1][-1] not in "：。":
                raise _fail(path, aw, "列项前的段落应以“：”或“。”结尾",
                            "the paragraph before items must end with ： or 。")
            articles.append(Article(expect, tuple(paras), tuple(items)))
            expect += 1
        chapters.append(Chapter(ci, heading, tuple(articles)))

    for name in PLACEHOLDERS:
        if used.count(name) != 1:
            raise _fail(path, f"{{{name}}}", f"应恰好出现一次（现 {used.count(name)} 次）",
                        f"must occur exactly once (found {used.count(name)})")

    sig = raw["signature"]
    _keys(path, "signature", sig, {"seal", "sign"})
    rows = {}
    for k in ("seal", "sign"):
        row = sig[k]
        if not isinstance(row, list) or len(row) != 2:
            raise _fail(path, f"signature.{k}", "应为甲方、乙方两栏", "must have two columns")
        rows[k] = tuple(_text(path, f"signature.{k}", x, ends=None) for x in row)

    return AgreementText(
        id=tid, jurisdiction=jurisdiction,
        jurisdiction_name=_string(path, "jurisdiction_name", raw["jurisdiction_name"]),
        category=category, title=title, title_lines=tuple(lines),
        attachment=_string(path, "attachment", raw["attachment"]),
        source=Source(**{k: _string(path, f"source.{k}", src[k]) for k in src}),
        version=version, valid_from=valid_from, valid_to=valid_to,
        header=tuple(tuple(header[p]) for p in PARTIES),
        preamble=preamble, chapters=tuple(chapters), seal=rows["seal"], sign=rows["sign"],
        spec_hash=hashlib.sha256(_canonical(raw)).hexdigest(),
    )


def load_text_file(path: Path) -> AgreementText:
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise AgreementTextInvalid(f"无法读取协议文本 {path.name}：{e}",
                                   f"cannot read agreement text {path.name}: {e}") from None
    return parse_text(raw, path)


_cache: dict[str, AgreementText] | None = None
_lock = threading.Lock()


def all_agreements() -> list[AgreementText]:
    """Every agreement text, by jurisdiction then the order of CATEGORIES (loaded once)."""
    global _cache
    if _cache is None:
        with _lock:
            if _cache is None:
                texts = [load_text_file(p) for p in sorted(TEXT_DIR.glob("*.yaml"))]
                texts.sort(key=lambda t: (t.jurisdiction, CATEGORIES.index(t.category)))
                _cache = {t.id: t for t in texts}
    return list(_cache.values())


def get_agreement(jurisdiction: str, category: str) -> AgreementText:
    """The text for ``jurisdiction`` and ``category``; ``UnknownAgreement`` names the bad part."""
    texts = all_agreements()
    known_j = sorted({t.jurisdiction for t in texts})
    if jurisdiction not in known_j:
        raise UnknownAgreement(
            f"没有地区 {jurisdiction!s} 的服务协议文本（可选：{'、'.join(known_j)}）",
            f"no agreement texts for jurisdiction {jurisdiction!r} (one of: {', '.join(known_j)})",
            [FieldProblem("jurisdiction", "not_a_choice",
                          f"地区：只能选择 {'、'.join(known_j)}",
                          f"jurisdiction: must be one of {', '.join(known_j)}")])
    cats = [t.category for t in texts if t.jurisdiction == jurisdiction]
    for t in texts:
        if t.jurisdiction == jurisdiction and t.category == category:
            return t
    raise UnknownAgreement(
        f"未知的协议类别：{category!s}（可选：{'、'.join(cats)}）",
        f"unknown agreement category {category!r} (one of: {', '.join(cats)})",
        [FieldProblem("category", "not_a_choice", f"类别：只能选择 {'、'.join(cats)}",
                      f"category: must be one of {', '.join(cats)}")])
