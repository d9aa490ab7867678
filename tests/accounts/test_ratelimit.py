from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from govtrust.accounts.models import RateLimitBucket
from govtrust.accounts.ratelimit import rate_limit_take

REPO = Path(__file__).resolve().parents[2]
T = 1_700_000_000.0  # a Unix time we control


@pytest.mark.django_db
def test_a_new_bucket_starts_full_and_denies_the_first_call_over_capacity():
    results = [rate_limit_take(key="k", capacity=3, now=T) for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert results[-1].retry_after == 20


@pytest.mark.django_db
def test_it_refills_at_capacity_per_minute_and_never_beyond_capacity():
    for _ in range(3):
        rate_limit_take(key="k", capacity=3, now=T)
    assert not rate_limit_take(key="k", capacity=3, now=T + 19.9).allowed
    assert rate_limit_take(key="k", capacity=3, now=T + 20.0).allowed
    assert not rate_limit_take(key="k", capacity=3, now=T + 20.0).allowed
    # An hour idle refills to 3, not to 180.
    assert [rate_limit_take(key="k", capacity=3, now=T + 3600).allowed for _ in range(4)] == [True, True, True, False]


@pytest.mark.django_db
def test_buckets_are_independent_per_key():
    assert rate_limit_take(key="a", capacity=1, now=T).allowed
    assert not rate_limit_take(key="a", capacity=1, now=T).allowed
    assert rate_limit_take(key="b", capacity=1, now=T).allowed


@pytest.mark.django_db
def test_a_clock_stepping_back_does_not_drain_or_refill_the_bucket():
    rate_limit_take(key="k", capacity=2, now=T)
    assert rate_limit_take(key="k", capacity=2, now=T - 300).allowed
    assert not rate_limit_take(key="k", capacity=2, now=T - 300).allowed
    assert RateLimitBucket.objects.get(key="k").updated_at == T


@pytest.mark.django_db
def test_a_lowered_capacity_takes_effect_at_once():
    rate_limit_take(key="k", capacity=100, now=T)
    assert [rate_limit_take(key="k", capacity=2, now=T + 1).allowed for _ in range(3)] == [True, True, False]


def _subprocess_database_url(tmp: Path) -> str:
    """A database URL other processes can open: the test database itself, or a fresh SQLite file."""
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    # The SQLite test database lives in this process's memory (and its shared-cache mode fails concurrent
    # writers at once instead of waiting); give the workers a migrated file, as in production.
    url = f"sqlite:///{tmp / 'ratelimit.sqlite3'}"
    subprocess.run(
        [sys.executable, "-m", "govtrust.cli", "migrate", "accounts", "-v", "0"],
        env=_env(url),
        cwd=REPO,
        check=True,
        timeout=300,
    )
    return url


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "PYTHONPATH": str(REPO / "src"),
        "DJANGO_SETTINGS_MODULE": "govtrust.settings",
    }


# Each worker process runs three threads (each with its own database connection, as Django gives every
# thread one), so the test races processes and threads at once. One token an hour: nothing refills.
WORKER = """
import sys, threading, time, django
django.setup()
from django.db import connections
from govtrust.accounts.ratelimit import rate_limit_take
start, attempts = float(sys.argv[1]), int(sys.argv[2])
counts = []
def run():
    time.sleep(max(0.0, start - time.time()))
    counts.append(sum(rate_limit_take(key="race", capacity=12, per_seconds=3600 * 12).allowed for _ in range(attempts)))
    connections.close_all()
threads = [threading.Thread(target=run) for _ in range(3)]
[t.start() for t in threads]
[t.join() for t in threads]
assert len(counts) == 3, counts
print(sum(counts))
"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_four_processes_of_three_threads_cannot_take_more_tokens_than_the_bucket_holds():
    with tempfile.TemporaryDirectory() as tmp:
        url = _subprocess_database_url(Path(tmp))
        start = time.time() + 3.0  # let every interpreter start, then go at once
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(start), "8"],
                env=_env(url),
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        outputs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), [err for _out, err in outputs]
        counts = [int(out.strip().splitlines()[-1]) for out, _err in outputs]
    assert sum(counts) == 12, counts


# --- leases (the API clients' path) -------------------------------------------------------------------

from govtrust.accounts.policy import rate_lease_size  # noqa: E402
from govtrust.accounts.ratelimit import rate_leases_forget, rate_limit_take_leased  # noqa: E402


def test_a_lease_is_one_percent_of_the_capacity_at_most_a_hundred_and_none_for_small_limits():
    assert [rate_lease_size(c) for c in (1, 60, 199, 200, 1000, 10_000, 100_000)] == [1, 1, 1, 2, 10, 100, 100]


@pytest.mark.django_db
def test_a_process_spends_its_lease_without_writing_to_the_bucket():
    assert rate_limit_take_leased(key="k", capacity=1000, now=T).allowed
    assert RateLimitBucket.objects.get(key="k").tokens == 990  # one for this call, nine leased
    for _ in range(9):
        assert rate_limit_take_leased(key="k", capacity=1000, now=T + 0.5).allowed
    assert RateLimitBucket.objects.get(key="k").tokens == 990
    assert rate_limit_take_leased(key="k", capacity=1000, now=T + 0.5).allowed  # lease spent: a new one
    assert RateLimitBucket.objects.get(key="k").tokens == pytest.approx(990 + 0.5 * 1000 / 60 - 10)


@pytest.mark.django_db
def test_an_expired_leases_unspent_tokens_go_back_to_the_bucket():
    rate_limit_take_leased(key="k", capacity=1000, now=T)  # 9 spare, expiring at T + 1
    rate_limit_take_leased(key="k", capacity=1000, now=T + 0.2)  # 8 spare
    # Expired: the 8 go back in the same statement that takes the next lease of 10.
    assert rate_limit_take_leased(key="k", capacity=1000, now=T + 1.2).allowed
    assert RateLimitBucket.objects.get(key="k").tokens == pytest.approx(min(1000, 990 + 1.2 * 1000 / 60 + 8) - 10)


@pytest.mark.django_db
def test_leases_never_let_a_client_exceed_its_limit_even_across_processes():
    allowed = 0
    for n in range(400):
        if n % 7 == 0:
            rate_leases_forget()  # another process (or a restart): its leased tokens are simply lost
        allowed += rate_limit_take_leased(key="k", capacity=300, now=T).allowed
    assert allowed <= 300
    # Near the end the bucket no longer holds a whole lease: single tokens are taken, as without leases.
    rate_leases_forget()
    RateLimitBucket.objects.filter(key="k").update(tokens=2.0)
    assert [rate_limit_take_leased(key="k", capacity=300, now=T).allowed for _ in range(3)] == [True, True, False]


@pytest.mark.django_db
def test_a_refused_leased_call_says_when_to_retry():
    for _ in range(200):
        rate_limit_take_leased(key="k", capacity=200, now=T)
    decision = rate_limit_take_leased(key="k", capacity=200, now=T)
    assert not decision.allowed
    assert decision.retry_after >= 1
