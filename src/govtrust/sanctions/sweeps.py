"""Daily steps: deadline reminders and escalation (400), then one digest of overdue items per office (410).

Both run after the records lifecycle (300), so records that started or ended today have already opened or
lifted their cases. Idempotent: each reminder, escalation and digest is keyed in `NoticeSent` (unique), so a
second run — or a re-run after a failure — sends nothing twice.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core.audit import log_change, model_snapshot
from govtrust.core.notifications import DigestItem, digest_items, notify, register_digest_item
from govtrust.core.periods import working_days_between
from govtrust.core.sweep import sweep_step
from govtrust.registry.models import Agency, AgencyStatus
from govtrust.sanctions import services
from govtrust.sanctions.models import (
    BODY_TURN_STATUSES,
    OPEN_REFERRAL_STATUSES,
    CaseStatus,
    NoticeSent,
    RectificationOrder,
    Referral,
    SanctionCase,
    TimelineEntry,
)


def _once(key: str) -> bool:
    """Claim a notice key; False when it was already sent (the unique row decides)."""
    try:
        with transaction.atomic():
            NoticeSent.objects.create(key=key[:200])
    except IntegrityError:
        return False
    return True


def _order_link(order: RectificationOrder) -> str:
    return reverse("sanctions:order_detail", args=[order.number]) if order.number else ""


def _remind(order: RectificationOrder, run_date: datetime.date) -> bool:
    with transaction.atomic():
        if not _once(f"order:{order.pk}:remind:{order.due_date.isoformat()}"):
            return False
        left = working_days_between(run_date, order.due_date)
        notify(
            recipients=services.users_with([order.agency], services.RESPOND),
            title=_("整改期限临近：%(date)s到期") % {"date": order.due_date.isoformat()},
            body=_("还剩%(n)d个工作日，请按期提交书面说明和整改材料。") % {"n": left},
            link=_order_link(order),
            category="sanctions.deadline",
            email=True,
        )
        TimelineEntry.objects.create(
            case=order.case,
            order=order,
            actor_name="system",
            action="reminded",
            note=_("到期前提醒（剩%(n)d个工作日）") % {"n": left},
        )
    return True


def _overdue(order: RectificationOrder, run_date: datetime.date) -> bool:
    """Tell the body it is overdue and escalate to its superior body (Agency.parent) once per deadline."""
    with transaction.atomic():
        if not _once(f"order:{order.pk}:overdue:{order.due_date.isoformat()}"):
            return False
        before = model_snapshot(order)
        superior = order.agency.parent
        notify(
            recipients=services.users_with([order.agency], services.RESPOND),
            title=_("整改已超期：期限为%(date)s") % {"date": order.due_date.isoformat()},
            body=_("已报告上级单位和信用主管部门。"),
            link=_order_link(order),
            category="sanctions.deadline",
            email=True,
        )
        # The superior body is told; without one registered, the credit office is (it always is, too).
        recipients = services.users_with([superior], services.VIEW) if superior is not None else []
        recipients += services.deciders_for(order.agency)
        notify(
            recipients=recipients,
            title=_("下级单位整改超期：%(agency)s") % {"agency": order.agency.name[:150]},
            body=_("整改通知%(number)s的期限为%(date)s，至今未完成整改。")
            % {"number": order.number, "date": order.due_date.isoformat()},
            link=_order_link(order),
            category="sanctions.escalation",
            email=True,
        )
        RectificationOrder.objects.filter(pk=order.pk, escalated_on__isnull=True).update(
            escalated_to=superior, escalated_on=run_date
        )
        order.refresh_from_db()
        to = superior.name if superior is not None else _("（未登记上级单位，已报告信用主管部门）")
        TimelineEntry.objects.create(
            case=order.case,
            order=order,
            actor_name="system",
            action="escalated",
            note=_("超期，报告上级单位：%(to)s") % {"to": to},
        )
        log_change(
            actor=None,
            action="update",
            obj=order,
            before=before,
            after=model_snapshot(order),
            message="sanctions.order_escalate",
        )
    return True


def _referral_overdue(referral: Referral) -> bool:
    with transaction.atomic():
        if not _once(f"referral:{referral.pk}:overdue:{referral.due_date.isoformat()}"):
            return False
        notify(
            recipients=services.users_with([referral.department], services.RECORD_REFERRAL),
            title=_("移送处理结果反馈已超期：%(agency)s") % {"agency": referral.agency.name[:150]},
            link=reverse("sanctions:referral_detail", args=[referral.number]) if referral.number else "",
            category="sanctions.deadline",
            email=True,
        )
        TimelineEntry.objects.create(
            case=referral.case,
            referral=referral,
            actor_name="system",
            action="referral_overdue",
            note=referral.due_date.isoformat(),
        )
    return True


@sweep_step("sanctions.deadlines", order=400)
def sanctions_deadlines(run_date: datetime.date) -> dict[str, Any]:
    reminded = overdue = referrals = 0
    # Only orders where the body has to act: waiting for the office's review is not the body's delay.
    waiting = RectificationOrder.objects.filter(status__in=BODY_TURN_STATUSES).select_related("agency__parent", "case")
    for order in waiting.filter(due_date__gte=run_date).iterator(chunk_size=500):
        before_days = int(order.deadline_rule.get("remind_before_working_days") or 0)
        if before_days and working_days_between(run_date, order.due_date) <= before_days:
            reminded += _remind(order, run_date)
    for order in waiting.filter(due_date__lt=run_date).iterator(chunk_size=500):
        overdue += _overdue(order, run_date)
    late = Referral.objects.filter(status__in=OPEN_REFERRAL_STATUSES, due_date__lt=run_date).select_related(
        "agency", "department", "case"
    )
    for referral in late.iterator(chunk_size=500):
        referrals += _referral_overdue(referral)
    return {"run_date": run_date.isoformat(), "reminded": reminded, "overdue": overdue, "referrals_overdue": referrals}


def overdue_counts(agencies: Any, run_date: datetime.date) -> dict[str, int]:
    """What a digest reports for a set of bodies (an Agency queryset): every registered digest item."""
    return {item.code: item.count(agencies, run_date) for item in digest_items()}


register_digest_item(
    DigestItem(
        "orders",
        gettext_lazy("超期未整改：%(n)d件"),
        lambda agencies, run_date: RectificationOrder.objects.filter(
            agency__in=agencies, status__in=BODY_TURN_STATUSES, due_date__lt=run_date
        ).count(),
        order=10,
    )
)
register_digest_item(
    DigestItem(
        "referrals",
        gettext_lazy("移送超期未反馈：%(n)d件"),
        lambda agencies, run_date: Referral.objects.filter(
            agency__in=agencies, status__in=OPEN_REFERRAL_STATUSES, due_date__lt=run_date
        ).count(),
        order=20,
    )
)
register_digest_item(
    DigestItem(
        "pending",
        gettext_lazy("待决定的惩戒建议：%(n)d件"),
        lambda agencies, run_date: SanctionCase.objects.filter(agency__in=agencies, status=CaseStatus.PENDING).count(),
        order=30,
    )
)


@sweep_step("sanctions.digest", order=410)
def sanctions_digest(run_date: datetime.date) -> dict[str, Any]:
    """One inbox message (and mail) per credit office per day: overdue orders and referrals in its region and
    the cases still awaiting a decision. Nothing when there is nothing to report."""
    sent = 0
    offices = Agency.objects.filter(is_credit_office=True, status=AgencyStatus.ACTIVE).select_related("region")
    for office in offices:
        counts = overdue_counts(Agency.objects.in_region(office.region), run_date)
        if not any(counts.values()):
            continue
        recipients = services.users_with([office], services.DECIDE)
        if not recipients:
            continue
        with transaction.atomic():
            if not _once(f"digest:{office.pk}:{run_date.isoformat()}"):
                continue
            notify(
                recipients=recipients,
                title=_("%(date)s政务诚信待办汇总") % {"date": run_date.isoformat()},
                body="；".join(str(item.label) % {"n": counts[item.code]} for item in digest_items()) + "。",
                link=reverse("sanctions:dashboard"),
                category="sanctions.digest",
                email=True,
            )
            sent += 1
    return {"run_date": run_date.isoformat(), "digests": sent}
