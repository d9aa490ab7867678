"""core's write services. Every write is a typed keyword-only function in a transaction that audits itself.

Sections belong to different concerns; keep each one together.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from govtrust.core import periods
from govtrust.core.audit import log_change, model_snapshot
from govtrust.core.events import emit
from govtrust.core.models import CalendarYear, ObjectChange

# =====================================================================================================================
# Calendar (periods): the operator's year table of holidays and make-up working days
# =====================================================================================================================


def _actor_identity(actor: Any) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, getattr(actor, "username", "") or "system"
    return actor.pk, actor.get_username()


def calendar_year_save(
    *,
    actor: Any,
    year: int,
    holidays: Iterable[datetime.date | str],
    workdays: Iterable[datetime.date | str],
    basis: str,
) -> CalendarYear:
    """Enter or correct one year's official holiday arrangement; it overrides the packaged data for that year.

    Validated by `periods.validate_arrangement` (raises ValidationError, nothing stored). Audited, and emits
    `calendar.year_entered` {"year": year} so that modules holding provisional deadlines recompute them.
    """
    year, days_off, days_on, basis = periods.validate_arrangement(
        year=year, holidays=holidays, workdays=workdays, basis=basis
    )
    entered_by_pk, entered_by_name = _actor_identity(actor)
    values = {
        "holidays": [d.isoformat() for d in days_off],
        "workdays": [d.isoformat() for d in days_on],
        "basis": basis,
        "entered_by_pk": entered_by_pk,
        "entered_by_name": entered_by_name,
    }
    with transaction.atomic():
        row = CalendarYear.objects.filter(year=year).first()
        before = model_snapshot(row, exclude=("updated_at",)) if row else None
        if row is None:
            row = CalendarYear.objects.create(year=year, **values)
            action = ObjectChange.Action.CREATE
        else:
            for field, value in values.items():
                setattr(row, field, value)
            row.save()
            action = ObjectChange.Action.UPDATE
        log_change(
            actor=actor,
            action=action,
            obj=row,
            before=before,
            after=model_snapshot(row, exclude=("updated_at",)),
            message=basis[:500],
        )
        emit(periods.EVENT_YEAR_ENTERED, {"year": year})
        # Drop this process's cache now (reads later in this transaction see the new row) and again after commit;
        # other processes notice through the version check in periods.get_calendar().
        periods.invalidate_calendar()
        transaction.on_commit(periods.invalidate_calendar)
    return row


# =====================================================================================================================
