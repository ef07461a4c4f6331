"""Bad input: every hostile, malformed or foreign PDF gives its typed error, within the limits.

The committed files of ``tests/data/hostile`` (made by ``make.py`` there, checked to
be what it makes), damaged copies of our own filled forms made here, and every
file of qpdf's test corpus (``../shared/corpus/qpdf``, not copied into the project).
Each parse runs in a worker process under ``parser.Limits``: a file that would
take minutes is stopped at the time limit, a decompression bomb at the memory
limit, and the caller never sees a traceback or waits longer.
"""

from __future__ import annotations

import importlib.util
import io
import os
import resource
import time
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from forms import get_form, record_to_json, sample_record, validate_record
from forms.errors import (
    ParseError,
    ParseInternal,
    ParseResourceLimit,
    ParseTimeout,
    PdfEncrypted,
    PdfMalformed,
    PdfTooLarge,
    PdfTooManyPages,
    XieyiError,
)
from generator.pdf import render_pdf
from parser import Limits, parse_pdf

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "tests" / "data" / "hostile"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "qpdf"

_spec = importlib.util.spec_from_file_location("hostile_make", HOSTILE / "make.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)

#: the limits the hostile files are read with; slow.pdf would take minutes
LIMITS = Limits(time_limit=3.0)
#: what a parse may take beyond its time limit: killing and replacing the worker
SLACK = 2.0


def _outcome(data: bytes, limits: Limits = LIMITS) -> tuple[str, float]:
    t = time.monotonic()
    try:
        r = parse_pdf(data, limits=limits)
        code = f"ok:{r.form}"
    except ParseError as e:
        # every error is typed and speaks both languages
        assert e.code and e.message_zh and e.message_en
        assert e.exit_status in (1, 3) and e.http_status in (413, 422, 500)
        code = e.code
    return code, time.monotonic() - t


# ---------------------------------------------------------------- committed files

def test_every_committed_file_is_what_make_py_makes():
    committed = {p.name for p in HOSTILE.glob("*.pdf")}
    assert committed == set(make.EXPECTED)
    for name in sorted(make.EXPECTED):
        assert (HOSTILE / name).read_bytes() == make.build(name), f"{name}: run make.py again"


def test_committed_files_are_small():
    assert all(p.stat().st_size < 32 * 1024 for p in HOSTILE.glob("*.pdf"))


@pytest.mark.parametrize("name", sorted(make.EXPECTED))
def test_hostile_file_gives_its_typed_error(name):
    code, took = _outcome((HOSTILE / name).read_bytes())
    assert code == make.EXPECTED[name]
    assert took < LIMITS.time_limit + SLACK


def test_the_caller_does_not_grow_reading_a_bomb():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ParseResourceLimit) as e:
        parse_pdf((HOSTILE / "bomb.pdf").read_bytes())
    assert e.value.http_status == 422
    # the bomb inflated in a worker; this process's peak did not move by its size
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB


def test_a_worker_stopped_at_the_time_limit_is_replaced():
    with pytest.raises(ParseTimeout):
        parse_pdf((HOSTILE / "slow.pdf").read_bytes(), limits=Limits(time_limit=0.5))
    form = _filled("hunan-application")
    assert parse_pdf(form).form == "hunan-application"


def test_in_process_reading_has_the_same_typed_errors():
    """isolate=False (trusted files) types the same failures, without the worker."""
    for name in ("encrypted.pdf", "broken-xref.pdf", "zero-pages.pdf", "scan.pdf",
                 "other-document.pdf", "not-a-pdf.pdf"):
        with pytest.raises(ParseError) as e:
            parse_pdf((HOSTILE / name).read_bytes(), isolate=False)
        assert e.value.code == make.EXPECTED[name]


# ---------------------------------------------------------------- limits

def test_size_limit_is_checked_before_reading():
    data = (HOSTILE / "other-document.pdf").read_bytes()
    with pytest.raises(PdfTooLarge) as e:
        parse_pdf(data, limits=Limits(max_bytes=1024))
    assert e.value.http_status == 413 and e.value.exit_status == 3
    assert "KB" in e.value.message_zh


def test_page_limit():
    with pytest.raises(PdfTooManyPages) as e:
        parse_pdf((HOSTILE / "too-many-pages.pdf").read_bytes(), limits=Limits(max_pages=59))
    assert e.value.http_status == 413
    with pytest.raises(ParseError) as e:  # within the limit: blank pages, no form
        parse_pdf((HOSTILE / "too-many-pages.pdf").read_bytes(), limits=Limits(max_pages=60))
    assert e.value.code == "unknown_template"


@pytest.mark.parametrize("bad", [
    {"max_bytes": 0}, {"max_pages": 0}, {"time_limit": 0}, {"memory_limit": 1024},
    {"max_pages": 2.5}, {"time_limit": True}, {"max_bytes": "1"},
])
def test_limits_check_themselves(bad):
    with pytest.raises(ValueError):
        Limits(**bad)


# ---------------------------------------------------------------- our own forms, damaged

def _filled(form_id: str) -> bytes:
    spec = get_form(form_id)
    return render_pdf(spec, validate_record(spec, sample_record(spec, "typical")))


