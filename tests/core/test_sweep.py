"""The sweep registry and `govtrust sweep`: ordered, idempotent per (step, date), safe when started twice."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from govtrust.core import sweep
from govtrust.core.models import SweepRun

DAY = datetime.date(2025, 6, 30)


@pytest.fixture
def steps(monkeypatch):
    """An empty registry for the test's own steps; `steps.ran` lists (step, run_date) in the order they ran."""
    sweep.discover()  # import the real steps first, so that run_sweep's discover() adds none to our registry
    monkeypatch.setattr(sweep, "_registry", {})

    class Steps:
        ran: list[tuple[str, datetime.date]] = []
        lock = threading.Lock()

        def add(self, name, order, *, fails=False, delay=0.0, result=None):
            def step(run_date):
                time.sleep(delay)
                with self.lock:
                    self.ran.append((name, run_date))
                if fails:
                    raise RuntimeError(f"{name} broke")
                return result

            return sweep.sweep_step(name, order)(step)

    helper = Steps()
    helper.ran = []
    return helper


@pytest.mark.django_db
def test_it_runs_the_steps_in_order_and_records_each_result(steps, capsys):
    steps.add("b.second", 20, result={"sent": 3})
    steps.add("a.third", 30)
    steps.add("z.first", 10)
    call_command("sweep", "--date", DAY.isoformat())
    assert [name for name, _ in steps.ran] == ["z.first", "b.second", "a.third"]
    run = SweepRun.objects.get(step="b.second", run_date=DAY)
    assert run.status == SweepRun.Status.DONE
    assert run.result == {"sent": 3}
    assert run.finished_at is not None
    assert 'b.second\tdone\t{"sent": 3}' in capsys.readouterr().out


@pytest.mark.django_db
def test_a_second_sweep_for_the_same_date_does_nothing(steps, capsys):
    steps.add("only.once", 10)
    call_command("sweep", "--date", DAY.isoformat())
    call_command("sweep", "--date", DAY.isoformat())
    assert steps.ran == [("only.once", DAY)]
    assert "only.once\tskipped" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_next_date_runs_the_steps_again(steps):
    steps.add("daily", 10)
    sweep.run_sweep(DAY)
    sweep.run_sweep(DAY + datetime.timedelta(days=1))
    assert steps.ran == [("daily", DAY), ("daily", DAY + datetime.timedelta(days=1))]


@pytest.mark.django_db
def test_it_defaults_to_today(steps):
    steps.add("daily", 10)
    call_command("sweep")
    assert steps.ran == [("daily", timezone.localdate())]


@pytest.mark.django_db
def test_a_failed_step_is_recorded_does_not_stop_later_steps_and_makes_the_command_fail(steps):
    steps.add("first", 10)
    steps.add("broken", 20, fails=True)
    steps.add("last", 30)
    with pytest.raises(CommandError) as failure:
        call_command("sweep", "--date", DAY.isoformat())
    assert failure.value.returncode == 1
    assert "broken" in str(failure.value)
    assert [name for name, _ in steps.ran] == ["first", "broken", "last"]
    broken = SweepRun.objects.get(step="broken")
    assert broken.status == SweepRun.Status.FAILED
    assert "RuntimeError: broken broke" in broken.error
    assert SweepRun.objects.get(step="last").status == SweepRun.Status.DONE


@pytest.mark.django_db
def test_the_next_sweep_retries_only_the_failed_step(steps):
    steps.add("first", 10)
    flaky = {"fail": True}

    @sweep.sweep_step("flaky", 20)
    def flaky_step(run_date):
        steps.ran.append(("flaky", run_date))
        if flaky["fail"]:
            raise RuntimeError("not today")
        return {"ok": True}

    assert [o.status for o in sweep.run_sweep(DAY)] == ["done", "failed"]
    flaky["fail"] = False
    assert [o.status for o in sweep.run_sweep(DAY)] == ["skipped", "done"]
    run = SweepRun.objects.get(step="flaky")
    assert (run.status, run.result, run.error) == (SweepRun.Status.DONE, {"ok": True}, "")
    assert [name for name, _ in steps.ran] == ["first", "flaky", "flaky"]


@pytest.mark.django_db
def test_only_runs_the_named_steps(steps):
    steps.add("one", 10)
    steps.add("two", 20)
    steps.add("three", 30)
    call_command("sweep", "--date", DAY.isoformat(), "--only", "three", "--only", "one")
    assert [name for name, _ in steps.ran] == ["one", "three"]


@pytest.mark.django_db
def test_it_rejects_an_unknown_step_name_and_runs_nothing(steps):
    steps.add("one", 10)
    with pytest.raises(CommandError, match="未知的清理步骤：'; DROP TABLE core_sweeprun; --"):
        call_command("sweep", "--only", "'; DROP TABLE core_sweeprun; --")
    assert steps.ran == []
    assert not SweepRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["2025-02-30", "30/06/2025", "tomorrow", ""])
def test_it_rejects_a_malformed_date(steps, bad):
    steps.add("one", 10)
    with pytest.raises(CommandError):
        call_command("sweep", "--date", bad)
    assert steps.ran == []


def test_a_step_name_cannot_be_registered_twice_by_different_functions(steps):
    steps.add("dup", 10)
    with pytest.raises(ValueError, match="already registered"):
        steps.add("dup", 20)


@pytest.mark.django_db
def test_a_step_left_running_by_a_dead_sweep_is_taken_over_only_once_stale(steps):
    steps.add("interrupted", 10)
    SweepRun.objects.create(step="interrupted", run_date=DAY, status=SweepRun.Status.RUNNING, claimed_at=timezone.now())
    assert [o.status for o in sweep.run_sweep(DAY)] == ["skipped"]  # it may still be running elsewhere
    SweepRun.objects.update(claimed_at=timezone.now() - sweep.STALE_AFTER - datetime.timedelta(minutes=1))
    assert [o.status for o in sweep.run_sweep(DAY)] == ["done"]
    assert steps.ran == [("interrupted", DAY)]


@pytest.mark.django_db
def test_a_pending_row_is_claimed_by_the_conditional_update(steps):
    steps.add("prepared", 10)
    SweepRun.objects.create(step="prepared", run_date=DAY)  # e.g. planned by an operator
    assert [o.status for o in sweep.run_sweep(DAY)] == ["done"]


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_started_at_once_never_run_the_same_step_twice(steps):
    for order, name in enumerate(["alpha", "beta", "gamma", "delta"]):
        steps.add(name, order, delay=0.15)
    start = threading.Barrier(2)
    outcomes: list[list[sweep.StepOutcome]] = []

    def one_sweep() -> None:
        try:
            start.wait()
            outcomes.append(sweep.run_sweep(DAY))
        finally:
            connection.close()

    threads = [threading.Thread(target=one_sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(name for name, _ in steps.ran) == ["alpha", "beta", "delta", "gamma"]
    for name in ["alpha", "beta", "gamma", "delta"]:
        statuses = sorted(o.status for run in outcomes for o in run if o.step == name)
        assert statuses == ["done", "skipped"]
    assert SweepRun.objects.filter(status=SweepRun.Status.DONE).count() == 4

    sweep.run_sweep(DAY)  # and a third one afterwards does nothing
    assert len(steps.ran) == 4


@pytest.mark.django_db
def test_the_real_event_redelivery_step_is_registered():
    sweep.discover()
    names = [step.name for step in sweep.registered_steps()]
    assert "events.redeliver" in names
