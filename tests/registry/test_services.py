import datetime

import pytest
from django.core.exceptions import ValidationError

from govtrust.core.models import ObjectChange
from govtrust.registry import services
from govtrust.registry.models import Agency, AgencyLeader, CodeStatus, Enterprise

from .builders import SYSTEM, add_agency, make_uscc

D = datetime.date


def errors_of(excinfo) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return excinfo.value.message_dict


def create(regions, **overrides):  # type: ignore[no-untyped-def]
    kwargs = {
        "actor": SYSTEM,
        "uscc": make_uscc(500, area="320102"),
        "name": "南京市玄武区审计局",
        "region_code": "320102",
    }
    kwargs.update(overrides)
    return services.agency_create(**kwargs)


# --- agency_create ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_creates_a_body_with_its_level_from_the_region_and_an_audit_row(regions):
    agency = create(regions, uscc=" " + make_uscc(500, area="320102").lower() + " ")
    assert agency.uscc == make_uscc(500, area="320102")
    assert agency.level == "county"
    assert agency.uscc_status == CodeStatus.VALID
    change = ObjectChange.objects.get(object_type="registry.agency", object_id=str(agency.pk))
    assert change.action == "create"
    assert change.postchange_data["name"] == "南京市玄武区审计局"


@pytest.mark.django_db
def test_it_rejects_a_wrong_check_digit_with_the_validators_reason(regions):
    good = make_uscc(500, area="320102")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as excinfo:
        create(regions, uscc=bad)
    assert "校验码错误" in errors_of(excinfo)["uscc"][0]
    assert not Agency.objects.exists()
    assert not ObjectChange.objects.exists()


@pytest.mark.django_db
def test_it_rejects_an_empty_or_short_code(regions):
    with pytest.raises(ValidationError) as excinfo:
        create(regions, uscc="")
    assert errors_of(excinfo)["uscc"] == ["统一社会信用代码不能为空"]
    with pytest.raises(ValidationError) as excinfo:
        create(regions, uscc="12345")
    assert "18位" in errors_of(excinfo)["uscc"][0]


@pytest.mark.django_db
def test_it_names_the_existing_body_when_the_code_is_a_duplicate(regions):
    first = create(regions)
    with pytest.raises(ValidationError) as excinfo:
        create(regions, name="另一个单位")
    message = errors_of(excinfo)["uscc"][0]
    assert first.uscc in message and "南京市玄武区审计局" in message
    assert services.is_duplicate_error(excinfo.value)
    assert Agency.objects.count() == 1
    assert ObjectChange.objects.count() == 1


@pytest.mark.django_db
def test_it_stores_a_known_legacy_code_as_legacy(regions, legacy_uscc):
    agency = create(regions, uscc=legacy_uscc)
    assert agency.uscc_status == CodeStatus.LEGACY
    assert agency.is_legacy_code


@pytest.mark.django_db
def test_it_rejects_an_unknown_region_code(regions):
    with pytest.raises(ValidationError) as excinfo:
        create(regions, region_code="320199")
    assert errors_of(excinfo)["region_code"] == ["行政区划代码“320199”不存在"]
    assert not Agency.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "单位名称不能为空"),
        ("   ", "单位名称不能为空"),
        ("局" * 201, "单位名称不能超过200个字（现为201个）"),
        ("玄武\x00局", "单位名称含有不可见的控制字符"),
    ],
)
def test_it_rejects_a_bad_name(regions, name, message):
    with pytest.raises(ValidationError) as excinfo:
        create(regions, name=name)
    assert errors_of(excinfo)["name"] == [message]
    assert not ObjectChange.objects.exists()


@pytest.mark.django_db
def test_it_stores_a_hostile_name_as_plain_text(regions):
    hostile = "<script>alert(1)</script>'; DROP TABLE registry_agency; --"
    agency = create(regions, name=hostile)
    agency.refresh_from_db()
    assert agency.name == hostile
    assert Agency.objects.count() == 1


@pytest.mark.django_db
def test_it_reports_every_bad_field_at_once(regions):
    with pytest.raises(ValidationError) as excinfo:
        create(regions, uscc="X", name="", region_code="999999", level="galaxy", org_type="pirate")
    assert set(errors_of(excinfo)) == {"uscc", "name", "region_code", "level", "org_type"}


