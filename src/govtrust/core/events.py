"""Domain events through an outbox.

    emit("record.in_force", {"record_id": 42})          # inside a service's transaction

    @subscribe("record.in_force")
    def propose_measures(event: OutboxEvent) -> None:   # idempotent: may run more than once
        ...

The event row commits with the change; after commit it is delivered to every subscriber. If the
process dies first, `deliver_pending()` (run by the worker / sweep) delivers it later.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from govtrust.core.models.events import OutboxEvent

logger = logging.getLogger(__name__)

Subscriber = Callable[[OutboxEvent], None]
_subscribers: dict[str, list[Subscriber]] = defaultdict(list)

# A claim older than this is taken to belong to a dead deliverer and may be re-claimed.
CLAIM_TIMEOUT = datetime.timedelta(minutes=5)


def subscribe(name: str) -> Callable[[Subscriber], Subscriber]:
    """Register a subscriber for event `name` (call at import time, e.g. in an AppConfig.ready)."""

    def register(func: Subscriber) -> Subscriber:
        if func not in _subscribers[name]:
            _subscribers[name].append(func)
        return func

    return register


def subscribers_for(name: str) -> list[Subscriber]:
    return list(_subscribers.get(name, ()))


def emit(name: str, payload: dict[str, Any]) -> OutboxEvent:
    """Write an event in the current transaction; it is delivered after the transaction commits."""
    event = OutboxEvent.objects.create(name=name, payload=payload)
    transaction.on_commit(lambda: deliver(event.pk), robust=True)
    return event


def deliver(event_id: int) -> bool:
    """Claim one event and run its subscribers. Returns True when this call delivered it."""
    now = timezone.now()
    claimed = (
        OutboxEvent.objects.filter(pk=event_id, delivered_at__isnull=True)
        .filter(claimed_at__isnull=True)
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    if claimed == 0:
        stale = OutboxEvent.objects.filter(
            pk=event_id, delivered_at__isnull=True, claimed_at__lt=now - CLAIM_TIMEOUT
        ).update(claimed_at=now, attempts=F("attempts") + 1)
        if stale == 0:
            return False
    event = OutboxEvent.objects.get(pk=event_id)
    try:
        with transaction.atomic():
            for subscriber in subscribers_for(event.name):
                subscriber(event)
    except Exception as exc:  # a failing subscriber must not lose the event: release it for a retry
        logger.exception("delivery of %s failed", event)
        OutboxEvent.objects.filter(pk=event_id).update(claimed_at=None, last_error=repr(exc)[:2000])
        return False
    OutboxEvent.objects.filter(pk=event_id).update(delivered_at=timezone.now(), last_error="")
    return True


def deliver_pending(*, limit: int = 1000) -> int:
    """Deliver events left undelivered (the process died, or a subscriber failed). Returns how many."""
    ids = list(
        OutboxEvent.objects.filter(delivered_at__isnull=True).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    return sum(1 for event_id in ids if deliver(event_id))
