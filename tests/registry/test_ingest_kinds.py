"""Bulk loads of bodies, civil servants and persons through the import machinery (registry/ingest.py)."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.db import connection
from python_calamine import CalamineWorkbook

from govtrust.core.ingest.services import ingest_run, ingest_start
from govtrust.core.models import ImportBatch, ImportRowError
from govtrust.registry import services
from govtrust.registry.models import Agency, CivilServant, CodeStatus, Person
from govtrust.registry.search import agency_search

from .builders import SYSTEM, make_id, make_uscc

AGENCY_HEADERS = [
    "统一社会信用代码",
    "名称",
    "行政区划代码",
    "上级单位统一社会信用代码",
    "层级",
    "机构类型",
    "是否信用主管部门",
]
SERVANT_HEADERS = ["姓名", "身份证号码", "所在单位统一社会信用代码", "职务", "任职日期"]


def load(tmp_path, kind, headers, rows, *, actor=SYSTEM, strict=False):  # type: ignore[no-untyped-def]
    path = tmp_path / f"{kind}-{len(list(tmp_path.iterdir()))}.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows(rows)
    batch = ingest_start(actor=actor, kind=kind, source=path, file_name=path.name, strict=strict)
    return ingest_run(batch)


def errors_of(batch):  # type: ignore[no-untyped-def]
    return [(e.row_number, e.column, e.value, e.reason) for e in ImportRowError.objects.filter(batch=batch)]


@pytest.mark.django_db
def test_bodies_load_with_parents_earlier_in_the_same_file_and_get_tree_paths_and_name_search(cast, tmp_path):
    parent, child, grandchild = (
        make_uscc(501, area="320102"),
        make_uscc(502, area="320102"),
        make_uscc(503, area="320102"),
    )
    batch = load(tmp_path, "registry.agencies", AGENCY_HEADERS, [
        [parent, "玄武区某某委员会", "320102", cast.xw_gov.uscc, "县级", "机关", "否"],
        [child, "玄武区某某委员会办公室", "320102", parent, "", "事业单位", ""],
        [grandchild, "玄武区某某委员会信息中心", "320102", child, "", "", "是"],
    ])  # fmt: skip
    assert batch.status == ImportBatch.Status.PUBLISHED and batch.rows_published == 3, errors_of(batch)
    p, c, g = (Agency.objects.get(uscc=code) for code in (parent, child, grandchild))
    assert c.parent == p and g.parent == c and p.parent == cast.xw_gov
    assert g.tree_path == cast.xw_gov.tree_path + p.own_tree_segment() + c.own_tree_segment() + g.own_tree_segment()
    assert (c.org_type, c.level, g.is_credit_office, p.is_credit_office) == ("institution", "county", True, False)
    assert {a.uscc for a in Agency.objects.in_subtree(cast.xw_gov)} >= {parent, child, grandchild}
    assert [a.uscc for a in agency_search(Agency.objects.all(), query="信息中心").rows] == [grandchild]


@pytest.mark.django_db
def test_a_parent_listed_after_its_child_is_reported_and_other_rules_of_the_services_hold(cast, tmp_path):
    child, parent = make_uscc(601, area="320102"), make_uscc(602, area="320102")
    bad_check = make_uscc(603)[:-1] + ("0" if make_uscc(603)[-1] != "0" else "1")
    batch = load(tmp_path, "registry.agencies", AGENCY_HEADERS, [
        [child, "子单位", "320102", parent, "", "", ""],
        [parent, "父单位", "320102", "", "", "", ""],
        [cast.sz_finance.uscc, "重复登记", "320500", "", "", "", ""],
        [make_uscc(604, area="320102"), "放错区划", "320102", cast.sz_finance.uscc, "", "", ""],
        [bad_check, "校验位错", "320000", "", "", "", ""],
        [make_uscc(605), "坏区划", "999999", "", "", "", ""],
        [make_uscc(606), "坏层级", "320000", "", "国家级", "", ""],
    ])  # fmt: skip
    assert batch.rows_published == 1 and Agency.objects.filter(uscc=parent).exists()
    reasons = {row: reason for row, _c, _v, reason in errors_of(batch)}
    assert reasons[2] == f"上级单位“{parent}”未登记（若在本文件中，须排在本行之前）"
    assert reasons[4] == f"统一社会信用代码{cast.sz_finance.uscc}已登记"
    assert reasons[5] == "上级单位不在本单位所在区划或其上级区划"
    assert reasons[6].startswith("校验码错误")
    assert reasons[7] == "行政区划代码“999999”不存在"
    assert reasons[8] == "层级只能填写：省级、市级、县级、乡级"


@pytest.mark.django_db
def test_a_known_legacy_code_is_loaded_as_legacy(cast, tmp_path, legacy_uscc):
    batch = load(
        tmp_path, "registry.agencies", AGENCY_HEADERS, [[legacy_uscc, "早期试点单位", "320102", "", "", "", ""]]
    )
    assert batch.rows_published == 1
    assert Agency.objects.get(uscc=legacy_uscc).uscc_status == CodeStatus.LEGACY


@pytest.mark.django_db
def test_a_console_user_loads_only_within_their_scope(cast, tmp_path):
    # county_user: 玄武区人民政府, unit_and_below — its own body tree, not 苏州市财政局.
    servants = load(tmp_path, "registry.civil_servants", SERVANT_HEADERS, [
        ["张三", make_id(1), cast.xw_edu.uscc, "科员", ""],
        ["李四", make_id(2), cast.sz_finance.uscc, "科员", ""],
    ], actor=cast.county_user)  # fmt: skip
    assert errors_of(servants) == [(3, "所在单位统一社会信用代码", cast.sz_finance.uscc, "超出您的数据权限范围")]
    bodies = load(tmp_path, "registry.agencies", AGENCY_HEADERS, [
        [make_uscc(701, area="320102"), "玄武区下属单位", "320102", cast.xw_gov.uscc, "", "", ""],
        [make_uscc(702, area="320505"), "虎丘区某单位", "320505", cast.sz_finance.uscc, "", "", ""],
        [make_uscc(703, area="320102"), "无上级单位", "320102", "", "", "", ""],
    ], actor=cast.county_user)  # fmt: skip
    assert [(row, reason) for row, _c, _v, reason in errors_of(bodies)] == [
        (3, "超出您的数据权限范围"),
        (4, "超出您的数据权限范围"),
    ]
    # A city credit office may register a body anywhere in its city.
    city = load(tmp_path, "registry.agencies", AGENCY_HEADERS, [
        [make_uscc(704, area="320102"), "玄武区新单位", "320102", "", "", "", ""],
    ], actor=cast.city_user)  # fmt: skip
    assert city.rows_published == 1


@pytest.mark.django_db
def test_civil_servants_are_stored_encrypted_hashed_and_masked_never_in_clear(cast, tmp_path):
    fifteen = "329900800101009"  # first-generation number, upgraded to 18 digits
    batch = load(tmp_path, "registry.civil_servants", SERVANT_HEADERS, [
        ["张三明", make_id(1), cast.xw_edu.uscc, "科员", "2020/1/1"],
        ["王五", fifteen, cast.xw_edu.uscc.lower(), "", ""],
        ["重复", make_id(1), cast.xw_edu.uscc, "", ""],
        ["坏号", "329900198001010011", cast.xw_edu.uscc, "", ""],
        ["无单位", make_id(4), make_uscc(999), "", ""],
        ["未来", make_id(5), cast.xw_edu.uscc, "", "2999-01-01"],
    ])  # fmt: skip
    assert batch.rows_published == 2, errors_of(batch)
    servant = CivilServant.objects.get(name="张三明")
    assert servant.decrypt_id_number() == make_id(1) and servant.agency == cast.xw_edu
    assert servant.id_number_masked == make_id(1)[:6] + "********" + make_id(1)[-4:]
    assert str(servant.start_date) == "2020-01-01"
    assert CivilServant.objects.with_id_number(services.policy.upgrade_id_number(fifteen)).get().name == "王五"
    reasons = {row: (value, reason) for row, _c, value, reason in errors_of(batch)}
    assert reasons[4] == ("", "与第2行重复")
    assert reasons[5][0] == "329900********0011" and reasons[5][1].startswith("校验码错误")  # masked in the report
    assert reasons[6][1] == f"单位“{make_uscc(999)}”未登记"
    assert reasons[7][1] == "任职日期不能晚于今天"
    with connection.cursor() as cursor:
        for table in ("registry_civilservant", "core_importrowerror", "core_stagedrow", "core_objectchange"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (fixed table names)
            dump = json.dumps(cursor.fetchall(), default=str, ensure_ascii=False)
            assert make_id(1) not in dump and "329900198001010011" not in dump


@pytest.mark.django_db
def test_a_civil_servant_already_registered_in_the_body_is_rejected_at_publication(cast, tmp_path):
    services.civil_servant_create(actor=SYSTEM, agency=cast.xw_edu, name="张三", id_number=make_id(1))
    batch = load(tmp_path, "registry.civil_servants", SERVANT_HEADERS, [
        ["张三", make_id(1), cast.xw_edu.uscc, "", ""],
        ["张三", make_id(1), cast.xw_finance.uscc, "", ""],  # the same person in another body is fine
    ])  # fmt: skip
    assert (batch.rows_published, batch.rows_rejected) == (1, 1)
    assert errors_of(batch) == [(2, "身份证号码", "", "该身份证号码的人员已在本单位登记")]


@pytest.mark.django_db
def test_persons_load_once_per_id_number(cast, tmp_path):
    services.person_create(actor=SYSTEM, name="李四", id_number=make_id(2))
    batch = load(tmp_path, "registry.persons", ["姓名", "身份证号码"], [["赵六", make_id(3)], ["李四", make_id(2)]])
    assert batch.rows_published == 1 and Person.objects.with_id_number(make_id(3)).get().name == "赵六"
    assert errors_of(batch) == [(3, "身份证号码", "", "该身份证号码已登记")]


@pytest.mark.django_db
def test_the_agency_export_neutralises_formulas(client, cast):
    formula = '=HYPERLINK("http://x","y")'
    services.agency_create(actor=SYSTEM, uscc=make_uscc(801), name=formula, region_code="320000")
    client.force_login(cast.admin)
    response = client.get("/console/agencies/export.xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert ["'" + formula, make_uscc(801)] in [row[:2] for row in rows]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
