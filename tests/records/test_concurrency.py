"""Record numbers stay unique when many threads create records at once (real transactions, real locks)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone
from registry.builders import SYSTEM

from govtrust.records import services
from govtrust.records.models import CreditRecord

from .conftest import record_kwargs

THREADS = 6
PER_THREAD = 5


@pytest.mark.django_db(transaction=True)
def test_record_numbers_are_unique_under_concurrent_creation(cast):  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)
    recent = timezone.localdate() - dt.timedelta(days=3)

    def work(t: int) -> None:
        try:
            start.wait()
            for i in range(PER_THREAD):
                if i % 2:
                    draft_data = record_kwargs(cast, document_number=f"B{t}-{i}", decision_date=recent)
                    draft_data.pop("supplier"), draft_data.pop("source")
                    services.record_bulk_create(
                        actor=SYSTEM,
                        drafts=[services.RecordDraft(**draft_data)],
                        supplier=cast.nj_credit,
                        batch_number=f"T{t}-{i}",
                        source="import",
                    )
                else:
                    services.record_create(
                        actor=SYSTEM, **record_kwargs(cast, document_number=f"S{t}-{i}", decision_date=recent)
                    )
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = list(CreditRecord.objects.values_list("number", flat=True))
    assert len(numbers) == THREADS * PER_THREAD == len(set(numbers))
    year = timezone.localdate().year
    assert sorted(numbers) == [f"XY{year}{n:07d}" for n in range(1, THREADS * PER_THREAD + 1)]
