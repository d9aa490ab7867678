"""Credit pledges (信用承诺) of bidders: recording, the three decisions, scope, export and the overdue sweep."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from python_calamine import CalamineWorkbook
from registry.builders import SYSTEM, add_agency, make_region, make_user

from govtrust.accounts.models import Role, User
from govtrust.core.models import Notification, ObjectChange
from govtrust.core.sweep import discover, registered_steps
from govtrust.records.models import CreditRecord
from govtrust.registry.services import enterprise_create
from govtrust.screening.models import Pledge
from govtrust.screening.pledge_services import (
    pledge_breach,
    pledge_fulfil,
    pledge_record,
    pledge_withdraw,
    pledges_flag_overdue,
)

from .helpers import make_uscc

HOSTILE = "<script>alert(1)</script>'; DROP TABLE screening_pledge;--"
TODAY = datetime.date(2026, 11, 27)


@dataclass
class Setup:
    prov: User
    city: User
    sz_city: User
    outsider: User


@pytest.fixture
def setup(db) -> Setup:  # type: ignore[no-untyped-def]
    js = make_region("320000", "江苏省", 1, None)
    nj = make_region("320100", "南京市", 2, js)
    sz = make_region("320500", "苏州市", 2, js)
    prov_office = add_agency(1, "江苏省发展和改革委员会", js, is_credit_office=True)
    nj_office = add_agency(3, "南京市发展和改革委员会", nj, is_credit_office=True)
    sz_office = add_agency(4, "苏州市发展和改革委员会", sz, is_credit_office=True)
    nj_centre = add_agency(5, "南京市公共资源交易中心", nj)
    city_role = Role.objects.get(code="city_credit_office")
    return Setup(
        prov=make_user("prov", prov_office, Role.objects.get(code="provincial_credit_office")),
        city=make_user("city", nj_office, city_role),
        sz_city=make_user("szcity", sz_office, city_role),
        outsider=make_user("outsider", nj_centre, Role.objects.get(code="recorded_body")),
    )


def record(actor: object, n: int = 1, **kw: object) -> Pledge:
    values: dict[str, object] = {
        "uscc": make_uscc(n),
        "name": "南京华夏建设工程有限公司",
        "kind": "bid",
        "text": "本单位承诺所提交的投标材料真实有效。",
        "pledged_on": TODAY - datetime.timedelta(days=30),
        "due_on": TODAY + datetime.timedelta(days=30),
        "platform": "南京交易平台",
        "tender_ref": "NJ-2026-001",
    }
    values.update(kw)
    return pledge_record(actor=actor, **values)  # type: ignore[arg-type]


def test_a_recorded_pledge_is_numbered_linked_to_its_enterprise_and_audited(setup):  # type: ignore[no-untyped-def]
    name = "南京华夏建设工程有限公司"
    enterprise = enterprise_create(actor=SYSTEM, uscc=make_uscc(1), name=name, region_code="320100")
    pledge = record(setup.city, uscc=f" {make_uscc(1).lower()} ")
    assert pledge.number == f"XYCN2026{pledge.pk:08d}"
    assert pledge.enterprise == enterprise and pledge.uscc == make_uscc(1)
    assert pledge.region is not None and pledge.region.code == "320100"
    assert pledge.status == "pledged" and pledge.recorded_by == setup.city
    assert ObjectChange.objects.filter(object_id=str(pledge.pk), action="create").exists()


def test_a_pledge_without_a_registered_enterprise_takes_the_recording_office_s_region(setup):  # type: ignore[no-untyped-def]
    pledge = record(setup.sz_city, n=2)
    assert pledge.enterprise is None and pledge.region is not None and pledge.region.code == "320500"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("uscc", "91320100MA1XXXXXX0"),
        ("uscc", ""),
        ("name", "   "),
        ("text", ""),
        ("kind", "loyalty"),
        ("name", "华夏\x00公司"),
        ("due_on", TODAY - datetime.timedelta(days=31)),
        ("pledged_on", TODAY + datetime.timedelta(days=400)),
        ("name", "公" * 201),
    ],
)
def test_it_rejects_bad_input_and_stores_nothing(setup, field, value):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        record(setup.city, **{field: value})
    assert not Pledge.objects.exists()


def test_hostile_strings_are_stored_as_text_and_escaped_on_the_page(client, setup):  # type: ignore[no-untyped-def]
    pledge = record(setup.city, name=HOSTILE, text=HOSTILE, tender_ref='=HYPERLINK("http://x")')
    client.force_login(setup.city)
    page = client.get(f"/console/screening/pledges/{pledge.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert Pledge.objects.get(pk=pledge.pk).name == HOSTILE


def test_fulfilling_a_pledge_is_final_and_audited(setup):  # type: ignore[no-untyped-def]
    pledge = record(setup.city)
    pledge_fulfil(actor=setup.city, pledge=pledge, note="中标后按期签约")
    pledge.refresh_from_db()
    assert (pledge.status, pledge.outcome_note, pledge.decided_by) == ("fulfilled", "中标后按期签约", "city")
    assert ObjectChange.objects.filter(object_id=str(pledge.pk), action="update").count() == 1
    for decide in (
        lambda: pledge_fulfil(actor=setup.city, pledge=pledge, note=""),
        lambda: pledge_breach(
            actor=setup.city, pledge=pledge, reason="虚假材料", evidence_ref="E-1", document_number="宁违〔2026〕1号"
        ),
        lambda: pledge_withdraw(actor=setup.city, pledge=pledge, reason="撤标"),
    ):
        with pytest.raises(ValidationError):
            decide()
    assert Pledge.objects.get(pk=pledge.pk).status == "fulfilled"


def test_a_breach_needs_a_reason_evidence_and_a_document_number_and_then_is_final(setup):  # type: ignore[no-untyped-def]
    enterprise_create(actor=SYSTEM, uscc=make_uscc(1), name="南京华夏建设工程有限公司", region_code="320100")
    pledge = record(setup.city)
    doc = "宁违〔2026〕12号"
    with pytest.raises(ValidationError):
        pledge_breach(actor=setup.city, pledge=pledge, reason="  ", evidence_ref="E-1", document_number=doc)
    with pytest.raises(ValidationError):
        pledge_breach(actor=setup.city, pledge=pledge, reason="提供虚假业绩", evidence_ref="", document_number=doc)
    with pytest.raises(ValidationError):
        pledge_breach(actor=setup.city, pledge=pledge, reason="提供虚假业绩", evidence_ref="E-1", document_number=" ")
    assert Pledge.objects.get(pk=pledge.pk).status == "pledged"
    pledge_breach(
        actor=setup.city, pledge=pledge, reason="提供虚假业绩", evidence_ref="宁发改〔2026〕12号", document_number=doc
    )
    pledge.refresh_from_db()
    assert (pledge.status, pledge.evidence_ref) == ("breached", "宁发改〔2026〕12号")
    with pytest.raises(ValidationError):
        pledge_fulfil(actor=setup.city, pledge=pledge, note="")
    with pytest.raises(ValidationError):
        pledge_withdraw(actor=setup.city, pledge=pledge, reason="撤标")


def test_a_withdrawal_needs_a_reason_and_then_is_final(setup):  # type: ignore[no-untyped-def]
    pledge = record(setup.city)
    with pytest.raises(ValidationError):
        pledge_withdraw(actor=setup.city, pledge=pledge, reason="")
    pledge_withdraw(actor=setup.city, pledge=pledge, reason="招标项目终止")
    with pytest.raises(ValidationError):
        pledge_breach(actor=setup.city, pledge=pledge, reason="x", evidence_ref="y", document_number="z")
    assert Pledge.objects.get(pk=pledge.pk).status == "withdrawn"


def test_a_stale_copy_cannot_decide_a_pledge_someone_else_already_decided(setup):  # type: ignore[no-untyped-def]
    enterprise_create(actor=SYSTEM, uscc=make_uscc(1), name="南京华夏建设工程有限公司", region_code="320100")
    pledge = record(setup.city)
    stale = Pledge.objects.get(pk=pledge.pk)
    pledge_fulfil(actor=setup.city, pledge=pledge, note="")
    with pytest.raises(ValidationError):
        pledge_breach(
            actor=setup.prov, pledge=stale, reason="虚假", evidence_ref="E", document_number="苏违〔2026〕1号"
        )
    assert Pledge.objects.get(pk=pledge.pk).status == "fulfilled"
    assert not CreditRecord.objects.exists()  # the losing breach left no record behind


def test_offices_see_the_pledges_of_their_area_and_others_are_refused(client, setup):  # type: ignore[no-untyped-def]
    nj = record(setup.city, n=1, name="南京甲公司")
    sz = record(setup.sz_city, n=2, name="苏州乙公司")
    client.force_login(setup.city)
    listing = client.get("/console/screening/pledges/").content.decode()
    assert "南京甲公司" in listing and "苏州乙公司" not in listing
    assert client.get(f"/console/screening/pledges/{sz.pk}/").status_code == 404
    assert client.post(f"/console/screening/pledges/{sz.pk}/", {"outcome": "fulfilled"}).status_code == 404
    client.force_login(setup.prov)
    listing = client.get("/console/screening/pledges/").content.decode()
    assert "南京甲公司" in listing and "苏州乙公司" in listing
    client.force_login(setup.outsider)
    for url in ("/console/screening/pledges/", "/console/screening/pledges/new/",
                "/console/screening/pledges/export.xlsx", f"/console/screening/pledges/{nj.pk}/"):  # fmt: skip
        assert client.get(url).status_code == 403, url
    assert "/console/screening/pledges/" not in client.get("/console/").content.decode()
    client.logout()
    assert client.get("/console/screening/pledges/").status_code == 302


def test_an_officer_records_and_decides_a_pledge_through_the_console(client, setup):  # type: ignore[no-untyped-def]
    enterprise_create(actor=SYSTEM, uscc=make_uscc(3), name="南京丙公司", region_code="320100")
    client.force_login(setup.city)
    response = client.post("/console/screening/pledges/new/", {
        "uscc": make_uscc(3), "name": "南京丙公司", "kind": "bid", "text": "承诺材料真实",
        "pledged_on": "2026-11-01", "due_on": "2026-12-01", "platform": "", "tender_ref": "",
    })  # fmt: skip
    assert response.status_code == 302
    pledge = Pledge.objects.get(uscc=make_uscc(3))
    url = f"/console/screening/pledges/{pledge.pk}/"
    assert "/console/credit-reports/" in client.get(url).content.decode()  # the bidder credit query
    assert client.post(url, {"outcome": "breached", "note": "虚假业绩", "evidence_ref": ""}).status_code == 200
    assert Pledge.objects.get(pk=pledge.pk).status == "pledged"
    breach = {"outcome": "breached", "note": "虚假业绩", "evidence_ref": "E-9", "document_number": "宁违〔2026〕9号"}
    assert client.post(url, breach).status_code == 302
    assert Pledge.objects.get(pk=pledge.pk).status == "breached"
    bad = client.post("/console/screening/pledges/new/", {
        "uscc": "123", "name": "x", "kind": "bid", "text": "t", "pledged_on": "2026-11-01", "due_on": "2026-12-01",
    })  # fmt: skip
    assert bad.status_code == 200 and Pledge.objects.count() == 1


def test_the_export_lists_pledges_in_scope_with_formulas_neutralised(client, setup):  # type: ignore[no-untyped-def]
    record(setup.city, n=1, name="=cmd|' /C calc'!A0")
    record(setup.sz_city, n=2, name="苏州乙公司")
    client.force_login(setup.city)
    response = client.get("/console/screening/pledges/export.xlsx")
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert len(rows) == 2 and rows[1][2] == "'=cmd|' /C calc'!A0"


def test_the_overdue_sweep_reminds_once_and_skips_decided_or_not_yet_due_pledges(setup):  # type: ignore[no-untyped-def]
    overdue = record(setup.city, n=1, due_on=TODAY - datetime.timedelta(days=1))
    record(setup.city, n=2, due_on=TODAY)  # due today: not overdue yet
    decided = record(setup.city, n=3, due_on=TODAY - datetime.timedelta(days=5))
    pledge_fulfil(actor=setup.city, pledge=decided, note="")
    assert pledges_flag_overdue(run_date=TODAY) == 1
    assert pledges_flag_overdue(run_date=TODAY) == 0
    assert pledges_flag_overdue(run_date=TODAY + datetime.timedelta(days=1)) == 1  # the one due today
    mine = Notification.objects.filter(recipient=setup.city)
    assert mine.count() == 2
    assert mine.filter(title__contains=overdue.number, link=f"/console/screening/pledges/{overdue.pk}/").exists()


def test_the_sweep_step_is_registered_and_idempotent(setup):  # type: ignore[no-untyped-def]
    record(setup.city, due_on=TODAY - datetime.timedelta(days=1))
    discover()
    [step] = [s for s in registered_steps() if s.name == "screening.pledges_overdue"]
    assert step.func(TODAY) == {"flagged": 1}
    assert step.func(TODAY) == {"flagged": 0}
