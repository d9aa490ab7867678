"""The daily lifecycle step: start publicity, end it at the maximum, report what changed.

Set-based: each transition is one conditional UPDATE per chunk of ids (`WHERE status = old AND <date test>`),
so it is fast for millions of rows and a second run on the same day finds nothing left to change. Events:
one `record.in_force` per record put in force (only future-dated decisions start late: few) and one
`record.expired` per record whose publication ended. The audit trail gets one row per step run with the counts.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from govtrust.core.audit import log_change
from govtrust.core.events import emit
from govtrust.core.sweep import sweep_step
from govtrust.records.models import ChangeType, CreditRecord, RecordStatus
from govtrust.records.services import EVENT_EXPIRED, EVENT_IN_FORCE, _record_payload, records_changed

CHUNK = 1000
SYSTEM = "system"


def _move(candidates: Q, source: str, target: str, event: str, run_date: datetime.date) -> int:
    """Move every record matching `candidates` from `source` to `target`, chunk by chunk, one event each."""
    moved = 0
    base = CreditRecord.objects.filter(candidates, status=source)
    while True:
        with transaction.atomic():
            ids = list(base.order_by("pk").values_list("pk", flat=True)[:CHUNK])
            if not ids:
                return moved
            now = timezone.now()
            changed = base.filter(pk__in=ids).update(status=target, updated_at=now)
            # Whatever another writer changed in between is excluded by the status condition; announce
            # exactly the rows that are now in the target state and were in this chunk.
            done = list(CreditRecord.objects.filter(pk__in=ids, status=target, updated_at=now)) if changed else []
            records_changed(done, ChangeType.IN_FORCE if target == RecordStatus.IN_FORCE else ChangeType.EXPIRED)
            for record in done:
                emit(event, {**_record_payload(record), "run_date": run_date.isoformat()})
            moved += changed


@sweep_step("records.lifecycle", order=300)
def records_lifecycle(run_date: datetime.date) -> dict[str, Any]:
    started = _move(Q(publicity_start__lte=run_date), RecordStatus.RECEIVED, RecordStatus.IN_FORCE, EVENT_IN_FORCE,
                    run_date)  # fmt: skip
    ended = _move(
        Q(publicity_max_end__lt=run_date), RecordStatus.IN_FORCE, RecordStatus.PUBLICITY_ENDED, EVENT_EXPIRED, run_date
    )
    result = {"run_date": run_date.isoformat(), "started": started, "ended": ended}
    if started or ended:
        with transaction.atomic():
            log_change(
                actor=None,
                action="transition",
                message="records.lifecycle",
                object_type="records.creditrecord",
                object_id=run_date.isoformat(),
                object_repr=f"records.lifecycle {run_date.isoformat()}",
                after=result,
            )
    return result
