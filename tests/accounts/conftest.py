"""Hand-built cast for the accounts tests: a province, a city, their credit offices and a few users."""

from __future__ import annotations

from typing import Any

import pytest

from govtrust.accounts.models import Role, User
from govtrust.core.models import Region
from govtrust.registry.models import Agency

PASSWORD = "Zheng-wu-cheng-xin-2025"


def make_region(code: str, name: str, level: int, parent: Region | None = None) -> Region:
    """The Jiangsu rows come from the data migration; other regions are built here."""
    existing = Region.objects.filter(code=code).first()
    if existing:
        return existing
    region = Region(code=code, name=name, level=level, parent=parent)
    region.fill_ancestor_codes()
    region.save()
    return region


@pytest.fixture
def province(db: Any) -> Region:
    return make_region("320000", "江苏省", 1)


@pytest.fixture
def city(province: Region) -> Region:
    return make_region("320100", "南京市", 2, province)


@pytest.fixture
def provincial_office(province: Region) -> Agency:
    return Agency.objects.create(
        uscc="11320000014000001X",
        name="江苏省发展和改革委员会",
        region=province,
        level="province",
        is_credit_office=True,
    )


@pytest.fixture
def city_office(city: Region, provincial_office: Agency) -> Agency:
    return Agency.objects.create(
        uscc="11320100014000002Y", name="南京市发展和改革委员会", region=city, level="city", is_credit_office=True
    )


def role(code: str) -> Role:
    return Role.objects.get(code=code)


def make_user(username: str, agency: Agency | None, *role_codes: str, **extra: Any) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, agency=agency, **extra)
    user.roles.set([role(code) for code in role_codes])
    return user


@pytest.fixture
def sysadmin(provincial_office: Agency) -> User:
    return make_user("sysadmin", provincial_office, "system_admin", display_name="系统管理员甲")


@pytest.fixture
def city_user(city_office: Agency) -> User:
    return make_user("nanjing", city_office, "city_credit_office", display_name="南京操作员")
