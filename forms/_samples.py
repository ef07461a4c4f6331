"""Sample records built from a description: for tests, benchmarks and the docs.

``sample_record(spec, style)`` returns a JSON record (plain JSON values, as a
user would send it) that the form accepts:

* ``typical``: a realistic value in every field, half the printed rows filled;
* ``longest``: every text at its ``max_length``, every printed row filled;
* ``special``: values that have broken document tools before: rare name
  characters (堃, 喆), full-width punctuation, XML and Jinja syntax.
"""

from __future__ import annotations

from typing import Any

from ._model import Field, FormSpec

SPECIAL_TEXTS = (
    "王堃喆（主任）；“测试”、。：",
    "A&B <C> \"D\" 'E'",
    "{{ name }} {% if x %}y{% endif %}",
)
_TYPICAL_TEXT = "景德镇市第一人民医院"


def _fit(text: str, n: int) -> str:
    return (text * (n // max(len(text), 1) + 1))[:n]


def _value(f: Field, style: str, i: int) -> Any:
    if f.type in ("text", "multiline"):
        n = f.max_length or 20
        if style == "longest":
            base = "堃" + "喆测试文字，" * n
            return _fit(base, n)
        if style == "special":
            text = SPECIAL_TEXTS[i % len(SPECIAL_TEXTS)]
            if f.type == "multiline" and n >= 2 * len(text) + 1:
                text = text + "\n" + SPECIAL_TEXTS[(i + 1) % len(SPECIAL_TEXTS)]
            return text[:n]
        return _fit(_TYPICAL_TEXT, min(n, 10))
    if f.type == "integer":
        return {"longest": 99999, "special": 0}.get(style, 12 + i)
    if f.type == "decimal":
        places = f.places or 0
        whole = {"longest": "9999999", "special": "0"}.get(style, str(100 + i))
        return whole + ("." + "5" * places if places else "")
    if f.type == "date":
        return {"longest": "2024-12-31", "special": "2024-01-01"}.get(style, "2024-07-01")
    if f.type == "choice":
        return f.choices[i % len(f.choices)] if style != "longest" else f.choices[-1]
    if f.type == "checkbox":
        return i % 2 == 0 if style != "longest" else True
    raise AssertionError(f.type)


def sample_record(spec: FormSpec, style: str = "typical") -> dict[str, Any]:
    if style not in ("typical", "longest", "special"):
        raise ValueError(style)
    record: dict[str, Any] = {}
    for i, f in enumerate(spec.fields):
        if f.type == "rows":
            count = f.max_rows if style == "longest" else max(1, f.max_rows // 2)
            record[f.id] = [
                {c.id: _value(c, style, i + r + j) for j, c in enumerate(f.columns)}
                for r in range(count)
            ]
        else:
            record[f.id] = _value(f, style, i)
    return record
