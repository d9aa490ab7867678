"""core's sweep steps (discovered by `govtrust sweep`)."""

from __future__ import annotations

import datetime

from govtrust.core import events
from govtrust.core.sweep import sweep_step


@sweep_step("events.redeliver", order=10)
def redeliver_events(run_date: datetime.date) -> dict[str, int]:
    """Deliver outbox events that are still undelivered (a process died, or a subscriber failed)."""
    delivered = events.deliver_pending()
    remaining = events.OutboxEvent.objects.filter(delivered_at__isnull=True).count()
    return {"delivered": delivered, "undelivered": remaining}
