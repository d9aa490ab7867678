"""The registry of sweep steps that `govtrust sweep` runs once a day, in order.

    # <app>/sweeps.py (found automatically, like admin.py)
    from govtrust.core.sweep import sweep_step

    @sweep_step("deadlines.remind", order=200)
    def remind_deadlines(run_date: date) -> dict | None:
        ...                        # idempotent for run_date; return a small JSON-able summary

Each (step, run_date) runs at most once to completion: the run is claimed by inserting a SweepRun row
or by a conditional UPDATE of a pending or failed one, and the row count decides who runs it, so two
sweeps started at once never run the same step twice and a second sweep after a finished one does
nothing. A failed step is recorded and retried by the next sweep for that date; it does not stop the
steps after it. A step left "running" by a process that died is re-claimed after STALE_AFTER.
"""

from __future__ import annotations

import datetime
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from govtrust.core.models import SweepRun

logger = logging.getLogger(__name__)

StepFunction = Callable[[datetime.date], dict[str, Any] | None]

# Longer than any step should take; after this a "running" claim is taken to belong to a dead process.
STALE_AFTER = datetime.timedelta(hours=6)


@dataclass(frozen=True)
class SweepStep:
    name: str
    order: int
    func: StepFunction


_registry: dict[str, SweepStep] = {}


def sweep_step(name: str, order: int) -> Callable[[StepFunction], StepFunction]:
    """Register `fn(run_date) -> dict | None` as sweep step `name`; lower `order` runs first."""
    if not name or len(name) > 100:
        raise ValueError("a sweep step name must be 1–100 characters")

    def register(func: StepFunction) -> StepFunction:
        existing = _registry.get(name)
        if existing is not None and existing.func is not func:
            raise ValueError(f"sweep step {name!r} is already registered by {existing.func.__module__}")
        _registry[name] = SweepStep(name=name, order=order, func=func)
        return func

    return register


def discover() -> None:
    """Import every installed app's `sweeps` module so that its steps register."""
    autodiscover_modules("sweeps")


def registered_steps() -> list[SweepStep]:
    return sorted(_registry.values(), key=lambda step: (step.order, step.name))


@dataclass(frozen=True)
class StepOutcome:
    step: str
    status: str  # "done", "failed" or "skipped" (another sweep holds it or already finished it)
    result: dict[str, Any] | None = None
    error: str = ""


def claim(step: str, run_date: datetime.date) -> datetime.datetime | None:
    """Claim (step, run_date) for this process; returns the claim token, or None if it is not ours to run."""
    now = timezone.now()
    try:
        with transaction.atomic():
            SweepRun.objects.create(step=step, run_date=run_date, status=SweepRun.Status.RUNNING, claimed_at=now)
        return now
    except IntegrityError:
        pass  # the row exists: take it over only if nobody finished it and nobody is running it
    claimable = Q(status__in=[SweepRun.Status.PENDING, SweepRun.Status.FAILED]) | Q(
        status=SweepRun.Status.RUNNING, claimed_at__lt=now - STALE_AFTER
    )
    taken = (
        SweepRun.objects.filter(step=step, run_date=run_date)
        .filter(claimable)
        .update(status=SweepRun.Status.RUNNING, claimed_at=now, finished_at=None, error="")
    )
    return now if taken == 1 else None


def run_step(step: SweepStep, run_date: datetime.date) -> StepOutcome:
    token = claim(step.name, run_date)
    if token is None:
        return StepOutcome(step=step.name, status="skipped")
    ours = SweepRun.objects.filter(step=step.name, run_date=run_date, claimed_at=token)
    try:
        result = step.func(run_date)
    except Exception as exc:
        logger.exception("sweep step %s for %s failed", step.name, run_date)
        error = "".join(traceback.format_exception(exc))[-20000:]
        ours.update(status=SweepRun.Status.FAILED, finished_at=timezone.now(), error=error)
        return StepOutcome(step=step.name, status="failed", error=f"{exc.__class__.__name__}: {exc}")
    ours.update(status=SweepRun.Status.DONE, finished_at=timezone.now(), result=result)
    return StepOutcome(step=step.name, status="done", result=result)


def run_sweep(run_date: datetime.date, *, only: list[str] | None = None) -> list[StepOutcome]:
    """Run the registered steps (or only the named ones) for run_date, in order; never raises for a step."""
    discover()
    steps = registered_steps()
    if only:
        unknown = sorted(set(only) - {step.name for step in steps})
        if unknown:
            raise KeyError(", ".join(unknown))
        steps = [step for step in steps if step.name in only]
    return [run_step(step, run_date) for step in steps]
