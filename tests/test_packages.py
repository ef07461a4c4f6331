"""Each package in its room: the pure cores import only what lies beneath them.

``forms`` (descriptions, their printed layout and font, the identity stamp) and
``sources`` (the regulations' texts) are the floor; ``generator`` and ``parser``
are the two directions over ``forms`` and never import each other; ``rules``
judge records (no parser, no generator); ``scoring`` uses the rules' citations;
``desk`` (the only package that knows the database) stands on the pure cores and
nothing but ``api`` stands on it; only ``api`` sees everything.  Imports inside functions count too: a lazy import
is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "desk", "forms", "generator", "parser", "rules", "scoring", "sources")
ALLOWED = {
    "sources": set(),
    "forms": {"sources"},
    "generator": {"forms"},
    "parser": {"forms"},
    "rules": {"forms", "sources"},
    "scoring": {"forms", "rules", "sources"},
    "desk": {"forms", "generator", "parser", "rules", "scoring", "sources"},
    "api": set(PACKAGES),
}


def _imports(pkg: str) -> dict[str, set[str]]:
    """{other package: modules of ``pkg`` that import it}."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / pkg).rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module"
                  and node.args and isinstance(node.args[0], ast.Constant)):
                names = [str(node.args[0].value)]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in PACKAGES and top != pkg:
                    found.setdefault(top, set()).add(rel)
    return found


@pytest.mark.parametrize("pkg", PACKAGES)
def test_package_imports_only_what_lies_beneath_it(pkg):
    wrong = {other: sorted(mods) for other, mods in _imports(pkg).items()
             if other not in ALLOWED[pkg]}
    assert not wrong, f"{pkg} must not import {wrong}"


def test_the_parser_reads_the_geometry_and_stamp_the_generator_writes():
    # one definition each, in forms/: the generator writes with it, the parser reads with it
    from forms import read_stamp, stamp_keywords, stamp_subject
    from forms.layout import layout_geometry

    from forms import get_form

    spec = get_form("jingdezhen-application")
    stamp = read_stamp(stamp_subject(spec.id, spec.version),
                       stamp_keywords(spec.id, spec.version, spec.spec_hash))
    assert (stamp.form_id, stamp.version, stamp.spec_hash) == (spec.id, spec.version,
                                                              spec.spec_hash)
    geo = layout_geometry(spec)
    assert geo["form"] == spec.id and geo["pages"][0]["fields"]


@pytest.mark.parametrize("pkg", ["forms", "generator", "parser", "rules", "scoring", "sources"])
def test_only_the_desk_knows_the_database(pkg):
    users = {m for mods in _imports(pkg).values() for m in mods}
    for path in (ROOT / pkg).rglob("*.py"):
        src = path.read_text(encoding="utf-8")
        assert "sqlalchemy" not in src and "alembic" not in src, path
    assert "desk" not in _imports(pkg), users


def test_listing_forms_does_not_load_the_layout():
    import subprocess
    import sys

    code = ("import sys, forms; forms.all_forms(); "
            "print(any(m.startswith('forms.layout') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "False"
