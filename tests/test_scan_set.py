"""The scan test set's script (benchmarks/scan_set.py): realistic records the forms accept,
every page printed and scanned as the set says, the truth beside each image, the same
set for the same seed; and every page of it identified by its mark."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from forms import get_form, validate_record
from parser import identify_pages

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("scan_set", ROOT / "benchmarks" / "scan_set.py")
scan_set = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scan_set)

FORMS = ["jingdezhen-application", "shanxi-application", "shanxi-eval-hearing"]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("scans")
    return out, scan_set.make(out, FORMS, (150, 200), seed=16)


def test_the_set_holds_every_page_at_every_resolution_with_its_truth(made):
    out, truth = made
    assert json.loads((out / "truth.json").read_text(encoding="utf-8")) == truth
    for form in FORMS:
        rows = [t for t in truth if t["form"] == form]
        pages = rows[0]["pages"]
        assert sorted((t["page"], t["scan"]["dpi"]) for t in rows) == \
            sorted((p, d) for p in range(1, pages + 1) for d in (150, 200))
        validate_record(get_form(form), rows[0]["record"])  # the form accepts what was printed
    names = " ".join(str(t["record"]) for t in truth)
    assert any(c in names for c in "堃喆彧昶")
    kinds = {(t["scan"]["format"], t["scan"]["grey"], t["scan"]["seal"], t["scan"]["rotate"] != 0)
             for t in truth}
    assert len(kinds) >= 4  # scanned in more than one way


def test_every_page_of_the_set_is_identified_by_its_mark(made):
    out, truth = made
    for t in truth:
        (found,) = identify_pages((out / t["file"]).read_bytes())
        assert (found["form"], found["version"], found["form_page"]) == \
            (t["form"], t["version"], t["page"]), t["file"]


def test_the_same_seed_makes_the_same_set(made, tmp_path):
    out, truth = made
    again = scan_set.make(tmp_path, FORMS[:1], (150,), seed=16)
    first = next(t for t in truth if t["form"] == FORMS[0] and t["scan"]["dpi"] == 150)
    assert again[0] == first
    assert (tmp_path / again[0]["file"]).read_bytes() == (out / first["file"]).read_bytes()
