"""The corrections of its source text a form uses (sources/data/errata.yaml).

A form reproduces the corrected wording of its source; where a correction is only
``probable`` (inferred from a parallel text) the user is told, on the form's description
and in ``xieyi forms show``, what was printed and what xieyi shows instead.
"""

from __future__ import annotations

import functools

from ._model import FormSpec


def page_texts(spec: FormSpec) -> list[str]:
    """What a reader of the printed form sees: official texts, labels, choice options."""
    out = list(spec.official_texts())
    for f in spec.fields:
        out.append(f.label)
        out.extend(f.choices)
        out.extend(c.label for c in f.columns)
    return out


@functools.lru_cache(maxsize=64)
def _errata(seed: str, texts: tuple[str, ...]) -> tuple[dict, ...]:
    import sources

    return tuple(e.to_dict() for e in sources.errata()
                 if e.seed == seed and any(e.corrected in t for t in texts))


def form_errata(spec: FormSpec) -> list[dict]:
    """Each erratum of the form's source whose corrected text is on the form."""
    return [dict(e) for e in _errata(spec.source.seed, tuple(page_texts(spec)))]
