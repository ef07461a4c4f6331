"""Many agreements at once: rows of party data in, one file per institution and a zip out.

Rows come from a CSV or a JSON file (``read_rows``).  Each row is checked on its
own: a bad row is reported with its row number and skipped, every good row is
still written (``run_batch``).  Files are named after the institution
(``party_b.name``) through ``safe_stem``: path separators, ``..``, the
characters Windows forbids and ``&`` become their full-width forms, so a name
stays readable and can never leave the output folder.

CSV: the first row names the columns: ``party_a.name`` … ``party_b.telephone``,
``party_a.signed_on``, ``party_b.signed_on``, ``city``, ``term_years``; a column
without a ``party_`` prefix (``name``, ``postcode``…) is the institution's
(``party_b``).  Empty cells are absent values, so values common to all rows (the
agency, 甲方) can come from a defaults object instead (``common``).  UTF-8 (with
or without the BOM Excel writes) or GB18030 (what Excel writes on a Chinese system).

JSON: a list of party data objects, or ``{"common": {…}, "rows": […]}``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from forms.errors import FieldProblem, InputInvalid, OutputError, PartiesInvalid

from ._loader import get_agreement
from ._model import PARTIES, PARTY_FIELDS, AgreementText
from ._parties import validate_parties
from ._render import check_format, render_typed

#: longest file stem, in characters (and at most 180 bytes of UTF-8: file systems allow 255)
MAX_STEM = 80
_STEM_BYTES = 180
#: characters a file name cannot hold on some system, or that a shell or a URL would
#: take for syntax, as their full-width forms (the name stays readable)
_REPLACE = {"/": "／", "\\": "＼", ":": "：", "*": "＊", "?": "？", '"': "＂", "<": "＜",
            ">": "＞", "|": "｜", "&": "＆"}
_WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?$", re.I)
_COLUMNS = {f"{p}.{f}" for p in PARTIES for f in (*PARTY_FIELDS, "signed_on")} | {
    "city", "term_years"}
_SHORT = {f: f"party_b.{f}" for f in (*PARTY_FIELDS, "signed_on")}


@dataclass
class Row:
    """One row of input: its number (1-based, as a person counts data rows), where it is in
    the file (``line``, for CSV), and its party data."""

    number: int
    data: Any
    line: int | None = None

    def where(self) -> tuple[str, str]:
        at = f"（文件第 {self.line} 行）" if self.line else ""
        at_en = f" (line {self.line} of the file)" if self.line else ""
        return f"第 {self.number} 行{at}：", f"row {self.number}{at_en}: "


@dataclass
class BatchResult:
    written: list[Path] = field(default_factory=list)
    #: (row, the problems found)
    skipped: list[tuple[Row, PartiesInvalid]] = field(default_factory=list)
    zip_path: Path | None = None
    seconds: float = 0.0


def safe_stem(name: str, fallback: str = "agreement") -> str:
    """A file stem for an institution's name: readable, and safe on every system.

    ``/ \\ : * ? " < > | &`` become full-width, ``..`` and a leading ``.`` too (no
    path traversal, no hidden file), control characters go, spaces are squeezed,
    trailing dots and spaces (Windows drops them) go, Windows' device names get a
    ``_`` in front, and the stem is cut to ``MAX_STEM`` characters."""
    s = unicodedata.normalize("NFC", name)
    s = "".join(_REPLACE.get(c, c) for c in s if c.isprintable() or c == " ")
    s = re.sub(r"\s+", " ", s).strip()
    s = s.replace("..", "．．")
    if s.startswith("."):
        s = "．" + s[1:]
    s = s[:MAX_STEM]
    while len(s.encode("utf-8")) > _STEM_BYTES:
        s = s[:-1]
    s = s.rstrip(" .")
    if _WINDOWS_RESERVED.match(s):
        s = "_" + s
    return s or fallback


def unique_name(stem: str, suffix: str, used: set[str]) -> str:
    """``stem.suffix``, or ``stem（2）.suffix``… when taken (compared case-insensitively,
    as on Windows and macOS)."""
    name = f"{stem}.{suffix}"
    k = 2
    while name.casefold() in used:
        name = f"{stem}（{k}）.{suffix}"
        k += 1
    used.add(name.casefold())
    return name


# ------------------------------------------------------------------ reading rows


def _decode(raw: bytes, source: str) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputInvalid(f"{source} 不是 UTF-8 或 GB18030 编码的文本",
                       f"{source} is not UTF-8 or GB18030 text")


def _set(d: dict, key: str, value: Any) -> None:
    head, _, rest = key.partition(".")
    if rest:
        d.setdefault(head, {})
        if isinstance(d[head], dict):
            d[head][rest] = value
    else:
        d[head] = value


def rows_from_csv(raw: bytes, source: str = "CSV") -> list[Row]:
    text = _decode(raw, source)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputInvalid(f"{source} 是空的", f"{source} is empty") from None
    except csv.Error as e:
        raise InputInvalid(f"{source} 不是有效的 CSV：{e}", f"{source} is not valid CSV: {e}") \
            from None
    cols = []
    for c in header:
        c = c.strip()
        key = _SHORT.get(c, c)
        if key not in _COLUMNS:
            raise InputInvalid(
                f"{source} 第 1 行（表头）：不认识的列“{c}”（可用：{'、'.join(sorted(_COLUMNS))}）",
                f"{source} line 1 (header): unknown column {c!r} "
                f"(known: {', '.join(sorted(_COLUMNS))})",
                [FieldProblem(c or "(empty)", "unknown", f"不认识的列“{c}”",
                              f"unknown column {c!r}")])
        if key in cols:
            raise InputInvalid(f"{source} 第 1 行（表头）：列“{c}”出现了两次",
                               f"{source} line 1 (header): column {c!r} given twice")
        cols.append(key)
    rows = []
    number = 0
    try:
        for cells in reader:
            if not any(x.strip() for x in cells):
                continue  # a blank line is no row
            number += 1
            data: dict = {}
            extra = cells[len(cols):]
            for key, v in zip(cols, cells):
                if v.strip():
                    _set(data, key, v)
            if any(x.strip() for x in extra):
                data["(extra cells)"] = [x for x in extra if x.strip()]
            rows.append(Row(number, data, reader.line_num))
    except csv.Error as e:
        raise InputInvalid(f"{source} 第 {reader.line_num} 行不是有效的 CSV：{e}",
                           f"{source} line {reader.line_num} is not valid CSV: {e}") from None
    return rows


def rows_from_json(raw: bytes, source: str = "JSON") -> tuple[list[Row], dict]:
    """Rows and the file's ``common`` object (``{}`` when it has none)."""
    try:
        doc = json.loads(_decode(raw, source))
    except json.JSONDecodeError as e:
        raise InputInvalid(
            f"{source} 不是有效的 JSON：第 {e.lineno} 行第 {e.colno} 列，{e.msg}",
            f"{source} is not valid JSON: line {e.lineno} column {e.colno}: {e.msg}") from None
    common: Any = {}
    if isinstance(doc, dict) and ("rows" in doc or "common" in doc):
        unknown = set(doc) - {"rows", "common"}
        if unknown:
            raise InputInvalid(f"{source}：不认识的键 {'、'.join(sorted(unknown))}",
                               f"{source}: unknown keys {', '.join(sorted(unknown))}")
        common = doc.get("common") or {}
        doc = doc.get("rows")
    if not isinstance(doc, list) or not isinstance(common, dict):
        raise InputInvalid(
            f"{source} 应为协议双方信息的列表，或 {{\"common\": {{…}}, \"rows\": […]}}",
            f"{source} must be a list of party data, or {{\"common\": {{…}}, \"rows\": […]}}")
    return [Row(i, d) for i, d in enumerate(doc, 1)], common


def read_rows(path: Path) -> tuple[list[Row], dict]:
    """Rows of ``path`` (``.csv`` or ``.json``) and the common values a JSON file gives."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputInvalid(f"无法读取文件 {path}：{e.strerror or e}",
                           f"cannot read {path}: {e.strerror or e}") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return rows_from_csv(raw, str(path)), {}
    if suffix == ".json":
        return rows_from_json(raw, str(path))
    raise InputInvalid(f"{path}：只接受 .csv 或 .json 文件",
                       f"{path}: only .csv and .json files are read")


def merge(common: dict, row: Any) -> Any:
    """``row`` over ``common``, one level into the party objects (row values win)."""
    if not common or not isinstance(row, dict):
        return row
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in common.items()}
    for k, v in row.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k].update(v)
        else:
            out[k] = v
    return out


# ------------------------------------------------------------------ rendering


def _render_one(args: tuple) -> bytes:
    # the text travels by name: workers have the texts loaded (forked) already
    jurisdiction, category, typed, fmt = args
    return render_typed(get_agreement(jurisdiction, category), typed, fmt)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def default_jobs(n: int) -> int:
    """Worker processes for ``n`` agreements: one per CPU for a big batch (measured on 2
    cores: 1,000 PDFs in about half the time), none for a small one (starting workers costs
    more than it saves)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, 8)) if n >= 50 else 1


