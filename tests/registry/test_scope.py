"""Data scope: every scope against the fixed cast (see conftest.py for the body tree)."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from govtrust.accounts.models import Role
from govtrust.registry import services
from govtrust.registry.models import Agency, AgencyLeader, CivilServant, Enterprise, Person

from .builders import SYSTEM, add_agency, make_id, make_region, make_uscc, make_user


def names(qs) -> set[str]:  # type: ignore[no-untyped-def]
    return {obj.name for obj in qs}


XW_TREE = {"南京市玄武区人民政府", "南京市玄武区教育局", "南京市玄武区某中学"}
NANJING = XW_TREE | {"南京市发展和改革委员会", "南京市玄武区财政局"}
JIANGSU = NANJING | {"江苏省发展和改革委员会", "江苏省教育厅", "苏州市财政局"}


@pytest.fixture
def shanghai_body(cast) -> Agency:  # type: ignore[no-untyped-def]
    sh = make_region("310000", "上海市", 1, None)
    return add_agency(900, "上海市某局", sh)


@pytest.mark.django_db
def test_all_sees_every_body(cast, shanghai_body):
    assert names(Agency.objects.visible_to(cast.admin)) == JIANGSU | {"上海市某局"}


@pytest.mark.django_db
def test_a_provincial_credit_office_sees_its_province_by_region(cast, shanghai_body):
    assert names(Agency.objects.visible_to(cast.prov_user)) == JIANGSU


@pytest.mark.django_db
def test_a_city_credit_office_sees_every_body_in_its_city_whatever_their_parents(cast):
    assert names(Agency.objects.visible_to(cast.city_user)) == NANJING


@pytest.mark.django_db
def test_a_county_body_sees_itself_and_its_descendants_but_not_its_regional_neighbours(cast):
    assert names(Agency.objects.visible_to(cast.county_user)) == XW_TREE


@pytest.mark.django_db
def test_a_unit_scope_sees_only_its_own_body(cast):
    assert names(Agency.objects.visible_to(cast.plain_user)) == {"南京市玄武区教育局"}


@pytest.mark.django_db
def test_a_view_grant_is_not_a_change_grant(cast):
    assert not Agency.objects.visible_to(cast.plain_user, "registry.change").exists()
    assert names(Agency.objects.visible_to(cast.county_user, "registry.change")) == XW_TREE


@pytest.mark.django_db
def test_self_scope_no_role_anonymous_and_inactive_users_see_no_body(cast):
    inactive = make_user("gone", cast.prov_credit, *Role.objects.filter(code="all"))
    inactive.is_active = False
    inactive.save()
    no_body = make_user("nobody", None, *Role.objects.filter(code="below"))
    for user in (cast.self_user, cast.norole_user, AnonymousUser(), None, inactive, no_body):
        assert not Agency.objects.visible_to(user).exists()


@pytest.mark.django_db
def test_a_body_moved_into_the_county_tree_becomes_visible_to_it(cast):
    assert cast.xw_finance not in Agency.objects.visible_to(cast.county_user)
    services.agency_update(actor=SYSTEM, agency=cast.xw_finance, parent_uscc=cast.xw_gov.uscc)
    assert cast.xw_finance in Agency.objects.visible_to(cast.county_user)


@pytest.mark.django_db
def test_civil_servants_and_leaders_follow_their_body(cast):
    for i, body in enumerate(cast.bodies()):
        services.civil_servant_create(actor=SYSTEM, agency=body, name=body.name[-3:], id_number=make_id(i))
        services.agency_leader_add(
            actor=SYSTEM, agency=body, name="负责人", position="主任", term_start=datetime.date(2020, 1, 1)
        )
    expected = {
        cast.admin: JIANGSU,
        cast.prov_user: JIANGSU,
        cast.city_user: NANJING,
        cast.county_user: XW_TREE,
        cast.plain_user: {"南京市玄武区教育局"},
        cast.self_user: set(),
        cast.norole_user: set(),
    }
    for user, bodies in expected.items():
        servants = CivilServant.objects.visible_to(user).select_related("agency")
        assert {s.agency.name for s in servants} == bodies, user.username
        leaders = AgencyLeader.objects.visible_to(user).select_related("agency")
        assert {leader.agency.name for leader in leaders} == bodies, user.username


@pytest.mark.django_db
def test_only_an_all_scope_lists_persons(cast):
    services.person_create(actor=SYSTEM, name="李四", id_number=make_id(2))
    assert Person.objects.visible_to(cast.admin).count() == 1
    for user in (cast.prov_user, cast.city_user, cast.county_user, cast.plain_user, cast.self_user, cast.norole_user):
        assert not Person.objects.visible_to(user).exists()


@pytest.mark.django_db
def test_enterprises_follow_the_region_of_the_users_body(cast):
    for n, (name, region) in enumerate(
        [("虎丘企业", "320505"), ("玄武企业", "320102"), ("南京企业", "320100"), ("无区划企业", None)]
    ):
        services.enterprise_create(actor=SYSTEM, uscc=make_uscc(n, kind="91"), name=name, region_code=region)
    assert names(Enterprise.objects.visible_to(cast.admin)) == {"虎丘企业", "玄武企业", "南京企业", "无区划企业"}
    assert names(Enterprise.objects.visible_to(cast.prov_user)) == {"虎丘企业", "玄武企业", "南京企业"}
    assert names(Enterprise.objects.visible_to(cast.city_user)) == {"玄武企业", "南京企业"}
    assert names(Enterprise.objects.visible_to(cast.county_user)) == {"玄武企业"}
    assert names(Enterprise.objects.visible_to(cast.plain_user)) == {"玄武企业"}
    assert not Enterprise.objects.visible_to(cast.self_user).exists()
    assert not Enterprise.objects.visible_to(cast.norole_user).exists()


@pytest.mark.django_db
def test_the_body_tree_scope_is_an_indexed_range_query(cast):
    sql, params = Agency.objects.visible_to(cast.county_user).query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables would be scanned otherwise
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "tree_path" in plan, plan
