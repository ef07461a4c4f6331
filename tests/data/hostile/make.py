"""Make the hostile and malformed PDFs of this folder (``python tests/data/hostile/make.py``).

Every file is built here byte for byte (no timestamps, no randomness), so
``tests/test_parse_hostile.py`` can check that the committed files are what this
script makes.  None of them is one of our forms: the parser must refuse each one
with its own typed error, within its time and memory limits.

=====================  ===================================================  ==================
file                   what it is                                           expected code
=====================  ===================================================  ==================
encrypted.pdf          needs a user password (RC4 128-bit)                  pdf_encrypted
truncated.pdf          a whole file cut at 60 % (an interrupted upload)     pdf_malformed
broken-xref.pdf        its cross-reference stream zeroed: no object found   pdf_malformed
not-a-pdf.pdf          plain text with a .pdf name                          not_pdf
docx-renamed.pdf       a zip (a Word file renamed to .pdf)                  not_pdf
empty.pdf              zero bytes                                           not_pdf
zero-pages.pdf         a valid file whose page tree is empty                pdf_no_pages
too-many-pages.pdf     60 blank pages (the default limit is 50)             pdf_too_many_pages
bomb.pdf               3 KB whose page content inflates to 1 GiB            parse_resource_limit
scan.pdf               a page that is only an image (a scan)                pdf_no_text_layer
other-document.pdf     a text document that is none of our forms            unknown_template
slow.pdf               5 million no-op operators: reading takes minutes     parse_timeout
=====================  ===================================================  ==================
"""

from __future__ import annotations

import io
import sys
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

EXPECTED = {
    "encrypted.pdf": "pdf_encrypted",
    "truncated.pdf": "pdf_malformed",
    "broken-xref.pdf": "pdf_malformed",
    "not-a-pdf.pdf": "not_pdf",
    "docx-renamed.pdf": "not_pdf",
    "empty.pdf": "not_pdf",
    "zero-pages.pdf": "pdf_no_pages",
    "too-many-pages.pdf": "pdf_too_many_pages",
    "bomb.pdf": "parse_resource_limit",
    "scan.pdf": "pdf_no_text_layer",
    "other-document.pdf": "unknown_template",
    "slow.pdf": "parse_timeout",
}


# ---------------------------------------------------------------- a small PDF writer

def _stream(entries: str, data: bytes, compress: bool = True) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        entries = f"/Filter /FlateDecode {entries}".strip()
    return (f"<< /Length {len(data)} {entries} >>\nstream\n".encode("latin-1") + data
            + b"\nendstream")


