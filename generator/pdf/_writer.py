"""A minimal PDF object writer: numbered objects, streams, a classic xref table.

Written by hand because the PDF needs objects no drawing library offers
together (Type0 / Identity-H TrueType, merged field/widgets with their own
appearance streams), and because it is fast: a form is a few dozen small
objects and one font stream.
"""

from __future__ import annotations

import struct
import zlib


def num(x: float) -> str:
    """A PDF number, short: 3 decimals at most, no trailing zeros."""
    if x == int(x):
        return str(int(x))
    s = f"{x:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def text(s: str) -> str:
    """A PDF text string as UTF-16BE with a byte order mark, in hex (exact for any text)."""
    return "<FEFF" + s.encode("utf-16-be").hex().upper() + ">"


def literal(s: str) -> str:
    """A PDF literal string for ASCII text (field partial names, metadata ids)."""
    s.encode("ascii")
    return "(" + s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def string(s: str) -> str:
    """Printable ASCII as a literal string, anything else as UTF-16BE."""
    if all(" " <= c <= "~" for c in s):
        return literal(s)
    return text(s)


def ref(n: int) -> str:
    return f"{n} 0 R"


class PdfWriter:
    """Objects are numbered as allocated; ``tobytes`` packs every non-stream object into
    one compressed object stream (widget and field dictionaries are most of a form's
    bytes and compress five-fold) and writes a cross-reference stream."""

    def __init__(self) -> None:
        self._objs: list[bytes | None] = [None]
        self._streams: set[int] = set()

    def alloc(self) -> int:
        self._objs.append(None)
        return len(self._objs) - 1

    def put(self, n: int, body: str | bytes) -> int:
        self._objs[n] = body.encode("latin-1") if isinstance(body, str) else body
        return n

    def add(self, body: str | bytes) -> int:
        return self.put(self.alloc(), body)

    def stream(self, entries: str, data, *, n: int | None = None,
               compress: bool = True, compressed: bool = False) -> int:
        """A stream object; ``compressed`` says ``data`` is already Flate-encoded.

        ``data`` is bytes, or a sequence of byte strings when it is compressed
        already: those are written out as they are, never joined in memory (a
        font program is tens of kilobytes, mostly blocks cached between documents).
        """
        if isinstance(data, (bytes, bytearray)):
            if compress and not compressed:
                data = zlib.compress(data, 6)
                compressed = True
            parts = (data,)
        else:
            if not compressed:
                raise ValueError("a stream given in parts must be compressed already")
            parts = tuple(data)
        length = sum(map(len, parts))
        filt = " /Filter /FlateDecode" if compressed else ""
        head = f"<< /Length {length}{filt}{(' ' + entries) if entries else ''} >>\nstream\n"
        if n is None:
            n = self.alloc()
        self._streams.add(n)
        self._objs[n] = (head.encode("latin-1"), *parts, b"\nendstream")
        return n

    def put_stream(self, body: bytes) -> int:
        """A new stream object written whole: ``<< … >>\\nstream\\n…\\nendstream``."""
        n = self.alloc()
        self._streams.add(n)
        self._objs[n] = (body,)
        return n

    def tobytes(self, root: int, info: int, file_id: str, level: int = 6) -> bytes:
        objs = self._objs
        count = len(objs)
        for n in range(1, count):
            if objs[n] is None:
                raise AssertionError(f"object {n} allocated but never written")
        packed = [n for n in range(1, count) if n not in self._streams]
        objstm = count
        xref_n = count + 1
        size = count + 2

        # the object stream: "num offset" pairs, then the objects
        index = []
        bodies = []
        off = 0
        for n in packed:
            index.append(f"{n} {off}")
            b = objs[n]
            bodies.append(b)
            off += len(b) + 1
        head = (" ".join(index) + "\n").encode("latin-1")
        data = zlib.compress(head + b"\n".join(bodies) + b"\n", level)

        out = [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"]
        pos = len(out[0])
        entries = [b"\x00\x00\x00\x00\x00\xff\xff"] * size
        for i, n in enumerate(packed):
            entries[n] = struct.pack(">BIH", 2, objstm, i)

        pack = struct.pack
        for n in sorted(self._streams):
            opening = b"%d 0 obj\n" % n
            entries[n] = pack(">BIH", 1, pos, 0)
            parts = objs[n]
            out.append(opening)
            out.extend(parts)
            out.append(b"\nendobj\n")
            pos += len(opening) + sum(map(len, parts)) + 8
        opening = (f"{objstm} 0 obj\n<< /Type /ObjStm /N {len(packed)} /First {len(head)} "
                   f"/Length {len(data)} /Filter /FlateDecode >>\nstream\n").encode("latin-1")
        entries[objstm] = pack(">BIH", 1, pos, 0)
        out += (opening, data, b"\nendstream\nendobj\n")
        pos += len(opening) + len(data) + 18
        entries[xref_n] = struct.pack(">BIH", 1, pos, 0)
        xdata = zlib.compress(b"".join(entries), level)
        xref = (f"<< /Type /XRef /Size {size} /W [1 4 2] /Root {ref(root)} /Info {ref(info)} "
                f"/ID [<{file_id}> <{file_id}>] /Length {len(xdata)} /Filter /FlateDecode >>"
                f"\nstream\n").encode("latin-1")
        out.append(b"%d 0 obj\n" % xref_n + xref + xdata + b"\nendstream\nendobj\n")
        out.append(f"startxref\n{pos}\n%%EOF\n".encode("latin-1"))
        return b"".join(out)
