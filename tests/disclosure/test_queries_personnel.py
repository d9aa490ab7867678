"""Personnel credit queries: who may run them, what a row needs, what is found, and what is logged."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook
from registry.builders import make_id, make_user

from govtrust.core.models import AccessLog
from govtrust.disclosure import queries
from govtrust.disclosure import services_queries as services
from govtrust.disclosure.models import PersonalQueryLog, PersonnelQuery, PersonnelQueryResult

from .conftest import World
from .helpers import candidates_xlsx


def candidate(row: int, name: str, n: int, purpose: str = "公务员录用", ref: str = "SQ-1") -> queries.Candidate:
    c, problems = queries.check_candidate(row, name=name, id_number=make_id(n), purpose=purpose, authorisation_ref=ref)
    assert c is not None, problems
    return c


# --- row checks (pure) ---------------------------------------------------------------------------


def test_it_rejects_a_wrong_check_digit() -> None:
    number = make_id(5)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    c, problems = queries.check_candidate(3, name="王五", id_number=wrong, purpose="调任", authorisation_ref="A1")
    assert c is None and [(p.row, p.field) for p in problems] == [(3, "id_number")]
    assert "校验" in problems[0].message


def test_a_purpose_off_the_fixed_list_is_refused() -> None:
    c, problems = queries.check_candidate(1, name="王五", id_number=make_id(5), purpose="好奇", authorisation_ref="A1")
    assert c is None and problems[0].field == "purpose" and "公务员录用" in problems[0].message


def test_the_authorisation_reference_is_required() -> None:
    c, problems = queries.check_candidate(1, name="王五", id_number=make_id(5), purpose="调任", authorisation_ref="  ")
    assert c is None and problems[0].field == "authorisation_ref"


def test_purposes_are_accepted_by_label_or_code() -> None:
    assert queries.purpose_code("评优评先") == "honours" == queries.purpose_code("honours")
    assert queries.purpose_code("提拔任用") == "promotion"
    assert queries.purpose_code("'; DROP TABLE") is None


# --- the service ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_user_without_the_grant_cannot_query(world: World) -> None:
    for user in (world.cast.xw_user, world.cast.city_user, world.cast.norole_user, world.servant_user):
        with pytest.raises(PermissionDenied):
            services.personnel_query_run(actor=user, candidates=[candidate(1, "张三丰", 1)])
    assert not PersonnelQuery.objects.exists() and not PersonalQueryLog.objects.exists()


@pytest.mark.django_db
def test_hr_finds_records_in_force_and_the_defaulter_list_by_id_number(world: World) -> None:
    query = services.personnel_query_run(
        actor=world.hr,
        candidates=[candidate(1, "张三丰", 1), candidate(2, "李四光", 2, "调任", "SQ-2"), candidate(3, "赵六", 9)],
    )
    servant, defaulter, clear = PersonnelQueryResult.objects.filter(query=query).order_by("row")
    assert servant.civil_servant == world.cast.servant and servant.verdict == queries.Verdict.DISHONESTY
    assert [(r["number"], r["class"]) for r in servant.records] == [(world.record.number, "discipline")]
    assert servant.list_hits == []  # the platform's own GOVTRUST list is not reported twice
    assert defaulter.person == world.cast.person and defaulter.verdict == queries.Verdict.DEFAULTER
    assert [(h["list"], h["decision"]) for h in defaulter.list_hits] == [("SXBZXR", "intercept")]
    assert clear.verdict == queries.Verdict.CLEAR and clear.civil_servant is None and clear.person is None
    assert (query.candidate_count, query.flagged_count) == (3, 2)
    # The clear ID number is never stored: masked and hashed, encrypted for re-use in a report only.
    assert make_id(1) not in str(list(PersonnelQueryResult.objects.values()))


@pytest.mark.django_db
def test_every_candidate_is_written_to_the_access_log_with_its_purpose(world: World) -> None:
    query = services.personnel_query_run(actor=world.hr, candidates=[candidate(1, "张三丰", 1, "提拔任用", "SQ-77")])
    access = AccessLog.objects.get(detail__reference=query.number)
    assert access.subject_type == "civil_servant" and access.subject_id == str(world.cast.servant.pk)
    assert "提拔任用" in access.purpose and "SQ-77" in access.purpose
    assert access.user_pk == world.hr.pk


@pytest.mark.django_db
def test_the_subject_sees_who_queried_them_when_and_why(world: World, client) -> None:  # type: ignore[no-untyped-def]
    query = services.personnel_query_run(actor=world.hr, candidates=[candidate(1, "张三丰", 1, "调任", "SQ-9")])
    log = PersonalQueryLog.objects.get()
    assert (log.agency, log.user_name, log.purpose, log.authorisation_ref, log.reference) == (
        world.cast.xw_gov,
        "hr",
        "transfer",
        "SQ-9",
        query.number,
    )
    client.force_login(world.servant_user)
    page = client.get("/console/my-queries/").content.decode()
    assert "南京市玄武区人民政府" in page and "调任" in page and "SQ-9" in page
    # Someone else's account sees nothing about him.
    other = make_user("other", world.cast.xw_edu)
    client.force_login(other)
    page = client.get("/console/my-queries/").content.decode()
    assert "SQ-9" not in page and "尚未关联本人身份" in page


@pytest.mark.django_db
def test_a_batch_queries_good_rows_and_reports_bad_ones(world: World, client) -> None:  # type: ignore[no-untyped-def]
    number = make_id(3)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    content = candidates_xlsx([
        ["张三丰", make_id(1), "公务员录用", "SQ-1"],
        ["王五", wrong, "调任", "SQ-2"],
        ["赵六", make_id(4), "调任", ""],
        ["<script>alert(1)</script>", make_id(6), "随便查查", "SQ-4"],
        ["李四光", make_id(2), "评优评先", "SQ-5"],
        ["李四光", make_id(2), "评优评先", "SQ-6"],
    ])  # fmt: skip
    client.force_login(world.hr)
    upload = SimpleUploadedFile("候选人.xlsx", content)
    response = client.post("/console/personnel-queries/upload/", {"file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    query = PersonnelQuery.objects.get()
    assert query.channel == "file" and query.candidate_count == 2
    assert sorted((p["row"], p["field"]) for p in query.bad_rows) == [
        (3, "id_number"),
        (4, "authorisation_ref"),
        (5, "purpose"),
        (7, "id_number"),
    ]
    page = client.get(response["Location"]).content.decode()
    assert "<script>alert(1)</script>" not in page and "随便查查" in page  # escaped in the bad-row report
    assert page.count('data-row="') == 2


@pytest.mark.django_db
def test_a_batch_over_the_limit_is_refused_whole(world: World, client) -> None:  # type: ignore[no-untyped-def]
    rows = [["某某", make_id(n % 999 + 1), "调任", f"SQ-{n}"] for n in range(queries.BATCH_MAX_ROWS + 1)]
    client.force_login(world.hr)
    response = client.post(
        "/console/personnel-queries/upload/", {"file": SimpleUploadedFile("a.xlsx", candidates_xlsx(rows))}
    )
    assert response.status_code == 400 and "一次最多查询1000人" in response.content.decode()
    assert not PersonnelQuery.objects.exists()


@pytest.mark.django_db
def test_a_file_without_the_columns_or_not_an_xlsx_is_refused(world: World, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.hr)
    bad_header = candidates_xlsx([["张三丰", make_id(1)]], header=["姓名", "身份证号码"])
    response = client.post("/console/personnel-queries/upload/", {"file": SimpleUploadedFile("a.xlsx", bad_header)})
    assert response.status_code == 400 and "缺少列" in response.content.decode()
    response = client.post("/console/personnel-queries/upload/", {"file": SimpleUploadedFile("a.xlsx", b"not a zip")})
    assert response.status_code == 400 and "无法读取文件" in response.content.decode()
    assert not PersonnelQuery.objects.exists()


@pytest.mark.django_db
def test_results_export_to_xlsx_and_only_the_querying_user_reopens_them(world: World, client) -> None:  # type: ignore[no-untyped-def]
    query = services.personnel_query_run(
        actor=world.hr, candidates=[candidate(1, "张三丰", 1), candidate(2, "李四光", 2)]
    )
    client.force_login(world.hr)
    response = client.get(f"/console/personnel-queries/{query.number}/export.xlsx")
    assert response.status_code == 200
    rows = [
        tuple(r) for r in CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    ]
    assert rows[0][:3] == ("行号", "姓名", "身份证号码（脱敏）")
    assert rows[1][6] == world.record.number and "SXBZXR" not in str(rows[1])
    assert "失信被执行人" in str(rows[2])
    assert AccessLog.objects.filter(subject_id=query.number, purpose="导出人员信用查询结果").exists()
    other_hr = make_user("hr2", world.cast.xw_gov, world.hr.roles.get())
    client.force_login(other_hr)
    assert client.get(f"/console/personnel-queries/{query.number}/").status_code == 404
    client.force_login(world.cast.xw_user)
    assert client.get(f"/console/personnel-queries/{query.number}/").status_code == 403


@pytest.mark.django_db
def test_a_single_query_from_the_console_needs_a_purpose_and_an_authorisation(world: World, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.hr)
    data = {"name": "张三丰", "id_number": make_id(1), "purpose": "recruitment", "authorisation_ref": ""}
    assert client.post("/console/personnel-queries/single/", data).status_code == 400
    data["authorisation_ref"] = "SQ-3"
    response = client.post("/console/personnel-queries/single/", data)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert world.record.number in page and "有有效期内的失信记录" in page


@pytest.mark.django_db
def test_the_api_runs_a_query_for_hr_and_refuses_others(world: World, client) -> None:  # type: ignore[no-untyped-def]
    body = {
        "candidates": [
            {"name": "李四光", "id_number": make_id(2), "purpose": "调任", "authorisation_ref": "A-1"},
            {"name": "王五", "id_number": "123", "purpose": "调任", "authorisation_ref": "A-2"},
        ]
    }
    assert client.post("/api/credit-queries/personnel", body, content_type="application/json").status_code == 401
    client.force_login(world.cast.xw_user)
    assert client.post("/api/credit-queries/personnel", body, content_type="application/json").status_code == 403
    client.force_login(world.hr)
    response = client.post("/api/credit-queries/personnel", body, content_type="application/json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert [r["verdict"] for r in data["results"]] == ["defaulter"]
    assert data["bad_rows"][0]["row"] == 2 and data["bad_rows"][0]["field"] == "id_number"
