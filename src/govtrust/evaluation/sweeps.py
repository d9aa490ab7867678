"""The daily monitoring step: evaluate every active alert rule and raise the alerts not raised yet.

Runs after the records lifecycle (order 300), so counts of overdue items see today's transitions. Idempotent:
an alert exists at most once per rule, unit and period (`services.alerts_evaluate`)."""

from __future__ import annotations

import datetime
from typing import Any

from govtrust.core.sweep import sweep_step
from govtrust.evaluation.services import alerts_evaluate


@sweep_step("evaluation.alerts", order=800)
def evaluation_alerts(run_date: datetime.date) -> dict[str, Any]:
    return alerts_evaluate(run_date=run_date)
