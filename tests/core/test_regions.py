"""The packaged Jiangsu divisions (reference §9) and the ancestor-column queries on them."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from ninja.testing import TestClient

from govtrust.core.api import router
from govtrust.core.models import Region
from govtrust.core.regions import load_jiangsu


@pytest.mark.django_db
def test_jiangsu_has_the_province_13_cities_95_counties_and_9_functional_zones():
    assert Region.objects.count() == 1 + 13 + 95 + 9
    assert Region.objects.get(level=1).name == "江苏省"
    assert Region.objects.filter(level=2).count() == 13
    counties = Region.objects.filter(level=3, kind="division")
    assert counties.count() == 95
    names = list(counties.values_list("name", flat=True))
    assert sum(n.endswith("区") for n in names) == 55
    assert sum(n.endswith("市") for n in names) == 21
    assert sum(n.endswith("县") for n in names) == 19
    zones = Region.objects.filter(kind="functional_zone")
    assert set(zones.values_list("code", flat=True)) == {
        "320371", "320576", "320671", "320771", "320871", "320971", "321071", "321171", "321371",
    }  # fmt: skip
    assert zones.get(code="320576").name == "苏州工业园区"
    assert zones.get(code="320576").parent.code == "320500"


@pytest.mark.django_db
def test_names_are_full_names():
    assert Region.objects.get(code="320102").name == "玄武区"
    assert Region.objects.get(code="320281").name == "江阴市"
    assert Region.objects.get(code="320321").name == "丰县"
    assert Region.objects.get(code="320803").name == "淮安区"
    assert Region.objects.get(code="320700").name == "连云港市"


@pytest.mark.django_db
def test_every_row_carries_its_ancestor_codes():
    for region in Region.objects.select_related("parent"):
        expected = Region(code=region.code, level=region.level, parent=region.parent)
        expected.fill_ancestor_codes()
        assert region.ancestor_codes() == expected.ancestor_codes(), region.code
        if region.parent:
            assert region.parent.level == region.level - 1


@pytest.mark.django_db
def test_descendants_of_a_city_are_its_districts_counties_and_zones():
    suzhou = Region.objects.get(code="320500")
    below = Region.objects.descendants_of(suzhou, include_self=False)
    assert below.count() == 9 + 1
    assert "苏州工业园区" in set(below.values_list("name", flat=True))
    assert Region.objects.descendants_of(suzhou).count() == 11
    province = Region.objects.get(code="320000")
    assert Region.objects.descendants_of(province).count() == 118


@pytest.mark.django_db
def test_the_descendant_query_is_one_equality_filter_on_an_indexed_column():
    sql = str(Region.objects.descendants_of(Region.objects.get(code="320500")).query)
    assert '"city_code" = 320500' in sql or "\"city_code\" = '320500'" in sql
    assert "LIKE" not in sql.upper()


@pytest.mark.django_db
def test_ancestors_of_a_district_run_from_the_province_down():
    xuanwu = Region.objects.get(code="320102")
    assert [r.name for r in Region.objects.ancestors_of(xuanwu)] == ["江苏省", "南京市", "玄武区"]
    assert [r.code for r in Region.objects.ancestors_of(xuanwu, include_self=False)] == ["320000", "320100"]


@pytest.mark.django_db
def test_loading_the_packaged_data_again_changes_nothing():
    before = list(Region.objects.values_list("code", "name", "parent_id", "city_code", "county_code"))
    assert load_jiangsu(Region) == 118
    after = list(Region.objects.values_list("code", "name", "parent_id", "city_code", "county_code"))
    assert after == before


# --- `govtrust regions list` and the API ----------------------------------------------------------


@pytest.mark.django_db
def test_the_list_command_prints_children_of_a_parent():
    out = StringIO()
    call_command("regions", "list", "--parent", "321100", stdout=out)
    assert out.getvalue().splitlines() == [
        "321102\t京口区\t3\tdivision",
        "321111\t润州区\t3\tdivision",
        "321112\t丹徒区\t3\tdivision",
        "321171\t镇江新区\t3\tfunctional_zone",
        "321181\t丹阳市\t3\tdivision",
        "321182\t扬中市\t3\tdivision",
        "321183\t句容市\t3\tdivision",
    ]
    out = StringIO()
    call_command("regions", "list", stdout=out)
    assert out.getvalue() == "320000\t江苏省\t1\tdivision\n"


@pytest.mark.django_db
def test_the_list_command_rejects_an_unknown_parent():
    with pytest.raises(CommandError):
        call_command("regions", "list", "--parent", "999999")


@pytest.mark.django_db
def test_the_api_lists_children_for_tree_pickers():
    client = TestClient(router)
    top = client.get("/regions").json()
    assert top == [{"code": "320000", "name": "江苏省", "level": 1, "kind": "division", "has_children": True}]
    cities = client.get("/regions?parent=320000").json()
    assert len(cities) == 13 and all(c["has_children"] for c in cities)
    counties = client.get("/regions?parent=320100").json()
    assert [c["name"] for c in counties][:2] == ["玄武区", "秦淮区"]
    assert not any(c["has_children"] for c in counties)


@pytest.mark.django_db
def test_the_api_answers_404_for_an_unknown_parent():
    client = TestClient(router)
    assert client.get("/regions?parent=999999").status_code == 404
    assert client.get("/regions?parent=%3Cscript%3E").status_code == 404
