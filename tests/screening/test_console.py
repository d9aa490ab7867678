"""Supervision console: charts, the 人工复核 queue with override and reason, exports — within the data scope.

Regions: 江苏省 > 南京市, 苏州市. A Nanjing and a Suzhou bidding platform (API clients of bodies there)
screen bidders; the provincial credit office supervises both, Nanjing's city office only Nanjing's.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from python_calamine import CalamineWorkbook
from registry.builders import SYSTEM, add_agency, make_region, make_user

from govtrust.accounts.models import ApiClient, Role, User
from govtrust.accounts.services import api_client_create
from govtrust.core.models import ObjectChange
from govtrust.screening.models import Screening
from govtrust.screening.services import Subject, screen_subjects, screenings_record

from .helpers import make_uscc, run, write_csv

HEADER = ["name", "uscc", "id_number", "region", "reason", "listed_on", "delisted_on"]


@dataclass
class Setup:
    prov: User
    city: User
    outsider: User
    nj_client: ApiClient
    sz_client: ApiClient
    nj_review: Screening
    sz_review: Screening


def sheet(content: bytes) -> list[list[object]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def screen(client: ApiClient, *subjects: Subject) -> list[Screening]:
    request_id = screenings_record(actor=SYSTEM, screened=screen_subjects(list(subjects)), platform=client.name,
                                   api_client_pk=client.pk)  # fmt: skip
    return list(Screening.objects.filter(request_id=request_id).order_by("pk"))


@pytest.fixture
def setup(db, tmp_path) -> Setup:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "l.csv", HEADER, [["南京华夏建设工程有限公司", make_uscc(1), "", "南京", "", "", ""]])
    assert run("watchlist", "import", str(path), "--list", "SXBZXR")[0] == 0
    js = make_region("320000", "江苏省", 1, None)
    nj = make_region("320100", "南京市", 2, js)
    sz = make_region("320500", "苏州市", 2, js)
    prov_office = add_agency(1, "江苏省发展和改革委员会", js, is_credit_office=True)
    city_office = add_agency(3, "南京市发展和改革委员会", nj, is_credit_office=True)
    nj_centre = add_agency(5, "南京市公共资源交易中心", nj)
    sz_centre = add_agency(6, "苏州市公共资源交易中心", sz)
    nj_client = api_client_create(actor=SYSTEM, name="南京交易平台", agency=nj_centre, scopes=["screening.query"])
    sz_client = api_client_create(actor=SYSTEM, name="苏州交易平台", agency=sz_centre, scopes=["screening.query"])
    nj_intercept, nj_review, _nj_pass = screen(
        nj_client,
        Subject(ref="n1", uscc=make_uscc(1)),
        Subject(ref="n2", name="南京華夏建設工程有限責任公司"),
        Subject(ref="n3", name="无关公司"),
    )
    [sz_review] = screen(sz_client, Subject(ref="s1", name="=华夏建设工程有限公司"))
    assert (nj_intercept.decision, nj_review.decision, sz_review.decision) == ("intercept", "review", "review")
    return Setup(
        prov=make_user("prov", prov_office, Role.objects.get(code="provincial_credit_office")),
        city=make_user("city", city_office, Role.objects.get(code="city_credit_office")),
        outsider=make_user("outsider", nj_centre, Role.objects.get(code="recorded_body")),
        nj_client=nj_client,
        sz_client=sz_client,
        nj_review=nj_review,
        sz_review=sz_review,
    )


def test_the_province_sees_interceptions_of_every_platform_in_the_charts(client, setup):  # type: ignore[no-untyped-def]
    client.force_login(setup.prov)
    response = client.get("/console/screening/")
    assert response.status_code == 200
    charts = response.context["charts"]
    assert set(charts["by_platform"]["xAxis"]["data"]) == {"南京交易平台", "苏州交易平台"}
    assert set(charts["by_region"]["xAxis"]["data"]) == {"南京市", "苏州市"}
    assert charts["by_list"]["xAxis"]["data"] == ["SXBZXR"]
    assert [sum(s["data"]) for s in charts["over_time"]["series"]] == [1, 2]  # intercepts, reviews
    assert 'data-chart="chart-screening-days"' in response.content.decode()
    assert response.context["totals"] == {"intercept": 1, "review": 2, "pass": 1}
    assert response.context["pending"] == 2


def test_a_city_office_sees_only_the_platforms_of_its_area(client, setup):  # type: ignore[no-untyped-def]
    client.force_login(setup.city)
    response = client.get("/console/screening/")
    assert response.context["totals"] == {"intercept": 1, "review": 1, "pass": 1}
    assert response.context["charts"]["by_platform"]["xAxis"]["data"] == ["南京交易平台"]
    queue = client.get("/console/screening/queue/").content.decode()
    # The reference as its table cell: a page's random CSRF token may contain "n2" or "s1".
    assert "<td>n2</td>" in queue and "<td>s1</td>" not in queue
    assert client.get(f"/console/screening/{setup.sz_review.pk}/").status_code == 404


def test_without_the_supervision_action_the_pages_are_refused_and_not_in_the_menu(client, setup):  # type: ignore[no-untyped-def]
    client.force_login(setup.outsider)
    for url in ("/console/screening/", "/console/screening/queue/", "/console/screening/export.xlsx",
                f"/console/screening/{setup.nj_review.pk}/"):  # fmt: skip
        assert client.get(url).status_code == 403, url
    assert "/console/screening/" not in client.get("/console/").content.decode()
    client.force_login(setup.prov)
    assert "/console/screening/" in client.get("/console/").content.decode()


def test_anonymous_users_are_sent_to_the_login_page(client, setup):  # type: ignore[no-untyped-def]
    assert client.get("/console/screening/queue/").status_code == 302


def test_a_reviewer_overrides_a_review_with_a_reason_and_it_leaves_the_queue(client, setup):  # type: ignore[no-untyped-def]
    client.force_login(setup.city)
    url = f"/console/screening/{setup.nj_review.pk}/"
    reason = "<script>alert(1)</script> 经核实为同名不同主体'; DROP TABLE x;--"
    response = client.post(url, {"decision": "pass", "reason": reason})
    assert response.status_code == 302
    setup.nj_review.refresh_from_db()
    assert (setup.nj_review.decision, setup.nj_review.override_decision) == ("review", "pass")
    assert setup.nj_review.overridden_by == "city"
    assert ObjectChange.objects.filter(object_id=str(setup.nj_review.pk), action="update").exists()
    page = client.get(url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "<td>n2</td>" not in client.get("/console/screening/queue/").content.decode()
    assert "<td>n2</td>" in client.get("/console/screening/queue/?show=done").content.decode()


def test_an_override_without_a_reason_or_with_an_unknown_decision_is_refused(client, setup):  # type: ignore[no-untyped-def]
    client.force_login(setup.prov)
    url = f"/console/screening/{setup.nj_review.pk}/"
    assert client.post(url, {"decision": "pass", "reason": "   "}).status_code == 200
    assert client.post(url, {"decision": "approve", "reason": "x"}).status_code == 200
    setup.nj_review.refresh_from_db()
    assert setup.nj_review.override_decision == ""


def test_a_supervisor_without_the_review_action_cannot_override(client, setup):  # type: ignore[no-untyped-def]
    role = Role.objects.create(code="watcher", name="观察员", grants={"screening.view": "all"})
    watcher = make_user("watcher", None, role)
    client.force_login(watcher)
    url = f"/console/screening/{setup.nj_review.pk}/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"decision": "pass", "reason": "x"}).status_code == 403


def test_the_export_lists_the_screenings_in_scope_with_formulas_neutralised(client, setup):  # type: ignore[no-untyped-def]
    client.force_login(setup.prov)
    response = client.get("/console/screening/export.xlsx?decision=review")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = sheet(response.content)
    assert len(rows) == 3  # header + two reviews
    names = {r[6] for r in rows[1:]}
    assert "南京華夏建設工程有限責任公司" in names
    assert "'=华夏建设工程有限公司" in names
    assert {r[2] for r in rows[1:]} == {"南京市", "苏州市"}
    client.force_login(setup.city)
    rows = sheet(client.get("/console/screening/export.xlsx").content)
    assert {r[1] for r in rows[1:]} == {"南京交易平台"}


def test_a_reversed_date_range_is_an_error_not_a_chart(client, setup):  # type: ignore[no-untyped-def]
    client.force_login(setup.prov)
    response = client.get("/console/screening/?date_from=2026-05-02&date_to=2026-05-01")
    assert response.status_code == 200 and "charts" not in response.context
    assert "起始日期不能晚于截止日期" in response.content.decode()
