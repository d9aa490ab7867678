"""Domain events through an outbox.

    emit("record.in_force", {"record_id": 42})          # inside a service's transaction

    @subscribe("record.in_force")
    def propose_measures(event: OutboxEvent) -> None:   # idempotent: may run more than once
        ...

The event row commits with the change (a rolled-back service leaves no event); after commit it is
delivered to every subscriber in this process. Delivery is **at-least-once**: if the process dies
before delivery, or a subscriber raises, the event stays undelivered and is sent again — by a
deferred retry on the worker and by the daily `events.redeliver` sweep step. So every subscriber
must be idempotent: key its effect on `event.pk` (e.g. a unique constraint on the source event, or
"create only if missing").

All subscribers of one event run in one transaction: if any raises, the effects of all of them are
rolled back and the whole event is retried, so no subscriber sees a half-delivered event.

Two deliverers (the after-commit hook and the worker, or two workers) never run the subscribers of
one event at the same time: each first claims the event with a conditional UPDATE and checks the
row count. A claim older than CLAIM_TIMEOUT is taken to belong to a dead process and may be re-claimed.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from govtrust.core.models.events import OutboxEvent

logger = logging.getLogger(__name__)

Subscriber = Callable[[OutboxEvent], None]
_subscribers: dict[str, list[Subscriber]] = defaultdict(list)

# A claim older than this is taken to belong to a dead deliverer and may be re-claimed.
CLAIM_TIMEOUT = datetime.timedelta(minutes=5)
# Failed deliveries are retried on the worker after 1, 2, 4 … minutes, this many times; after that
# only the daily sweep retries them (and an operator reads last_error).
MAX_AUTOMATIC_RETRIES = 8


def subscribe(name: str) -> Callable[[Subscriber], Subscriber]:
    """Register a subscriber for event `name` (call at import time, e.g. from an AppConfig.ready)."""

    def register(func: Subscriber) -> Subscriber:
        if not any(known is func for known in _subscribers[name]):
            _subscribers[name].append(func)
        return func

    return register


def unsubscribe(name: str, func: Subscriber) -> None:
    """Remove a subscriber (for tests that register throw-away subscribers)."""
    _subscribers[name] = [known for known in _subscribers.get(name, ()) if known is not func]


def subscribers_for(name: str) -> list[Subscriber]:
    return list(_subscribers.get(name, ()))


def emit(name: str, payload: dict[str, Any], *, in_worker: bool = False) -> OutboxEvent:
    """Write an event in the current transaction; it is delivered after the transaction commits.

    By default the committing process delivers it at once. `in_worker=True` hands the delivery to the
    background worker instead — for events whose subscribers do bulk work (a batch of a million records),
    which must not hold up the import that raised them. Either way an undelivered event is re-sent.
    """
    event = OutboxEvent.objects.create(name=name, payload=payload)
    if in_worker:
        transaction.on_commit(lambda: _deliver_in_worker(event.pk), robust=True)
    else:
        transaction.on_commit(lambda: deliver(event.pk), robust=True)
    return event


def _deliver_in_worker(event_id: int) -> None:
    from govtrust.core.tasks import redeliver_event  # tasks import this module

    try:
        redeliver_event.enqueue(event_id)
    except Exception:  # the daily sweep re-sends undelivered events; never let scheduling break the caller
        logger.exception("could not hand event %s to the worker", event_id)


def claim(event_id: int) -> datetime.datetime | None:
    """Claim an undelivered event for delivery; returns the claim token, or None if someone else holds it."""
    now = timezone.now()
    claimed = (
        OutboxEvent.objects.filter(pk=event_id, delivered_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    return now if claimed == 1 else None


def deliver(event_id: int) -> bool:
    """Claim one event and run its subscribers. Returns True when this call delivered it."""
    token = claim(event_id)
    if token is None:
        return False
    # Every later write is conditional on our token: if our claim went stale and another deliverer
    # took over, we must not release or complete *its* claim.
    ours = OutboxEvent.objects.filter(pk=event_id, claimed_at=token)
    event = OutboxEvent.objects.get(pk=event_id)
    try:
        with transaction.atomic():
            for subscriber in subscribers_for(event.name):
                subscriber(event)
    except Exception as exc:  # a failing subscriber must not lose the event: release it for a retry
        logger.exception("delivery of %s failed (attempt %s)", event, event.attempts)
        ours.update(claimed_at=None, last_error=repr(exc)[:2000])
        _schedule_retry(event)
        return False
    ours.update(delivered_at=timezone.now(), last_error="")
    return True


def _schedule_retry(event: OutboxEvent) -> None:
    """Ask the worker to retry later, with exponential back-off, where the task backend can defer."""
    if event.attempts > MAX_AUTOMATIC_RETRIES:
        return
    from govtrust.core.tasks import redeliver_event  # tasks import this module

    if not redeliver_event.get_backend().supports_defer:  # the ImmediateBackend (tests) would recurse
        return
    delay = datetime.timedelta(minutes=2 ** (event.attempts - 1))
    try:
        redeliver_event.using(run_after=timezone.now() + delay).enqueue(event.pk)
    except Exception:  # the daily sweep still retries; never let scheduling break the caller
        logger.exception("could not schedule a retry of %s", event)


def deliver_pending(*, limit: int = 1000) -> int:
    """Deliver events left undelivered (the process died, or a subscriber failed). Returns how many."""
    ids = list(
        OutboxEvent.objects.filter(delivered_at__isnull=True).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    return sum(1 for event_id in ids if deliver(event_id))
