"""Caps on decompressed bytes, checked while inflating, per stream and per document.

A decompression bomb (a few KB of Flate, LZW or RunLength that expand to
gigabytes) must stop before its output exists, not when the address-space cap
of the worker (``parser._pool``) turns the allocation into a ``MemoryError``:
by then the process tree holds the memory, and a server running several
workers holds it several times.

Both PDF libraries the parser uses decode streams through a few functions:

* pdfminer (pdfplumber's reader): ``pdfminer.pdftypes`` calls ``zlib``,
  ``lzwdecode``, ``rldecode``, ``ascii85decode``, ``asciihexdecode`` and
  ``ccittfaxdecode`` by the names it imported.  ``install()`` puts bounded
  versions under those names: Flate inflates in slices with ``max_length`` and
  stops at the cap; LZW uses pypdf's codec, which takes an output cap;
  RunLength is decoded here with the cap checked per run; the others expand at
  most 4 times their input and are counted when done.
* pypdf (the AcroForm reader): its own per-filter caps (``pypdf.Configuration``)
  are set to the per-stream cap, and ``decode_stream_data`` is wrapped so its
  output counts towards the document's total.

The per-document total is kept per parse: ``parse_budget(limits)`` opens it
(``parser._work`` does, around each file).  Exceeding either cap raises
``InflateLimit`` and records it on the budget: a reader that catches the
exception and goes on (pypdf and pdfminer skip streams they cannot decode) does
not hide it, and the worker reports the file as ``parse_resource_limit``.
"""

from __future__ import annotations

import contextlib
import threading
import zlib

#: bytes inflated per call to zlib: small enough that a bomb's slice costs little
_SLICE = 1 << 20


class InflateLimit(Exception):
    """A stream or the document inflated past its cap."""

    def __init__(self, what: str, cap: int):
        super().__init__(f"{what} inflates past {cap} bytes")
        self.what = what
        self.cap = cap


class _Budget(threading.local):
    def __init__(self) -> None:
        self.stream_cap: int | None = None
        self.document_cap: int | None = None
        self.used = 0
        #: the cap that was hit, kept even when a reader catches the exception and goes
        #: on (both libraries, and the parser, fall back on a stream they cannot decode)
        self.tripped: InflateLimit | None = None


_budget = _Budget()


def _over() -> InflateLimit:
    """The exception for a stream that went past ``_stream_cap()``, naming the cap that
    bound it (the stream's own, or what remained of the document's), recorded."""
    b = _budget
    if b.document_cap is not None and b.document_cap - b.used < (b.stream_cap or 0):
        e = InflateLimit("the document", b.document_cap)
    else:
        e = InflateLimit("a stream", b.stream_cap or 0)
    b.tripped = b.tripped or e
    return e


def _take(n: int) -> None:
    """Count ``n`` more inflated bytes of this document."""
    b = _budget
    if b.document_cap is None:
        return
    b.used += n
    if b.used > b.document_cap:
        e = InflateLimit("the document", b.document_cap)
        b.tripped = b.tripped or e
        raise e


def _stream_cap() -> int | None:
    b = _budget
    if b.stream_cap is None:
        return None
    if b.document_cap is None:
        return b.stream_cap
    return max(0, min(b.stream_cap, b.document_cap - b.used))


def _inflate(data: bytes, cap: int | None, wbits: int = zlib.MAX_WBITS) -> bytes:
    """``zlib.decompress(data)`` that stops past ``cap`` output bytes (raises
    ``zlib.error`` on bad data as zlib does; trailing bytes after the end are ignored)."""
    d = zlib.decompressobj(wbits)
    out = bytearray()
    buf = data
    while True:
        room = _SLICE if cap is None else min(_SLICE, cap - len(out) + 1)
        piece = d.decompress(buf, room)
        out += piece
        if cap is not None and len(out) > cap:
            raise _over()
        buf = d.unconsumed_tail
        if d.eof or (not buf and not piece):
            break
    if not d.eof:
        # what zlib.decompress says of a truncated stream, so callers' fallbacks still run
        out += d.flush()
        if not d.eof:
            raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
    return bytes(out)


