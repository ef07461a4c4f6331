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


def _module_graph() -> dict[str, set[str]]:
    """{module: modules of this project it imports}, lazy imports included (a module named
    ``pkg._x`` for ``pkg/_x.py``; relative imports resolved)."""
    mods = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = path
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = base[:len(base) - node.level + 1]
                    prefix = ".".join(anchor + ([node.module] if node.module else []))
                else:
                    prefix = node.module or ""
                targets = [prefix] + [f"{prefix}.{a.name}" for a in node.names]
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                # itself, or its own package's __init__ (a sibling reached through it): no edge
                if t and t != mod and not mod.startswith(t + "."):
                    graph[mod].add(t)
    return graph


def test_no_module_imports_itself_back_through_others():
    """No circle between modules (a package's __init__ re-exporting its own modules
    aside): each module can be read, tested and moved on its own."""
    graph = _module_graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph[m]):
            if graph.get(n) is None:
                continue
            if state.get(n) == 1:
                cycle = path[path.index(n):] + [n] if n in path else [m, n]
                # through a package's __init__ only (re-exports): not a circle of modules
                if not any((ROOT / c.replace(".", "/") / "__init__.py").exists()
                           for c in cycle):
                    cycles.append(" -> ".join(cycle))
            elif state.get(n) is None:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []
