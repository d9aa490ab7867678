"""core's background tasks (django-tasks; run by `govtrust db_worker --queue-name '*'`)."""

from __future__ import annotations

from django_tasks import task

from govtrust.core import events


@task()
def deliver_pending_events() -> int:
    """Deliver every outbox event that is still undelivered. Returns how many were delivered now."""
    return events.deliver_pending()


@task()
def redeliver_event(event_id: int) -> bool:
    """Retry one event whose delivery failed (scheduled with back-off by `events.deliver`)."""
    return events.deliver(event_id)


@task()
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email notifications created with `email=True`; enqueued after the creating transaction commits."""
    from govtrust.core.notifications import send_emails

    return send_emails(notification_ids)
