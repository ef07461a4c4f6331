"""Reading filled forms back: a PDF in, the record it holds out (DESIGN §4).

>>> from parser import parse_pdf, Limits
>>> result = parse_pdf(open("申请表.pdf", "rb").read())
>>> result.form, result.method, result.record["institution_name"]

``parse_pdf(data, *, limits=Limits(), isolate=True)`` returns a ``ParseResult``:

* ``form``, ``version``, ``title``: which form it is; ``identified_by``: how we know
  (``metadata`` of our fillable PDF, the DOCX ``stamp`` an export carries, the
  AcroForm ``fields``, or the printed ``text``: title and labels);
* ``method``: ``acroform`` (the values of the fillable PDF's fields) or ``layout``
  (page text read from the cells its labels mark: an export from Word, WPS,
  LibreOffice);
* ``record``: JSON values keyed by field id, as ``forms.validate_record`` accepts
  them (dates ISO, decimals as exact strings, rows as lists, a choice as its
  label, a checkbox as ``true``/``false``); ``typed_record()`` gives Python types;
* ``fields``: per value box (``institution_name``, ``departments.0.beds``): ``value``,
  ``raw`` text, ``page``, ``bbox`` (points, from the page's top-left), ``method``,
  ``confidence`` (0-1);
* ``warnings``: ``{field, code, message_zh, message_en}`` for each value that could
  not be read or that the form refuses (never guessed), and for the file itself.

Bad input raises a ``forms.errors.ParseError`` subclass (exit status 3, HTTP 422;
413 for size and pages): ``NotPdf``, ``PdfEncrypted``, ``PdfMalformed``,
``PdfNoPages``, ``PdfNoTextLayer``, ``UnknownTemplate``, ``PdfTooLarge``,
``PdfTooManyPages``, ``ParseTimeout``, ``ParseResourceLimit``.

With ``isolate=True`` (the default) the file is read in a worker process under
the time and memory limits (``parser._pool``); ``isolate=False`` reads it in the
calling process with only the size and page limits (trusted files, profiling).
"""

from __future__ import annotations

from forms import errors as _errors
from forms.errors import FieldProblem, ParseError, ParseInternal

from ._limits import Limits
from ._result import IDENTIFIED_BY, METHODS, ParseResult

__all__ = ["parse_pdf", "page_sizes", "page_image", "identify_pages", "is_image", "Limits", "ParseResult", "ParseError", "METHODS", "IDENTIFIED_BY",
           "warm_up", "shutdown", "configure_workers"]

# the error classes a worker may name in its answer
_ERRORS = {name: getattr(_errors, name) for name in (
    "NotPdf", "PdfEncrypted", "PdfMalformed", "PdfNoPages", "PdfNoTextLayer", "UnknownTemplate",
    "PdfTextInvalid", "PdfTooLarge", "PdfTooManyPages", "ParseTimeout", "ParseResourceLimit", "ParseInternal",
    "ParseError")}


def parse_pdf(data: bytes, *, limits: Limits | None = None, isolate: bool = True) -> ParseResult:
    """Read a filled form from PDF bytes (see the module doc)."""
    limits = limits or Limits()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("parse_pdf takes the file's bytes")
    data = bytes(data)
    from . import _work

    # the cheap refusals need no worker
    data, limits = _checked(data, limits)
    if not isolate:
        return ParseResult.from_dict(_work.parse_bytes(data, limits))
    return ParseResult.from_dict(_in_worker(data, limits, None))


def is_image(data: bytes) -> bool:
    """Whether ``data`` starts as a JPEG, PNG or TIFF image does (a scan or a photograph)."""
    from ._scan import is_image as check

    return check(data)


def _in_worker(data: bytes, limits: Limits, job: tuple | None):
    from . import _pool

    answer = _pool.pool().run(data, limits, job)
    if answer[0] == "ok":
        return answer[1]
    _, name, zh, en, details = answer
    cls = _ERRORS.get(name, ParseInternal)
    raise cls(zh, en, [FieldProblem(**d) for d in details])


def _checked(data, limits: Limits | None) -> tuple[bytes, Limits]:
    """The bytes of a PDF or of a scan's image (JPEG, PNG, TIFF), within ``limits``."""
    limits = limits or Limits()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("the file's bytes are needed")
    data = bytes(data)
    from . import _scan, _work

    _work.check_size(data, limits)
    if not _scan.is_image(data):
        _work.check_header(data)
    return data, limits


def page_sizes(data: bytes, *, limits: Limits | None = None) -> list[tuple[float, float]]:
    """Each page's (width, height) in points, read in a worker under ``limits``."""
    data, limits = _checked(data, limits)
    return [tuple(p) for p in _in_worker(data, limits, ("sizes",))]


def page_image(data: bytes, page: int, *, width: int = 1000,
               limits: Limits | None = None) -> bytes:
    """Page ``page`` (1-based) as a PNG ``width`` pixels wide, drawn by PDFium in a worker
    under ``limits`` (the boxes of ``ParseResult.fields`` scale by ``width`` / page width)."""
    from ._pages import MAX_WIDTH

    if not 1 <= int(width) <= MAX_WIDTH:
        raise ValueError(f"width must be between 1 and {MAX_WIDTH} pixels")
    if int(page) < 1:
        raise ValueError("pages are numbered from 1")
    data, limits = _checked(data, limits)
    return _in_worker(data, limits, ("png", int(page), int(width)))


def identify_pages(data: bytes, *, limits: Limits | None = None) -> list[dict]:
    """Which of xieyi's forms and pages each page of a scan is (an image-only PDF, or a
    JPEG, PNG or TIFF image), from the mark our PDFs print on every page, or for a page
    without it from the labels printed on it; read in a worker under ``limits``.  Each
    page: ``{"page", "form", "version", "form_page", "title", "transform",
    "identified_by"}`` (``identified_by`` ``mark`` or ``text``; ``version`` None where only
    the labels tell the page), or ``{"page", "form": None}`` for a page that is none of
    our forms'."""
    data, limits = _checked(data, limits)
    return _in_worker(data, limits, ("identify",))


def warm_up(limits: Limits | None = None) -> None:
    """Start a worker ahead of the first parse (the service calls this at start)."""
    from . import _pool

    _pool.pool().warm(limits)


def configure_workers(size: int) -> None:
    from . import _pool

    _pool.configure(size)


def shutdown() -> None:
    """Stop the worker processes (they stop with the program anyway)."""
    from . import _pool

    _pool.shutdown()