@pytest.mark.django_db
def test_it_refuses_a_parent_in_another_region_tree(cast):
    with pytest.raises(ValidationError) as excinfo:
        add_agency(600, "南京市玄武区某所", cast.regions.xw, parent=cast.sz_finance)
    assert "苏州市财政局" in errors_of(excinfo)["parent_uscc"][0]


@pytest.mark.django_db
def test_it_accepts_a_parent_in_a_higher_region(cast):
    branch = add_agency(601, "江苏省教育厅驻南京办事处", cast.regions.nj, parent=cast.prov_edu)
    assert branch.parent == cast.prov_edu
    assert branch.tree_path.startswith(cast.prov_edu.tree_path)


@pytest.mark.django_db
def test_it_refuses_an_unknown_parent(regions):
    with pytest.raises(ValidationError) as excinfo:
        create(regions, parent_uscc=make_uscc(777))
    assert "未登记" in errors_of(excinfo)["parent_uscc"][0]


# --- agency_update ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_moving_a_body_moves_its_whole_subtree(cast):
    services.agency_update(actor=SYSTEM, agency=cast.xw_edu, parent_uscc=cast.xw_finance.uscc)
    school = Agency.objects.get(pk=cast.xw_school.pk)
    assert list(Agency.objects.in_subtree(cast.xw_finance).order_by("tree_path")) == [
        cast.xw_finance,
        cast.xw_edu,
        school,
    ]
    assert not Agency.objects.in_subtree(Agency.objects.get(pk=cast.xw_gov.pk), include_self=False).exists()
    change = ObjectChange.objects.filter(object_id=str(cast.xw_edu.pk), action="update").get()
    assert change.prechange_data["parent_id"] == cast.xw_gov.pk
    assert change.postchange_data["parent_id"] == cast.xw_finance.pk


@pytest.mark.django_db
def test_a_body_cannot_become_its_own_descendant(cast):
    with pytest.raises(ValidationError) as excinfo:
        services.agency_update(actor=SYSTEM, agency=cast.xw_gov, parent_uscc=cast.xw_school.uscc)
    assert errors_of(excinfo)["parent_uscc"] == ["上级单位不能是本单位或其下级单位"]
    assert Agency.objects.get(pk=cast.xw_gov.pk).parent is None


@pytest.mark.django_db
def test_a_body_cannot_leave_the_region_of_its_children(cast):
    with pytest.raises(ValidationError) as excinfo:
        services.agency_update(actor=SYSTEM, agency=cast.xw_gov, region_code="320505")
    assert "南京市玄武区教育局" in errors_of(excinfo)["region_code"][0]


@pytest.mark.django_db
def test_updating_to_another_bodys_code_is_a_duplicate(cast):
    before = ObjectChange.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.agency_update(actor=SYSTEM, agency=cast.xw_gov, uscc=cast.xw_edu.uscc, name="新名称")
    assert services.is_duplicate_error(excinfo.value)
    assert Agency.objects.get(pk=cast.xw_gov.pk).name == "南京市玄武区人民政府"
    assert ObjectChange.objects.count() == before


@pytest.mark.django_db
def test_an_update_that_changes_nothing_writes_no_audit_row(cast):
    before = ObjectChange.objects.count()
    services.agency_update(actor=SYSTEM, agency=cast.xw_gov, name="南京市玄武区人民政府")
    assert ObjectChange.objects.count() == before


@pytest.mark.django_db
def test_rebuilding_tree_paths_repairs_bodies_written_outside_the_services(cast):
    Agency.objects.filter(pk=cast.xw_school.pk).update(tree_path="")
    assert Agency.objects.rebuild_tree_paths() == 1
    assert Agency.objects.in_subtree(cast.xw_gov).count() == 3


# --- leaders -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_leader_ends_the_previous_open_term_the_day_before(cast):
    first = services.agency_leader_add(
        actor=SYSTEM, agency=cast.xw_gov, name="张三明", position="区长", term_start=D(2020, 1, 10)
    )
    second = services.agency_leader_add(
        actor=SYSTEM, agency=cast.xw_gov, name="李四", position="区长", term_start=D(2024, 3, 1)
    )
    first.refresh_from_db()
    assert first.term_end == D(2024, 2, 29)
    assert second.term_end is None
    assert cast.xw_gov.current_leader() == second


