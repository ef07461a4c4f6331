"""YAML of the project's own data, read with libyaml when PyYAML has it.

The pure-Python loader spent 0.9 s of ``xieyi forms`` reading the 19 form descriptions;
libyaml's safe loader builds the same Python values (the same SafeConstructor) in a
tenth of the time.
"""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader
