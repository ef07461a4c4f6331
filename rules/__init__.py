"""Rules: each jurisdiction's conditions as dated, cited data; validation; deadlines.

>>> from rules import facts_from_document, validate, step_deadline
>>> facts = facts_from_document({"facts": {"rehab_beds": 30}}, "rehab")
>>> report = validate(facts, "tianjin", "rehab", on="2026-03-10")
>>> step_deadline("hunan", "publicity", "2026-02-12")["due"]
'2026-02-26'

Pure Python: no Flask.  Data under ``rules/data`` (facts.yaml, <jurisdiction>/rules.yaml,
deadlines.yaml and cases.yaml, mappings.yaml) is loaded once and checked strictly.
"""

from ._calendar import add_period, calendar_known, count_period, day_info, known_years
from ._deadlines import parse_count, parse_date, step_deadline, validity, working_days_deadline
from ._facts import (
    Facts,
    FactValue,
    Source,
    check_category,
    facts_from_document,
    facts_from_record,
    level_from_text,
    parse_profile,
)
from ._loader import (
    JURISDICTIONS,
    fact_defs,
    get_rule_set,
    mappings,
    parse_facts,
    parse_mappings,
    parse_rule_set,
    rule_sets,
    violation_types,
)
from ._model import (
    CATEGORIES,
    CATEGORY_ZH,
    KIND_ZH,
    KINDS,
    OUTCOME_ZH,
    OUTCOMES,
    STRENGTH_ZH,
    STRENGTHS,
    Citation,
    Rule,
    RuleSet,
    Step,
)
from ._validate import requirement_zh, validate

__all__ = [
    "CATEGORIES",
    "CATEGORY_ZH",
    "JURISDICTIONS",
    "KINDS",
    "KIND_ZH",
    "OUTCOMES",
    "OUTCOME_ZH",
    "STRENGTHS",
    "STRENGTH_ZH",
    "Citation",
    "FactValue",
    "Facts",
    "Rule",
    "RuleSet",
    "Source",
    "Step",
    "add_period",
    "calendar_known",
    "check_category",
    "count_period",
    "day_info",
    "fact_defs",
    "facts_from_document",
    "facts_from_record",
    "get_rule_set",
    "known_years",
    "level_from_text",
    "mappings",
    "parse_count",
    "parse_date",
    "parse_facts",
    "parse_mappings",
    "parse_profile",
    "parse_rule_set",
    "requirement_zh",
    "rule_sets",
    "step_deadline",
    "validate",
    "validity",
    "violation_types",
    "working_days_deadline",
]
