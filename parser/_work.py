"""One parse, start to finish, in the process that runs it (a worker of ``parser._pool``).

``parse_bytes(data, limits)`` returns the result as a plain dict or raises one of the
typed ``ParseError``s; nothing else escapes it.  Readers of malformed PDFs raise
whatever their code meets (pypdf and pdfminer raise ``TypeError``,
``AssertionError``, ``KeyError``… on broken files): an exception from inside a PDF
library is the file's fault (``pdf_malformed``), one from our own code is ours
(``parse_internal``), and running out of memory is ``parse_resource_limit``.

``serve(conn, memory_limit)`` is a worker's loop: it caps its own address space
(``RLIMIT_AS``), then answers requests on ``conn`` until the pipe closes.
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import os
import re
import signal

import pdfminer

# imported here, before any request, so a forked worker never pays for them
import pdfplumber
import pypdf
from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError

from forms import text_problems
from forms.errors import (
    FieldProblem,
    NotPdf,
    ParseError,
    ParseInternal,
    ParseResourceLimit,
    PdfEncrypted,
    PdfMalformed,
    PdfNoPages,
    PdfNoTextLayer,
    PdfTextInvalid,
    PdfTooLarge,
    PdfTooManyPages,
    UnknownTemplate,
    XieyiError,
)

from . import _acroform, _identify, _inflate, _layout
from ._limits import Limits, MiB
from ._result import assemble, warning

_LIB_DIRS = tuple(os.path.dirname(m.__file__) + os.sep for m in (pypdf, pdfplumber, pdfminer))

#: where the PDF header may start: the specification allows bytes before it, readers 1 KB
HEADER_WINDOW = 1024
#: the last %%EOF may be followed by this much (some producers append junk or blank lines)
EOF_WINDOW = 1024
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"


def _rounded(n: int) -> str:
    return f"{n / MiB:.1f} MB" if n >= MiB else f"{n / 1024:.0f} KB"


def _size_text(n: int) -> str:
    """Exact bytes, and the rounded size beside them: one byte over a 20 MB limit must not
    read "20.0 MB, the limit is 20.0 MB"."""
    return f"{n:,} bytes ({_rounded(n)})"


def _size_zh(n: int) -> str:
    return f"{n:,} 字节（{_rounded(n)}）"


def check_length(n: int, max_bytes: int) -> None:
    if n > max_bytes:
        raise PdfTooLarge(
            f"文件过大：{_size_zh(n)}，上限 {_size_zh(max_bytes)}",
            f"the file is too large: {_size_text(n)}, the limit is {_size_text(max_bytes)}")


def check_size(data: bytes, limits: Limits) -> None:
    check_length(len(data), limits.max_bytes)


def check_header(data: bytes) -> None:
    if not data:
        raise NotPdf("文件是空的，不是 PDF", "the file is empty, not a PDF")
    if b"%PDF-" in data[:HEADER_WINDOW]:
        return
    if data.startswith(_ZIP):
        zh, en = "这是 Word（DOCX）或其他压缩文件，请导出为 PDF 后上传", \
            "this is a Word (DOCX) or other zip file: export it to PDF and upload that"
    elif data.startswith(_OLE):
        zh, en = "这是旧版 Word（DOC）等文件，请导出为 PDF 后上传", \
            "this is an old Word (DOC) or similar file: export it to PDF and upload that"
    elif data[:8].lower().lstrip().startswith((b"<html", b"<!doc")):
        zh, en = "这是网页（HTML），不是 PDF", "this is a web page (HTML), not a PDF"
    else:
        zh, en = "文件不是 PDF（缺少 %PDF- 文件头）", "the file is not a PDF (no %PDF- header)"
    raise NotPdf(zh, en)


def check_complete(data: bytes) -> None:
    """A file cut short (an interrupted upload or download) has no %%EOF at its end."""
    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise PdfMalformed("PDF 文件不完整（缺少文件结尾，可能上传或下载时中断）",
                           "the PDF is truncated (its end is missing; an interrupted upload "
                           "or download?)")


class _Collect(logging.Handler):
    """pypdf's complaints about a file (it repairs what it can and says so in its log)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < 20:
            self.messages.append(record.getMessage())


_REPAIRS = re.compile(r"xref|startxref|trailer|object|offset|EOF|repair|rebuil", re.I)


