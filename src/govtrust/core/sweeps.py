"""core's sweep steps (discovered by `govtrust sweep`)."""

from __future__ import annotations

import datetime

from govtrust.core import audit, events
from govtrust.core.ingest.services import remove_finished_staging_files
from govtrust.core.sweep import sweep_step


@sweep_step("events.redeliver", order=10)
def redeliver_events(run_date: datetime.date) -> dict[str, int]:
    """Deliver outbox events that are still undelivered (a process died, or a subscriber failed)."""
    delivered = events.deliver_pending()
    remaining = events.OutboxEvent.objects.filter(delivered_at__isnull=True).count()
    return {"delivered": delivered, "undelivered": remaining}


@sweep_step("ingest.staging_files", order=20)
def ingest_staging_files(run_date: datetime.date) -> dict[str, int]:
    """Remove staging files of finished import batches (a process that died between its publication's commit and
    the unlink leaves one; an unfinished batch keeps its file for the next run)."""
    return {"removed": remove_finished_staging_files()}


@sweep_step("audit.checkpoint", order=900)
def audit_checkpoint(run_date: datetime.date) -> dict[str, int]:
    """Sign the head of each audit log, so that a later deletion of its tail is detected."""
    checkpoints = audit.write_checkpoints()
    return {checkpoint.log: checkpoint.row_count for checkpoint in checkpoints}
