"""The outline of a regulation text: parts (附件), chapters, articles and numbered items.

Headings are recognised at the start of a line of the corrected text, in this order of
depth: part > 第X章 > 第X条 > 一、 > （一） > 1. > （1）.  A heading opens a section that
runs to the next heading of the same or a higher rank, so an article contains its items.
"""

from __future__ import annotations

import re

from ._model import Part, Section

CN_DIGITS = "零一二三四五六七八九"
_CN = "零〇一二三四五六七八九十百两"

_LEAD = " \u3000\t-•"
#: (kind, pattern, rank); the group is the number as written
_HEADINGS = (
    ("chapter", re.compile(rf"第([{_CN}]+)章"), 1),
    ("article", re.compile(rf"第([{_CN}]+)条"), 2),
    ("section", re.compile(rf"([{_CN}]+)、"), 3),
    ("item", re.compile(rf"[（(]([{_CN}]+)[）)]"), 4),
    ("point", re.compile(r"(\d+)\s*[.．、](?!\d)"), 5),
    ("subpoint", re.compile(r"[（(](\d+)[）)]"), 6),
)


def cn_number(n: int) -> str:
    """34 → 三十四, 10 → 十, 105 → 一百零五 (the numbering of articles)."""
    if not 0 < n < 1000:
        raise ValueError(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = CN_DIGITS[hundreds] + "百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else CN_DIGITS[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    if ones:
        out += CN_DIGITS[ones]
    return out


def label_of(kind: str, number: str) -> str:
    """The canonical name of a heading: 第四条, 三, （一）, 1, （1）."""
    if kind == "chapter":
        return f"第{number}章"
    if kind == "article":
        return f"第{number}条"
    if kind == "section":
        return number
    if kind == "item":
        return f"（{number}）"
    if kind == "point":
        return str(int(number))
    return f"（{int(number)}）"


def heading(line: str) -> tuple[str, str, int] | None:
    """(kind, canonical label, rank) of the heading a line starts with, else None."""
    text = line.lstrip(_LEAD)
    for kind, pattern, rank in _HEADINGS:
        m = pattern.match(text)
        if m:
            return kind, label_of(kind, m.group(1)), rank
    return None


def outline(text: str, parts: tuple[Part, ...]) -> tuple[Section, ...]:
    """Every section of ``text``, in document order."""
    lines = text.splitlines(keepends=True)
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line)
    total = pos
    starts = {p.starts: p for p in parts}
    # open sections: (rank, path, label, kind, start)
    stack: list[tuple[int, tuple[str, ...], str, str, int]] = []
    done: list[Section] = []
    part_path: tuple[str, ...] = ()

    def close(rank: int, at: int) -> None:
        while stack and stack[-1][0] >= rank:
            r, path, label, kind, start = stack.pop()
            done.append(Section(path=path, label=label, kind=kind, start=start, end=at))

    for line, at in zip(lines, offsets):
        stripped = line.strip(_LEAD + "\r\n")
        if stripped in starts:
            close(0, at)
            part = starts.pop(stripped)
            part_path = (part.key,)
            stack.append((0, part_path, part.key, "part", at))
            continue
        h = heading(line)
        if h is None:
            continue
        kind, label, rank = h
        close(rank, at)
        parent = stack[-1][1] if stack else part_path
        # chapters are not part of a citation's path (第八条, not 第二章 第八条)
        path = parent if kind == "chapter" else (*parent, label)
        if kind == "chapter":
            stack.append((rank, parent, label, kind, at))
        else:
            stack.append((rank, path, label, kind, at))
    close(-1, total)
    if starts:
        raise ValueError(f"part start lines not found: {sorted(starts)}")
    return tuple(sorted(done, key=lambda s: (s.start, -s.end)))
