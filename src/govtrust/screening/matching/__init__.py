"""The screening matcher: pure code, no Django (see engine.py for the decision rules)."""

from govtrust.screening.matching.engine import Entry, Feature, Hit, Matcher, Query, Result, Rules, load_rules
from govtrust.screening.matching.normalise import OrgName, fold, parse_org_name

__all__ = [
    "Entry",
    "Feature",
    "Hit",
    "Matcher",
    "OrgName",
    "Query",
    "Result",
    "Rules",
    "fold",
    "load_rules",
    "parse_org_name",
]
