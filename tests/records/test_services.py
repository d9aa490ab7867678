"""record_create / record_bulk_create / record_correct / record_revoke / record_repair / record_expire."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from registry.builders import SYSTEM, make_uscc

from govtrust.core.models import ObjectChange, OutboxEvent
from govtrust.records import services
from govtrust.records.models import CreditRecord, CreditRecordVersion, RecordStatus
from govtrust.records.services import RecordDraft

from .conftest import PAST, record_kwargs

TODAY = timezone.localdate()


def events(name: str) -> list[dict]:  # type: ignore[type-arg]
    return [e.payload for e in OutboxEvent.objects.filter(name=name).order_by("pk")]


def test_it_creates_a_record_in_force_with_its_window_number_audit_and_event(cast, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    decision = TODAY - dt.timedelta(days=10)
    with django_capture_on_commit_callbacks() as callbacks:
        record = services.record_create(actor=SYSTEM, **record_kwargs(cast, decision_date=decision, amount_fine="1.5"))
    assert callbacks  # the event is delivered after commit
    assert record.status == RecordStatus.IN_FORCE
    assert record.number == f"XY{TODAY.year}0000001"
    assert record.subject_kind == "agency" and record.subject_name == "南京市玄武区教育局"
    assert record.publicity_start == decision and record.publicity_max_end is not None
    assert record.amount_fine == Decimal("1.5")
    assert record.natural_key.endswith(f"|A:{cast.xw_edu.uscc}")
    assert ObjectChange.objects.filter(
        action="create", object_type="records.creditrecord", object_id=str(record.pk)
    ).exists()
    [payload] = events("record.in_force")
    assert payload["record_id"] == record.pk and payload["number"] == record.number


def test_a_record_decided_in_the_future_is_received_and_one_long_ended_is_stored_ended(cast):  # type: ignore[no-untyped-def]
    future = services.record_create(actor=SYSTEM, **record_kwargs(cast, decision_date=TODAY + dt.timedelta(days=3)))
    old = services.record_create(
        actor=SYSTEM, **record_kwargs(cast, document_number="宁罚〔2019〕1号", decision_date=dt.date(2019, 3, 1))
    )
    assert future.status == RecordStatus.RECEIVED
    assert old.status == RecordStatus.PUBLICITY_ENDED and old.rule_version == "2019-527"
    assert events("record.in_force") == []


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"authority_uscc": "91350100M000100Y4Z"}, "authority_uscc"),
        ({"authority_uscc": ""}, "authority_uscc"),
        ({"document_number": "  "}, "document_number"),
        ({"severity": ""}, "severity"),
        ({"record_class": "rumour"}, "record_class"),
        ({"amount_fine": "-3"}, "amount_fine"),
        ({"amount_fine": "1e400"}, "amount_fine"),
        ({"amount_fine": "abc"}, "amount_fine"),
        ({"decision_date": "2025-01-01"}, "decision_date"),
        ({"conduct_date": PAST + dt.timedelta(days=1)}, "conduct_date"),
        ({"facts": "bad\x00byte"}, "facts"),
        ({"document_number": "x" * 101}, "document_number"),
    ],
)
def test_it_refuses_bad_input(cast, override, field):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        services.record_create(actor=SYSTEM, **record_kwargs(cast, **override))
    assert field in info.value.message_dict
    assert not CreditRecord.objects.exists()


def test_hostile_text_is_stored_as_given(cast):  # type: ignore[no-untyped-def]
    record = services.record_create(
        actor=SYSTEM, **record_kwargs(cast, facts="<script>alert(1)</script>'; DROP TABLE records_creditrecord; --")
    )
    record.refresh_from_db()
    assert record.facts.startswith("<script>") and CreditRecord.objects.count() == 1


def test_the_same_decision_on_the_same_subject_is_a_duplicate_but_a_joint_penalty_is_one_record_per_subject(cast):  # type: ignore[no-untyped-def]
    services.record_create(actor=SYSTEM, **record_kwargs(cast))
    with pytest.raises(ValidationError) as info:
        services.record_create(actor=SYSTEM, **record_kwargs(cast, document_number="宁市监罚[2025]12号"))
    assert info.value.message_dict["document_number"]
    other = services.record_create(actor=SYSTEM, **record_kwargs(cast, subject=cast.xw_gov))
    assert other.natural_key != CreditRecord.objects.exclude(pk=other.pk).get().natural_key


def test_a_revoked_decision_may_be_reported_again(cast):  # type: ignore[no-untyped-def]
    first = services.record_create(actor=SYSTEM, **record_kwargs(cast))
    services.record_revoke(actor=SYSTEM, record=first, reason="决定被撤销")
    second = services.record_create(actor=SYSTEM, **record_kwargs(cast))
    assert services.find_current(second.natural_key) == second


def test_records_about_every_kind_of_subject_are_stored(cast):  # type: ignore[no-untyped-def]
    for subject in (cast.servant, cast.person, cast.enterprise):
        sub = {"record_class": "discipline", "sub_type": "warning", "severity": ""} if subject is cast.servant else {}
        record = services.record_create(actor=SYSTEM, **record_kwargs(cast, subject=subject, **sub))
        assert record.subject == subject
    # The civil servant's natural key holds the ID-number hash, never the number.
    servant_record = CreditRecord.objects.get(subject_kind="civil_servant")
    assert servant_record.natural_key.endswith("ID:" + cast.servant.id_number_hash)


def draft(cast, n: int, **kw) -> RecordDraft:  # type: ignore[no-untyped-def]
    data = record_kwargs(
        cast, document_number=f"宁罚〔2025〕{n}号", source_row=n + 1, decision_date=TODAY - dt.timedelta(days=10)
    )
    data.pop("supplier"), data.pop("source")
    data.update(kw)
    return RecordDraft(**data)


def test_bulk_create_stores_good_drafts_reports_bad_ones_with_one_audit_row_and_one_event(cast):  # type: ignore[no-untyped-def]
    services.record_create(actor=SYSTEM, **record_kwargs(cast, document_number="宁罚〔2025〕3号"))
    drafts = [draft(cast, n) for n in range(1, 6)]
    drafts.append(draft(cast, 2))  # duplicate within the batch
    drafts.append(draft(cast, 9, authority_uscc="123"))  # bad code
    drafts.append(draft(cast, 10, decision_date=TODAY + dt.timedelta(days=2)))  # received
    audit_before = ObjectChange.objects.count()
    result = services.record_bulk_create(
        actor=SYSTEM, drafts=iter(drafts), supplier=cast.nj_credit, batch_number="B2025-0001", source="import"
    )
    assert result.created == 5  # 1, 2, 4, 5 and 10; 3 exists already
    assert {(r.index, r.field) for r in result.rejected} == {(2, "document_number"), (5, "document_number"),
                                                            (6, "authority_uscc")}  # fmt: skip
    assert result.received == 1 and result.in_force == 4
    stored = CreditRecord.objects.filter(batch_number="B2025-0001")
    assert stored.count() == 5 and len(set(stored.values_list("number", flat=True))) == 5
    assert set(stored.values_list("source_row", flat=True)) == {2, 3, 5, 6, 11}
    assert ObjectChange.objects.count() == audit_before + 1
    assert events("record.in_force") == []  # never one event per record of a batch
    [batch] = events("records.batch_in_force")
    assert batch == {"batch_number": "B2025-0001", "first_id": result.first_id, "last_id": result.last_id, "count": 5}
    assert not CreditRecordVersion.objects.exists()


def test_bulk_create_over_several_chunks_numbers_every_record_once(cast, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services, "BULK_CHUNK", 7)
    result = services.record_bulk_create(
        actor=SYSTEM,
        drafts=(draft(cast, n) for n in range(50)),
        supplier=cast.nj_credit,
        batch_number="B2",
        source="import",
    )
    numbers = sorted(CreditRecord.objects.values_list("number", flat=True))
    assert result.created == 50 and numbers == [f"XY{TODAY.year}{n:07d}" for n in range(1, 51)]


def _bulk(cast, drafts: list[RecordDraft], **kw) -> services.BulkResult:  # type: ignore[no-untyped-def]
    return services.record_bulk_create(
        actor=SYSTEM, drafts=drafts, supplier=cast.nj_credit, batch_number="B3", source="import", **kw
    )


def test_bulk_create_without_the_checked_flag_rejects_what_only_a_kind_would_have_caught(cast):  # type: ignore[no-untyped-def]
    drafts = [
        draft(cast, 1, facts="违法事实\x00<script>alert(1)</script>"),  # control character
        draft(cast, 2, amount_fine=Decimal("-1")),  # negative amount
        draft(cast, 3, amount_confiscated="1.1234567"),  # too many places, and not even a Decimal
        draft(cast, 4, document_number="  ", authority_name="'; DROP TABLE records_creditrecord; --"),
        draft(cast, 5),
    ]
    result = _bulk(cast, drafts)
    rejected = {(r.index, r.field) for r in result.rejected}
    assert rejected == {(0, "facts"), (1, "amount_fine"), (2, "amount_confiscated"), (3, "document_number")}
    assert result.created == 1


def test_bulk_create_with_the_checked_flag_still_checks_what_kinds_do_not(cast):  # type: ignore[no-untyped-def]
    drafts = [
        draft(cast, 1, authority_uscc="91350100M000100Y4Z"),  # wrong check digit
        draft(cast, 2, document_number=""),  # missing
        draft(cast, 3, content="长" * (services.TEXT_MAX + 1)),  # a composed text that outgrew the field
        draft(cast, 4, conduct_date=TODAY, decision_date=TODAY - dt.timedelta(days=10)),  # conduct after decision
        draft(cast, 5, severity="bogus"),
        draft(cast, 6, decision_date=dt.datetime(2025, 1, 1, 8, 0)),  # not a date
        draft(cast, 7),
        draft(cast, 7),  # duplicate within the batch
    ]
    result = _bulk(cast, drafts, checked=True)
    assert {(r.index, r.field) for r in result.rejected} == {(0, "authority_uscc"), (1, "document_number"),
                                                            (2, "content"), (3, "conduct_date"), (4, "severity"),
                                                            (5, "decision_date"), (7, "document_number")}  # fmt: skip
    [record] = CreditRecord.objects.filter(batch_number="B3")
    assert record.source_row == 8 and record.publicity_max_end is not None  # the window is computed as ever


def test_bulk_create_stores_the_same_record_with_and_without_the_checked_flag(cast):  # type: ignore[no-untyped-def]
    plain = _bulk(cast, [draft(cast, 1, amount_fine=Decimal("2.5"), facts="事实")])
    trusted = services.record_bulk_create(
        actor=SYSTEM,
        drafts=[draft(cast, 2, amount_fine=Decimal("2.5"), facts="事实")],
        supplier=cast.nj_credit,
        batch_number="B4",
        source="import",
        checked=True,
    )
    skip = {"id", "number", "document_number", "natural_key", "batch_number", "source_row", "created_at",
            "updated_at"}  # fmt: skip
    a, b = (
        {k: v for k, v in CreditRecord.objects.filter(pk=r.first_id).values().get().items() if k not in skip}
        for r in (plain, trusted)
    )
    assert a == b


def test_bulk_create_refuses_a_missing_batch_number(cast):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        services.record_bulk_create(actor=SYSTEM, drafts=[], supplier=cast.nj_credit, batch_number="", source="import")


def test_a_correction_keeps_the_old_version_and_recomputes_the_window(cast):  # type: ignore[no-untyped-def]
    record = services.record_create(actor=SYSTEM, **record_kwargs(cast, decision_date=dt.date(2026, 3, 31)))
    assert record.rule_version == "ndrc-58"
    corrected = services.record_correct(
        actor=SYSTEM,
        record=record,
        changes={"decision_date": dt.date(2026, 4, 1), "severity": "serious"},
        reason="决定日期录入错误",
    )
    assert corrected.version == 2 and corrected.rule_version == "ndrc-36"
    assert corrected.publicity_max_end == dt.date(2029, 4, 1)
    old = CreditRecordVersion.objects.get(record=record)
    assert old.version == 1 and old.data["decision_date"] == "2026-03-31" and old.data["severity"] == "general"
    assert sorted(old.changed_fields) == ["decision_date", "severity"]
    [payload] = events("record.corrected")
    assert payload["window_changed"] and payload["version"] == 2


def test_a_correction_without_change_reason_or_allowed_field_is_refused(cast):  # type: ignore[no-untyped-def]
    record = services.record_create(actor=SYSTEM, **record_kwargs(cast))
    for changes, reason in (({"facts": record.facts}, "x"), ({"facts": "新"}, ""), ({"subject_kind": "person"}, "x")):
        with pytest.raises(ValidationError):
            services.record_correct(actor=SYSTEM, record=record, changes=changes, reason=reason)
    assert not CreditRecordVersion.objects.exists()


def test_revoke_and_repair_change_status_with_events(cast):  # type: ignore[no-untyped-def]
    a = services.record_create(actor=SYSTEM, **record_kwargs(cast, decision_date=TODAY - dt.timedelta(days=200)))
    services.record_repair(actor=SYSTEM, record=a, reason="已整改", reference="信用修复〔2025〕1号")
    a.refresh_from_db()
    assert a.status == RecordStatus.REPAIRED and a.status_reference == "信用修复〔2025〕1号"
    services.record_revoke(actor=SYSTEM, record=a, reason="决定被复议撤销")
    a.refresh_from_db()
    assert a.status == RecordStatus.REVOKED
    with pytest.raises(ValidationError):
        services.record_revoke(actor=SYSTEM, record=a, reason="再撤销")
    assert [e["record_id"] for e in events("record.repaired")] == [a.pk]
    assert [e["record_id"] for e in events("record.revoked")] == [a.pk]


def test_repair_waits_for_the_day_after_the_minimum(cast):  # type: ignore[no-untyped-def]
    record = services.record_create(actor=SYSTEM, **record_kwargs(cast, decision_date=TODAY - dt.timedelta(days=5)))
    assert record.publicity_min_end is not None
    with pytest.raises(ValidationError):
        services.record_repair(actor=SYSTEM, record=record, reason="r", reference="x", today=record.publicity_min_end)
    services.record_repair(
        actor=SYSTEM, record=record, reason="r", reference="x", today=record.publicity_min_end + dt.timedelta(days=1)
    )


def test_expire_ends_a_record_only_after_its_maximum(cast):  # type: ignore[no-untyped-def]
    record = services.record_create(actor=SYSTEM, **record_kwargs(cast, decision_date=TODAY - dt.timedelta(days=30)))
    end = record.publicity_max_end
    with pytest.raises(ValidationError):
        services.record_expire(actor=SYSTEM, record=record, today=end)
    services.record_expire(actor=SYSTEM, record=record, today=end + dt.timedelta(days=1))
    record.refresh_from_db()
    assert record.status == RecordStatus.PUBLICITY_ENDED
    assert [e["record_id"] for e in events("record.expired")] == [record.pk]


def test_the_authority_code_is_normalised_before_it_enters_the_natural_key(cast):  # type: ignore[no-untyped-def]
    code = make_uscc(501, area="320100")
    record = services.record_create(actor=SYSTEM, **record_kwargs(cast, authority_uscc=" " + code.lower() + " "))
    assert record.authority_uscc == code
    assert (
        services.find_current(
            services.natural_key_for(subject=cast.xw_edu, document_number="宁市监罚〔2025〕12号", authority_uscc=code)
        )
        == record
    )
