"""Decompression bombs stop while inflating: per stream and per document, every filter.

``parser._inflate`` caps what pdfminer and pypdf inflate; a bomb ends in
``parse_resource_limit`` naming the cap in bytes, long before the worker's
address-space cap, and the worker that read it is replaced.
"""

from __future__ import annotations

import importlib.util
import time
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from forms.errors import ParseError, ParseResourceLimit
from parser import Limits, parse_pdf
from parser import _inflate

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("hostile_make",
                                               ROOT / "tests" / "data" / "hostile" / "make.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)

MiB = 1 << 20
#: small caps, so the bombs of these tests are small too
SMALL = Limits(stream_inflate_limit=1 * MiB, inflate_limit=3 * MiB, time_limit=10.0)


def _stopped(data: bytes, limits: Limits, isolate: bool = True) -> ParseResourceLimit:
    with pytest.raises(ParseResourceLimit) as e:
        parse_pdf(data, limits=limits, isolate=isolate)
    return e.value


@pytest.mark.parametrize("isolate", [True, False])
@pytest.mark.parametrize("bomb", [
    pytest.param(lambda: make.flate_bomb(4), id="flate"),
    pytest.param(lambda: make.runlength_bomb(4), id="runlength"),
    pytest.param(lambda: make.lzw_bomb(2048), id="lzw"),
    pytest.param(lambda: make.bomb(), id="flate-twice-1GiB"),
])
def test_a_bomb_stops_at_the_stream_cap_in_bytes(bomb, isolate):
    err = _stopped(bomb(), SMALL, isolate)
    assert err.code == "parse_resource_limit" and err.http_status == 422
    assert "1048576 字节" in err.message_zh and "单个数据流" in err.message_zh
    assert "1048576 bytes" in err.message_en


def test_many_small_streams_stop_at_the_document_cap():
    data = make.many_streams(pages=8, kib=512)  # 4 MiB in all, no stream over 1 MiB
    err = _stopped(data, SMALL)
    assert "3145728 字节" in err.message_zh and "全部数据流" in err.message_zh
    # the same file within a larger total is read (and is none of our forms)
    with pytest.raises(ParseError) as e:
        parse_pdf(data, limits=Limits(stream_inflate_limit=1 * MiB, inflate_limit=8 * MiB))
    assert e.value.code == "unknown_template"


def test_a_bomb_in_an_object_stream_stops_in_the_form_reader():
    err = _stopped(make.objstm_bomb(4), SMALL)
    assert "1048576" in err.message_en


def test_the_default_caps_stop_a_gigabyte_quickly():
    data = make.bomb()
    t = time.monotonic()
    err = _stopped(data, Limits())
    assert f"{Limits().stream_inflate_limit} bytes" in err.message_en
    assert time.monotonic() - t < 3.0  # 32 MiB inflated, not 1 GiB


def test_a_worker_that_read_a_bomb_is_replaced_and_forms_still_read():
    from forms import get_form, record_to_json, sample_record, validate_record
    from generator.pdf import render_pdf

    _stopped(make.flate_bomb(4), SMALL)
    spec = get_form("hunan-application")
    record = validate_record(spec, record_to_json(spec, sample_record(spec, "typical")))
    result = parse_pdf(render_pdf(spec, record), limits=SMALL)
    assert result.form == spec.id and result.record == record_to_json(spec, record)


def test_caps_check_themselves():
    with pytest.raises(ValueError, match="inflate_limit"):
        Limits(stream_inflate_limit=2 * MiB, inflate_limit=1 * MiB)
    with pytest.raises(ValueError, match="stream_inflate_limit"):
        Limits(stream_inflate_limit=10)


# ---------------------------------------------------------------- the bounded decoders

@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=20000), st.integers(min_value=0, max_value=9))
def test_bounded_inflate_reads_what_zlib_reads(data, level):
    packed = zlib.compress(data, level)
    with _inflate.parse_budget(64 * 1024, 64 * 1024):
        assert _inflate._BoundedZlib.decompress(packed) == data
        # pdfminer's recovery path: a byte at a time through decompressobj
        d = _inflate._BoundedZlib.decompressobj()
        assert b"".join(d.decompress(packed[i:i + 1]) for i in range(len(packed))) == data


def test_bounded_inflate_fails_on_a_truncated_stream_as_zlib_does():
    packed = zlib.compress(b"x" * 5000)
    with pytest.raises(zlib.error):
        zlib.decompress(packed[:20])
    with _inflate.parse_budget(1 * MiB, 1 * MiB), pytest.raises(zlib.error):
        _inflate._BoundedZlib.decompress(packed[:20])


def test_runlength_decodes_the_specification_example():
    # PDF 32000-1 §7.4.5: 0-127 copy n+1 bytes, 129-255 repeat the next byte 257-n times
    with _inflate.parse_budget(1 * MiB, 1 * MiB):
        assert _inflate._rldecode(b"\x02abc\xfdz\x80ignored") == b"abczzzz"
