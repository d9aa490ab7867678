"""screening's sweep steps (discovered by `govtrust sweep`)."""

from __future__ import annotations

import datetime

from govtrust.core.sweep import sweep_step
from govtrust.screening.index import delta_size, snapshot_build
from govtrust.screening.models import IndexSnapshot


@sweep_step("screening.index", order=800)
def rebuild_index(run_date: datetime.date) -> dict[str, object]:
    """Fold the day's changes into a fresh snapshot, so each worker's in-memory delta starts empty again."""
    newest = IndexSnapshot.objects.order_by("-pk").first()
    changed = delta_size(newest) if newest is not None else None
    if changed == 0:
        return {"snapshot": newest.name if newest else "", "rebuilt": False}
    snapshot = snapshot_build()
    return {"snapshot": snapshot.name, "rebuilt": True, "entries": snapshot.entries, "changed": changed}


@sweep_step("screening.pledges_overdue", order=810)
def flag_overdue_pledges(run_date: datetime.date) -> dict[str, object]:
    """Remind officers of credit pledges past their fulfilment-check date (once per pledge)."""
    from govtrust.screening.pledge_services import pledges_flag_overdue

    return {"flagged": pledges_flag_overdue(run_date=run_date)}
