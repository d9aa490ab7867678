"""core's sweep steps (discovered by `govtrust sweep`)."""

from __future__ import annotations

import datetime

from govtrust.core import audit, events
from govtrust.core.sweep import sweep_step


@sweep_step("events.redeliver", order=10)
def redeliver_events(run_date: datetime.date) -> dict[str, int]:
    """Deliver outbox events that are still undelivered (a process died, or a subscriber failed)."""
    delivered = events.deliver_pending()
    remaining = events.OutboxEvent.objects.filter(delivered_at__isnull=True).count()
    return {"delivered": delivered, "undelivered": remaining}


@sweep_step("audit.checkpoint", order=900)
def audit_checkpoint(run_date: datetime.date) -> dict[str, int]:
    """Sign the head of each audit log, so that a later deletion of its tail is detected."""
    checkpoints = audit.write_checkpoints()
    return {checkpoint.log: checkpoint.row_count for checkpoint in checkpoints}
