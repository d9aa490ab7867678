"""Two officers decide the same objection at the same moment: exactly one decision, one record correction.

Real threads, each on its own database connection and transaction (SQLite file locking or PostgreSQL row locks)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from govtrust.records.models import CreditRecord, CreditRecordVersion
from govtrust.remedies import services
from govtrust.remedies.models import Objection, ObjectionStatus, Transition


@pytest.mark.django_db(transaction=True)
def test_two_officers_deciding_at_once_exactly_one_wins(world):  # type: ignore[no-untyped-def]
    o = services.objection_file(actor=world.cast.xw_user, record=world.record, claim="金额有误")
    o = services.objection_accept(actor=world.cast.city_user, objection=o)
    start = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def decide(officer, content) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait()
            services.objection_decide(actor=officer, objection=o, outcome=ObjectionStatus.UPHELD, reasons=content,
                                      record_action="correct", changes={"content": content})  # fmt: skip
            results.append(content)
        except ValidationError as exc:
            errors.append(exc)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(world.cast.city_user, "警告（甲）")),
        threading.Thread(target=decide, args=(world.decider2, "警告（乙）")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], ValidationError) and "不能作出决定" in " ".join(errors[0].messages)
    record = CreditRecord.objects.get(pk=world.record.pk)
    assert record.content == results[0] and record.version == 2
    assert CreditRecordVersion.objects.filter(record=record).count() == 1
    o = Objection.objects.get(pk=o.pk)
    assert o.decision_reasons == results[0]
    assert Transition.objects.filter(object_id=o.pk, to_status="upheld").count() == 1
