import datetime

import pytest
from django.urls import reverse

from govtrust.core.models import ObjectChange
from govtrust.registry import services
from govtrust.registry.models import Agency, AgencyLeader, CivilServant, Enterprise, Person

from .builders import SYSTEM, add_agency, make_id, make_uscc


def detail(agency: Agency) -> str:
    return reverse("registry:agency_detail", kwargs={"uscc": agency.uscc})


def body_form(**overrides: str) -> dict[str, str]:
    data = {
        "uscc": make_uscc(700, area="320102"),
        "name": "南京市玄武区审计局",
        "region_code": "320102",
        "parent_uscc": "",
        "level": "",
        "org_type": "organ",
        "status": "active",
    }
    data.update(overrides)
    return data


# --- detail page ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_detail_page_needs_a_login(client, cast):
    response = client.get(detail(cast.xw_gov))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_a_body_outside_the_users_scope_is_a_404(client, cast):
    client.force_login(cast.county_user)
    assert client.get(detail(cast.xw_school)).status_code == 200
    assert client.get(detail(cast.xw_finance)).status_code == 404
    client.force_login(cast.norole_user)
    assert client.get(detail(cast.xw_gov)).status_code == 404


@pytest.mark.django_db
def test_the_detail_page_shows_fields_masked_leaders_children_and_masked_civil_servants(client, cast):
    services.agency_leader_add(
        actor=SYSTEM, agency=cast.xw_gov, name="张三明", position="区长", term_start=datetime.date(2021, 3, 1)
    )
    number = make_id(1)
    services.civil_servant_create(actor=SYSTEM, agency=cast.xw_gov, name="李小四", id_number=number, position="科员")
    client.force_login(cast.county_user)
    page = client.get(detail(cast.xw_gov)).content.decode()
    assert cast.xw_gov.uscc in page and "玄武区" in page
    assert "张*明" in page and "张三明" not in page and "2021-03-01" in page and "至今" in page
    assert "南京市玄武区教育局" in page  # child body
    assert "公务员（1人）" in page
    assert number[:6] + "********" + number[-4:] in page
    assert number not in page and "李小四" not in page


@pytest.mark.django_db
def test_the_civil_servant_list_is_paginated(client, cast):
    for i in range(25):
        services.civil_servant_create(actor=SYSTEM, agency=cast.xw_edu, name=f"人员{i:02d}", id_number=make_id(i))
    client.force_login(cast.plain_user)
    first = client.get(detail(cast.xw_edu)).content.decode()
    second = client.get(detail(cast.xw_edu) + "?page=2").content.decode()
    assert "公务员（25人）" in first
    assert first.count("********") == 20 and second.count("********") == 5


@pytest.mark.django_db
def test_a_legacy_code_shows_a_visible_warning(client, cast, legacy_uscc):
    agency = services.agency_create(actor=SYSTEM, uscc=legacy_uscc, name="玄武区老单位", region_code="320102")
    client.force_login(cast.city_user)
    page = client.get(detail(agency)).content.decode()
    assert 'class="warning legacy-code"' in page and "历史代码" in page


@pytest.mark.django_db
def test_a_hostile_name_is_escaped_on_display(client, cast):
    hostile = "<script>alert('x')</script>"
    agency = add_agency(701, hostile, cast.regions.xw, parent=cast.xw_gov)
    client.force_login(cast.county_user)
    page = client.get(detail(agency)).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;script&gt;" in client.get(detail(cast.xw_gov)).content.decode()  # in the children list


