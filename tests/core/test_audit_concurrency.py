"""Concurrent appends on PostgreSQL must neither fork the chain nor fail on the unique seq.

PostgreSQL ONLY: the test is skipped on SQLite, where BEGIN IMMEDIATE (settings.py) already
serialises writers and the in-memory test database cannot host several connections. CI runs the
suite on both databases, so this runs there.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings
from django.db import connections, transaction

from govtrust.core.audit import log_access, log_change, verify_chain
from govtrust.core.models import AccessLog, ObjectChange

pytestmark = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="PostgreSQL only: run with DATABASE_URL=postgres://… (CI does)",
)

THREADS = 8
PER_THREAD = 12


@pytest.mark.django_db(transaction=True)
def test_threads_appending_at_once_keep_one_unbroken_chain(audit_var):
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            barrier.wait()
            for i in range(PER_THREAD):
                # Each append in its own transaction, holding it open a moment after the audit row so
                # that the others really queue behind it.
                with transaction.atomic():
                    log_change(
                        actor=None,
                        action="create",
                        object_type="test.thread",
                        object_id=f"{number}-{i}",
                        object_repr=f"线程{number}",
                    )
                    if i % 3 == 0:
                        log_access(actor=None, subject_type="p", subject_id=str(number), subject_repr="x", purpose="p")
                    time.sleep(0.002)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = THREADS * PER_THREAD
    assert list(ObjectChange.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, total + 1))
    assert AccessLog.objects.count() == THREADS * len(range(0, PER_THREAD, 3))
    for log in ("object_change", "access_log"):
        report = verify_chain(log)
        assert report.ok, report.problems