def classic(objects: list[bytes], root: int = 1, info: int | None = None) -> bytes:
    """A PDF 1.4 file: objects numbered from 1, a classic cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    trailer = f"<< /Size {len(objects) + 1} /Root {root} 0 R"
    if info:
        trailer += f" /Info {info} 0 R"
    out.write(f"trailer\n{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode("latin-1"))
    return out.getvalue()


def _text_page(lines: list[tuple[str, str]]) -> list[bytes]:
    """Catalog, pages, one page with Helvetica and (non-embedded) Chinese lines."""
    ops = ["BT"]
    y = 780
    for font, text in lines:
        if font == "F1":
            esc = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"/F1 14 Tf 1 0 0 1 72 {y} Tm ({esc}) Tj")
        else:
            hexs = text.encode("utf-16-be").hex().upper()
            ops.append(f"/F2 14 Tf 1 0 0 1 72 {y} Tm <{hexs}> Tj")
        y -= 24
    ops.append("ET")
    content = "\n".join(ops).encode("latin-1")
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        _stream("", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
        b"/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >> >>] >>",
    ]


def other_document() -> bytes:
    return classic(_text_page([
        ("F1", "Quarterly report 2024"),
        ("F2", "关于召开年度工作会议的通知"),
        ("F2", "各科室：定于下周一召开年度工作会议，请准时参加。"),
        ("F1", "Revenue grew 12% over the year."),
    ]))


def plain_document() -> bytes:
    return classic(_text_page([("F1", "A plain document of one page."),
                               ("F2", "这是一份普通文件。")]))


def truncated() -> bytes:
    data = plain_document()
    return data[: len(data) * 6 // 10]


def broken_xref() -> bytes:
    """Catalog and page tree in an object stream, found only through the cross-reference
    stream, whose entries are all zeros: nothing leads to the catalog."""
    content = _stream("", b"BT /F1 12 Tf 72 720 Td (lost) Tj ET")
    packed = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
    ]
    index, body, off = [], b"", 0
    for n, b in enumerate(packed, start=1):
        index.append(f"{n} {off}")
        body += b + b"\n"
        off += len(b) + 1
    head = (" ".join(index) + "\n").encode("latin-1")
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    out.write(b"4 0 obj\n" + content + b"\nendobj\n")
    objstm = zlib.compress(head + body, 9)
    out.write(f"5 0 obj\n<< /Type /ObjStm /N 3 /First {len(head)} /Length {len(objstm)} "
              f"/Filter /FlateDecode >>\nstream\n".encode("latin-1") + objstm
              + b"\nendstream\nendobj\n")
    xref_at = out.tell()
    entries = zlib.compress(bytes(7 * 7), 9)  # seven entries of zeros: every object free
    out.write(f"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length {len(entries)} "
              f"/Filter /FlateDecode >>\nstream\n".encode("latin-1") + entries
              + b"\nendstream\nendobj\n")
    out.write(f"startxref\n{xref_at}\n%%EOF\n".encode("latin-1"))
    return out.getvalue()


def encrypted() -> bytes:
    """``plain_document`` encrypted by pypdf with a user password; pypdf's random file
    identifier is made fixed, so the bytes are the same every time."""
    import pypdf
    import pypdf._writer as w

    token = w.secrets.token_bytes
    w.secrets.token_bytes = lambda n: bytes(range(n))
    try:
        writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(plain_document())))
        writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    finally:
        w.secrets.token_bytes = token


def docx_renamed() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<w:document/>")):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            z.writestr(info, text)
    return out.getvalue()


def zero_pages() -> bytes:
    return classic([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def too_many_pages(n: int = 60) -> bytes:
    kids = " ".join(f"{3 + i} 0 R" for i in range(n))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode("latin-1")]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * n
    return classic(objs)


def bomb(gib: int = 1) -> bytes:
    """A page whose content is deflated twice: 1 GiB of zeros in a 3 KB file.  A reader
    without its own limit inflates all of it."""
    c = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    inner = b"".join([c.compress(chunk) for _ in range(1024 * gib)] + [c.flush()])
    outer = zlib.compress(inner, 9)
    content = (f"<< /Length {len(outer)} /Filter [/FlateDecode /FlateDecode] >>\nstream\n"
               .encode("latin-1") + outer + b"\nendstream")
    return classic([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        content,
    ])


def _one_page(content_stream: bytes) -> bytes:
    return classic([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        content_stream,
    ])


# ---------------------------------------------------------------- bombs built on the fly
# (not committed: tests and benchmarks/bench_hostile.py build them at the size they need)

def flate_bomb(mib: int) -> bytes:
    """A page whose content is ``mib`` MiB of spaces, deflated once (ratio ~1000)."""
    c = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = b"".join([c.compress(chunk) for _ in range(mib)] + [c.flush()])
    return _one_page(f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n"
                     .encode("latin-1") + data + b"\nendstream")


def runlength_bomb(mib: int) -> bytes:
    """A page whose content is RunLength-coded spaces: 2 bytes make 128 (ratio 64)."""
    data = b"\x81 " * (mib * (1 << 20) // 128) + b"\x80"
    return _one_page(f"<< /Length {len(data)} /Filter /RunLengthDecode >>\nstream\n"
                     .encode("latin-1") + data + b"\nendstream")


def lzw_bomb(kib: int) -> bytes:
    """A page whose content is ``kib`` KiB of zeros, LZW-coded (ratio ~1000)."""
    from pypdf._codecs._codecs import LzwCodec

    data = LzwCodec().encode(bytes(kib * 1024))
    return _one_page(f"<< /Length {len(data)} /Filter /LZWDecode >>\nstream\n"
                     .encode("latin-1") + data + b"\nendstream")


def many_streams(pages: int, kib: int) -> bytes:
    """``pages`` pages, each content ``kib`` KiB of spaces deflated: no stream is large,
    all of them together are."""
    body = zlib.compress(b" " * (kib * 1024), 9)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode("latin-1")]
    for i in range(pages):
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                    f"/Contents {4 + 2 * i} 0 R >>".encode("latin-1"))
        objs.append(f"<< /Length {len(body)} /Filter /FlateDecode >>\nstream\n"
                    .encode("latin-1") + body + b"\nendstream")
    return classic(objs)


def objstm_bomb(mib: int) -> bytes:
    """The catalog's AcroForm lives in an object stream padded to ``mib`` MiB of spaces
    (pypdf inflates it to read the form's fields)."""
    c = zlib.compressobj(9)
    head = b"5 0 "
    obj = b"<< /Fields [] >>"
    pad = b" " * (1 << 20)
    first = len(head)
    raw = b"".join([c.compress(head + obj)] + [c.compress(pad) for _ in range(mib)]
                   + [c.flush()])
    objstm = (f"<< /Type /ObjStm /N 1 /First {first} /Length {len(raw)} "
              f"/Filter /FlateDecode >>\nstream\n").encode("latin-1") + raw + b"\nendstream"
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        objstm,
    ]
    offsets = []
    for n, body in enumerate(bodies, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref_at = out.tell()
    rows = [b"\x00" + (0).to_bytes(4, "big") + b"\xff\xff"]
    rows += [b"\x01" + off.to_bytes(4, "big") + b"\x00\x00" for off in offsets]
    rows.append(b"\x02" + (4).to_bytes(4, "big") + b"\x00\x00")  # 5 0 obj: in stream 4
    rows.append(b"\x01" + xref_at.to_bytes(4, "big") + b"\x00\x00")  # 6: the xref stream
    xref = b"".join(rows)
    out.write(f"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length {len(xref)} "
              ">>\nstream\n".encode("latin-1") + xref + b"\nendstream\nendobj\n")
    out.write(f"startxref\n{xref_at}\n%%EOF\n".encode("latin-1"))
    return out.getvalue()


def scan() -> bytes:
    """One page showing one grey image (a form scanned, at a tiny resolution)."""
    w, h = 210, 297
    rows = []
    for y in range(h):
        row = bytearray(b"\xf0" * w)
        if y % 20 in (0, 1) or 30 < y < 34:  # the ruled lines of a table
            row[20:190] = b"\x20" * 170
        for x in (20, 21, 100, 101, 188, 189):
            row[x] = 0x20
        rows.append(bytes(row))
    img = _stream(f"/Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceGray "
                  f"/BitsPerComponent 8", b"".join(rows))
    content = _stream("", b"q 595 0 0 842 0 0 cm /Im1 Do Q")
    return classic([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
        content,
        img,
    ])


def slow() -> bytes:
    """A page of five million save/restore pairs: nothing to show, minutes to interpret."""
    content = _stream("", b"q Q " * 5_000_000)
    return classic([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        content,
    ])


BUILDERS = {
    "encrypted.pdf": encrypted,
    "truncated.pdf": truncated,
    "broken-xref.pdf": broken_xref,
    "not-a-pdf.pdf": lambda: "这不是 PDF 文件，只是一段文字。\nThis is not a PDF.\n".encode(),
    "docx-renamed.pdf": docx_renamed,
    "empty.pdf": lambda: b"",
    "zero-pages.pdf": zero_pages,
    "too-many-pages.pdf": too_many_pages,
    "bomb.pdf": bomb,
    "scan.pdf": scan,
    "other-document.pdf": other_document,
    "slow.pdf": slow,
}


def build(name: str) -> bytes:
    return BUILDERS[name]()


def main(argv: list[str]) -> int:
    names = argv or sorted(BUILDERS)
    for name in names:
        data = build(name)
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
