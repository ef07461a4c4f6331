"""The agreement texts as data: chapters, articles, paragraphs and items, in order.

An agreement's official text is held once, in ``texts/<id>.yaml``; the PDF and
the DOCX are both drawn from the one :class:`AgreementText` loaded from it, so
the two cannot say different things.  Blanks the official text leaves are
placeholders: ``{city}`` (the city in the 协议机构 plaque, 山西省（**市）), ``{term}``
(本协议有效期一年, the term the parties agree, 办法 第十九条), the party lines of
the header (甲方/乙方 and their 法定代表人或委托代理人, 地址, 邮政编码, 联系电话)
and the dates of the signature block.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: the kinds of institution (DOMAIN.md ``category``), in the order of the seed's attachments
CATEGORIES = ("medical", "rehab", "assistive")
CATEGORY_NAMES = {"medical": "医疗", "rehab": "康复", "assistive": "辅助器具配置"}

#: the two parties, and the lines under each in the header (field id, in this order)
PARTIES = ("party_a", "party_b")
PARTY_NAMES = {"party_a": "甲方", "party_b": "乙方"}
PARTY_FIELDS = ("name", "representative", "address", "postcode", "telephone")

#: placeholders the body text may hold, as ``{name}``
PLACEHOLDERS = ("city", "term")

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 20 → 二十, 51 → 五十一 (articles and chapters; n < 100)."""
    if not 0 < n < 100:
        raise ValueError(f"chinese_number: {n} out of range")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    head = "十" if tens == 1 else _DIGITS[tens] + "十"
    return head + (_DIGITS[ones] if ones else "")


@dataclass(frozen=True)
class Article:
    number: int
    #: the article's paragraphs, the first one after 第X条
    paragraphs: tuple[str, ...]
    #: enumerated items after the paragraphs, without their （一） marks
    items: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"第{chinese_number(self.number)}条"

    def item_label(self, i: int) -> str:
        """The mark of item ``i`` (0-based): （一）, （二）…"""
        return f"（{chinese_number(i + 1)}）"


@dataclass(frozen=True)
class Chapter:
    number: int
    heading: str
    articles: tuple[Article, ...]

    @property
    def label(self) -> str:
        return f"第{chinese_number(self.number)}章"


@dataclass(frozen=True)
class Source:
    seed: str
    document: str
    article: str


@dataclass(frozen=True)
class AgreementText:
    id: str
    jurisdiction: str
    jurisdiction_name: str
    category: str
    title: str
    #: the title as printed, one entry per line
    title_lines: tuple[str, ...]
    attachment: str
    source: Source
    version: str
    valid_from: dt.date
    valid_to: dt.date | None
    #: per party (PARTIES order), the five labels of its header lines (甲方, 法定代表人或委托代理人, …)
    header: tuple[tuple[str, ...], tuple[str, ...]]
    preamble: str
    chapters: tuple[Chapter, ...]
    #: signature block, (甲方 column, 乙方 column) per row: the seal line, the signature line
    seal: tuple[str, str]
    sign: tuple[str, str]
    #: sha256 of the text source's canonical JSON
    spec_hash: str

    def articles(self):
        for ch in self.chapters:
            yield from ch.articles

    def official_text(self) -> str:
        """The whole official wording as one string, in reading order, without the
        placeholders' values: title, header labels, preamble, chapters, articles with
        their items, signature labels (what an erratum's corrected text is found in)."""
        parts = [self.title]
        for labels in self.header:
            parts.extend(f"{label}：" for label in labels)
        parts.append(self.preamble)
        for ch in self.chapters:
            parts.append(ch.label + ch.heading)
            for a in ch.articles:
                parts.append(a.label + "".join(a.paragraphs))
                parts.extend(a.item_label(i) + t for i, t in enumerate(a.items))
        parts.extend(self.seal + self.sign)
        return "".join(parts)
