"""Keep the GOVTRUST list in step with the credit records (docs/records.md, "Events").

A record entering force, or leaving it (repaired, revoked, expired, covered by a fault-tolerance ruling,
corrected), re-syncs the list; the sync is idempotent, so at-least-once delivery is fine.
"""

from __future__ import annotations

from types import SimpleNamespace

from govtrust.core.events import subscribe
from govtrust.core.models.events import OutboxEvent

SYSTEM = SimpleNamespace(username="system:screening", is_authenticated=False)
RECORD_EVENTS = (
    "record.in_force",
    "records.batch_in_force",
    "record.corrected",
    "record.revoked",
    "record.repaired",
    "record.expired",
    "record.covered",
)


def _sync(event: OutboxEvent) -> None:
    """Sync only the event's record, or its batch's records: a full comparison per event would read every
    record each time (a sweep that ends 5,000 publicities raises 5,000 events)."""
    from django.db.models import Q

    from govtrust.screening.services import govtrust_list_sync

    payload = event.payload
    if "record_id" in payload:
        only = Q(pk=payload["record_id"])
    elif "batch_number" in payload:
        only = Q(batch_number=payload["batch_number"], pk__gte=payload.get("first_id") or 0,
                 pk__lte=payload.get("last_id") or 0)  # fmt: skip
    else:
        only = None
    govtrust_list_sync(actor=SYSTEM, records=only)


for _name in RECORD_EVENTS:
    subscribe(_name)(_sync)
