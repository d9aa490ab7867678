"""core's background tasks (django-tasks; run by `govtrust db_worker --queue-name '*'`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django_tasks import task

from govtrust.core import events
from govtrust.core.jobs import job_progress, job_task
from govtrust.core.models import Job


@task()
def deliver_pending_events() -> int:
    """Deliver every outbox event that is still undelivered. Returns how many were delivered now."""
    return events.deliver_pending()


@task()
def redeliver_event(event_id: int) -> bool:
    """Deliver one event in the worker: a retry after a failed delivery (scheduled with back-off by
    `events.deliver`), or an event emitted with `in_worker=True`."""
    return events.deliver(event_id)


@task()
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email notifications created with `email=True`; enqueued after the creating transaction commits."""
    from govtrust.core.notifications import send_emails

    return send_emails(notification_ids)


@job_task
def verify_audit_logs(job: Job) -> dict[str, Any]:
    """Verify both audit logs (hash chain + checkpoints) in the background, reporting per log."""
    from govtrust.core.audit import LOGS, verify_chain

    result: dict[str, Any] = {}
    job_progress(job, current=0, total=len(LOGS), message=_("正在校验审计日志"))
    for done, log in enumerate(LOGS, 1):
        report = verify_chain(log)
        result[log] = {
            "ok": report.ok,
            "rows": report.rows,
            "checkpoints": report.checkpoints,
            "problems": [problem.message for problem in report.problems[:200]],
        }
        job_progress(job, current=done, message=_("已校验 %(log)s") % {"log": log})
    return result
