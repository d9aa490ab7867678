"""Domain events: outbox rows written in the service's transaction, delivered after commit, at least once.

Subscribers must be idempotent (delivery is at-least-once); these tests show when a second delivery
can happen (a failed attempt is retried as a whole) and that two deliverers never overlap.
"""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from govtrust.core import events
from govtrust.core.models import OutboxEvent, SweepRun
from govtrust.core.sweep import discover, registered_steps, run_step
from govtrust.core.tasks import deliver_pending_events

EVENT = "test.something_happened"


class Recorder(list):
    """A subscriber that records the payloads it saw; `fail_next` makes it raise once, `delay` slows it."""

    fail_next = False
    delay = 0.0

    def __call__(self, event: OutboxEvent) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("subscriber is down")
        time.sleep(self.delay)
        self.append(event.payload)


@pytest.fixture
def calls():
    recorder = Recorder()
    events.subscribe(EVENT)(recorder)
    yield recorder
    events.unsubscribe(EVENT, recorder)


@pytest.mark.django_db(transaction=True)
def test_an_event_is_delivered_only_after_its_transaction_commits(calls):
    with transaction.atomic():
        event = events.emit(EVENT, {"n": 1})
        assert calls == []  # not while the change could still roll back
    assert calls == [{"n": 1}]
    event.refresh_from_db()
    assert event.delivered_at is not None
    assert event.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_an_event_of_a_rolled_back_transaction_is_neither_stored_nor_delivered(calls):
    with pytest.raises(ValueError), transaction.atomic():
        events.emit(EVENT, {"n": 1})
        raise ValueError("the service failed")
    assert calls == []
    assert not OutboxEvent.objects.exists()
    assert events.deliver_pending() == 0


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_leaves_the_event_for_deliver_pending_which_then_delivers_it_once(calls):
    calls.fail_next = True
    event = events.emit(EVENT, {"n": 1})
    event.refresh_from_db()
    assert calls == []
    assert event.delivered_at is None
    assert event.claimed_at is None  # the claim was released, so a retry can take it
    assert "subscriber is down" in event.last_error

    assert events.deliver_pending() == 1
    assert events.deliver_pending() == 0
    assert calls == [{"n": 1}]
    event.refresh_from_db()
    assert event.delivered_at is not None
    assert event.attempts == 2
    assert event.last_error == ""


@pytest.mark.django_db(transaction=True)
def test_all_subscribers_of_an_event_roll_back_together_when_one_fails(calls):
    def writes_a_row(event: OutboxEvent) -> None:
        SweepRun.objects.create(step=f"side-effect-{event.pk}", run_date=datetime.date(2025, 1, 1))

    # Registered first, so it has already written its row when the other subscriber fails.
    events._subscribers[EVENT].insert(0, writes_a_row)
    try:
        calls.fail_next = True
        events.emit(EVENT, {"n": 1})
        assert not SweepRun.objects.exists()
        events.deliver_pending()
        assert SweepRun.objects.count() == 1  # a retried event re-runs every subscriber: they must be idempotent
    finally:
        events.unsubscribe(EVENT, writes_a_row)


@pytest.mark.django_db
def test_an_event_claimed_by_another_deliverer_is_not_delivered_a_second_time(calls):
    event = OutboxEvent.objects.create(name=EVENT, payload={"n": 1})  # the emitting process died before delivery
    assert events.claim(event.pk) is not None  # another deliverer is working on it
    assert events.deliver(event.pk) is False
    assert events.deliver_pending() == 0
    assert calls == []


@pytest.mark.django_db
def test_a_claim_abandoned_by_a_dead_deliverer_is_taken_over_after_the_timeout(calls):
    event = OutboxEvent.objects.create(name=EVENT, payload={"n": 1})
    OutboxEvent.objects.filter(pk=event.pk).update(
        claimed_at=timezone.now() - events.CLAIM_TIMEOUT - datetime.timedelta(seconds=1)
    )
    assert events.deliver(event.pk) is True
    assert calls == [{"n": 1}]


@pytest.mark.django_db
def test_a_delivered_event_is_never_delivered_again(calls):
    event = events.emit(EVENT, {"n": 1})  # autocommit inside the test transaction: on_commit does not fire
    assert events.deliver(event.pk) is True
    assert events.deliver(event.pk) is False
    assert events.claim(event.pk) is None
    assert calls == [{"n": 1}]


@pytest.mark.django_db(transaction=True)
def test_two_deliverers_at_once_run_the_subscribers_of_an_event_once(calls):
    calls.delay = 0.3  # hold the claim long enough for the other thread to try
    event = OutboxEvent.objects.create(name=EVENT, payload={"n": 1})
    start = threading.Barrier(2)
    results: list[bool] = []

    def deliverer() -> None:
        try:
            start.wait()
            results.append(events.deliver(event.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert calls == [{"n": 1}]


@pytest.mark.django_db
def test_a_hostile_payload_is_stored_and_delivered_verbatim(calls):
    payload = {"name": "<script>alert(1)</script>", "note": "'; DROP TABLE core_outboxevent; --"}
    event = events.emit(EVENT, payload)
    events.deliver(event.pk)
    assert calls == [payload]
    assert OutboxEvent.objects.get(pk=event.pk).payload == payload


@pytest.mark.django_db
def test_an_event_nobody_subscribes_to_is_simply_marked_delivered():
    event = OutboxEvent.objects.create(name="test.nobody_listens", payload={})
    assert events.deliver(event.pk) is True


@pytest.mark.django_db
def test_the_deliver_pending_events_task_delivers_leftover_events(calls):
    OutboxEvent.objects.create(name=EVENT, payload={"n": 1})
    OutboxEvent.objects.create(name=EVENT, payload={"n": 2})
    result = deliver_pending_events.enqueue()  # the ImmediateBackend runs it now
    assert result.return_value == 2
    assert calls == [{"n": 1}, {"n": 2}]


@pytest.mark.django_db
def test_the_daily_sweep_redelivers_leftover_events(calls):
    OutboxEvent.objects.create(name=EVENT, payload={"n": 1})
    discover()
    (step,) = [step for step in registered_steps() if step.name == "events.redeliver"]
    outcome = run_step(step, datetime.date(2025, 3, 1))
    assert outcome.status == "done"
    assert outcome.result == {"delivered": 1, "undelivered": 0}
    assert calls == [{"n": 1}]


@pytest.mark.django_db
def test_a_failed_delivery_asks_the_worker_to_retry_later_with_back_off(calls):
    from django.test import override_settings
    from django_tasks_db.models import DBTaskResult

    calls.fail_next = True
    event = OutboxEvent.objects.create(name=EVENT, payload={"n": 1})
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        before = timezone.now()
        assert events.deliver(event.pk) is False
    retry = DBTaskResult.objects.get()
    assert retry.task_path == "govtrust.core.tasks.redeliver_event"
    assert retry.args_kwargs == {"args": [event.pk], "kwargs": {}}
    assert retry.run_after >= before + datetime.timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_an_event_for_the_worker_is_queued_as_a_task_at_commit_and_delivered_by_it(calls):
    # The test task backend runs a task as soon as it is enqueued; what matters is that the delivery goes
    # through the worker's task (`redeliver_event`), after commit, and only once.
    with transaction.atomic():
        event = events.emit(EVENT, {"n": 1}, in_worker=True)
        assert calls == []
    assert calls == [{"n": 1}]
    event.refresh_from_db()
    assert event.delivered_at is not None and event.attempts == 1
