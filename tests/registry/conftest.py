"""A fixed cast for the registry tests: five regions, a small body tree and one user per kind of scope.

Regions: 江苏省 320000 > 南京市 320100 > 玄武区 320102; 江苏省 > 苏州市 320500 > 虎丘区 320505.
Bodies:  省发改委 (credit office, province)      省教育厅 (province)
         南京市发改委 (credit office, 320100)     苏州市财政局 (320500)
         玄武区人民政府 (320102) > 玄武区教育局 > 玄武区某中学;  玄武区财政局 (320102, no parent)
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from govtrust.accounts.models import Role, User
from govtrust.registry.models import Agency

from .builders import add_agency, make_region, make_uscc, make_user


@pytest.fixture
def regions(db) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    js = make_region("320000", "江苏省", 1, None)
    nj = make_region("320100", "南京市", 2, js)
    xw = make_region("320102", "玄武区", 3, nj)
    sz = make_region("320500", "苏州市", 2, js)
    hq = make_region("320505", "虎丘区", 3, sz)
    return SimpleNamespace(js=js, nj=nj, xw=xw, sz=sz, hq=hq)


@dataclass
class Cast:
    regions: SimpleNamespace
    prov_credit: Agency
    prov_edu: Agency
    nj_credit: Agency
    sz_finance: Agency
    xw_gov: Agency
    xw_edu: Agency
    xw_school: Agency
    xw_finance: Agency
    admin: User  # role with "all"
    prov_user: User  # provincial credit office, unit_and_below
    city_user: User  # Nanjing credit office, unit_and_below
    county_user: User  # 玄武区人民政府 (has child bodies), unit_and_below
    plain_user: User  # 玄武区教育局, unit only, view only
    self_user: User  # "self" scope
    norole_user: User  # no role at all

    def bodies(self) -> list[Agency]:
        return [
            self.prov_credit,
            self.prov_edu,
            self.nj_credit,
            self.sz_finance,
            self.xw_gov,
            self.xw_edu,
            self.xw_school,
            self.xw_finance,
        ]


@pytest.fixture
def cast(regions) -> Cast:  # type: ignore[no-untyped-def]
    r = regions
    prov_credit = add_agency(1, "江苏省发展和改革委员会", r.js, is_credit_office=True)
    prov_edu = add_agency(2, "江苏省教育厅", r.js)
    nj_credit = add_agency(3, "南京市发展和改革委员会", r.nj, is_credit_office=True)
    sz_finance = add_agency(4, "苏州市财政局", r.sz)
    xw_gov = add_agency(5, "南京市玄武区人民政府", r.xw)
    xw_edu = add_agency(6, "南京市玄武区教育局", r.xw, parent=xw_gov)
    xw_school = add_agency(7, "南京市玄武区某中学", r.xw, parent=xw_edu, org_type="institution")
    xw_finance = add_agency(8, "南京市玄武区财政局", r.xw)

    role_all = Role.objects.create(code="all", name="全部", grants={"registry.view": "all", "registry.change": "all"})
    role_below = Role.objects.create(
        code="below",
        name="本单位及以下",
        grants={"registry.view": "unit_and_below", "registry.change": "unit_and_below"},
    )
    role_unit = Role.objects.create(code="unit", name="本单位", grants={"registry.view": "unit"})
    role_self = Role.objects.create(
        code="self", name="仅本人", grants={"registry.view": "self", "registry.change": "self"}
    )
    return Cast(
        regions=r,
        prov_credit=prov_credit,
        prov_edu=prov_edu,
        nj_credit=nj_credit,
        sz_finance=sz_finance,
        xw_gov=xw_gov,
        xw_edu=xw_edu,
        xw_school=xw_school,
        xw_finance=xw_finance,
        admin=make_user("admin", prov_credit, role_all),
        prov_user=make_user("prov", prov_credit, role_below),
        city_user=make_user("city", nj_credit, role_below),
        county_user=make_user("county", xw_gov, role_below),
        plain_user=make_user("plain", xw_edu, role_unit),
        self_user=make_user("selfish", xw_edu, role_self),
        norole_user=make_user("norole", xw_gov),
    )


@pytest.fixture
def legacy_uscc(monkeypatch) -> str:  # type: ignore[no-untyped-def]
    """A code failing the checksum that the operator list marks as a known legacy code.

    The operator list lives in a table another change adds; until it is merged this fixture puts the code
    on the list by replacing `known_legacy_codes` (replace with a table row once that model exists).
    """
    good = make_uscc(99, area="320102")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    from govtrust.core import codes

    monkeypatch.setattr(codes, "known_legacy_codes", lambda: frozenset({bad}))
    return bad
