"""A token bucket per key in the database, shared by every server process and worker.

One conditional UPDATE both refills and takes a token:

    UPDATE bucket SET tokens = MIN(cap, tokens + elapsed * rate) - 1, updated_at = now
    WHERE key = %s AND MIN(cap, tokens + elapsed * rate) >= 1

so two processes can never spend the same token: SQLite serialises writers, and PostgreSQL re-checks
the WHERE clause against the row a concurrent transaction just committed (READ COMMITTED). No
select_for_update, no cache server. The happy path is one statement.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, FloatField, Value
from django.db.models.functions import Greatest, Least
from django.db.models.lookups import GreaterThanOrEqual

from govtrust.accounts.models import RateLimitBucket
from govtrust.accounts.policy import bucket_wait_seconds


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: int = 0  # whole seconds, for the Retry-After header, when not allowed


def rate_limit_take(*, key: str, capacity: int, per_seconds: float = 60.0, now: float | None = None) -> RateDecision:
    """Take one token from the bucket `key`, which holds `capacity` tokens and refills them every `per_seconds`.

    `now` (Unix seconds) is for tests; production uses the clock. Buckets are created full on first use.
    """
    now = time.time() if now is None else now
    rate = capacity / per_seconds
    cap = Value(float(capacity), output_field=FloatField())
    # A clock that steps back (another host, NTP) must not drain the bucket: elapsed is never negative.
    elapsed = Greatest(Value(now, output_field=FloatField()) - F("updated_at"), Value(0.0, output_field=FloatField()))
    available = Least(cap, F("tokens") + elapsed * Value(rate, output_field=FloatField()))
    taken = (
        RateLimitBucket.objects.filter(key=key)
        .filter(GreaterThanOrEqual(available, Value(1.0, output_field=FloatField())))
        .update(
            tokens=available - Value(1.0, output_field=FloatField()),
            updated_at=Greatest(F("updated_at"), Value(now, output_field=FloatField())),
        )
    )
    if taken:
        return RateDecision(True)
    row = RateLimitBucket.objects.filter(key=key).values_list("tokens", "updated_at").first()
    if row is None:
        try:
            with transaction.atomic():
                RateLimitBucket.objects.create(key=key, tokens=float(capacity) - 1.0, updated_at=now)
            return RateDecision(True)
        except IntegrityError:
            # Another process created it between our UPDATE and INSERT: take from it like everyone else.
            return rate_limit_take(key=key, capacity=capacity, per_seconds=per_seconds, now=now)
    tokens, updated_at = row
    wait = bucket_wait_seconds(tokens=tokens, updated_at=updated_at, capacity=capacity, per_second=rate, now=now)
    return RateDecision(False, wait)
