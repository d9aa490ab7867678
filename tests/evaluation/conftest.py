"""A small cast for the evaluation tests: the Jiangsu regions (from the data migration), a provincial and a
city credit office (南京), a supplier body, their users, and helpers that store indicator values."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from registry.builders import SYSTEM, add_agency, make_user

from govtrust.accounts.models import Role, User
from govtrust.core.models import Region
from govtrust.evaluation import services
from govtrust.evaluation.models import DataSource, Framework, IndicatorValue, NodeKind, UnitKind
from govtrust.registry.models import Agency


@dataclass
class Cast:
    prov_credit: Agency
    nj_credit: Agency
    sz_credit: Agency
    nj_market: Agency
    prov_user: User
    city_user: User
    sz_user: User
    supplier_user: User
    norole_user: User


def role(code: str) -> Role:
    return Role.objects.get(code=code)


@pytest.fixture
def cast(db) -> Cast:  # type: ignore[no-untyped-def]
    js, nj, sz = (Region.objects.get(code=c) for c in ("320000", "320100", "320500"))
    prov_credit = add_agency(1, "江苏省发展和改革委员会", js, is_credit_office=True)
    nj_credit = add_agency(3, "南京市发展和改革委员会", nj, is_credit_office=True)
    sz_credit = add_agency(7, "苏州市发展和改革委员会", sz, is_credit_office=True)
    nj_market = add_agency(4, "南京市市场监督管理局", nj)
    return Cast(
        prov_credit=prov_credit,
        nj_credit=nj_credit,
        sz_credit=sz_credit,
        nj_market=nj_market,
        prov_user=make_user("prov", prov_credit, role("provincial_credit_office")),
        city_user=make_user("city", nj_credit, role("city_credit_office")),
        sz_user=make_user("sz", sz_credit, role("city_credit_office")),
        supplier_user=make_user("supplier", nj_market, role("supplier")),
        norole_user=make_user("nobody", nj_market),
    )


@pytest.fixture
def framework(db) -> Framework:  # type: ignore[no-untyped-def]
    found = services.active_framework()
    assert found is not None
    return found


def imported_codes(framework: Framework) -> list[str]:
    return list(
        framework.nodes.filter(node=NodeKind.INDICATOR, unit=UnitKind.REGION, source=DataSource.IMPORTED)
        .order_by("position")
        .values_list("code", flat=True)
    )


def store_values(framework: Framework, level: int, period: str, *, shift: dict[str, float] | None = None) -> int:
    """Plausible hand-made values for every imported region indicator: unit k of the level gets a base value
    that grows with k (plus a per-indicator offset so the indicators are not identical)."""
    regions = list(Region.objects.filter(level=level, kind="division").order_by("code"))
    rows = []
    for j, code in enumerate(imported_codes(framework)):
        for k, region in enumerate(regions):
            value = 50 + ((k * 7 + j * 13) % 41) + (shift or {}).get(region.code, 0.0)
            rows.append(IndicatorValue(indicator_code=code, region=region, period=period, value=value))
    IndicatorValue.objects.bulk_create(rows)
    return len(rows)


__all__ = ["SYSTEM", "Cast", "cast", "framework", "imported_codes", "store_values"]
