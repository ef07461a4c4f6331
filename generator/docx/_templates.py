"""The committed templates (``templates/<form id>.docx``) and their check against a fresh build.

Two DOCX files are compared part by part (the XML and other members of the
zip, by content), not as zip bytes: a template saved by another zip writer
with the same parts still matches.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from forms import FormSpec, all_forms

from ._build import build_template

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"


def template_path(spec: FormSpec, directory: Path = TEMPLATE_DIR) -> Path:
    return directory / f"{spec.id}.docx"


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def template_differences(spec: FormSpec, directory: Path = TEMPLATE_DIR) -> list[str]:
    """What differs between the committed template and a fresh build ([] when equal)."""
    path = template_path(spec, directory)
    if not path.exists():
        return [f"{path.name}: missing"]
    try:
        committed = _parts(path.read_bytes())
    except zipfile.BadZipFile:
        return [f"{path.name}: not a DOCX (zip) file"]
    fresh = _parts(build_template(spec))
    problems = [f"{path.name}: part {n} missing" for n in sorted(fresh.keys() - committed.keys())]
    problems += [f"{path.name}: extra part {n}" for n in sorted(committed.keys() - fresh.keys())]
    problems += [f"{path.name}: part {n} differs" for n in sorted(fresh.keys() & committed.keys())
                 if fresh[n] != committed[n]]
    return problems


def write_templates(directory: Path = TEMPLATE_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in all_forms():
        path = template_path(spec, directory)
        path.write_bytes(build_template(spec))
        written.append(path)
    return written


def check_templates(directory: Path = TEMPLATE_DIR) -> list[str]:
    """Every difference over all forms, plus templates of forms that no longer exist."""
    problems: list[str] = []
    ids = set()
    for spec in all_forms():
        ids.add(spec.id)
        problems += template_differences(spec, directory)
    if directory.exists():
        problems += [f"{p.name}: no form of that id" for p in sorted(directory.glob("*.docx"))
                     if p.stem not in ids]
    return problems