def _open(data: bytes):
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
    except FileNotDecryptedError:
        raise _encrypted() from None
    if reader.is_encrypted:
        try:
            ok = reader.decrypt("")
        except Exception:  # an unsupported handler or a broken /Encrypt: still encrypted
            ok = 0
        if not ok:
            raise _encrypted()
    return reader


def _encrypted() -> PdfEncrypted:
    return PdfEncrypted("PDF 已加密，需要密码才能打开；请上传未加密的文件",
                        "the PDF is encrypted and needs a password to open: upload an "
                        "unencrypted file")


def _pages(reader, limits: Limits) -> int:
    n = len(reader.pages)
    if n == 0:
        raise PdfNoPages("PDF 中没有任何页面", "the PDF has no pages")
    if n > limits.max_pages:
        raise PdfTooManyPages(f"PDF 页数过多：{n} 页，上限 {limits.max_pages} 页",
                              f"the PDF has too many pages: {n}, the limit is {limits.max_pages}")
    return n


def _info(reader) -> dict:
    try:
        meta = reader.metadata
    except Exception:  # a broken /Info: no identity from it
        return {}
    return dict(meta) if meta else {}


def _parse(data: bytes, limits: Limits) -> dict:
    check_size(data, limits)
    check_header(data)
    check_complete(data)
    log = _Collect()
    pypdf_log = logging.getLogger("pypdf")
    pypdf_log.addHandler(log)
    try:
        reader = _open(data)
        npages = _pages(reader, limits)
        info = _info(reader)
        try:
            terminals = _acroform.walk_fields(reader)
        except (RecursionError, ParseError):
            raise
        except Exception:  # a broken field tree: read the pages instead
            terminals = []
    finally:
        pypdf_log.removeHandler(log)
    warnings = []
    if any(_REPAIRS.search(m) for m in log.messages):
        warnings.append(warning(None, "pdf_repaired", "PDF 文件结构有损坏，已自动修复后读取，请核对结果",
                                "the PDF's structure is damaged and was repaired to read it: "
                                "check the values"))

    ident = _identify.from_metadata(info)
    names = {t.name for t in terminals}
    if ident is None and names:
        ident = _identify.from_fields(names)
    if ident is not None and names and _identify.fields_match(ident.spec, names) >= 0.5:
        readings = _acroform.read_fields(reader, ident.spec, terminals)
        return _finish(ident, readings, "acroform", warnings, npages)

    pages = _layout.extract_pages(data, npages)
    if not any(p.nchars for p in pages):
        if ident is not None or any(p.nimages for p in pages):
            # a scan: read by OCR where its pages carry our mark or their labels tell it
            from . import _scan

            try:
                return _scan.read_scan(data, limits, granted(limits), outside_budget)
            except UnknownTemplate as e:
                raise PdfNoTextLayer(
                    f"PDF 中没有文字层（可能是扫描件或图片）：{e.message_zh}",
                    f"the PDF has no text layer (a scan or an image?): {e.message_en}") from None
        raise UnknownTemplate("PDF 的页面上没有任何文字，不是本系统的表单",
                              "the PDF's pages carry no text: it is not one of our forms")
    if ident is None:
        flow, cells = _layout.page_keys(pages)
        ident, best, score = _identify.from_text(flow, cells)
        if ident is None:
            hint = ""
            hint_en = ""
            if best is not None and score > 0:
                hint = f"（最接近“{best.title}”，但只找到 {score:.0%} 的标签）"
                hint_en = f" (closest: {best.id}, with {score:.0%} of its labels)"
            raise UnknownTemplate(f"无法识别为本系统的任何表单{hint}",
                                  f"the PDF is none of our forms{hint_en}")
    readings, more = _layout.read_layout(ident.spec, pages, _our_geometry(ident, pages))
    return _finish(ident, readings, "layout", warnings + more, npages)


def _our_geometry(ident, pages):
    """Where our fillable PDF puts every box, when these pages are that PDF with its fields
    flattened: known from its metadata, or from its title printed where we print it.  A
    function, called only when a box shows no mark (computing the layout loads our font)."""
    if ident.by == "stamp":  # an export of our DOCX: its boxes are characters
        return None

    def geometry() -> dict | None:
        try:
            from forms.layout import layout_geometry

            geo = layout_geometry(ident.spec)
        except Exception:  # no prepared font here: drawn ticks stay unread (and reported)
            return None
        if ident.by in ("metadata", "fields"):
            return geo
        title = next((t for t in geo["pages"][0]["texts"] if t["text"] == ident.spec.title),
                     None)
        return geo if title and _layout.printed_at(pages, title["text"], title["bbox"]) else None

    return geometry


def _finish(ident, readings, method: str, warnings: list[dict], npages: int) -> dict:
    result = assemble(ident.spec, readings, method=method, identified_by=ident.by,
                      warnings=ident.warnings + warnings, pages=npages)
    problems = [_labelled(ident.spec, p) for p in text_problems(result.record)]
    if problems:  # the edge's text check, for text that came in a file
        raise PdfTextInvalid(
            f"文件中有 {len(problems)} 处填写的文字含有不允许的字符（控制字符、改变文字方向的字符"
            "或无法编码的字符），请改正后重新导出",
            f"{len(problems)} value(s) in the file hold characters that are not allowed "
            "(control, text-direction or unencodable characters); correct and export again",
            problems)
    return result.to_dict()


def _labelled(spec, p: FieldProblem) -> FieldProblem:
    """The problem named by the field's label as printed on the form (``departments.2.beds``:
    the column's label, row 3)."""
    parts = p.field.split(".")
    try:
        f = spec.field(parts[0])
        label = f.qualified_label
        if len(parts) == 3 and parts[1].isdigit():
            label = f"{label}第 {int(parts[1]) + 1} 行·{f.column(parts[2]).label}"
    except KeyError:
        return p
    zh = p.message_zh.split("：", 1)[-1]
    return FieldProblem(p.field, p.code, f"{label}（{p.field}）：{zh}", p.message_en)


_OWN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _from_library(tb) -> bool:
    """Whether an exception escaped a PDF library: a frame of pypdf, pdfminer or pdfplumber
    lies deeper than the deepest frame of xieyi's own code, wherever the innermost frame
    is (the standard library's base64, zlib, struct, codecs… called by the library).  An
    exception raised in xieyi's own code, below every library call, is ours."""
    library_below_us = False
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.startswith(_LIB_DIRS):
            library_below_us = True
        elif name.startswith(_OWN_DIR) and ".venv" not in name:
            library_below_us = False
        tb = tb.tb_next
    return library_below_us


#: how a worker asks its caller for more time (``serve`` sets it; in the caller's own
#: process there is no clock to extend)
_grant = None


def granted(limits: Limits):
    """``granted(n)`` for ``_scan.read_scan``: n pages' time asked of the caller."""
    def ask(pages: int) -> None:
        if _grant is not None:
            _grant(pages * limits.scan_page_time)
    return ask


def parse_bytes(data: bytes, limits: Limits) -> dict:
    """Parse ``data`` in this process (see module doc): a dict, or a ``ParseError``.
    An image (JPEG, PNG, TIFF) is a scan: read by OCR (``_ocr``)."""
    from . import _scan

    try:
        with _inflate.parse_budget(limits.stream_inflate_limit, limits.inflate_limit) as budget:
            try:
                if _scan.is_image(data):
                    result = _scan.read_scan(data, limits, granted(limits), outside_budget)
                else:
                    result = _parse(data, limits)
            except BaseException:
                if budget.tripped:  # whatever it led to, the bomb is the cause
                    raise budget.tripped from None
                raise
            if budget.tripped:  # a reader caught it and went on: the file is still a bomb
                raise budget.tripped
            return result
    except ParseError:
        raise
    except _inflate.InflateLimit as e:
        where_zh = "单个数据流" if e.what == "a stream" else "全部数据流"
        raise ParseResourceLimit(
            f"文件中{where_zh}解压后超过 {e.cap} 字节的上限（可能是压缩炸弹），已中止读取",
            f"{e.what} of the file inflates past the limit of {e.cap} bytes "
            "(a decompression bomb?); reading was stopped") from None
    except (MemoryError, LimitReachedError):
        raise ParseResourceLimit(
            "读取文件所需内存超过上限（可能是压缩炸弹）", "reading the file needs more memory than "
            "allowed (a decompression bomb?)") from None
    except (RecursionError, PdfReadError) as e:
        raise _malformed(e) from None
    except Exception as e:
        if _from_library(e.__traceback__):
            raise _malformed(e) from None
        # our defect: logged with the file's hash, so the very file can be found again
        import hashlib

        logging.getLogger(__name__).exception(
            "parser defect on a file of %d bytes, sha256 %s", len(data),
            hashlib.sha256(data).hexdigest())
        raise ParseInternal("读取此文件时解析程序出错（已记录），请联系管理员",
                            f"the parser failed on this file ({type(e).__name__}); "
                            "this is a defect and was logged") from None


