"""Hand-built test data helpers shared by the registry tests (valid codes, bodies, users)."""

from __future__ import annotations

from types import SimpleNamespace

from govtrust.accounts.models import Role, User
from govtrust.core.models import Region
from govtrust.core.validators import id_check_digit, org_code_check_digit, uscc_check_digit
from govtrust.registry import services
from govtrust.registry.models import Agency

SYSTEM = SimpleNamespace(username="test-setup", is_authenticated=False)


def make_uscc(n: int, *, area: str = "320000", kind: str = "11") -> str:
    """A valid USCC: registration authority/type `kind`, area code, organisation code built from `n`."""
    org8 = f"{n:08d}"
    first17 = kind + area + org8 + org_code_check_digit(org8)
    return first17 + uscc_check_digit(first17)


def make_id(n: int, *, birth: str = "19800101") -> str:
    """A valid ID number in the unassigned area 329900, so that no real person's number can appear."""
    first17 = "329900" + birth + f"{n % 1000:03d}"
    return first17 + id_check_digit(first17)


def make_region(code: str, name: str, level: int, parent: Region | None) -> Region:
    """The Jiangsu rows come from the data migration; other provinces are built here."""
    existing = Region.objects.filter(code=code).first()
    if existing:
        return existing
    region = Region(code=code, name=name, level=level, parent=parent)
    region.fill_ancestor_codes()
    region.save()
    return region


def add_agency(n: int, name: str, region: Region, parent: Agency | None = None, **kw) -> Agency:  # type: ignore[no-untyped-def]
    return services.agency_create(
        actor=SYSTEM,
        uscc=make_uscc(n, area=region.code),
        name=name,
        region_code=region.code,
        parent_uscc=parent.uscc if parent else None,
        **kw,
    )


def make_user(username: str, agency: Agency | None, *roles: Role) -> User:
    user = User.objects.create_user(username=username, password="x-test-password-1", agency=agency)
    user.roles.set(roles)
    return user
