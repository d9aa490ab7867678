"""A broken pledge becomes a 违约 (breach) credit record of the bidder, decided by the officer's body."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from registry.builders import SYSTEM, add_agency, make_region, make_user

from govtrust.accounts.models import Role
from govtrust.core.models import ObjectChange
from govtrust.records.models import CreditRecord
from govtrust.registry.models import Enterprise
from govtrust.registry.services import enterprise_create
from govtrust.screening.models import Pledge
from govtrust.screening.pledge_services import pledge_breach, pledge_record

from .helpers import make_uscc

HOSTILE = "<script>alert(1)</script>'; DROP TABLE records_creditrecord;--"
DOC = "宁发改信违〔2026〕3号"


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    js = make_region("320000", "江苏省", 1, None)
    nj = make_region("320100", "南京市", 2, js)
    agency = add_agency(7, "南京市公共资源交易监督管理办公室", nj, is_credit_office=True)
    return make_user("supervisor", agency, Role.objects.get(code="city_credit_office"))


def _pledge(actor, n: int = 1, *, registered: bool = True) -> Pledge:  # type: ignore[no-untyped-def]
    if registered:
        enterprise_create(actor=SYSTEM, uscc=make_uscc(n), name="南京华夏建设工程有限公司", region_code="320100")
    today = timezone.localdate()
    return pledge_record(
        actor=actor, uscc=make_uscc(n), name="南京华夏建设工程有限公司", kind="bid", text="投标材料真实有效",
        pledged_on=today - datetime.timedelta(days=40), due_on=today + datetime.timedelta(days=20),
    )  # fmt: skip


def _breach(actor, pledge, **kw):  # type: ignore[no-untyped-def]
    values = {"reason": "提供虚假业绩证明", "evidence_ref": "E-2026-7", "document_number": DOC}
    values.update(kw)
    return pledge_breach(actor=actor, pledge=pledge, **values)


def test_a_breach_becomes_a_breach_record_of_the_bidder_decided_by_the_officer_s_body(office):  # type: ignore[no-untyped-def]
    pledge = _pledge(office)
    breached_on = timezone.localdate() - datetime.timedelta(days=5)
    pledge = _breach(office, pledge, breached_on=breached_on)
    record = CreditRecord.objects.get()
    today = timezone.localdate()
    assert pledge.status == "breached" and pledge.breach_record == record
    assert record.record_class == "breach" and record.enterprise == Enterprise.objects.get(uscc=make_uscc(1))
    assert (record.authority_name, record.authority_uscc) == (office.agency.name, office.agency.uscc)
    assert record.supplier == office.agency and record.source == "console" and record.source_ref == pledge.number
    assert (record.document_number, record.decision_date, record.conduct_date) == (DOC, today, breached_on)
    assert record.facts == "提供虚假业绩证明" and pledge.number in record.basis
    # The records policy's window for a breach (dishonesty.default, unspecified severity: 3 months / 1 year).
    assert record.status == "in_force" and record.publicity_start == today
    assert record.publicity_max_end is not None and record.publicity_max_end > today + datetime.timedelta(days=360)
    changes = ObjectChange.objects.filter(object_type="screening.pledge", object_id=str(pledge.pk), action="update")
    assert changes.count() == 1 and changes.get().postchange_data["breach_record_id"] == record.pk
    created = ObjectChange.objects.filter(object_type="records.creditrecord", object_id=str(record.pk), action="create")
    assert created.count() == 1


def test_a_second_breach_of_the_same_pledge_is_refused_and_makes_no_second_record(office):  # type: ignore[no-untyped-def]
    pledge = _pledge(office)
    stale = Pledge.objects.get(pk=pledge.pk)
    _breach(office, pledge)
    with pytest.raises(ValidationError):
        _breach(office, pledge, document_number="宁发改信违〔2026〕4号")
    with pytest.raises(ValidationError):  # a stale copy still showing `pledged` loses on the conditional update
        _breach(office, stale, document_number="宁发改信违〔2026〕5号")
    assert CreditRecord.objects.count() == 1


def test_a_hostile_reason_is_stored_as_text_and_escaped_on_the_page(client, office):  # type: ignore[no-untyped-def]
    pledge = _breach(office, _pledge(office), reason=HOSTILE, document_number=HOSTILE[:100])
    assert CreditRecord.objects.get().facts == HOSTILE and pledge.outcome_note == HOSTILE
    client.force_login(office)
    page = client.get(f"/console/screening/pledges/{pledge.pk}/").content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_a_bidder_missing_from_the_enterprise_registry_is_refused_and_nothing_changes(office):  # type: ignore[no-untyped-def]
    pledge = _pledge(office, registered=False)
    with pytest.raises(ValidationError) as error:
        _breach(office, pledge)
    assert "尚未在企业主体库中登记" in str(error.value)
    assert Pledge.objects.get(pk=pledge.pk).status == "pledged" and not CreditRecord.objects.exists()
    assert not Enterprise.objects.exists()


def test_an_enterprise_registered_after_the_pledge_is_found_by_its_code(office):  # type: ignore[no-untyped-def]
    pledge = _pledge(office, registered=False)
    enterprise = enterprise_create(actor=SYSTEM, uscc=make_uscc(1), name="南京华夏建设工程有限公司")
    pledge = _breach(office, pledge)
    assert pledge.enterprise == enterprise and CreditRecord.objects.get().enterprise == enterprise


def test_an_officer_without_a_body_is_refused(office):  # type: ignore[no-untyped-def]
    pledge = _pledge(office)
    loner = make_user("loner", None, Role.objects.get(code="city_credit_office"))
    with pytest.raises(ValidationError) as error:
        _breach(loner, pledge)
    assert "未关联任何单位" in str(error.value)
    assert Pledge.objects.get(pk=pledge.pk).status == "pledged" and not CreditRecord.objects.exists()


@pytest.mark.parametrize("number", ["", "   ", "文" * 101, "宁违\x001号"])
def test_a_blank_overlong_or_control_character_document_number_is_refused(office, number):  # type: ignore[no-untyped-def]
    pledge = _pledge(office)
    with pytest.raises(ValidationError) as error:
        _breach(office, pledge, document_number=number)
    assert "document_number" in error.value.message_dict
    assert not CreditRecord.objects.exists()


def test_a_document_number_of_exactly_the_record_field_s_length_is_accepted(office):  # type: ignore[no-untyped-def]
    _breach(office, _pledge(office), document_number="文" * 100)
    assert CreditRecord.objects.get().document_number == "文" * 100


@pytest.mark.parametrize("days", [1, -41])
def test_a_breach_date_in_the_future_or_before_the_pledge_is_refused(office, days):  # type: ignore[no-untyped-def]
    pledge = _pledge(office)
    with pytest.raises(ValidationError) as error:
        _breach(office, pledge, breached_on=timezone.localdate() + datetime.timedelta(days=days))
    assert "breached_on" in error.value.message_dict


def test_the_same_decision_number_for_the_same_bidder_twice_is_refused_and_rolls_back(office):  # type: ignore[no-untyped-def]
    first = _pledge(office)
    today = timezone.localdate()
    second = pledge_record(
        actor=office, uscc=make_uscc(1), name="南京华夏建设工程有限公司", kind="bid", text="第二次投标承诺",
        pledged_on=today - datetime.timedelta(days=10), due_on=today + datetime.timedelta(days=20),
    )  # fmt: skip
    _breach(office, first)
    with pytest.raises(ValidationError) as error:
        _breach(office, second)
    assert "document_number" in error.value.message_dict
    assert Pledge.objects.get(pk=second.pk).status == "pledged" and CreditRecord.objects.count() == 1


def test_the_console_form_asks_for_the_decision_number_and_records_the_breach(client, office):  # type: ignore[no-untyped-def]
    pledge = _pledge(office)
    url = f"/console/screening/pledges/{pledge.pk}/"
    client.force_login(office)
    page = client.get(url).content.decode()
    assert 'name="document_number"' in page and "违约认定决定书文号" in page and 'name="breached_on"' in page
    form = {"outcome": "breached", "note": "虚假业绩", "evidence_ref": "E-1", "document_number": ""}
    assert client.post(url, form).status_code == 200
    assert not CreditRecord.objects.exists()
    assert client.post(url, {**form, "document_number": DOC}).status_code == 302
    record = CreditRecord.objects.get()
    page = client.get(url).content.decode()
    assert record.number in page and DOC in page
