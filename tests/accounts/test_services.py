from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError

from govtrust.accounts import services
from govtrust.accounts.models import User
from govtrust.core.models import ObjectChange

from .conftest import PASSWORD, make_user, role


@pytest.mark.django_db
def test_user_create_binds_the_user_to_a_body_with_roles_and_audits_it(sysadmin, city_office):
    user = services.user_create(
        actor=sysadmin,
        username="gulou",
        password=PASSWORD,
        agency=city_office,
        roles=[role("supplier")],
        display_name="鼓楼区操作员",
        email="gulou@example.cn",
    )
    assert user.agency == city_office
    assert list(user.roles.values_list("code", flat=True)) == ["supplier"]
    assert authenticate(username="gulou", password=PASSWORD) == user
    change = ObjectChange.objects.get(object_type="accounts.user", object_id=str(user.pk))
    assert change.action == "create" and change.user_name == "sysadmin"
    assert change.postchange_data["roles"] == ["supplier"]
    assert "password" not in change.postchange_data
    assert user.password not in str(change.postchange_data)


@pytest.mark.django_db
def test_user_create_refuses_a_username_taken_in_another_case(sysadmin, city_office):
    with pytest.raises(ValidationError) as excinfo:
        services.user_create(
            actor=sysadmin, username="SysAdmin", password=PASSWORD, agency=city_office, display_name="", email=""
        )
    assert "已被使用" in str(excinfo.value)
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["123", "12345678901", "password1234", "gulou-user"])
def test_user_create_refuses_a_weak_password_and_stores_nothing(sysadmin, city_office, password):
    with pytest.raises(ValidationError) as excinfo:
        services.user_create(actor=sysadmin, username="gulou-user", password=password, agency=city_office)
    assert "password" in excinfo.value.error_dict
    assert not User.objects.filter(username="gulou-user").exists()
    assert not ObjectChange.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["<script>alert(1)</script>", "'; DROP TABLE accounts_user; --", "   "])
def test_user_create_refuses_hostile_or_empty_usernames(sysadmin, city_office, username):
    with pytest.raises(ValidationError):
        services.user_create(actor=sysadmin, username=username, password=PASSWORD, agency=city_office)
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_user_create_refuses_a_malformed_email(sysadmin, city_office):
    with pytest.raises(ValidationError) as excinfo:
        services.user_create(actor=sysadmin, username="u1", password=PASSWORD, agency=city_office, email="not-an-email")
    assert "email" in excinfo.value.error_dict


@pytest.mark.django_db
def test_one_user_cannot_be_both_system_admin_and_auditor(sysadmin, city_office):
    with pytest.raises(ValidationError) as excinfo:
        services.user_set_roles(actor=sysadmin, user=sysadmin, roles=[role("system_admin"), role("auditor")])
    assert "三员分立" in str(excinfo.value)
    assert list(sysadmin.roles.values_list("code", flat=True)) == ["system_admin"]
    with pytest.raises(ValidationError):
        services.user_create(
            actor=sysadmin,
            username="both",
            password=PASSWORD,
            agency=city_office,
            roles=[role("auditor"), role("system_admin")],
        )


@pytest.mark.django_db
def test_user_set_roles_records_before_and_after(sysadmin, city_user):
    services.user_set_roles(actor=sysadmin, user=city_user, roles=[role("supplier"), role("hr_department")])
    change = ObjectChange.objects.get(object_type="accounts.user", object_id=str(city_user.pk))
    assert change.prechange_data["roles"] == ["city_credit_office"]
    assert change.postchange_data["roles"] == ["hr_department", "supplier"]


@pytest.mark.django_db
def test_user_update_changes_only_what_is_given(sysadmin, city_user, provincial_office):
    services.user_update(actor=sysadmin, user=city_user, display_name=" 新名字 ")
    city_user.refresh_from_db()
    assert city_user.display_name == "新名字"
    assert city_user.agency.name == "南京市发展和改革委员会"
    services.user_update(actor=sysadmin, user=city_user, agency=provincial_office)
    city_user.refresh_from_db()
    assert city_user.agency == provincial_office
    assert ObjectChange.objects.filter(object_type="accounts.user").count() == 2


@pytest.mark.django_db
def test_a_deactivated_user_can_no_longer_log_in_and_loses_every_scope(sysadmin, city_user):
    services.user_deactivate(actor=sysadmin, user=city_user)
    assert authenticate(username="nanjing", password=PASSWORD) is None
    city_user.refresh_from_db()
    assert city_user.data_scope("registry.view") is None
    assert ObjectChange.objects.get(object_type="accounts.user").postchange_data["is_active"] is False


@pytest.mark.django_db
def test_a_deactivated_users_session_stops_working(client, sysadmin, city_user):
    client.force_login(city_user)
    assert client.get("/console/").status_code == 200
    services.user_deactivate(actor=sysadmin, user=city_user)
    assert client.get("/console/").status_code == 302


@pytest.mark.django_db
def test_user_set_password_validates_and_audits_without_the_password(sysadmin, city_user):
    with pytest.raises(ValidationError):
        services.user_set_password(actor=sysadmin, user=city_user, password="short")
    services.user_set_password(actor=sysadmin, user=city_user, password="Another-long-pass-2025")
    assert authenticate(username="nanjing", password="Another-long-pass-2025") == city_user
    change = ObjectChange.objects.get(object_type="accounts.user")
    assert change.postchange_data is None and change.message == "password"


@pytest.mark.django_db
def test_make_user_helper_users_authenticate(city_office):
    make_user("plain", city_office)
    assert authenticate(username="plain", password=PASSWORD) is not None