def run_batch(text: AgreementText, rows: Iterable[Row], fmt: str, out_dir: Path, *,
              common: dict | None = None, jobs: int | None = None, zip_name: str | None = None,
              progress: Callable[[int, int], None] | None = None,
              on_skip: Callable[[Row, PartiesInvalid], None] | None = None) -> BatchResult:
    """Validate every row, render the good ones (in ``jobs`` processes), write one file per
    institution into ``out_dir`` and a zip of them all; report bad rows to ``on_skip``."""
    check_format(fmt)
    started = time.perf_counter()
    result = BatchResult()
    good: list[tuple[Row, dict, str]] = []
    used: set[str] = set()
    for row in rows:
        data = merge(common or {}, row.data)
        zh, en = row.where()
        try:
            if isinstance(data, dict) and "(extra cells)" in data:
                raise PartiesInvalid([FieldProblem(
                    "(row)", "extra_cells", "这一行的单元格比表头多",
                    "the row has more cells than the header")], zh, en)
            typed = validate_parties(text, data, where_zh=zh, where_en=en)
        except PartiesInvalid as e:
            result.skipped.append((row, e))
            if on_skip:
                on_skip(row, e)
            continue
        name = unique_name(safe_stem(typed["party_b"]["name"], f"row-{row.number}"), fmt, used)
        good.append((row, typed, name))

    if not good:
        # every row was refused: nothing is written, not even an empty zip or the folder
        n = len(result.skipped)
        raise InputInvalid(f"全部 {n} 行都有错误，未写入任何文件（各行的错误见上）",
                           f"all {n} row(s) are invalid: nothing was written "
                           "(each row's errors above)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"无法创建输出目录 {out_dir}：{e.strerror or e}",
                          f"cannot create the output folder {out_dir}: {e.strerror or e}") \
            from None
    total = len(good)
    zip_path = out_dir / (zip_name or f"{text.id}-{fmt}.zip")
    zfd, ztmp = tempfile.mkstemp(prefix=f".{zip_path.name}.", suffix=".tmp", dir=out_dir)
    os.close(zfd)
    jobs = default_jobs(total) if jobs is None else max(1, jobs)
    try:
        # the files are compressed already (PDF streams, DOCX zip): stored, not deflated
        with zipfile.ZipFile(ztmp, "w", zipfile.ZIP_STORED) as zf:
            def keep(name: str, data: bytes) -> None:
                path = out_dir / name
                if path.resolve().parent != out_dir.resolve():  # pragma: no cover - safe_stem
                    raise OutputError(f"不安全的文件名：{name}", f"unsafe file name: {name}")
                _atomic_write(path, data)
                zi = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
                zi.external_attr = 0o644 << 16
                zf.writestr(zi, data)
                result.written.append(path)
                if progress:
                    progress(len(result.written), total)

            if progress:
                progress(0, total)
            work = [(text.jurisdiction, text.category, typed, fmt) for _r, typed, _n in good]
            if jobs > 1 and total > 1:
                # the parent draws the first one: fonts and the text's layout are then in
                # memory before the workers fork, and each inherits them
                keep(good[0][2], _render_one(work[0]))
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                ctx = multiprocessing.get_context("fork")
                with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
                    for (_row, _typed, name), data in zip(
                            good[1:], pool.map(_render_one, work[1:], chunksize=8)):
                        keep(name, data)
            else:
                for (_row, _typed, name), args in zip(good, work):
                    keep(name, _render_one(args))
        os.chmod(ztmp, 0o644)
        os.replace(ztmp, zip_path)
        result.zip_path = zip_path
    except OSError as e:
        raise OutputError(f"无法写入 {out_dir}：{e.strerror or e}",
                          f"cannot write to {out_dir}: {e.strerror or e}") from None
    finally:
        Path(ztmp).unlink(missing_ok=True)
    result.seconds = time.perf_counter() - started
    return result
