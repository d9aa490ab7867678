"""Cases: opened once per dishonesty record in force, measures proposed, and decided only by a person."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from govtrust.core import events
from govtrust.core.models import Notification, ObjectChange, OutboxEvent
from govtrust.records import services as record_services
from govtrust.sanctions import queries, services
from govtrust.sanctions.models import CaseStatus, Measure, MeasureStatus, SanctionCase

from .conftest import make_record


def measure(case: SanctionCase, code: str) -> Measure:
    return case.measures.get(code=code)


@pytest.mark.django_db
def test_a_record_in_force_opens_a_case_with_proposed_measures_and_tells_the_deciders(
    cast, people, django_capture_on_commit_callbacks
):
    record = make_record(cast, django_capture_on_commit_callbacks)
    case = SanctionCase.objects.get(record=record)
    assert case.status == CaseStatus.PENDING and case.agency == cast.xw_edu
    assert case.number.startswith("CJ")
    assert sorted(case.measures.values_list("code", "status")) == [
        ("honours_ineligible", "proposed"),
        ("performance_deduction", "proposed"),
        ("rectification", "proposed"),
    ]
    # No sanction applies before a person decides.
    assert queries.measures_in_force_for(cast.xw_edu) == []
    assert not queries.honours_barred(cast.xw_edu)
    assert Notification.objects.filter(recipient=people.officer, category="sanctions.proposal").count() == 1
    assert ObjectChange.objects.filter(object_type="sanctions.sanctioncase", message="sanctions.case_open").exists()
    assert case.timeline.filter(action="proposed").count() == 1


@pytest.mark.django_db
def test_the_same_event_delivered_twice_proposes_the_measures_once(cast, people, django_capture_on_commit_callbacks):
    record = make_record(cast, django_capture_on_commit_callbacks)
    event = OutboxEvent.objects.get(name="record.in_force", payload__record_id=record.pk)
    OutboxEvent.objects.filter(pk=event.pk).update(delivered_at=None, claimed_at=None)
    assert events.deliver(event.pk)
    assert SanctionCase.objects.filter(record=record).count() == 1
    assert Measure.objects.filter(case__record=record).count() == 3
    assert Notification.objects.filter(recipient=people.officer, category="sanctions.proposal").count() == 1


@pytest.mark.django_db
def test_records_of_enterprises_persons_and_commendations_open_no_case(cast, django_capture_on_commit_callbacks):
    make_record(cast, django_capture_on_commit_callbacks, subject=cast.enterprise, document_number="企1")
    make_record(cast, django_capture_on_commit_callbacks, subject=cast.person, document_number="人1")
    make_record(
        cast,
        django_capture_on_commit_callbacks,
        record_class="commendation",
        severity="",
        sub_type="integrity_model",
        document_number="表1",
    )
    assert SanctionCase.objects.count() == 0


@pytest.mark.django_db
def test_an_officer_confirms_a_measure_which_then_is_in_force(cast, people, django_capture_on_commit_callbacks):
    case = SanctionCase.objects.get(record=make_record(cast, django_capture_on_commit_callbacks))
    services.measure_decide(
        actor=people.officer, measure=measure(case, "honours_ineligible"), decision="confirm", reason="记录属实"
    )
    m = measure(case, "honours_ineligible")
    assert (m.status, m.applied_code, m.decided_by_name) == (MeasureStatus.IN_FORCE, "honours_ineligible", "city")
    assert queries.honours_barred(cast.xw_edu)
    assert [x.code for x in queries.measures_in_force_for(cast.xw_edu)] == ["honours_ineligible"]
    assert Notification.objects.filter(recipient=people.body, category="sanctions.decision").exists()


@pytest.mark.django_db
def test_an_officer_changes_a_measure_with_mitigation_to_a_lighter_one(
    cast, people, django_capture_on_commit_callbacks
):
    case = SanctionCase.objects.get(record=make_record(cast, django_capture_on_commit_callbacks))
    with pytest.raises(ValidationError) as error:  # mitigation needs its grounds recorded first
        services.measure_decide(
            actor=people.officer,
            measure=measure(case, "honours_ineligible"),
            decision="change",
            new_code="public_criticism",
            mitigated=True,
            reason="已挽回损失",
        )
    assert "mitigated" in error.value.message_dict
    services.case_record_mitigation(
        actor=people.officer, case=case, grounds=["recovered_loss"], note="已于决定前全额支付拖欠款项"
    )
    services.measure_decide(
        actor=people.officer,
        measure=measure(case, "honours_ineligible"),
        decision="change",
        new_code="public_criticism",
        mitigated=True,
        reason="已挽回损失，从轻",
    )
    m = measure(case, "honours_ineligible")
    assert (m.status, m.applied_code, m.mitigated) == (MeasureStatus.IN_FORCE, "public_criticism", True)
    assert not queries.honours_barred(cast.xw_edu)
    case.refresh_from_db()
    assert case.mitigation_grounds == ["recovered_loss"]


@pytest.mark.django_db
def test_declining_every_measure_decides_the_case_with_no_measure_in_force(
    cast, people, django_capture_on_commit_callbacks
):
    case = SanctionCase.objects.get(record=make_record(cast, django_capture_on_commit_callbacks))
    services.case_record_mitigation(actor=people.officer, case=case, grounds=["stopped_in_time"], note="及时制止")
    for m in case.measures.all():
        services.measure_decide(actor=people.officer, measure=m, decision="decline", mitigated=True, reason="免于惩戒")
    case.refresh_from_db()
    assert case.status == CaseStatus.DECIDED
    assert set(case.measures.values_list("status", flat=True)) == {MeasureStatus.DECLINED}
    assert queries.measures_in_force_for(cast.xw_edu) == []
    assert case.timeline.filter(action="case_decided").count() == 1
    with pytest.raises(ValidationError):  # mitigation after the decision is refused
        services.case_record_mitigation(actor=people.officer, case=case, grounds=["removed_harm"], note="x")


@pytest.mark.django_db
def test_a_measure_cannot_be_decided_twice_so_of_two_officers_exactly_one_wins(
    cast, people, django_capture_on_commit_callbacks
):
    case = SanctionCase.objects.get(record=make_record(cast, django_capture_on_commit_callbacks))
    stale = measure(case, "honours_ineligible")
    services.measure_decide(actor=people.officer, measure=stale, decision="confirm", reason="属实")
    with pytest.raises(ValidationError):
        services.measure_decide(actor=cast.prov_user, measure=stale, decision="decline", reason="不同意")
    assert measure(case, "honours_ineligible").decided_by_name == "city"


@pytest.mark.django_db
def test_nobody_but_a_credit_office_in_scope_may_decide(cast, people, django_capture_on_commit_callbacks):
    case = SanctionCase.objects.get(record=make_record(cast, django_capture_on_commit_callbacks))
    m = measure(case, "rectification")
    for user in (people.body, people.superior, people.discipline, people.other_body, cast.norole_user):
        with pytest.raises(PermissionDenied):
            services.measure_decide(actor=user, measure=m, decision="decline", reason="自己说了算")
    assert measure(case, "rectification").status == MeasureStatus.PROPOSED


@pytest.mark.django_db
def test_a_covered_record_gets_no_sanction(cast, people, django_capture_on_commit_callbacks):
    ruling = record_services.ruling_record(
        actor=cast.discipline_user,
        number="玄纪容〔2026〕1号",
        authority=cast.xw_discipline,
        decision_date=cast_date(),
        grounds="先行先试中的失误",
        subject=cast.xw_edu,
        conduct_description="试点",
        document_numbers=["宁市监罚〔2025〕12号"],
    )
    record_services.ruling_check(actor=cast.prov_user, ruling=ruling, accepted=True, reason="")
    record = make_record(cast, django_capture_on_commit_callbacks)
    assert record.covered_by_id == ruling.pk
    assert not SanctionCase.objects.filter(record=record).exists()


def cast_date():  # type: ignore[no-untyped-def]
    from .conftest import recent

    return recent(5)


@pytest.mark.django_db
def test_hostile_reasons_are_stored_as_text(cast, people, django_capture_on_commit_callbacks):
    case = SanctionCase.objects.get(record=make_record(cast, django_capture_on_commit_callbacks))
    hostile = "<script>alert(1)</script>'; DROP TABLE sanctions_measure; --"
    services.measure_decide(
        actor=people.officer, measure=measure(case, "performance_deduction"), decision="confirm", reason=hostile
    )
    assert measure(case, "performance_deduction").decision_reason == hostile
    assert Measure.objects.count() == 3
