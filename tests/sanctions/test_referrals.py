"""Referrals for the accountability of the responsible leader at the date of the conduct."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from registry.builders import SYSTEM

from govtrust.core.models import Notification
from govtrust.registry import services as registry_services
from govtrust.sanctions import services
from govtrust.sanctions.models import Referral, ReferralStatus, SanctionCase

from .conftest import make_record, recent

D = datetime.date


def leaders(cast):  # type: ignore[no-untyped-def]
    """王 led 玄武区教育局 until the day before 李 took over on `handover`."""
    handover = recent(100)
    registry_services.agency_leader_add(
        actor=SYSTEM, agency=cast.xw_edu, name="王建国", position="局长", term_start=recent(2000)
    )
    registry_services.agency_leader_add(
        actor=SYSTEM, agency=cast.xw_edu, name="李卫东", position="局长", term_start=handover
    )
    return handover


def refer(cast, people, capture, **record) -> Referral:  # type: ignore[no-untyped-def]
    case = SanctionCase.objects.get(record=make_record(cast, capture, severity="serious", **record))
    services.measure_decide(
        actor=people.officer,
        measure=case.measures.get(code="leader_accountability"),
        decision="confirm",
        reason="严重失信，追究主要负责人责任",
        department=cast.xw_discipline,
    )
    return Referral.objects.get(case=case)


@pytest.mark.django_db
def test_the_leader_on_the_day_before_the_handover_is_the_predecessor(cast, people, django_capture_on_commit_callbacks):
    handover = leaders(cast)
    referral = refer(
        cast, people, django_capture_on_commit_callbacks, conduct_date=handover - datetime.timedelta(days=1)
    )
    assert (referral.leader_name, referral.reference_basis) == ("王建国", "conduct_date")
    assert referral.status == ReferralStatus.SENT and referral.department == cast.xw_discipline
    assert Notification.objects.filter(recipient=people.discipline, category="sanctions.referral").exists()


@pytest.mark.django_db
def test_the_leader_on_the_day_of_the_handover_is_the_successor(cast, people, django_capture_on_commit_callbacks):
    handover = leaders(cast)
    referral = refer(cast, people, django_capture_on_commit_callbacks, conduct_date=handover)
    assert referral.leader_name == "李卫东"


@pytest.mark.django_db
def test_without_a_conduct_date_the_decision_date_selects_the_leader(cast, people, django_capture_on_commit_callbacks):
    leaders(cast)
    referral = refer(cast, people, django_capture_on_commit_callbacks)  # decided 20 days ago: 李's term
    assert (referral.leader_name, referral.reference_basis) == ("李卫东", "decision_date")


@pytest.mark.django_db
def test_a_referral_without_a_registered_leader_is_still_sent_and_says_so(
    cast, people, django_capture_on_commit_callbacks
):
    referral = refer(cast, people, django_capture_on_commit_callbacks)
    assert referral.leader is None and referral.leader_name == ""
    assert "未登记" in referral.timeline.get(action="referral_sent").note


@pytest.mark.django_db
def test_accountability_needs_a_receiving_department_other_than_the_body(
    cast, people, django_capture_on_commit_callbacks
):
    case = SanctionCase.objects.get(record=make_record(cast, django_capture_on_commit_callbacks, severity="serious"))
    m = case.measures.get(code="leader_accountability")
    for department in (None, cast.xw_edu):
        with pytest.raises(ValidationError) as error:
            services.measure_decide(
                actor=people.officer, measure=m, decision="confirm", reason="x", department=department
            )
        assert "department" in error.value.message_dict
    assert not Referral.objects.exists()


@pytest.mark.django_db
def test_the_department_receives_and_records_the_outcome(cast, people, django_capture_on_commit_callbacks):
    referral = refer(cast, people, django_capture_on_commit_callbacks)
    services.referral_receive(actor=people.discipline, referral=referral)
    with pytest.raises(ValidationError):  # received twice
        services.referral_receive(actor=people.discipline, referral=referral)
    with pytest.raises(ValidationError) as error:
        services.referral_record_outcome(
            actor=people.discipline,
            referral=referral,
            outcome="held_accountable",
            text="",
            outcome_date=recent(0) + datetime.timedelta(days=1),
        )
    assert {"text", "outcome_date"} <= set(error.value.message_dict)
    services.referral_record_outcome(
        actor=people.discipline,
        referral=referral,
        outcome="held_accountable",
        text="给予诫勉谈话",
        reference="玄纪〔2026〕3号",
        outcome_date=recent(0),
    )
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == (ReferralStatus.CONCLUDED, "held_accountable")
    assert Notification.objects.filter(recipient=people.officer, title__contains="移送处理结果").exists()
    with pytest.raises(ValidationError):  # concluded is final
        services.referral_record_outcome(
            actor=people.discipline, referral=referral, outcome="other", text="x", outcome_date=recent(0)
        )


@pytest.mark.django_db
def test_only_the_receiving_department_records_the_outcome(cast, people, django_capture_on_commit_callbacks):
    referral = refer(cast, people, django_capture_on_commit_callbacks)
    for outsider in (people.officer, people.body, people.other_body):
        with pytest.raises(PermissionDenied):
            services.referral_receive(actor=outsider, referral=referral)
