"""Event subscribers (imported from AppConfig.ready). Each is idempotent: a record has at most one case
(unique), an incentive at most one row per record and code, and a lifted case is left as it is."""

from __future__ import annotations

import datetime

from govtrust.core.events import subscribe
from govtrust.core.models import OutboxEvent
from govtrust.core.periods import EVENT_YEAR_ENTERED
from govtrust.records.models import CreditRecord, RecordStatus
from govtrust.records.policy import POSITIVE_CLASSES
from govtrust.sanctions import services


def _run_date(event: OutboxEvent) -> datetime.date | None:
    value = event.payload.get("run_date")
    return datetime.date.fromisoformat(value) if value else None


def _in_force(record_id: int, record_class: str, event: OutboxEvent, *, notify_now: bool = True) -> None:
    today = _run_date(event)
    if record_class in POSITIVE_CLASSES:
        services.incentives_grant_for_record(record_id=record_id, today=today)
    else:
        services.case_open_for_record(record_id=record_id, source_event_id=event.pk, today=today, notify_now=notify_now)


@subscribe("record.in_force")
def on_record_in_force(event: OutboxEvent) -> None:
    payload = event.payload
    if payload.get("covered"):
        return  # a fault-tolerance ruling covers it: never a sanction
    _in_force(int(payload["record_id"]), str(payload.get("record_class", "")), event)


@subscribe("records.batch_in_force")
def on_batch_in_force(event: OutboxEvent) -> None:
    # docs/records.md: read the batch's records and keep those in force and not covered. One notification per
    # case would flood the inbox for a large import: the daily digest reports the cases awaiting decision.
    payload = event.payload
    rows = (
        CreditRecord.objects.filter(
            batch_number=payload["batch_number"],
            pk__gte=payload["first_id"],
            pk__lte=payload["last_id"],
            status=RecordStatus.IN_FORCE,
            covered_by__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", "record_class")
    )
    for record_id, record_class in rows.iterator(chunk_size=2000):
        _in_force(record_id, record_class, event, notify_now=False)


def _lift(event: OutboxEvent) -> None:
    record_id = int(event.payload["record_id"])
    today = _run_date(event)
    services.case_lift_for_record(record_id=record_id, event_name=event.name, today=today)
    services.incentives_lift_for_record(record_id=record_id, event_name=event.name, today=today)


subscribe("record.repaired")(_lift)
subscribe("record.revoked")(_lift)
subscribe("record.expired")(_lift)
subscribe("record.covered")(_lift)


@subscribe("record.corrected")
def on_record_corrected(event: OutboxEvent) -> None:
    """A correction that brings the record under a fault-tolerance ruling lifts its sanctions like `covered`."""
    if event.payload.get("covered"):
        record_id = int(event.payload["record_id"])
        services.case_lift_for_record(record_id=record_id, event_name="record.covered")
        services.incentives_lift_for_record(record_id=record_id, event_name="record.covered")


@subscribe(EVENT_YEAR_ENTERED)
def on_calendar_year_entered(event: OutboxEvent) -> None:
    services.order_recompute_provisional(year=int(event.payload["year"]))
