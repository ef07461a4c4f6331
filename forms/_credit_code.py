"""统一社会信用代码 (unified social credit code), GB 32100-2015: 18 characters, the last a
check character computed from the first 17.

Characters are digits and upper-case letters without I, O, Z, S, V (31 in all, each
worth its position in ``CHARSET``).  The check character is ``CHARSET[c]`` with
``c = 31 - (Σ value(i) × 3^i mod 31 for i in 0..16) mod 31``, and 0 when that is 31.
"""

from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]


def credit_code_problem(code: str) -> tuple[str, str] | None:
    """Why ``code`` is not a valid credit code, as (中文, English), or None when it is."""
    if len(code) != 18:
        return (f"应为 18 位，现为 {len(code)} 位", f"must be 18 characters, not {len(code)}")
    bad = next((ch for ch in code if ch not in _VALUE), None)
    if bad is not None:
        return (f"含有不允许的字符“{bad}”（只用数字和除 I、O、Z、S、V 外的大写字母）",
                f"holds {bad!r}: only digits and upper-case letters other than I, O, Z, S, V")
    expected = check_character(code[:17])
    if code[17] != expected:
        return (f"校验码不符（第 18 位应为 {expected}）",
                f"the check character does not match (the 18th should be {expected})")
    return None


def check_character(first17: str) -> str:
    """The 18th character of a credit code that begins with ``first17``."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]