@pytest.mark.django_db
def test_a_leader_term_that_overlaps_is_refused_and_nothing_is_stored(cast):
    first = services.agency_leader_add(
        actor=SYSTEM, agency=cast.xw_gov, name="张三明", position="区长", term_start=D(2020, 1, 10)
    )
    audit_rows = ObjectChange.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.agency_leader_add(
            actor=SYSTEM,
            agency=cast.xw_gov,
            name="李四",
            position="区长",
            term_start=D(2021, 1, 1),
            term_end=D(2022, 1, 1),
            end_previous=False,
        )
    assert "张*明" in errors_of(excinfo)["term_start"][0]
    first.refresh_from_db()
    assert first.term_end is None
    assert AgencyLeader.objects.count() == 1
    assert ObjectChange.objects.count() == audit_rows


@pytest.mark.django_db
def test_a_failed_leader_add_rolls_back_the_ended_previous_term_and_its_audit_row(cast):
    first = services.agency_leader_add(
        actor=SYSTEM, agency=cast.xw_gov, name="张三明", position="区长", term_start=D(2020, 1, 10)
    )
    # Imported history that already conflicts (written around the services, as a bulk load might).
    AgencyLeader.objects.create(
        agency=cast.xw_gov, name="王五", position="代区长", term_start=D(2022, 1, 1), term_end=D(2022, 12, 31)
    )
    audit_rows = ObjectChange.objects.count()
    # The service first ends 张三明's open term on 2021-05-31 (an update plus its audit row), then finds
    # the overlap with 王五 and refuses: both writes must roll back.
    with pytest.raises(ValidationError) as excinfo:
        services.agency_leader_add(
            actor=SYSTEM, agency=cast.xw_gov, name="李四", position="区长", term_start=D(2021, 6, 1)
        )
    assert "王*" in errors_of(excinfo)["term_start"][0]
    first.refresh_from_db()
    assert first.term_end is None
    assert AgencyLeader.objects.count() == 2
    assert ObjectChange.objects.count() == audit_rows


@pytest.mark.django_db
def test_a_term_cannot_end_before_it_starts(cast):
    with pytest.raises(ValidationError) as excinfo:
        services.agency_leader_add(
            actor=SYSTEM,
            agency=cast.xw_gov,
            name="李四",
            position="区长",
            term_start=D(2024, 1, 1),
            term_end=D(2023, 1, 1),
        )
    assert errors_of(excinfo)["term_end"] == ["任职终止日不能早于起始日"]


@pytest.mark.django_db
def test_ending_a_term_is_audited_and_cannot_be_done_twice(cast):
    leader = services.agency_leader_add(
        actor=SYSTEM, agency=cast.xw_gov, name="张三明", position="区长", term_start=D(2020, 1, 10)
    )
    services.agency_leader_end(actor=SYSTEM, leader=leader, term_end=D(2023, 5, 31))
    assert AgencyLeader.objects.get(pk=leader.pk).term_end == D(2023, 5, 31)
    change = ObjectChange.objects.filter(object_type="registry.agencyleader", action="update").get()
    assert change.postchange_data["term_end"] == "2023-05-31"
    with pytest.raises(ValidationError):
        services.agency_leader_end(actor=SYSTEM, leader=leader, term_end=D(2023, 6, 1))
    with pytest.raises(ValidationError):
        other = services.agency_leader_add(
            actor=SYSTEM, agency=cast.xw_edu, name="赵六", position="局长", term_start=D(2022, 1, 1)
        )
        services.agency_leader_end(actor=SYSTEM, leader=other, term_end=D(2021, 1, 1))


# --- enterprises ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_creates_an_enterprise_and_refuses_its_code_twice(regions):
    code = make_uscc(42, area="320505", kind="91")
    enterprise = services.enterprise_create(actor=SYSTEM, uscc=code, name="苏州某科技有限公司", region_code="320505")
    assert enterprise.region == regions.hq
    with pytest.raises(ValidationError) as excinfo:
        services.enterprise_create(actor=SYSTEM, uscc=code, name="重复公司")
    assert "苏州某科技有限公司" in errors_of(excinfo)["uscc"][0]
    assert Enterprise.objects.count() == 1


@pytest.mark.django_db
def test_an_enterprise_needs_a_known_region_when_one_is_given(regions):
    with pytest.raises(ValidationError) as excinfo:
        services.enterprise_create(actor=SYSTEM, uscc=make_uscc(43, kind="91"), name="某公司", region_code="12")
    assert "region_code" in errors_of(excinfo)
    assert services.enterprise_create(actor=SYSTEM, uscc=make_uscc(43, kind="91"), name="某公司").region is None
