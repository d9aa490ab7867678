"""Daily deadline step: remind the handling department one working day before a deadline, and tell it (and the
applicant) when one has passed. Each reminder is claimed by a conditional UPDATE of `reminded_for` /
`overdue_notified_for` to the deadline it is about, so a second run sends nothing and an extended deadline gets
reminders of its own."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core import periods
from govtrust.core.notifications import DigestItem, notify, register_digest_item
from govtrust.core.sweep import sweep_step
from govtrust.remedies import services
from govtrust.remedies.models import (
    OBJECTION_PENDING_DECISION,
    Objection,
    ObjectionStatus,
    RepairRequest,
)


def _claim(model: Any, pk: int, field: str, due: datetime.date) -> bool:
    # Conditional UPDATE: only one sweep (or one run) wins each reminder.
    from django.db.models import Q

    return bool(
        model.objects.filter(Q(**{f"{field}__isnull": True}) | ~Q(**{field: due}), pk=pk).update(**{field: due})
    )


def _remind(model: Any, obj: Any, due: datetime.date, run_date: datetime.date, handlers: list[Any], link: str,
            label: str) -> str | None:  # fmt: skip
    if run_date > due:
        if not _claim(model, obj.pk, "overdue_notified_for", due):
            return None
        with transaction.atomic():
            notify(
                recipients=[*handlers, obj.filed_by],
                title=_("已超期：%(label)s %(n)s（期限%(due)s）")
                % {"label": label, "n": obj.number, "due": due.isoformat()},
                body=_("已超过办理期限%(days)d个工作日。")
                % {"days": periods.working_days_between(due, run_date)},
                link=link, category="remedies.overdue", email=True,
            )  # fmt: skip
        return "overdue"
    # Approaching: the deadline is today or the next working day.
    if due <= periods.next_working_day(run_date) and _claim(model, obj.pk, "reminded_for", due):
        with transaction.atomic():
            notify(
                recipients=handlers,
                title=_("即将到期：%(label)s %(n)s（期限%(due)s）")
                % {"label": label, "n": obj.number, "due": due.isoformat()},
                link=link, category="remedies.deadline", email=True,
            )  # fmt: skip
        return "reminded"
    return None


@sweep_step("remedies.deadlines", order=400)
def remedies_deadlines(run_date: datetime.date) -> dict[str, int]:
    counts = {"reminded": 0, "overdue": 0}
    for o in Objection.objects.filter(status__in=[*OBJECTION_PENDING_DECISION, ObjectionStatus.REVIEW_REQUESTED]):
        due = o.current_due
        if due is None:
            continue
        review = o.status == ObjectionStatus.REVIEW_REQUESTED
        handlers = services.users_with(services.REVIEW) if review else services.users_with(services.DECIDE, o.routed_to)
        label = _("异议复核") if review else _("异议")
        link = reverse("remedies:objection_detail", kwargs={"number": o.number})
        outcome = _remind(Objection, o, due, run_date, handlers, link, str(label))
        if outcome:
            counts[outcome] += 1
    for r in RepairRequest.objects.open():
        link = reverse("remedies:repair_detail", kwargs={"number": r.number})
        outcome = _remind(RepairRequest, r, r.due_on, run_date, services.users_with(services.DECIDE, r.handled_by),
                          link, str(_("信用修复申请")))  # fmt: skip
        if outcome:
            counts[outcome] += 1
    return counts


# Lines of the daily digest of overdue items per office (sent by sanctions' daily step, see core.notifications).
register_digest_item(
    DigestItem(
        "objections",
        gettext_lazy("异议超期未办结：%(n)d件"),
        lambda agencies, run_date: Objection.objects.filter(
            Q(status__in=OBJECTION_PENDING_DECISION, due_on__lt=run_date)
            | Q(status=ObjectionStatus.REVIEW_REQUESTED, review_due_on__lt=run_date),
            record__agency__in=agencies,
        ).count(),
        order=40,
    )
)
register_digest_item(
    DigestItem(
        "repairs",
        gettext_lazy("信用修复申请超期未办结：%(n)d件"),
        lambda agencies, run_date: (
            RepairRequest.objects.open().filter(record__agency__in=agencies, due_on__lt=run_date).count()
        ),
        order=50,
    )
)
