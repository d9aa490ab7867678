"""Where indicator values come from: the units of a level, values the platform computes from its own data,
and values imported per unit and period (`IndicatorValue`). Reads only.

Computed indicators (`COMPUTED`), each `fn(level, units, period) -> {unit code: value}`:
- `dishonesty_per_body` (regions): government bodies' dishonesty records counted by `CreditRecord.objects.
  dishonesty()` (in force, a dishonesty class, not covered by a fault-tolerance ruling) whose publicity
  started by the end of the period, ÷ the region's active bodies. The records module keeps no history of
  past states, so for a past period this is today's state of the records decided by then (documented).
- `dishonesty_records` (bodies): the same count per body.
Later modules (remedies, sanctions, screening …) add theirs with `register_computed`.
"""

from __future__ import annotations

import calendar
import datetime
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db.models import Count

from govtrust.core.models import Region
from govtrust.core.models.regions import RegionKind
from govtrust.evaluation.models import IndicatorValue, UnitLevel
from govtrust.evaluation.policy import Period
from govtrust.registry.models import Agency, AgencyStatus


@dataclass(frozen=True)
class Unit:
    code: str  # region code or USCC
    name: str
    group: str  # the city code (counties, bodies); "" for cities
    region_pk: int | None = None
    agency_pk: int | None = None
    region_code: str = ""


def units_of(level: str, scope: Region | None = None) -> list[Unit]:
    """The units a run over `level` ranks: the 13 cities, the 95 counties (divisions, not functional zones),
    or the active bodies; within `scope` when given."""
    if level in (UnitLevel.CITY, UnitLevel.COUNTY):
        qs = Region.objects.filter(level=2 if level == UnitLevel.CITY else 3, kind=RegionKind.DIVISION)
        if scope is not None:
            qs = qs.filter(**{scope.ancestor_field(): scope.code})
        return [
            Unit(code, name, city if level == UnitLevel.COUNTY else "", region_pk=pk, region_code=code)
            for pk, code, name, city in qs.order_by("code").values_list("pk", "code", "name", "city_code")
        ]
    bodies = Agency.objects.filter(status=AgencyStatus.ACTIVE)
    if scope is not None:
        bodies = bodies.in_region(scope)
    return [
        Unit(uscc, name, city, agency_pk=pk, region_code=region)
        for pk, uscc, name, city, region in bodies.order_by("uscc").values_list(
            "pk", "uscc", "name", "region__city_code", "region__code"
        )
    ]


def period_end(period: Period) -> datetime.date:
    year, month = period.last_month()
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


ComputedFn = Callable[[str, Sequence[Unit], Period], dict[str, float]]
COMPUTED: dict[str, ComputedFn] = {}


def register_computed(code: str) -> Callable[[ComputedFn], ComputedFn]:
    def add(fn: ComputedFn) -> ComputedFn:
        COMPUTED[code] = fn
        return fn

    return add


def _dishonesty_by(field: str, period: Period) -> dict[str, int]:
    from govtrust.records.models import CreditRecord, SubjectKind

    qs = CreditRecord.objects.dishonesty().filter(
        subject_kind=SubjectKind.AGENCY, publicity_start__lte=period_end(period)
    )
    return dict(qs.values_list(field).annotate(n=Count("pk")).values_list(field, "n"))


@register_computed("dishonesty_per_body")
def dishonesty_per_body(level: str, units: Sequence[Unit], period: Period) -> dict[str, float]:
    if level not in (UnitLevel.CITY, UnitLevel.COUNTY):
        return {}
    column = "city_code" if level == UnitLevel.CITY else "county_code"
    records = _dishonesty_by(f"agency__region__{column}", period)
    bodies = dict(
        Agency.objects.filter(status=AgencyStatus.ACTIVE)
        .values_list(f"region__{column}")
        .annotate(n=Count("pk"))
        .values_list(f"region__{column}", "n")
    )
    # A region without registered bodies has no value (missing), not a perfect zero.
    return {u.code: records.get(u.code, 0) / bodies[u.code] for u in units if bodies.get(u.code)}


@register_computed("dishonesty_records")
def dishonesty_records(level: str, units: Sequence[Unit], period: Period) -> dict[str, float]:
    if level != UnitLevel.BODY:
        return {}
    records = _dishonesty_by("agency__uscc", period)
    return {u.code: float(records.get(u.code, 0)) for u in units}


def imported(code: str, level: str, units: Sequence[Unit], period: Period) -> dict[str, float]:
    qs = IndicatorValue.objects.filter(indicator_code=code, period=str(period))
    if level == UnitLevel.BODY:
        pks = {u.agency_pk: u.code for u in units}
        rows = qs.filter(agency__isnull=False).values_list("agency_id", "value")
    else:
        pks = {u.region_pk: u.code for u in units}
        rows = qs.filter(region__isnull=False).values_list("region_id", "value")
    return {pks[pk]: value for pk, value in rows if pk in pks and math.isfinite(value)}


def indicator_values(code: str, source: str, level: str, units: Sequence[Unit], period: Period) -> dict[str, float]:
    """Values of one indicator for the units and period: computed or imported."""
    if source == "computed":
        fn = COMPUTED.get(code)
        return fn(level, units, period) if fn else {}
    return imported(code, level, units, period)
