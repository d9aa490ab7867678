from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from govtrust.accounts import services
from govtrust.accounts.models import DataScope, Role, User
from govtrust.accounts.permissions import ACTIONS
from govtrust.accounts.policy import validate_grants
from govtrust.core.models import ObjectChange

from .conftest import make_user, role

EXPECTED_CODES = {
    "provincial_credit_office",
    "city_credit_office",
    "county_credit_office",
    "supplier",
    "recorded_body",
    "hr_department",
    "auditor",
    "system_admin",
}


@pytest.mark.django_db
def test_the_default_roles_exist_with_chinese_names():
    roles = {r.code: r.name for r in Role.objects.all()}
    assert EXPECTED_CODES <= set(roles)
    assert roles["provincial_credit_office"] == "省信用办"
    assert roles["auditor"] == "审计员"


@pytest.mark.django_db
def test_every_default_grant_names_a_known_action_and_scope():
    for r in Role.objects.filter(code__in=EXPECTED_CODES):
        validate_grants(r.grants)


@pytest.mark.django_db
def test_the_provincial_office_is_granted_every_action_with_scope_all():
    assert role("provincial_credit_office").grants == {action: "all" for action in ACTIONS}


@pytest.mark.django_db
def test_city_and_county_offices_reach_their_region_tree_and_bodies_only_themselves():
    assert role("city_credit_office").grants["registry.view"] == "unit_and_below"
    assert role("county_credit_office").grants["registry.change"] == "unit_and_below"
    assert role("supplier").grants["registry.view"] == "unit"
    assert role("recorded_body").grants["registry.view"] == "unit"
    assert role("hr_department").grants["registry.view"] == "unit_and_below"


@pytest.mark.django_db
def test_auditor_and_system_admin_are_kept_apart_from_business_and_each_other():
    auditor, admin = role("auditor").grants, role("system_admin").grants
    assert auditor["audit.view"] == "all"
    assert not {"registry.view", "registry.change", "user.manage", "api_client.manage"} & set(auditor)
    assert admin["user.manage"] == admin["api_client.manage"] == "all"
    assert not {"registry.view", "registry.change", "audit.view"} & set(admin)


@pytest.mark.django_db
def test_data_scope_is_the_widest_that_any_role_grants(city_office):
    user = make_user("mixed", city_office, "supplier", "city_credit_office")
    assert user.data_scope("registry.view") == DataScope.UNIT_AND_BELOW
    assert user.data_scope("notification.view") == DataScope.SELF
    assert user.data_scope("audit.view") is None


@pytest.mark.django_db
def test_data_scope_is_none_without_roles_or_when_inactive_and_all_for_superusers(city_office):
    nobody = make_user("nobody", city_office)
    assert nobody.data_scope("registry.view") is None
    inactive = make_user("gone", city_office, "provincial_credit_office", is_active=False)
    assert inactive.data_scope("registry.view") is None
    root = User.objects.create_superuser("root", "root@example.cn", "x" * 12)
    assert root.data_scope("anything.at_all") == DataScope.ALL


@pytest.mark.django_db
def test_role_grants_are_updated_through_the_audited_service(sysadmin):
    supplier = role("supplier")
    services.role_update_grants(actor=sysadmin, role=supplier, grants={"registry.view": "unit_and_below"})
    supplier.refresh_from_db()
    assert supplier.grants == {"registry.view": "unit_and_below"}
    change = ObjectChange.objects.get(object_type="accounts.role", object_id=str(supplier.pk))
    assert change.user_name == "sysadmin"
    assert change.prechange_data["grants"]["notification.view"] == "self"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "grants, fragment",
    [
        ({"registry.veiw": "all"}, "未知的动作"),
        ({"records.destroy": "all"}, "未知的动作"),  # the records module knows view and change only
        ({"registry.view": "everything"}, "数据范围"),
        ({"registry.view": "2"}, "数据范围"),  # RuoYi's 自定 has no equivalent
        ({"'; DROP TABLE accounts_role; --": "all"}, "未知的动作"),
        (["registry.view"], "映射"),
    ],
)
def test_role_grants_reject_unknown_actions_and_scopes_in_chinese(sysadmin, grants, fragment):
    supplier = role("supplier")
    before = dict(supplier.grants)
    with pytest.raises(ValidationError) as excinfo:
        services.role_update_grants(actor=sysadmin, role=supplier, grants=grants)
    assert fragment in " ".join(excinfo.value.messages)
    supplier.refresh_from_db()
    assert supplier.grants == before
    assert not ObjectChange.objects.filter(object_type="accounts.role").exists()
