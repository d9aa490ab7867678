"""The record's later events lift the sanctions: repair, revocation, end of publicity, fault tolerance."""

from __future__ import annotations

import pytest

from govtrust.records import services as record_services
from govtrust.sanctions import queries, services
from govtrust.sanctions.models import (
    CaseStatus,
    MeasureStatus,
    OrderStatus,
    RectificationOrder,
    Referral,
    ReferralStatus,
    SanctionCase,
)

from .conftest import make_record, recent


def decided(cast, people, capture, **record):  # type: ignore[no-untyped-def]
    rec = make_record(cast, capture, severity="serious", **record)
    case = SanctionCase.objects.get(record=rec)
    services.measure_decide(
        actor=people.officer, measure=case.measures.get(code="rectification"), decision="confirm", reason="整改"
    )
    services.measure_decide(
        actor=people.officer,
        measure=case.measures.get(code="honours_ineligible"),
        decision="confirm",
        reason="取消资格",
    )
    services.measure_decide(
        actor=people.officer,
        measure=case.measures.get(code="leader_accountability"),
        decision="confirm",
        reason="追责",
        department=cast.xw_discipline,
    )
    return rec, case


@pytest.mark.django_db
def test_a_repair_lifts_the_measures_and_withdraws_proposals_and_the_open_order(
    cast, people, django_capture_on_commit_callbacks
):
    record, case = decided(cast, people, django_capture_on_commit_callbacks, decision_date=recent(400))
    assert queries.honours_barred(cast.xw_edu)
    with django_capture_on_commit_callbacks(execute=True):
        record_services.record_repair(actor=cast.prov_user, record=record, reason="已整改", reference="修复〔2026〕1号")
    case.refresh_from_db()
    assert case.status == CaseStatus.LIFTED and case.lift_reason == "信用记录已修复"
    statuses = dict(case.measures.values_list("code", "status"))
    assert statuses["honours_ineligible"] == MeasureStatus.LIFTED
    assert statuses["public_criticism"] == MeasureStatus.WITHDRAWN  # never decided: withdrawn, not applied
    assert RectificationOrder.objects.get(case=case).status == OrderStatus.WITHDRAWN
    # Accountability for conduct that did happen stays with the department after a repair.
    assert Referral.objects.get(case=case).status == ReferralStatus.SENT
    assert not queries.honours_barred(cast.xw_edu) and queries.measures_in_force_for(cast.xw_edu) == []
    assert case.timeline.filter(action="lifted").count() == 1


@pytest.mark.django_db
def test_a_revocation_also_withdraws_the_referral(cast, people, django_capture_on_commit_callbacks):
    record, case = decided(cast, people, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        record_services.record_revoke(actor=cast.prov_user, record=record, reason="决定已被撤销")
    assert Referral.objects.get(case=case).status == ReferralStatus.WITHDRAWN


@pytest.mark.django_db
def test_a_later_fault_tolerance_ruling_lifts_everything(cast, people, django_capture_on_commit_callbacks):
    record, case = decided(cast, people, django_capture_on_commit_callbacks)
    ruling = record_services.ruling_record(
        actor=cast.discipline_user,
        number="玄纪容〔2026〕9号",
        authority=cast.xw_discipline,
        decision_date=recent(1),
        grounds="符合容错情形",
        subject=cast.xw_edu,
        conduct_description="改革探索",
        natural_keys=[record.natural_key],
    )
    with django_capture_on_commit_callbacks(execute=True):
        record_services.ruling_check(actor=cast.prov_user, ruling=ruling, accepted=True, reason="")
    case.refresh_from_db()
    assert case.status == CaseStatus.LIFTED and "容错" in case.lift_reason
    assert Referral.objects.get(case=case).status == ReferralStatus.WITHDRAWN
    assert queries.measures_in_force_for(cast.xw_edu) == []


@pytest.mark.django_db
def test_the_end_of_publicity_lifts_the_measures_and_a_second_delivery_changes_nothing(
    cast, people, django_capture_on_commit_callbacks
):
    record, case = decided(cast, people, django_capture_on_commit_callbacks)
    services.case_lift_for_record(record_id=record.pk, event_name="record.expired")
    services.case_lift_for_record(record_id=record.pk, event_name="record.expired")
    case.refresh_from_db()
    assert case.status == CaseStatus.LIFTED
    assert case.timeline.filter(action="lifted").count() == 1
