import json

import pytest

from govtrust.core.models import ObjectChange
from govtrust.registry.models import Agency

from .builders import make_uscc

BASE = "/api/registry/agencies"


def post(client, data):  # type: ignore[no-untyped-def]
    return client.post(BASE, data=json.dumps(data), content_type="application/json")


def patch(client, uscc, data):  # type: ignore[no-untyped-def]
    return client.patch(f"{BASE}/{uscc}", data=json.dumps(data), content_type="application/json")


NEW = {"uscc": make_uscc(800, area="320102"), "name": "南京市玄武区审计局", "region_code": "320102"}


@pytest.mark.django_db
def test_the_api_needs_a_session(client, cast):
    assert client.get(f"{BASE}/{cast.xw_gov.uscc}").status_code == 401


@pytest.mark.django_db
def test_get_returns_a_visible_body_and_404_outside_the_scope(client, cast):
    client.force_login(cast.county_user)
    response = client.get(f"{BASE}/{cast.xw_school.uscc.lower()}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "南京市玄武区某中学"
    assert body["parent_uscc"] == cast.xw_edu.uscc
    assert body["region_code"] == "320102" and body["warnings"] == []
    assert client.get(f"{BASE}/{cast.xw_finance.uscc}").status_code == 404


@pytest.mark.django_db
def test_post_creates_a_body(client, cast):
    client.force_login(cast.city_user)
    response = post(client, NEW)
    assert response.status_code == 201
    assert response.json()["level"] == "county"
    agency = Agency.objects.get(uscc=NEW["uscc"])
    assert (
        ObjectChange.objects.get(object_type="registry.agency", object_id=str(agency.pk)).user_pk == cast.city_user.pk
    )


@pytest.mark.django_db
def test_post_reports_field_errors_in_chinese(client, cast):
    client.force_login(cast.city_user)
    response = post(client, {"uscc": "123", "region_code": "999999"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "18位" in errors["uscc"][0]
    assert errors["name"] == ["单位名称不能为空"]
    assert errors["region_code"] == ["行政区划代码“999999”不存在"]
    assert not Agency.objects.filter(region__code="320102", name="").exists()


@pytest.mark.django_db
def test_post_of_a_registered_code_is_a_409_naming_the_body(client, cast):
    client.force_login(cast.city_user)
    response = post(client, {**NEW, "uscc": cast.xw_gov.uscc})
    assert response.status_code == 409
    assert "南京市玄武区人民政府" in response.json()["errors"]["uscc"][0]


@pytest.mark.django_db
def test_post_stores_a_hostile_name_as_plain_json_text(client, cast):
    client.force_login(cast.city_user)
    hostile = "'; DROP TABLE registry_agency; --<script>"
    response = post(client, {**NEW, "name": hostile})
    assert response.status_code == 201 and response.json()["name"] == hostile
    assert Agency.objects.filter(name=hostile).count() == 1


@pytest.mark.django_db
def test_post_of_a_legacy_code_carries_a_warning(client, cast, legacy_uscc):
    client.force_login(cast.city_user)
    response = post(client, {**NEW, "uscc": legacy_uscc})
    assert response.status_code == 201
    assert response.json()["uscc_status"] == "legacy" and response.json()["warnings"]


@pytest.mark.django_db
def test_post_needs_the_change_grant_and_must_stay_in_scope(client, cast):
    client.force_login(cast.plain_user)
    assert post(client, NEW).status_code == 403
    client.force_login(cast.county_user)
    response = post(client, NEW)  # no parent: outside the county body's tree
    assert response.status_code == 403
    assert not Agency.objects.filter(uscc=NEW["uscc"]).exists()
    assert post(client, {**NEW, "parent_uscc": cast.xw_gov.uscc}).status_code == 201


@pytest.mark.django_db
def test_patch_changes_only_the_given_fields(client, cast):
    client.force_login(cast.county_user)
    response = patch(client, cast.xw_edu.uscc, {"name": "南京市玄武区教育局（更名）"})
    assert response.status_code == 200
    edu = Agency.objects.get(pk=cast.xw_edu.pk)
    assert edu.name == "南京市玄武区教育局（更名）" and edu.parent == cast.xw_gov


@pytest.mark.django_db
def test_patch_errors_scope_and_duplicates(client, cast):
    client.force_login(cast.county_user)
    assert patch(client, cast.xw_finance.uscc, {"name": "x"}).status_code == 404
    response = patch(client, cast.xw_edu.uscc, {"region_code": "000000", "name": None})
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["不能为空"]}
    response = patch(client, cast.xw_edu.uscc, {"region_code": "000000"})
    assert response.status_code == 400 and "region_code" in response.json()["errors"]
    assert patch(client, cast.xw_edu.uscc, {"uscc": cast.xw_school.uscc}).status_code == 409
    assert patch(client, cast.xw_edu.uscc, {"parent_uscc": None}).status_code == 403  # would leave the tree
    assert Agency.objects.get(pk=cast.xw_edu.pk).parent == cast.xw_gov
    client.force_login(cast.plain_user)
    assert patch(client, cast.xw_edu.uscc, {"name": "x"}).status_code == 403