def test_truncated_form():
    data = _filled("jingdezhen-application")
    with pytest.raises(PdfMalformed) as e:
        parse_pdf(data[: len(data) // 2])
    assert "truncated" in e.value.message_en


def test_form_with_its_cross_reference_stream_zeroed():
    data = bytearray(_filled("hunan-commitment"))
    i = data.rindex(b"/Type /XRef")
    a = data.index(b"stream\n", i) + len(b"stream\n")
    b = data.index(b"endstream", a)
    data[a:b] = bytes(b - a)
    with pytest.raises(PdfMalformed):
        parse_pdf(bytes(data))


def test_form_with_wrong_offsets_is_repaired_and_says_so():
    """A cross-reference table pointing beside its objects: rebuilt by scanning the file,
    read, and reported (the values may come from a damaged file)."""
    spec = get_form("hunan-commitment")
    record = validate_record(spec, sample_record(spec, "special"))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(render_pdf(spec, record))))
    out = io.BytesIO()
    writer.write(out)  # a classic cross-reference table
    shifted = out.getvalue().replace(b"\n", b"\n% shifted\n", 1)
    r = parse_pdf(shifted)
    assert r.record == record_to_json(spec, record)
    assert "pdf_repaired" in [w["code"] for w in r.warnings]


def test_form_encrypted_with_a_user_password():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_filled("hunan-application"))))
    writer.encrypt(user_password="1234", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(PdfEncrypted) as e:
        parse_pdf(out.getvalue())
    assert "密码" in e.value.message_zh


def test_form_encrypted_with_only_an_owner_password_is_read():
    """Permissions-only encryption (an empty user password), as some tools save forms:
    any viewer opens it, and so does the parser."""
    spec = get_form("hunan-application")
    record = validate_record(spec, sample_record(spec, "special"))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(render_pdf(spec, record))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    r = parse_pdf(out.getvalue())
    assert (r.form, r.method) == ("hunan-application", "acroform")
    assert r.record == record_to_json(spec, record)


# ---------------------------------------------------------------- the qpdf corpus

CORPUS_FILES = sorted(CORPUS.glob("*.pdf")) if CORPUS.is_dir() else []
#: the outcomes a file that is none of our forms may have
FOREIGN = {"not_pdf", "pdf_encrypted", "pdf_malformed", "pdf_no_pages", "pdf_no_text_layer",
           "unknown_template", "pdf_too_many_pages", "parse_resource_limit", "parse_timeout"}


@pytest.mark.skipif(not CORPUS_FILES, reason="../shared/corpus/qpdf is not there")
def test_corpus_is_there():
    assert len(CORPUS_FILES) > 90


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_file_gives_a_typed_outcome(path):
    code, took = _outcome(path.read_bytes())
    assert code in FOREIGN, f"{path.name}: {code}"
    assert took < LIMITS.time_limit + SLACK


@pytest.mark.parametrize("path", [p for p in CORPUS_FILES if p.name.startswith("form-")],
                         ids=lambda p: p.name)
def test_other_tools_forms_are_not_ours(path):
    """AcroForms made and filled by Acrobat, Atril, LibreOffice: readable, but none of ours."""
    code, _ = _outcome(path.read_bytes())
    assert code == "unknown_template"


def test_parse_internal_is_a_defect_not_an_outcome():
    """The corpus test above excludes ``parse_internal``: an error of our own code on a
    file is a defect, typed (no traceback) but never an accepted outcome."""
    assert issubclass(ParseInternal, XieyiError) and ParseInternal.http_status == 500
    assert "parse_internal" not in FOREIGN


def test_no_worker_is_left_behind():
    from parser import _pool

    pool = _pool.pool()
    assert pool._count <= pool.size
    assert all(w.proc.is_alive() for w in pool._idle)
    assert os.getpid() not in [w.proc.pid for w in pool._idle]


def test_parses_from_threads_use_the_fork_server():
    """The web service parses from several threads at once: workers then come from the
    fork server (forking a threaded process is unsafe), each call gets its own worker,
    and a hostile file in one thread does not disturb the others."""
    import threading

    from parser import _pool

    _pool.shutdown()  # no idle worker forked earlier: the threads need new ones
    good = _filled("jingdezhen-commitment")
    results: dict[int, str] = {}

    def work(i: int) -> None:
        data = (HOSTILE / "slow.pdf").read_bytes() if i == 0 else good
        results[i] = _outcome(data, Limits(time_limit=2.0))[0]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == {0: "parse_timeout", 1: "ok:jingdezhen-commitment",
                       2: "ok:jingdezhen-commitment", 3: "ok:jingdezhen-commitment"}
    assert _pool._forkserver is not None


def test_a_forked_child_gets_a_pool_of_its_own():
    from parser import _pool

    parent_pool = _pool.pool()
    parse_pdf(_filled("hunan-commitment"))
    pid = os.fork()
    if pid == 0:  # the child: its own pool, the parent's workers untouched
        try:
            ok = _pool.pool() is not parent_pool and parse_pdf(_filled("hunan-commitment")).form
            os._exit(0 if ok == "hunan-commitment" else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert parse_pdf(_filled("hunan-commitment")).form == "hunan-commitment"


def test_a_defect_of_the_parser_is_typed_not_a_traceback(monkeypatch):
    """An exception from our own code (not from a PDF library) is ``parse_internal``:
    logged, HTTP 500, never reported as the file's fault."""
    from parser import _acroform

    def broken(*a, **kw):
        raise ValueError("a defect")

    monkeypatch.setattr(_acroform, "read_fields", broken)
    with pytest.raises(ParseInternal) as e:
        parse_pdf(_filled("hunan-application"), isolate=False)
    assert e.value.http_status == 500 and "ValueError" in e.value.message_en
