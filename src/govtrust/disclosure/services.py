"""Writes of the disclosure app. Error reports (纠错建议): submitted by anyone, handled by the supplier."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from govtrust.accounts.models import Role, User
from govtrust.accounts.ratelimit import rate_limit_take
from govtrust.core.audit import log_change
from govtrust.core.crypto import keyed_hash
from govtrust.core.models import ObjectChange
from govtrust.core.notifications import notify
from govtrust.disclosure.models import ErrorReport, ErrorReportStatus
from govtrust.records.models import CreditRecord
from govtrust.registry.models import Agency, agency_scope_q

NAME_MAX, CONTACT_MAX, TEXT_MAX, NOTE_MAX = 50, 100, 2000, 1000
TEXT_MIN = 5
HANDLE_ACTION = "records.view"  # the supplier's staff: the role that sees the records it supplied


def error_report_rate() -> tuple[int, float]:
    """(reports, per seconds) one address may send: GOVTRUST_ERROR_REPORTS_PER_HOUR, default 5 an hour."""
    return int(getattr(settings, "GOVTRUST_ERROR_REPORTS_PER_HOUR", 5)), 3600.0


def clean_text(value: str) -> str:
    """Drop control characters (PostgreSQL refuses NUL; others only hide text) but keep line breaks."""
    return "".join(ch for ch in (value or "") if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()


def _check(name: str, contact: str, text: str) -> None:
    errors: dict[str, list[str]] = {}
    if not name:
        errors.setdefault("name", []).append(_("请填写姓名或单位名称"))
    elif len(name) > NAME_MAX:
        errors.setdefault("name", []).append(_("姓名或单位名称不能超过%(n)d个字符") % {"n": NAME_MAX})
    if not contact:
        errors.setdefault("contact", []).append(_("请填写联系方式，以便核实"))
    elif len(contact) > CONTACT_MAX:
        errors.setdefault("contact", []).append(_("联系方式不能超过%(n)d个字符") % {"n": CONTACT_MAX})
    if len(text) < TEXT_MIN:
        errors.setdefault("text", []).append(_("请说明记录哪里有误（至少%(n)d个字）") % {"n": TEXT_MIN})
    elif len(text) > TEXT_MAX:
        errors.setdefault("text", []).append(_("纠错内容不能超过%(n)d个字符") % {"n": TEXT_MAX})
    if errors:
        raise ValidationError(errors)  # type: ignore[arg-type]


class RateLimited(Exception):
    """Too many reports from one address; `retry_after` in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def supplier_staff(agency: Agency) -> list[Any]:
    """Active users of `agency` whose roles grant HANDLE_ACTION: the people an error report goes to."""
    roles = [r.pk for r in Role.objects.all() if HANDLE_ACTION in (r.grants or {})]
    return list(User.objects.filter(is_active=True, agency=agency, roles__in=roles).distinct())


def error_report_submit(*, record: CreditRecord, name: str, contact: str, text: str, ip: str | None) -> ErrorReport:
    """Store a public error report on a published record and notify the supplier's staff.

    The caller passes a record from `published.public_record` (the portal never lets one in otherwise). The
    per-address limit is taken before any write, so a flood costs one UPDATE per request and stores nothing.
    Raises ValidationError (by field) for bad input and RateLimited over the limit.
    """
    name, contact, text = clean_text(name), clean_text(contact), clean_text(text)
    _check(name, contact, text)
    ip_hash = keyed_hash(f"error-report:{ip}") if ip else ""
    capacity, per_seconds = error_report_rate()
    decision = rate_limit_take(
        key=f"error_report:{ip_hash[:40] or 'unknown'}", capacity=capacity, per_seconds=per_seconds
    )
    if not decision.allowed:
        raise RateLimited(decision.retry_after)
    with transaction.atomic():
        report = ErrorReport.objects.create(
            record=record, supplier=record.supplier, name=name, contact=contact, text=text, ip_hash=ip_hash
        )
        notify(
            recipients=supplier_staff(record.supplier),
            title=_("收到对信用记录 %(n)s 的纠错建议") % {"n": record.number},
            body=text[:500],
            link=reverse("disclosure_errors:detail", kwargs={"pk": report.pk}),
            category="error_report",
        )
        log_change(
            actor=None,
            action=ObjectChange.Action.CREATE,
            obj=report,
            object_repr=_("纠错建议：%(n)s") % {"n": record.number},
            # The sender's name and contact are personal data: the audit row says that they were given, not what.
            after={"record": record.number, "supplier": record.supplier.uscc, "text_length": len(text)},
            message=_("公众提交纠错建议"),
        )
    return report


def error_reports_visible_to(user: Any) -> Any:
    """The error reports on records supplied by bodies in the user's `records.view` scope."""
    q = agency_scope_q(user, HANDLE_ACTION, "supplier__")
    if q is None:
        return ErrorReport.objects.none()
    return ErrorReport.objects.filter(q)


def error_report_handle(*, actor: Any, report: ErrorReport, note: str) -> ErrorReport:
    """Mark a report handled with a note. Only staff whose scope covers the supplier; only once (claimed by a
    conditional UPDATE, so two people pressing the button at once cannot both handle it)."""
    note = clean_text(note)
    if not note:
        raise ValidationError({"note": [_("请填写处理说明")]})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": [_("处理说明不能超过%(n)d个字符") % {"n": NOTE_MAX}]})
    if not error_reports_visible_to(actor).filter(pk=report.pk).exists():
        raise PermissionDenied
    with transaction.atomic():
        now = timezone.now()
        claimed = ErrorReport.objects.filter(pk=report.pk, status=ErrorReportStatus.NEW).update(
            status=ErrorReportStatus.HANDLED,
            handled_note=note,
            handled_by_name=actor.get_username(),
            handled_at=now,
        )
        if not claimed:
            raise ValidationError(_("该纠错建议已处理"))
        report.refresh_from_db()
        log_change(
            actor=actor,
            action=ObjectChange.Action.UPDATE,
            obj=report,
            before={"status": ErrorReportStatus.NEW},
            after={"status": report.status, "handled_note": note},
            message=_("处理纠错建议"),
        )
    return report