def _malformed(e: Exception) -> PdfMalformed:
    return PdfMalformed("PDF 文件已损坏，无法读取（交叉引用表或对象结构错误）",
                        f"the PDF is damaged and cannot be read ({type(e).__name__}: "
                        f"{str(e)[:120]})")


# ---------------------------------------------------------------- the worker process

def _vm_size() -> int | None:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def rss() -> int | None:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


#: the memory a worker's file may add (``serve`` sets it; None outside a worker)
_budget: int | None = None


@contextlib.contextmanager
def outside_budget():
    """Our own work, not the file's: the OCR engine, loaded once per worker, and its runs
    on line images whose sizes the form's boxes bound (the file only chose their pixels)
    are done with the address-space cap lifted, and the cap set again above the worker's
    new size (a file's budget is the same with the engine loaded as without)."""
    if _budget is None:
        yield
        return
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    try:
        yield
    finally:
        _cap_memory(_budget)


def _cap_memory(memory_limit: int) -> None:
    try:
        import resource
    except ImportError:  # not a POSIX system: the time limit still holds
        return
    global _budget
    _budget = memory_limit
    size = _vm_size()
    if size is None:
        return
    cap = size + memory_limit
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _die_with_parent() -> None:
    """Linux: be killed when the parent dies (a forked worker may hold copies of its
    siblings' pipes, so it would not see the parent's end close)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


#: a worker that has grown this much beyond its size after the first parse retires
RETIRE_GROWTH = 200 * MiB


def do_job(data: bytes, limits: Limits, job: tuple | None):
    """One call's work: parse (``job`` None), ``("sizes",)``, ``("png", page, width)`` or
    ``("identify",)`` (the page marks of a scan)."""
    if job is None:
        return parse_bytes(data, limits)
    from . import _pages

    # PDFium inflates in C, out of the inflate caps' reach: the worker's address-space
    # cap and the caller's clock bound it (a failed allocation that kills the worker is
    # answered as the resource limit)
    try:
        if job[0] == "sizes":
            return _pages.page_sizes(data, limits.max_pages)
        if job[0] == "png":
            return _pages.page_png(data, job[1], job[2], limits.max_pages)
        if job[0] == "identify":
            from . import _scan

            return _scan.identify_pages(data, limits.max_pages, granted(limits),
                                        outside_budget)
    except MemoryError:
        raise ParseResourceLimit("生成页面图像所需内存超过上限",
                                 "drawing the page needs more memory than allowed") from None
    raise ValueError(f"unknown job {job[0]!r}")


def serve(conn, memory_limit: int) -> None:
    """A worker's loop: ``(data, limits, job)`` in, ``("ok", result)`` or ``("error", …)``
    out; ``job`` None parses the file (``do_job``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    # what the worker inherited stays shared with its parent: a collection that visited
    # those objects would write to them and copy their pages (~50 MB a worker)
    gc.freeze()
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # its debug calls cost ~5 %
    logging.getLogger("pypdf").setLevel(logging.WARNING)
    logging.getLogger("pypdf").propagate = False
    _cap_memory(memory_limit)
    global _grant
    _grant = lambda seconds: conn.send(("grant", seconds))  # noqa: E731
    base = None
    while True:
        try:
            data, limits, job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        retire = False
        try:
            out = ("ok", do_job(data, Limits(**limits), job))
        except ParseError as e:
            out = ("error", type(e).__name__, e.message_zh, e.message_en,
                   [d.to_dict() for d in e.details])
            retire = isinstance(e, ParseResourceLimit)
        except BaseException as e:
            out = ("error", "ParseInternal", "解析进程出错", f"the parse worker failed: "
                   f"{type(e).__name__}", [])
            retire = True
        del data
        now = rss()
        if base is None:
            base = now
        elif now is not None and base is not None and now - base > RETIRE_GROWTH:
            retire = True
        try:
            conn.send(out + (retire,))
        except (OSError, ValueError):
            return
        if retire:
            return


def _warm() -> None:
    """The descriptions loaded and their schemas built in the process that forks the
    workers (the caller, or the fork server, which imports this module first): a worker
    that had to load them itself would spend a quarter of a second on its first file."""
    from forms import all_forms, record_schema

    for spec in all_forms():
        record_schema(spec)
        _identify.field_names(spec)


_warm()