# --- create / edit forms ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_creating_a_body_redirects_to_its_page(client, cast):
    client.force_login(cast.city_user)
    response = client.post(reverse("registry:agency_create"), body_form())
    agency = Agency.objects.get(name="南京市玄武区审计局")
    assert response.status_code == 302 and response["Location"] == detail(agency)
    change = ObjectChange.objects.get(object_type="registry.agency", object_id=str(agency.pk))
    assert change.user_pk == cast.city_user.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"uscc": "91320102MA1XXXXX0A"}, "校验码错误"),
        ({"region_code": "999999"}, "行政区划代码“999999”不存在"),
        ({"name": "局" * 201}, "不能超过200个字"),
    ],
)
def test_the_create_form_shows_the_services_errors_and_stores_nothing(client, cast, overrides, message):
    client.force_login(cast.city_user)
    before = Agency.objects.count()
    response = client.post(reverse("registry:agency_create"), body_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Agency.objects.count() == before


@pytest.mark.django_db
def test_the_create_form_names_the_body_holding_a_duplicate_code(client, cast):
    client.force_login(cast.city_user)
    response = client.post(reverse("registry:agency_create"), body_form(uscc=cast.xw_edu.uscc))
    assert "已登记为“南京市玄武区教育局”" in response.content.decode()


@pytest.mark.django_db
def test_a_body_cannot_be_created_outside_the_users_own_scope(client, cast):
    client.force_login(cast.county_user)
    # No parent: the new body would not be under 玄武区人民政府, so the county user could not see it.
    response = client.post(reverse("registry:agency_create"), body_form())
    assert "超出您的数据权限范围" in response.content.decode()
    assert not Agency.objects.filter(name="南京市玄武区审计局").exists()
    assert not ObjectChange.objects.filter(object_repr="南京市玄武区审计局").exists()
    response = client.post(reverse("registry:agency_create"), body_form(parent_uscc=cast.xw_gov.uscc))
    assert response.status_code == 302


@pytest.mark.django_db
def test_users_without_the_change_grant_cannot_open_the_forms(client, cast):
    client.force_login(cast.plain_user)
    assert client.get(reverse("registry:agency_create")).status_code == 403
    assert client.get(reverse("registry:agency_edit", kwargs={"uscc": cast.xw_edu.uscc})).status_code == 403
    assert client.get(reverse("registry:person_create")).status_code == 403
    assert client.get(reverse("registry:enterprise_create")).status_code == 403
    client.force_login(cast.county_user)
    assert client.get(reverse("registry:agency_edit", kwargs={"uscc": cast.xw_finance.uscc})).status_code == 404


@pytest.mark.django_db
def test_editing_a_body_saves_and_errors_keep_the_stored_values(client, cast):
    client.force_login(cast.county_user)
    url = reverse("registry:agency_edit", kwargs={"uscc": cast.xw_edu.uscc})
    page = client.get(url).content.decode()
    assert cast.xw_gov.uscc in page  # the parent is filled in
    form = body_form(uscc=cast.xw_edu.uscc, name="玄武区教育局（新）", parent_uscc=cast.xw_gov.uscc, level="county")
    assert client.post(url, form).status_code == 302
    assert Agency.objects.get(pk=cast.xw_edu.pk).name == "玄武区教育局（新）"
    form["name"] = "局" * 201
    form["region_code"] = "888888"
    page = client.post(url, form).content.decode()
    assert "行政区划代码“888888”不存在" in page and "不能超过200个字" in page
    assert Agency.objects.get(pk=cast.xw_edu.pk).region == cast.regions.xw


@pytest.mark.django_db
def test_a_body_cannot_be_moved_out_of_the_users_scope(client, cast):
    client.force_login(cast.county_user)
    url = reverse("registry:agency_edit", kwargs={"uscc": cast.xw_edu.uscc})
    response = client.post(url, body_form(uscc=cast.xw_edu.uscc, name=cast.xw_edu.name, parent_uscc=""))
    assert "超出您的数据权限范围" in response.content.decode()
    assert Agency.objects.get(pk=cast.xw_edu.pk).parent == cast.xw_gov
    assert Agency.objects.get(pk=cast.xw_school.pk).tree_path.startswith(cast.xw_gov.tree_path)


# --- leaders -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_adding_and_ending_a_leader_through_the_console(client, cast):
    client.force_login(cast.county_user)
    url = reverse("registry:leader_add", kwargs={"uscc": cast.xw_edu.uscc})
    response = client.post(url, {"name": "张三明", "position": "局长", "term_start": "2022-01-01"})
    assert response.status_code == 302
    leader = AgencyLeader.objects.get()
    response = client.post(url, {"name": "李四", "position": "局长", "term_start": "2021-01-01", "keep_previous": "on"})
    assert "重叠" in response.content.decode()
    end_url = reverse("registry:leader_end", kwargs={"uscc": cast.xw_edu.uscc, "pk": leader.pk})
    response = client.post(end_url, {"term_end": "2021-01-01"})
    assert "任职终止日不能早于起始日" in response.content.decode()
    assert client.post(end_url, {"term_end": "2024-06-30"}).status_code == 302
    assert AgencyLeader.objects.get().term_end == datetime.date(2024, 6, 30)


# --- civil servants, persons, enterprises ------------------------------------------------------------


@pytest.mark.django_db
def test_a_civil_servant_with_an_impossible_birth_date_is_refused_in_the_form(client, cast):
    client.force_login(cast.county_user)
    url = reverse("registry:civil_servant_create", kwargs={"uscc": cast.xw_edu.uscc})
    response = client.post(url, {"name": "张三明", "id_number": "32990019800230001X"})
    assert "出生日期不存在" in response.content.decode()
    assert not CivilServant.objects.exists()
    assert client.post(url, {"name": "张三明", "id_number": make_id(3)}).status_code == 302
    assert CivilServant.objects.get().agency == cast.xw_edu


@pytest.mark.django_db
def test_editing_a_civil_servant_keeps_the_number_when_left_blank(client, cast):
    servant = services.civil_servant_create(actor=SYSTEM, agency=cast.xw_edu, name="张三明", id_number=make_id(3))
    client.force_login(cast.county_user)
    url = reverse("registry:civil_servant_edit", kwargs={"pk": servant.pk})
    page = client.get(url).content.decode()
    assert make_id(3) not in page
    response = client.post(url, {"name": "张三明", "id_number": "", "position": "副局长"})
    assert response.status_code == 302
    servant.refresh_from_db()
    assert servant.position == "副局长"
    assert CivilServant.objects.with_id_number(make_id(3)).get() == servant
    client.force_login(cast.plain_user)  # sees the body, may not change it
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_a_civil_servant_outside_the_scope_is_a_404(client, cast):
    servant = services.civil_servant_create(actor=SYSTEM, agency=cast.xw_finance, name="张三明", id_number=make_id(3))
    client.force_login(cast.county_user)
    assert client.get(reverse("registry:civil_servant_edit", kwargs={"pk": servant.pk})).status_code == 404


@pytest.mark.django_db
def test_registering_a_person_shows_only_the_masked_number(client, cast):
    client.force_login(cast.county_user)
    number = make_id(4)
    response = client.post(reverse("registry:person_create"), {"name": "王小五", "id_number": number}, follow=True)
    page = response.content.decode()
    assert "王*五" in page and number[:6] + "********" in page and number not in page
    response = client.post(reverse("registry:person_create"), {"name": "王小五", "id_number": number})
    assert "该身份证号码已登记" in response.content.decode()
    assert Person.objects.count() == 1


@pytest.mark.django_db
def test_enterprises_are_created_and_listed_within_the_users_region(client, cast, legacy_uscc):
    services.enterprise_create(actor=SYSTEM, uscc=make_uscc(1, kind="91"), name="苏州企业", region_code="320505")
    client.force_login(cast.city_user)
    response = client.post(
        reverse("registry:enterprise_create"), {"uscc": legacy_uscc, "name": "<b>玄武企业</b>", "region_code": "320102"}
    )
    assert response.status_code == 302
    page = client.get(reverse("registry:enterprise_list")).content.decode()
    assert "&lt;b&gt;玄武企业&lt;/b&gt;" in page and "历史代码" in page
    assert "苏州企业" not in page
    response = client.post(
        reverse("registry:enterprise_create"),
        {"uscc": make_uscc(2, kind="91"), "name": "苏州另一企业", "region_code": "320505"},
    )
    assert "超出您的数据权限范围" in response.content.decode()
    assert not Enterprise.objects.filter(name="苏州另一企业").exists()
    page = client.get(reverse("registry:enterprise_list") + "?q=玄武").content.decode()
    assert "共1家" in page
