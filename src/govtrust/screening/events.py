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
    from govtrust.screening.services import govtrust_list_sync

    govtrust_list_sync(actor=SYSTEM)


for _name in RECORD_EVENTS:
    subscribe(_name)(_sync)
