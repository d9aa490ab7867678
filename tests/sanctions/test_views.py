"""Console pages: scope, permissions, forms, exports, and hostile strings shown as text."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from govtrust.accounts.models import Role
from govtrust.accounts.permissions import ACTIONS
from govtrust.sanctions import services
from govtrust.sanctions.models import MeasureStatus, OrderStatus, RectificationOrder, SanctionCase

from .conftest import make_record

HOSTILE = "<script>alert('x')</script>'; DROP TABLE sanctions_sanctioncase; --"


def login(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


@pytest.fixture
def case(cast, people, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    return SanctionCase.objects.get(record=make_record(cast, django_capture_on_commit_callbacks))


@pytest.mark.django_db
def test_the_default_roles_hold_the_new_actions():
    assert {"sanctions.view", "sanctions.decide", "rectification.respond", "referral.record"} <= set(ACTIONS)
    grants = {r.code: r.grants for r in Role.objects.all()}
    assert grants["city_credit_office"]["sanctions.decide"] == "unit_and_below"
    assert grants["recorded_body"]["rectification.respond"] == "unit"
    assert "sanctions.decide" not in grants["recorded_body"]
    assert grants["discipline_department"]["referral.record"] == "unit_and_below"
    assert "sanctions.view" not in grants["supplier"]


@pytest.mark.django_db
def test_the_case_list_is_scoped(client, cast, people, case):
    assert case.number in login(client, people.officer).get(reverse("sanctions:case_list")).content.decode()
    assert case.number in login(client, people.body).get(reverse("sanctions:case_list")).content.decode()
    assert case.number not in login(client, people.other_body).get(reverse("sanctions:case_list")).content.decode()
    assert login(client, cast.norole_user).get(reverse("sanctions:case_list")).status_code == 403
    assert login(client, people.other_body).get(reverse("sanctions:case_detail", args=[case.number])).status_code == 404


@pytest.mark.django_db
def test_an_officer_decides_through_the_page_and_the_body_sees_no_form(client, cast, people, case):
    url = reverse("sanctions:case_detail", args=[case.number])
    assert "提交决定" not in login(client, people.body).get(url).content.decode()
    m = case.measures.get(code="honours_ineligible")
    decide = reverse("sanctions:measure_decide", args=[case.number, m.pk])
    login(client, people.body).post(decide, {"decision": "confirm", "reason": "x"})
    m.refresh_from_db()
    assert m.status == MeasureStatus.PROPOSED  # the service refused the body
    page = login(client, people.officer).get(url).content.decode()
    assert "提交决定" in page and "依规取消相关政府部门参加各类荣誉评选资格" in page
    response = client.post(decide, {"decision": "confirm", "reason": HOSTILE})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == MeasureStatus.IN_FORCE
    page = client.get(url).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


@pytest.mark.django_db
def test_the_body_answers_its_order_through_the_pages_and_the_office_accepts(client, cast, people, case):
    services.measure_decide(
        actor=people.officer, measure=case.measures.get(code="rectification"), decision="confirm", reason="整改"
    )
    order = RectificationOrder.objects.get(case=case)
    login(client, people.body)
    client.post(reverse("sanctions:order_explain", args=[order.number]), {"text": HOSTILE})
    bad = SimpleUploadedFile("x.exe", b"MZ\x90", content_type="application/octet-stream")
    client.post(reverse("sanctions:order_evidence", args=[order.number]), {"note": "整改", "files": [bad]})
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPLAINED
    good = SimpleUploadedFile("整改报告.pdf", b"%PDF-1.7 ok", content_type="application/pdf")
    client.post(reverse("sanctions:order_evidence", args=[order.number]), {"note": "整改", "files": [good]})
    order.refresh_from_db()
    assert order.status == OrderStatus.EVIDENCE_SUBMITTED
    evidence = order.evidence.get()
    download = client.get(reverse("sanctions:evidence_download", args=[order.number, evidence.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.7 ok"
    assert (
        login(client, people.other_body)
        .get(reverse("sanctions:evidence_download", args=[order.number, evidence.pk]))
        .status_code
        == 404
    )
    login(client, people.officer).post(
        reverse("sanctions:order_review", args=[order.number]), {"verdict": "accept", "note": "通过"}
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    page = client.get(reverse("sanctions:order_detail", args=[order.number])).content.decode()
    assert "&lt;script&gt;" in page and "整改通过" in page


@pytest.mark.django_db
def test_the_dashboard_shows_the_chart_and_exports_xlsx_without_formulas(client, cast, people, case):
    cast.xw_edu.name = '=HYPERLINK("http://x","y")'
    cast.xw_edu.save()
    services.measure_decide(
        actor=people.officer, measure=case.measures.get(code="rectification"), decision="confirm", reason="整改"
    )
    page = login(client, people.officer).get(reverse("sanctions:dashboard")).content.decode()
    assert 'data-chart="chart-sanctions-timeliness"' in page and "echarts.min.js" in page
    response = client.get(reverse("sanctions:dashboard_export"))
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[1][1].startswith("'=") and rows[1][2] == 1  # open, not yet due
    response = client.get(reverse("sanctions:case_export"))
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[1][0] == case.number


@pytest.mark.django_db
def test_referral_pages_for_the_department(client, cast, people, django_capture_on_commit_callbacks):
    case = SanctionCase.objects.get(record=make_record(cast, django_capture_on_commit_callbacks, severity="serious"))
    services.measure_decide(
        actor=people.officer,
        measure=case.measures.get(code="leader_accountability"),
        decision="confirm",
        reason="追责",
        department=cast.xw_discipline,
    )
    referral = case.referrals.get()
    login(client, people.discipline)
    assert referral.number in client.get(reverse("sanctions:referral_inbox")).content.decode()
    action = reverse("sanctions:referral_action", args=[referral.number])
    client.post(action, {"action": "receive"})
    client.post(
        action,
        {
            "action": "conclude",
            "outcome": "not_accountable",
            "text": "经核查已尽职",
            "outcome_date": referral.sent_on.isoformat(),
            "reference": "",
        },
    )
    referral.refresh_from_db()
    assert referral.status == "concluded"
    assert (
        login(client, people.other_body).get(reverse("sanctions:referral_detail", args=[referral.number])).status_code
        == 404
    )


@pytest.mark.django_db
def test_the_incentive_page_lists_the_catalog(client, cast, people):
    page = login(client, people.officer).get(reverse("sanctions:incentive_list")).content.decode()
    assert "对于诚信事迹突出并受到表彰奖励的政府部门和公务员予以守信激励" in page
