"""A token bucket per key in the database, shared by every server process and worker.

One conditional UPDATE both refills and takes a token:

    UPDATE bucket SET tokens = MIN(cap, tokens + elapsed * rate) - 1, updated_at = now
    WHERE key = %s AND MIN(cap, tokens + elapsed * rate) >= 1

so two processes can never spend the same token: SQLite serialises writers, and PostgreSQL re-checks
the WHERE clause against the row a concurrent transaction just committed (READ COMMITTED). No
select_for_update, no cache server. The happy path is one statement, written as plain SQL because the
ORM's expression building cost more than the statement itself (~1 ms of a 2 ms API call).

`rate_limit_take_leased` is the API clients' path: a process takes a small lease of tokens
(`policy.rate_lease_size`, ≤ 1% of the capacity, for ≤ 1 s) in that one statement and spends them
locally, so a busy client is not one write on one shared row per call (which serialises every worker).
Unspent tokens of an expired lease go back to the bucket in the next statement, so the limit is never
exceeded; at worst a process idle after a lease keeps ≤ 1% of the capacity away until its next call.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import cache

from django.db import IntegrityError, connection, transaction

from govtrust.accounts.models import RateLimitBucket
from govtrust.accounts.policy import RATE_LEASE_SECONDS, bucket_wait_seconds, rate_lease_size


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: int = 0  # whole seconds, for the Retry-After header, when not allowed


@cache
def _take_sql(vendor: str) -> str:
    """The take statement for this database (built once: it runs on every API call that needs a lease)."""
    table = connection.ops.quote_name(RateLimitBucket._meta.db_table)
    least, greatest = ("LEAST", "GREATEST") if vendor == "postgresql" else ("MIN", "MAX")
    # available = what the bucket holds now (refilled since updated_at, capped) plus tokens given back.
    available = f"{least}(%s, tokens + {greatest}(%s - updated_at, 0) * %s + %s)"
    return (
        f"UPDATE {table} SET tokens = {available} - %s, updated_at = {greatest}(updated_at, %s) "  # noqa: S608
        f"WHERE {connection.ops.quote_name('key')} = %s AND {available} >= %s"
    )


def _take(*, key: str, capacity: int, rate: float, now: float, count: int, give_back: int = 0) -> bool:
    """Take `count` tokens (after returning `give_back`) if the bucket holds them; False if it does not
    or does not exist yet."""
    available = [float(capacity), now, rate, float(give_back)]
    with connection.cursor() as cursor:
        cursor.execute(_take_sql(connection.vendor), [*available, float(count), now, key, *available, float(count)])
        return cursor.rowcount == 1


def _create_full(*, key: str, capacity: int, count: int, now: float) -> bool:
    """First use of a key: the bucket is created full minus what this call takes. False if another
    process created it first (then take from it like everyone else)."""
    try:
        with transaction.atomic():
            RateLimitBucket.objects.create(key=key, tokens=float(capacity - count), updated_at=now)
        return True
    except IntegrityError:
        return False


def rate_limit_take(
    *, key: str, capacity: int, per_seconds: float = 60.0, now: float | None = None, give_back: int = 0
) -> RateDecision:
    """Take one token from the bucket `key`, which holds `capacity` tokens and refills them every `per_seconds`.

    `now` (Unix seconds) is for tests; production uses the clock. Buckets are created full on first use.
    `give_back`: tokens this process took earlier and did not spend (an expired lease), returned first.
    """
    now = time.time() if now is None else now
    rate = capacity / per_seconds
    if _take(key=key, capacity=capacity, rate=rate, now=now, count=1, give_back=give_back):
        return RateDecision(True)
    row = RateLimitBucket.objects.filter(key=key).values_list("tokens", "updated_at").first()
    if row is None:
        if _create_full(key=key, capacity=capacity, count=1, now=now):
            return RateDecision(True)
        return rate_limit_take(key=key, capacity=capacity, per_seconds=per_seconds, now=now, give_back=give_back)
    tokens, updated_at = row
    wait = bucket_wait_seconds(tokens=tokens, updated_at=updated_at, capacity=capacity, per_second=rate, now=now)
    return RateDecision(False, wait)


@dataclass
class _Lease:
    tokens: int
    expires: float  # Unix seconds


_leases: dict[str, _Lease] = {}
_leases_lock = threading.Lock()  # gthread workers serve several requests of one client at once


def rate_limit_take_leased(
    *, key: str, capacity: int, per_seconds: float = 60.0, now: float | None = None
) -> RateDecision:
    """`rate_limit_take` for busy callers: spend a token of this process's lease, or take a new lease
    (one statement that also returns an expired lease's unspent tokens). Near the limit, when the bucket
    no longer holds a whole lease, it falls back to taking single tokens — exact, as `rate_limit_take`."""
    now = time.time() if now is None else now
    size = rate_lease_size(capacity)
    with _leases_lock:
        lease = _leases.pop(key, None)
        if lease is not None and lease.expires > now and lease.tokens > 0:
            lease.tokens -= 1
            _leases[key] = lease
            return RateDecision(True)
    give_back = lease.tokens if lease is not None else 0
    if size > 1:
        rate = capacity / per_seconds
        took = _take(key=key, capacity=capacity, rate=rate, now=now, count=size, give_back=give_back)
        if not took and not give_back and not RateLimitBucket.objects.filter(key=key).exists():
            took = _create_full(key=key, capacity=capacity, count=size, now=now)
        if took:
            with _leases_lock:
                held = _leases.pop(key, None)  # another thread's lease meanwhile: keep both
                spare = size - 1 + (held.tokens if held is not None and held.expires > now else 0)
                _leases[key] = _Lease(spare, now + RATE_LEASE_SECONDS)
            return RateDecision(True)
    return rate_limit_take(key=key, capacity=capacity, per_seconds=per_seconds, now=now, give_back=give_back)


def rate_leases_forget() -> None:
    """Drop this process's leases without returning them (tests; a client whose limit was changed)."""
    with _leases_lock:
        _leases.clear()
