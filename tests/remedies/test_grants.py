"""The default roles hold the remedies actions they need, and only those."""

from __future__ import annotations

import pytest

from govtrust.accounts.models import Role

pytestmark = pytest.mark.django_db


def grants(code: str) -> dict[str, str]:
    return {k: v for k, v in Role.objects.get(code=code).grants.items() if k.startswith("remedies.")}


def test_the_default_roles_are_granted_the_remedies_actions():  # type: ignore[no-untyped-def]
    assert grants("provincial_credit_office") == {
        "remedies.view": "all", "remedies.file": "all", "remedies.decide": "all", "remedies.review": "all",
    }  # fmt: skip
    assert grants("recorded_body") == {"remedies.view": "unit", "remedies.file": "unit"}
    assert grants("supplier") == {"remedies.view": "unit", "remedies.decide": "unit"}
    assert grants("city_credit_office") == {"remedies.view": "unit_and_below", "remedies.decide": "unit"}
    assert grants("auditor") == {} and grants("system_admin") == {}
    # Only the provincial office reviews.
    assert [r.code for r in Role.objects.all() if "remedies.review" in r.grants] == ["provincial_credit_office"]
