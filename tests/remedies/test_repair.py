"""Credit repair: eligibility at the minimum period's boundary under each regime, the pledge, the decision."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from records.conftest import role
from registry.builders import make_user

from govtrust.core.models import OutboxEvent
from govtrust.records.models import CreditRecord, RecordStatus
from govtrust.remedies import services
from govtrust.remedies.models import Attachment, RepairRequest, RepairStatus

from .conftest import PNG, make_record, pdf

pytestmark = pytest.mark.django_db


def in_force(record: CreditRecord) -> CreditRecord:
    """A record as it stood while in force (hand-built: the decision is old, so today it would have ended)."""
    CreditRecord.objects.filter(pk=record.pk).update(status=RecordStatus.IN_FORCE)
    return CreditRecord.objects.get(pk=record.pk)


def apply(world, record, day, **kw):  # type: ignore[no-untyped-def]
    data = {
        "actor": world.cast.xw_user, "record": record, "corrective_actions": "已缴纳罚款并完成整改",
        "obligations_performed": True, "pledge_text": services.pledge_template(world.cast.xw_edu.name),
        "pledge_confirmed": True, "pledge_file": pdf("信用承诺书.pdf"), "evidence": [pdf("缴款凭证.pdf")], "today": day,
    }  # fmt: skip
    data.update(kw)
    return services.repair_file(**data)


REGIMES = [
    # (decision date, severity, rule version, last day of the minimum)
    (datetime.date(2023, 3, 10), "general", "2019-527", datetime.date(2023, 6, 10)),  # 527号: 3 months
    (datetime.date(2023, 2, 28), "serious", "2019-527", datetime.date(2023, 8, 28)),  # 527号 严重: 6 months
    (datetime.date(2024, 5, 15), "serious", "ndrc-58", datetime.date(2025, 5, 15)),  # Order 58 严重: 1 year
    (datetime.date(2024, 11, 30), "general", "ndrc-58", datetime.date(2025, 2, 28)),  # month-end: last day of Feb
    (datetime.date(2026, 4, 10), "general", "ndrc-36", datetime.date(2026, 7, 10)),  # Order 36: 3 months
    (datetime.date(2026, 4, 10), "serious", "ndrc-36", datetime.date(2027, 4, 10)),  # Order 36 严重: 1 year
]


@pytest.mark.parametrize(("decided", "severity", "version", "min_end"), REGIMES)
def test_a_repair_is_refused_on_the_last_day_of_the_minimum_and_granted_the_next_day(
    world, decided, severity, version, min_end
):  # type: ignore[no-untyped-def]
    record = in_force(make_record(world.cast, decision_date=decided, severity=severity, document_number=f"R{decided}"))
    assert (record.rule_version, record.publicity_min_end) == (version, min_end)
    with pytest.raises(ValidationError) as err:
        apply(world, record, min_end)
    next_day = min_end + datetime.timedelta(days=1)
    assert f"{next_day.isoformat()}起方可申请" in " ".join(err.value.message_dict["record"])
    assert not RepairRequest.objects.exists()

    repair = apply(world, record, next_day)
    assert repair.status == RepairStatus.SUBMITTED and repair.eligible_from == next_day
    repair = services.repair_accept(actor=world.cast.city_user, repair=repair, today=next_day)
    repair = services.repair_decide(actor=world.cast.city_user, repair=repair, approve=True, reasons="已纠正",
                                    reference="宁发改修〔2026〕1号", today=next_day)  # fmt: skip
    assert repair.status == RepairStatus.APPROVED
    record.refresh_from_db()
    assert record.status == RecordStatus.REPAIRED and record.status_reference == "宁发改修〔2026〕1号"
    assert OutboxEvent.objects.filter(name="record.repaired", payload__record_id=record.pk).exists()


def test_the_application_keeps_the_pledge_and_the_evidence_and_routes_to_the_deciding_authority(world):  # type: ignore[no-untyped-def]
    c = world.cast
    authority = c.sz_finance  # a registered body decided it: 谁认定谁修复
    record = in_force(make_record(c, decision_date=datetime.date(2026, 4, 10), authority_uscc=authority.uscc,
                                  document_number="苏财罚〔2026〕2号"))  # fmt: skip
    repair = apply(world, record, datetime.date(2026, 7, 11),
                   evidence=[pdf("缴款凭证.pdf"), pdf("整改报告.png", PNG)])  # fmt: skip
    assert repair.handled_by == authority and repair.number == "XF2026000001"
    purposes = sorted(Attachment.objects.filter(repair=repair).values_list("purpose", flat=True))
    assert purposes == ["evidence", "evidence", "pledge"]
    assert repair.pledge_confirmed and "郑重承诺" in repair.pledge_text
    with pytest.raises(PermissionDenied):  # the supplier is not the handler here
        services.repair_accept(actor=c.city_user, repair=repair)
    handler = make_user("szsup", authority, role("supplier"))
    services.repair_accept(actor=handler, repair=repair)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"obligations_performed": False}, "obligations_performed"),
        ({"pledge_confirmed": False}, "pledge_confirmed"),
        ({"pledge_file": None}, "pledge_file"),
        ({"evidence": []}, "evidence"),
        ({"pledge_text": " "}, "pledge_text"),
        ({"corrective_actions": ""}, "corrective_actions"),
    ],
)
def test_an_application_without_pledge_evidence_or_performance_is_refused(world, change, field):  # type: ignore[no-untyped-def]
    record = in_force(make_record(world.cast, decision_date=datetime.date(2026, 4, 10), document_number="R-36"))
    with pytest.raises(ValidationError) as err:
        apply(world, record, datetime.date(2026, 7, 11), **change)
    assert field in err.value.message_dict
    assert not RepairRequest.objects.exists() and not Attachment.objects.exists()


def test_barred_records_cannot_be_repaired(world):  # type: ignore[no-untyped-def]
    record = make_record(world.cast, record_class="statistics_fraud", severity="", sub_type="repeat",
                         document_number="统罚〔2026〕1号")  # fmt: skip
    with pytest.raises(ValidationError, match="不得提前移出"):
        apply(world, record, datetime.date(2030, 1, 1))


def test_refusal_leaves_the_record_and_forbidden_transitions_are_refused(world):  # type: ignore[no-untyped-def]
    c = world.cast
    record = in_force(make_record(c, decision_date=datetime.date(2026, 4, 10), document_number="R-36"))
    day = datetime.date(2026, 7, 13)
    repair = apply(world, record, day)
    with pytest.raises(ValidationError, match="不能作出决定"):
        services.repair_decide(actor=c.city_user, repair=repair, approve=True, reasons="r", today=day)
    with pytest.raises(ValidationError, match="已有正在办理的修复申请"):
        apply(world, record, day)
    repair = services.repair_accept(actor=c.city_user, repair=repair, today=day)
    with pytest.raises(ValidationError, match="不能受理"):
        services.repair_accept(actor=c.city_user, repair=repair, today=day)
    with pytest.raises(PermissionDenied):
        services.repair_decide(actor=c.xw_user, repair=repair, approve=True, reasons="r", today=day)
    repair = services.repair_decide(actor=c.city_user, repair=repair, approve=False, reasons="未履行完毕", today=day)
    assert repair.status == RepairStatus.REJECTED
    assert CreditRecord.objects.get(pk=record.pk).status == RecordStatus.IN_FORCE
    with pytest.raises(ValidationError, match="不能撤回"):
        services.repair_withdraw(actor=c.xw_user, repair=repair)
    again = apply(world, record, day)  # a refused application may be followed by a new one
    assert services.repair_withdraw(actor=c.xw_user, repair=again).status == RepairStatus.WITHDRAWN


def test_only_the_subject_or_its_agent_can_apply(world):  # type: ignore[no-untyped-def]
    record = in_force(make_record(world.cast, decision_date=datetime.date(2026, 4, 10), document_number="R-36"))
    for outsider in (world.cast.sz_user, world.cast.city_user, world.agent):
        with pytest.raises(PermissionDenied):
            apply(world, record, datetime.date(2026, 7, 11), actor=outsider)
