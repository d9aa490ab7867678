"""The rule catalog in force: packaged `rules/*.json` merged with the operators' `RuleOverride` rows.

Cached per process and re-checked against the override table at most once per second (as the holiday
calendar is), so a bulk import computes a million windows without reading the table a million times.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Count, Max

from govtrust.records import policy

CHECK_INTERVAL_SECONDS = 1.0


@lru_cache(maxsize=1)
def packaged() -> policy.Catalog:
    return policy.load_packaged()


def _override_rows() -> list[policy.OverrideData]:
    from govtrust.records.models import RuleOverride

    return [
        policy.OverrideData(
            rule_key=row.rule_key,
            version=row.version,
            values=row.values,
            basis=row.basis,
            effective_from=row.effective_from,
            effective_to=row.effective_to,
            provisional=row.provisional,
            entered_by=row.entered_by_name,
        )
        for row in RuleOverride.objects.order_by("rule_key", "effective_from", "pk")
    ]


def _version() -> tuple[int, str]:
    from govtrust.records.models import RuleOverride

    agg = RuleOverride.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
    return agg["n"], str(agg["latest"])


@dataclass
class _State:
    catalog: policy.Catalog | None = None
    version: tuple[int, str] | None = None
    checked_at: float = 0.0


_state = _State()


def build_catalog() -> policy.Catalog:
    return policy.merge_overrides(packaged(), _override_rows())


def current_catalog() -> policy.Catalog:
    now = time.monotonic()
    if _state.catalog is not None and now - _state.checked_at < CHECK_INTERVAL_SECONDS:
        return _state.catalog
    version = _version()
    if _state.catalog is None or version != _state.version:
        _state.catalog = build_catalog()
        _state.version = version
    _state.checked_at = now
    return _state.catalog


def invalidate() -> None:
    _state.catalog = None
    _state.version = None
    _state.checked_at = 0.0
