"""Objections: every transition, every forbidden one, who may act, and what happens to the record."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from records.conftest import role
from registry.builders import make_user

from govtrust.core.models import Notification, ObjectChange
from govtrust.records.models import CreditRecord, CreditRecordVersion, RecordStatus
from govtrust.remedies import services
from govtrust.remedies.models import (
    Objection,
    ObjectionStatus,
    Transition,
    records_under_objection,
)

from .conftest import make_record

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)  # a Monday; 5 working days → 2026-11-09


def file(world, **kw):  # type: ignore[no-untyped-def]
    data = {
        "actor": world.cast.xw_user,
        "record": world.record,
        "claim": "罚款金额有误，已缴纳的是5000元",
        "today": DAY,
    }
    data.update(kw)
    return services.objection_file(**data)


def accepted(world):  # type: ignore[no-untyped-def]
    o = file(world)
    return services.objection_accept(actor=world.cast.city_user, objection=o, today=DAY)


def decide(world, o, outcome=ObjectionStatus.UPHELD, **kw):  # type: ignore[no-untyped-def]
    data = {
        "actor": world.cast.city_user,
        "objection": o,
        "outcome": outcome,
        "reasons": "经核实，决定书金额录入错误",
        "record_action": "correct" if outcome != ObjectionStatus.REJECTED else "",
        "changes": {"content": "警告"} if outcome != ObjectionStatus.REJECTED else None,
        "today": DAY + datetime.timedelta(days=2),
    }
    data.update(kw)
    return services.objection_decide(**data)


def statuses(o: Objection) -> list[tuple[str, str]]:
    return list(
        Transition.objects.filter(kind="objection", object_id=o.pk)
        .order_by("pk")
        .values_list("from_status", "to_status")
    )


# --- filing -----------------------------------------------------------------------------------------------------------
def test_filing_labels_the_record_routes_it_to_the_supplier_and_sets_the_deadline(world):  # type: ignore[no-untyped-def]
    o = file(world)
    assert o.status == ObjectionStatus.FILED
    assert o.number == "YY2026000001"
    assert o.routed_to == world.cast.nj_credit
    assert o.due_on == datetime.date(2026, 11, 9) and not o.due_provisional
    assert o.rule_version == "zj-2017" and o.rule_provisional  # Jiangsu's slot is empty: Zhejiang's rule, provisional
    assert "浙江省公共信用信息管理条例" in o.rule_basis and "第三十条" in o.rule_basis
    assert records_under_objection([world.record.pk]) == {world.record.pk}
    assert Objection.objects.open_record_ids([world.record.pk, 999999]) == {world.record.pk}
    assert records_under_objection([]) == set()
    assert statuses(o) == [("", "filed")]
    assert Notification.objects.filter(recipient=world.cast.city_user, title__contains=o.number).exists()
    assert ObjectChange.objects.filter(object_type="remedies.objection", object_id=str(o.pk), action="create").exists()


def test_a_second_open_objection_on_the_same_record_is_refused(world):  # type: ignore[no-untyped-def]
    file(world)
    with pytest.raises(ValidationError, match="已有正在办理的异议"):
        file(world)


def test_numbers_count_up(world):  # type: ignore[no-untyped-def]
    first = file(world)
    other = make_record(world.cast, document_number="宁市监罚〔2026〕99号")
    second = file(world, record=other)
    assert (first.number, second.number) == ("YY2026000001", "YY2026000002")


def test_a_claim_is_required_and_a_nul_is_refused(world):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as err:
        file(world, claim="  ")
    assert "claim" in err.value.message_dict
    with pytest.raises(ValidationError):
        file(world, claim="bad\x00text")
    assert not Objection.objects.exists()


def test_hostile_text_is_stored_verbatim(world):  # type: ignore[no-untyped-def]
    hostile = "<script>alert(1)</script>'; DROP TABLE remedies_objection; --"
    o = file(world, claim=hostile)
    assert Objection.objects.get(pk=o.pk).claim == hostile


def test_a_revoked_record_cannot_be_objected_to(world):  # type: ignore[no-untyped-def]
    from govtrust.records.services import record_revoke

    record_revoke(actor=world.cast.prov_user, record=world.record, reason="决定已撤销")
    with pytest.raises(ValidationError, match="已撤销"):
        file(world)


# --- who may open -----------------------------------------------------------------------------------------------------
def test_nobody_but_the_subject_can_open_an_objection(world):  # type: ignore[no-untyped-def]
    for outsider in (world.cast.sz_user, world.cast.city_user, world.cast.norole_user, world.agent):
        with pytest.raises(PermissionDenied):
            file(world, actor=outsider)
    assert not Objection.objects.exists()


def test_an_authorised_agent_may_file_while_the_authorisation_is_valid(world):  # type: ignore[no-untyped-def]
    grant = services.agent_authorisation_grant(
        actor=world.cast.xw_user, principal=world.cast.xw_edu, agent=world.agent, reference="委托〔2026〕1号",
        valid_from=DAY, valid_until=DAY + datetime.timedelta(days=30),
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        file(world, actor=world.agent, today=DAY - datetime.timedelta(days=1))  # not yet valid
    with pytest.raises(PermissionDenied):
        file(world, actor=world.agent, today=DAY + datetime.timedelta(days=31))  # expired
    o = file(world, actor=world.agent)
    assert o.agent_authorisation == grant and o.filed_by == world.agent
    services.objection_withdraw(actor=world.agent, objection=o, today=DAY)
    services.agent_authorisation_revoke(actor=world.cast.xw_user, authorisation=grant)
    with pytest.raises(PermissionDenied):
        file(world, actor=world.agent)


def test_only_the_principal_can_grant_an_authorisation_and_not_to_its_own_staff(world):  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.agent_authorisation_grant(actor=world.cast.sz_user, principal=world.cast.xw_edu, agent=world.agent,
                                           reference="X", valid_from=DAY)  # fmt: skip
    colleague = make_user("colleague", world.cast.xw_edu, role("recorded_body"))
    with pytest.raises(ValidationError) as err:
        services.agent_authorisation_grant(actor=world.cast.xw_user, principal=world.cast.xw_edu, agent=colleague,
                                           reference="", valid_from=DAY)  # fmt: skip
    assert {"agent", "reference"} <= set(err.value.message_dict)


# --- handling ---------------------------------------------------------------------------------------------------------
def test_accept_extend_and_uphold_correct_the_record_and_keep_its_history(world):  # type: ignore[no-untyped-def]
    o = accepted(world)
    assert o.status == ObjectionStatus.ACCEPTED and o.accepted_on == DAY
    o = services.objection_extend(actor=world.cast.city_user, objection=o, reason="需向处罚机关核实",
                                  approval_reference="宁发改批〔2026〕3号", approver="王主任", today=DAY)  # fmt: skip
    assert o.status == ObjectionStatus.EXTENDED and o.due_on == datetime.date(2026, 11, 30)  # 20 working days
    o = decide(world, o)
    assert o.status == ObjectionStatus.UPHELD and o.decided_by == world.cast.city_user
    record = CreditRecord.objects.get(pk=world.record.pk)
    assert record.content == "警告" and record.version == 2
    assert CreditRecordVersion.objects.get(record=record).data["content"] == "警告，罚款"  # history kept
    assert records_under_objection([record.pk]) == set()  # label gone
    assert statuses(o) == [("", "filed"), ("filed", "accepted"), ("accepted", "extended"), ("extended", "upheld")]
    assert Notification.objects.filter(recipient=world.cast.xw_user, title__contains="异议成立").exists()


def test_upholding_may_revoke_the_record(world):  # type: ignore[no-untyped-def]
    o = decide(world, accepted(world), record_action="revoke", changes=None)
    assert CreditRecord.objects.get(pk=world.record.pk).status == RecordStatus.REVOKED
    assert o.record_action == "revoke"


def test_partly_upheld_corrects_and_rejected_changes_nothing(world):  # type: ignore[no-untyped-def]
    o = decide(world, accepted(world), outcome=ObjectionStatus.PARTLY_UPHELD, changes={"facts": "部分事实更正"})
    assert o.status == ObjectionStatus.PARTLY_UPHELD
    assert CreditRecord.objects.get(pk=world.record.pk).facts == "部分事实更正"
    other = make_record(world.cast, document_number="宁市监罚〔2026〕7号")
    o2 = services.objection_accept(actor=world.cast.city_user, objection=file(world, record=other), today=DAY)
    o2 = decide(world, o2, outcome=ObjectionStatus.REJECTED)
    assert o2.status == ObjectionStatus.REJECTED
    assert CreditRecord.objects.get(pk=other.pk).version == 1


@pytest.mark.parametrize(
    ("outcome", "action", "changes", "field"),
    [
        (ObjectionStatus.UPHELD, "", None, "record_action"),
        (ObjectionStatus.PARTLY_UPHELD, "revoke", None, "record_action"),
        (ObjectionStatus.REJECTED, "correct", {"content": "x"}, "record_action"),
        (ObjectionStatus.UPHELD, "correct", {}, "changes"),
        ("maybe", "", None, "outcome"),
    ],
)
def test_a_decision_must_match_its_outcome(world, outcome, action, changes, field):  # type: ignore[no-untyped-def]
    o = accepted(world)
    with pytest.raises(ValidationError) as err:
        decide(world, o, outcome=outcome, record_action=action, changes=changes)
    assert field in err.value.message_dict
    assert Objection.objects.get(pk=o.pk).status == ObjectionStatus.ACCEPTED


def test_decisions_need_reasons(world):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as err:
        decide(world, accepted(world), reasons="")
    assert "reasons" in err.value.message_dict


def test_a_failed_record_change_rolls_the_decision_back(world):  # type: ignore[no-untyped-def]
    o = accepted(world)
    with pytest.raises(ValidationError):
        decide(world, o, changes={"content": "警告，罚款"})  # no actual change: records refuses
    assert Objection.objects.get(pk=o.pk).status == ObjectionStatus.ACCEPTED
    assert records_under_objection([world.record.pk]) == {world.record.pk}


def test_review_maintained_and_review_changed(world):  # type: ignore[no-untyped-def]
    o = decide(world, accepted(world), outcome=ObjectionStatus.REJECTED)
    o = services.objection_request_review(actor=world.cast.xw_user, objection=o, reasons="不服", today=DAY)
    assert o.status == ObjectionStatus.REVIEW_REQUESTED and o.review_due_on == datetime.date(2026, 11, 30)
    assert records_under_objection([world.record.pk]) == {world.record.pk}  # labelled again during review
    assert Notification.objects.filter(recipient=world.cast.prov_user, title__contains="复核申请").exists()
    o = services.objection_review(actor=world.cast.prov_user, objection=o, outcome=ObjectionStatus.REVIEW_CHANGED,
                                  reasons="原决定认定事实不清", record_action="revoke", today=DAY)  # fmt: skip
    assert o.status == ObjectionStatus.REVIEW_CHANGED
    assert CreditRecord.objects.get(pk=world.record.pk).status == RecordStatus.REVOKED
    other = make_record(world.cast, document_number="宁市监罚〔2026〕8号")
    o2 = decide(world, services.objection_accept(actor=world.cast.city_user, objection=file(world, record=other)),
                outcome=ObjectionStatus.PARTLY_UPHELD, changes={"facts": "更正"})  # fmt: skip
    o2 = services.objection_request_review(actor=world.cast.xw_user, objection=o2, reasons="仍有错误", today=DAY)
    o2 = services.objection_review(actor=world.cast.prov_user, objection=o2,
                                   outcome=ObjectionStatus.REVIEW_MAINTAINED, reasons="维持")  # fmt: skip
    assert o2.status == ObjectionStatus.REVIEW_MAINTAINED and o2.reviewed_by_name == "prov"


def test_withdrawal_removes_the_label(world):  # type: ignore[no-untyped-def]
    o = services.objection_withdraw(actor=world.cast.xw_user, objection=accepted(world), today=DAY)
    assert o.status == ObjectionStatus.WITHDRAWN
    assert records_under_objection() == set()


# --- forbidden transitions --------------------------------------------------------------------------------------------
def test_forbidden_transitions_are_refused_and_change_nothing(world):  # type: ignore[no-untyped-def]
    c = world.cast
    o = file(world)
    with pytest.raises(ValidationError, match="不能作出决定"):
        decide(world, o)  # not accepted yet
    with pytest.raises(ValidationError, match="不能延期"):
        services.objection_extend(actor=c.city_user, objection=o, reason="r", approval_reference="a", approver="b",
                                  today=DAY)  # fmt: skip
    with pytest.raises(ValidationError, match="不能申请复核"):
        services.objection_request_review(actor=c.xw_user, objection=o, reasons="r")
    with pytest.raises(ValidationError, match="不能复核"):
        services.objection_review(
            actor=c.prov_user, objection=o, outcome=ObjectionStatus.REVIEW_MAINTAINED, reasons="r"
        )
    o = services.objection_accept(actor=c.city_user, objection=o, today=DAY)
    with pytest.raises(ValidationError, match="不能受理"):
        services.objection_accept(actor=c.city_user, objection=o, today=DAY)
    o = services.objection_extend(actor=c.city_user, objection=o, reason="r", approval_reference="a", approver="b",
                                  today=DAY)  # fmt: skip
    with pytest.raises(ValidationError, match="不能延期"):
        services.objection_extend(actor=c.city_user, objection=o, reason="r", approval_reference="a", approver="b",
                                  today=DAY)  # fmt: skip
    o = decide(world, o)
    with pytest.raises(ValidationError, match="不能申请复核"):
        services.objection_request_review(actor=c.xw_user, objection=o, reasons="r")  # upheld: nothing to review
    with pytest.raises(ValidationError, match="不能撤回"):
        services.objection_withdraw(actor=c.xw_user, objection=o)
    with pytest.raises(ValidationError, match="不能作出决定"):
        decide(world, o, changes={"content": "再改"})
    assert Objection.objects.get(pk=o.pk).status == ObjectionStatus.UPHELD
    withdrawn = services.objection_withdraw(
        actor=c.xw_user, objection=file(world, record=make_record(c, document_number="W1")), today=DAY
    )
    with pytest.raises(ValidationError, match="不能受理"):
        services.objection_accept(actor=c.city_user, objection=withdrawn)


def test_an_extension_after_the_deadline_is_refused(world):  # type: ignore[no-untyped-def]
    o = accepted(world)
    with pytest.raises(ValidationError, match="已过"):
        services.objection_extend(actor=world.cast.city_user, objection=o, reason="r", approval_reference="a",
                                  approver="b", today=datetime.date(2026, 11, 10))  # fmt: skip


# --- who may decide ---------------------------------------------------------------------------------------------------
def test_only_the_routed_department_may_accept_or_decide(world):  # type: ignore[no-untyped-def]
    o = file(world)
    suzhou_supplier = make_user("szsup", world.cast.sz_finance, role("supplier"))
    for outsider in (world.cast.xw_user, world.cast.sz_user, suzhou_supplier, world.cast.norole_user):
        with pytest.raises(PermissionDenied):
            services.objection_accept(actor=outsider, objection=o)
    assert Objection.objects.get(pk=o.pk).status == ObjectionStatus.FILED


def test_a_body_cannot_decide_its_own_objection(world):  # type: ignore[no-untyped-def]
    # A user of the recorded body who also holds the decide grant (e.g. it supplies records too) is refused…
    insider = make_user("insider", world.cast.xw_edu, role("supplier"), role("recorded_body"))
    o = file(world)
    with pytest.raises(PermissionDenied, match="本单位"):
        services.objection_accept(actor=insider, objection=o)
    # …and a record the body supplied about itself is routed to the credit office of its region instead.
    own = make_record(world.cast, document_number="自报〔2026〕1号", supplier=world.cast.xw_edu)
    o2 = file(world, record=own)
    assert o2.routed_to == world.cast.nj_credit
    with pytest.raises(PermissionDenied):
        services.objection_accept(actor=insider, objection=o2)


def test_the_review_is_for_the_provincial_office_and_not_for_the_first_decider(world):  # type: ignore[no-untyped-def]
    c = world.cast
    record = make_record(c, document_number="苏发改罚〔2026〕1号", supplier=c.prov_credit)
    o = services.objection_accept(actor=c.prov_user, objection=file(world, record=record))
    o = decide(world, o, actor=c.prov_user, outcome=ObjectionStatus.REJECTED)
    o = services.objection_request_review(actor=c.xw_user, objection=o, reasons="不服")
    for refused in (c.city_user, c.xw_user, c.prov_user):  # no grant, the subject, the first decider
        with pytest.raises(PermissionDenied):
            services.objection_review(actor=refused, objection=o, outcome=ObjectionStatus.REVIEW_MAINTAINED,
                                      reasons="r")  # fmt: skip
    other_prov = make_user("prov2", c.prov_credit, role("provincial_credit_office"))
    o = services.objection_review(actor=other_prov, objection=o, outcome=ObjectionStatus.REVIEW_MAINTAINED, reasons="r")
    assert o.status == ObjectionStatus.REVIEW_MAINTAINED
