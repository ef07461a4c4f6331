"""Typed outcomes as a property (issue 13): mutated PDFs and JSON never get an untyped
answer.

The repository's own PDFs are mutated the ways damaged and hostile files differ from good
ones — truncation, byte flips, a wrong /Length, a huge /Count, an object dropped or
duplicated, a field tree that points back at the catalog, odd Unicode in a value — and
every parse must end in a result or a typed error other than ``parse_internal`` (a
defect of ours).  JSON bodies with odd values go to every route that takes one: never a
500, always the one error shape.  Seeded, so a failure names its case and repeats.
"""

from __future__ import annotations

import json
import random
import re

import pytest

from forms import all_forms, sample_record, validate_record
from forms.errors import XieyiError
from generator.pdf import render_pdf
from parser import parse_pdf

PDF_CASES = 300
JSON_CASES = 120


def _bases() -> list[bytes]:
    specs = all_forms()
    return [render_pdf(s, validate_record(s, sample_record(s, "typical")), typing_font="viewer")
            for s in specs[::3]]


def _objects(s: bytes) -> list[tuple[int, int]]:
    out = []
    for m in re.finditer(rb"\n\d+ 0 obj", s):
        end = s.find(b"endobj", m.start())
        if end > 0:
            out.append((m.start(), end + 6))
    return out


def _mutate(rng: random.Random, b: bytes) -> tuple[str, bytes]:
    kind = rng.choice(["truncate", "flip", "length", "count", "drop", "duplicate", "cycle",
                       "unicode"])
    if kind == "truncate":
        return kind, b[:rng.randrange(len(b))]
    if kind == "flip":
        a = bytearray(b)
        for _ in range(rng.randrange(1, 30)):
            a[rng.randrange(len(a))] = rng.randrange(256)
        return kind, bytes(a)
    if kind == "length":
        return kind, re.sub(rb"/Length (\d+)",
                            lambda m: b"/Length %d" % max(0, int(m.group(1)) + rng.randrange(-60, 60)),
                            b, count=rng.randrange(1, 6))
    if kind == "count":
        return kind, b.replace(b"/Count ", b"/Count 999999999", 1)
    objs = _objects(b)
    if kind in ("drop", "duplicate") and objs:
        i, j = rng.choice(objs)
        return kind, (b[:i] + b[j:]) if kind == "drop" else (b[:j] + b[i:j] + b[j:])
    if kind == "cycle":
        return kind, b.replace(b"/Kids [", b"/Kids [1 0 R ", 1)
    return kind, _odd_field_value(rng, b)


#: PDF strings a field's /V may hold: a lone surrogate, NUL, a bidi override, a BOM alone,
#: invalid UTF-16, odd PDFDocEncoding bytes, a long rare-character run
_ODD_STRINGS = [b"\xfe\xff\xd8\x00", b"\xfe\xff\xdc\x00\xd8\x00\x00\x00", b"\xfe\xff\x20\x2e",
                b"\xfe\xff", b"\xfe\xff\x00", b"\x00\x01\x02", b"\x7f\x9f\xad",
                b"\xfe\xff" + "𠮷".encode("utf-16-be") * 300]


def _odd_field_value(rng: random.Random, b: bytes) -> bytes:
    """``b`` with one field's value (``/V``, wherever it is stored: our values sit in
    compressed object streams) set to an odd PDF string."""
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ByteStringObject, NameObject

    w = PdfWriter(clone_from=PdfReader(io.BytesIO(b)))
    fields = [r.get_object() for r in w._root_object["/AcroForm"]["/Fields"]]
    text = [f for f in fields if f.get("/FT") == "/Tx"] or fields
    rng.choice(text)[NameObject("/V")] = ByteStringObject(rng.choice(_ODD_STRINGS))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def test_mutated_pdfs_always_get_a_typed_outcome():
    rng = random.Random(20261207)
    bases = _bases()
    untyped = []
    seen = set()
    for i in range(PDF_CASES):
        kind, data = _mutate(rng, rng.choice(bases))
        seen.add(kind)
        try:
            parse_pdf(data)
        except XieyiError as e:
            if e.code == "parse_internal" or not (e.message_zh and e.message_en):
                untyped.append((i, kind, e.code, e.message_en[:80]))
        except Exception as e:  # anything untyped is a failure of this property
            untyped.append((i, kind, type(e).__name__, str(e)[:80]))
    assert not untyped, untyped[:10]
    assert len(seen) == 8


_ODD = ["\ud800", "\u202e", "\x00", "𠮷" * 500, "", " ", "1e309", "-0", "０１", "<script>",
        "{{ x }}", "\\", "a" * 10_000]


def _odd_value(rng: random.Random, depth: int = 0):
    k = rng.randrange(9 if depth < 4 else 6)
    if k == 0:
        return rng.choice(_ODD)
    if k == 1:
        return rng.choice([0, -1, 10**30, 1.5, float("1e308")])
    if k == 2:
        return rng.choice([True, False, None])
    if k == 3:
        return "".join(rng.choice("景德镇A1 ，\n") for _ in range(rng.randrange(40)))
    if k in (4, 5):
        return rng.choice(["2024-02-30", "2024-01-01", "中文", "shanxi", "medical"])
    if k == 6:
        return [_odd_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice(["name", "party_b", "facts", "items", "rehab_beds", "on", "kind", "x"]):
            _odd_value(rng, depth + 1) for _ in range(rng.randrange(3))}


ROUTES = [
    "/api/forms/jingdezhen-application/render?format=pdf&typing_font=viewer",
    "/api/forms/shanxi-application/render?format=docx",
    "/api/agreements/shanxi/medical",
    "/api/validate",
    "/api/score",
    "/api/settle",
]


def test_odd_json_to_every_route_is_never_a_500(client):
    rng = random.Random(7)
    bad = []
    for i in range(JSON_CASES):
        url = ROUTES[i % len(ROUTES)]
        body = _odd_value(rng)
        if isinstance(body, dict) and url == "/api/validate":
            body = {"jurisdiction": rng.choice(["shanxi", "x"]), "category": "medical", **body}
        raw = json.dumps(body, ensure_ascii=True)  # lone surrogates as \\ud800, as JSON allows
        r = client.post(url, data=raw, content_type="application/json")
        if r.status_code >= 500:
            bad.append((i, url, raw[:80], r.status_code))
        elif r.status_code >= 400:
            err = r.get_json()
            if not (err and {"code", "message_zh", "message_en", "details"} <= set(err)):
                bad.append((i, url, raw[:80], "no error shape"))
    # nested a thousand deep: refused, not a crash
    deep = "[" * 1000 + "]" * 1000
    r = client.post(ROUTES[0], data=deep, content_type="application/json")
    assert r.status_code in (400, 422)
    assert not bad, bad[:10]


@pytest.mark.parametrize("bad", ['{"a": 1', "\xff\xfe", "[1, 2,]", "NaN"])
def test_broken_json_is_400_with_the_error_shape(client, bad):
    r = client.post(ROUTES[0], data=bad.encode("latin-1"), content_type="application/json")
    assert r.status_code in (400, 422) and r.get_json()["code"]
