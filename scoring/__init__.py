"""Scoring: the evaluation and assessment tables as data, the scorer, and settlement money.

>>> from scoring import score, settle_month
>>> result = score("shanxi-eval-medical", {"items": {...}})          # doctest: +SKIP
>>> settle_month({"approved": "10000.00"})["paid"]                     # doctest: +SKIP
'9000.00'

Pure Python, no Flask.  Tables live in ``scoring/data/<table_id>.yaml``; each has a form
description in ``forms/specs/<form>.yaml`` (blank for the panel, filled from a result with
``record_from_result``).  Money is ``Decimal`` at fen precision, ROUND_HALF_UP.
"""

from ._loader import KIND_ZH, KINDS, all_refunds, all_tables, get_refund, get_table, parse_refund, parse_table
from ._model import Band, Check, Item, ScoringTable
from ._score import fmt, score
from ._settle import settle, settle_month, settle_year
from ._forms import example_input, record_from_result, spec_raw

__all__ = [
    "KIND_ZH", "KINDS", "Band", "Check", "Item", "ScoringTable",
    "all_refunds", "all_tables", "example_input", "fmt", "get_refund", "get_table",
    "parse_refund", "parse_table", "record_from_result", "score", "settle", "settle_month",
    "settle_year", "spec_raw",
]
