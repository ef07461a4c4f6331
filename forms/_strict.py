"""Strict reading of YAML data, shared by every loader (forms, rules, scoring)."""

from __future__ import annotations

from typing import Any, Callable


def check_keys(where: str, d: Any, allowed: set[str], required: set[str],
               fail: Callable[[str, str], Exception]) -> dict:
    """``d`` as a mapping whose keys are all ``allowed`` and include ``required``;
    otherwise the loader's own error, made by ``fail(where, message)``."""
    if not isinstance(d, dict):
        raise fail(where, f"expected a mapping, got {type(d).__name__}")
    unknown = set(d) - allowed
    if unknown:
        raise fail(where, f"unknown keys {sorted(unknown)}")
    missing = set(required) - set(d)
    if missing:
        raise fail(where, f"missing keys {sorted(missing)}")
    return d