class _BoundedDecompressor:
    """``zlib.decompressobj()`` whose output counts against the caps (pdfminer's
    recovery of a corrupted stream feeds it a byte at a time)."""

    def __init__(self, wbits: int = zlib.MAX_WBITS):
        self._d = zlib.decompressobj(wbits)
        self._cap = _stream_cap()
        self._out = 0

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        room = 0 if self._cap is None else self._cap - self._out + 1
        if max_length:
            room = min(room, max_length) if room else max_length
        piece = self._d.decompress(data, room) if room else self._d.decompress(data)
        self._out += len(piece)
        if self._cap is not None and self._out > self._cap:
            raise _over()
        _take(len(piece))
        return piece

    def flush(self, *args) -> bytes:
        piece = self._d.flush(*args)
        self._out += len(piece)
        _take(len(piece))
        return piece

    def __getattr__(self, name):
        return getattr(self._d, name)


class _BoundedZlib:
    """What ``pdfminer.pdftypes`` calls ``zlib``."""

    error = zlib.error
    MAX_WBITS = zlib.MAX_WBITS

    @staticmethod
    def decompress(data: bytes, wbits: int = zlib.MAX_WBITS, bufsize: int = 0) -> bytes:
        out = _inflate(data, _stream_cap(), wbits)
        _take(len(out))
        return out

    @staticmethod
    def decompressobj(wbits: int = zlib.MAX_WBITS, *args):
        return _BoundedDecompressor(wbits)

    def __getattr__(self, name):
        return getattr(zlib, name)


def _rldecode(data: bytes) -> bytes:
    """RunLength (PDF 32000-1 §7.4.5), with the cap checked per run."""
    cap = _stream_cap()
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        length = data[i]
        i += 1
        if length == 128:
            break
        if length < 128:
            out += data[i:i + length + 1]
            i += length + 1
        else:
            if i >= n:
                break
            out += data[i:i + 1] * (257 - length)
            i += 1
        if cap is not None and len(out) > cap:
            raise _over()
    _take(len(out))
    return bytes(out)


def _lzwdecode(data: bytes) -> bytes:
    from pypdf._codecs._codecs import LzwCodec
    from pypdf.errors import LimitReachedError

    cap = _stream_cap()
    try:
        out = LzwCodec(max_output_length=cap if cap is not None else 0).decode(data)
    except LimitReachedError:
        raise _over() from None
    _take(len(out))
    return out


def _counted(decode):
    from pypdf.errors import LimitReachedError

    def bounded(*args, **kwargs):
        try:
            out = decode(*args, **kwargs)
        except LimitReachedError:  # pypdf's own per-filter caps, set to ours
            raise _over() from None
        cap = _stream_cap()
        if cap is not None and len(out) > cap:
            raise _over()
        _take(len(out))
        return out

    bounded.__wrapped__ = decode
    return bounded


_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Put the bounded decoders where pdfminer and pypdf call theirs (once per process)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        import pypdf.filters
        from pdfminer import pdftypes

        pdftypes.zlib = _BoundedZlib()
        pdftypes.lzwdecode = _lzwdecode
        pdftypes.rldecode = _rldecode
        for name in ("ascii85decode", "asciihexdecode", "ccittfaxdecode"):
            setattr(pdftypes, name, _counted(getattr(pdftypes, name)))
        pypdf.filters.decode_stream_data = _counted(pypdf.filters.decode_stream_data)
        _installed = True


@contextlib.contextmanager
def parse_budget(stream_cap: int, document_cap: int):
    """Caps for one parse in this thread: ``stream_cap`` inflated bytes per stream,
    ``document_cap`` in all.  pypdf's own per-filter caps follow ``stream_cap``."""
    import pypdf

    install()
    b = _budget
    saved = (b.stream_cap, b.document_cap, b.used, b.tripped)
    b.stream_cap, b.document_cap, b.used, b.tripped = stream_cap, document_cap, 0, None
    try:
        with pypdf.apply_configuration(
                zlib_maximum_output_length=stream_cap, lzw_maximum_output_length=stream_cap,
                run_length_maximum_output_length=stream_cap,
                array_based_stream_maximum_output_length=stream_cap,
                jbig2_maximum_output_length=stream_cap,
                brotli_maximum_output_length=stream_cap,
                image_maximum_buffer_size=stream_cap,
                stream_decoding_work_maximum_length=4 * stream_cap):
            yield b
    finally:
        b.stream_cap, b.document_cap, b.used, b.tripped = saved
