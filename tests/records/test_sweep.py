"""The lifecycle sweep step: starts publicity, ends it after the maximum, idempotent, reports counts."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from registry.builders import SYSTEM

from govtrust.core.models import OutboxEvent
from govtrust.core.sweep import run_sweep
from govtrust.records import services
from govtrust.records.models import CreditRecord, RecordStatus
from govtrust.records.sweeps import records_lifecycle

from .conftest import record_kwargs

TODAY = timezone.localdate()


def test_the_sweep_starts_and_ends_publicity_and_a_second_run_changes_nothing(cast):  # type: ignore[no-untyped-def]
    future = services.record_create(actor=SYSTEM, **record_kwargs(cast, decision_date=TODAY + dt.timedelta(days=2)))
    live = services.record_create(
        actor=SYSTEM,
        **record_kwargs(cast, document_number="宁罚〔2026〕5号", decision_date=TODAY - dt.timedelta(days=3)),
    )
    forever = services.record_create(
        actor=SYSTEM,
        **record_kwargs(
            cast,
            document_number="(2026)苏01执1号",
            record_class="defaulter",
            severity="",
            sub_type="trigger_1",
            decision_date=TODAY - dt.timedelta(days=3),
        ),  # fmt: skip
    )
    assert future.status == RecordStatus.RECEIVED and live.status == RecordStatus.IN_FORCE
    start_day = future.publicity_start
    # On the start day the received record goes in force; nothing ends yet.
    assert records_lifecycle(start_day) == {"run_date": start_day.isoformat(), "started": 1, "ended": 0}
    assert records_lifecycle(start_day) == {"run_date": start_day.isoformat(), "started": 0, "ended": 0}
    # On the last day of the maximum the record is still in force; the day after it ends.
    last = live.publicity_max_end
    assert records_lifecycle(last)["ended"] == 0
    assert records_lifecycle(last + dt.timedelta(days=1))["ended"] == 1
    assert records_lifecycle(last + dt.timedelta(days=1))["ended"] == 0
    live.refresh_from_db()
    forever.refresh_from_db()
    assert live.status == RecordStatus.PUBLICITY_ENDED and forever.status == RecordStatus.IN_FORCE
    assert [e.payload["record_id"] for e in OutboxEvent.objects.filter(name="record.expired")] == [live.pk]
    in_force_ids = [e.payload["record_id"] for e in OutboxEvent.objects.filter(name="record.in_force")]
    assert in_force_ids.count(future.pk) == 1


def test_the_step_is_registered_with_the_daily_sweep(cast):  # type: ignore[no-untyped-def]
    record = services.record_create(actor=SYSTEM, **record_kwargs(cast, decision_date=TODAY - dt.timedelta(days=3)))
    day_after = record.publicity_max_end + dt.timedelta(days=1)
    outcomes = {o.step: o for o in run_sweep(day_after, only=["records.lifecycle"])}
    assert outcomes["records.lifecycle"].status == "done"
    assert outcomes["records.lifecycle"].result["ended"] == 1
    assert CreditRecord.objects.get().status == RecordStatus.PUBLICITY_ENDED
    # The same date again: the sweep framework skips it, and the step itself would change nothing.
    assert run_sweep(day_after, only=["records.lifecycle"])[0].status == "skipped"
