"""Credit pledges (信用承诺) of bidders: record, fulfil, breach, withdraw, and the overdue reminder.

Every write is keyword-only, atomic and audited. A decision is a conditional UPDATE on `status = pledged`
(row count checked), so two officers deciding the same pledge at once cannot both win, on SQLite and
PostgreSQL alike, without select_for_update.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from govtrust.core.audit import log_change, model_snapshot
from govtrust.core.codes import validate_uscc
from govtrust.core.notifications import notify
from govtrust.records.models import CreditRecord, Source
from govtrust.records.policy import RecordClass
from govtrust.records.services import record_create
from govtrust.registry.models import Enterprise
from govtrust.screening import pledge_policy
from govtrust.screening.models import Pledge, PledgeStatus

MANAGE = "pledge.manage"
MAX_TEXT = 5000


def _has_control(value: str) -> bool:
    return any(ord(c) < 32 and c not in "\n\r\t" for c in value)


def _clean(errors: dict[str, str], field: str, value: Any, *, max_length: int, required: bool, label: str) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[field] = _("请填写%(label)s") % {"label": label}
    elif len(text) > max_length:
        errors[field] = _("%(label)s不能超过%(n)d个字符") % {"label": label, "n": max_length}
    elif _has_control(text):
        errors[field] = _("%(label)s含有控制字符") % {"label": label}
    return text


@transaction.atomic
def pledge_record(
    *,
    actor: Any,
    uscc: str,
    name: str,
    kind: str,
    text: str,
    pledged_on: datetime.date,
    due_on: datetime.date,
    platform: str = "",
    tender_ref: str = "",
) -> Pledge:
    """Register a bidder's pledge. The USCC must pass its check digit (or be a known legacy code); the
    pledge is linked to the registry's enterprise with that code, and takes its region (or else the
    recording officer's, so the office that recorded it keeps seeing it)."""
    errors: dict[str, str] = {}
    code = "".join(str(uscc or "").split()).upper()
    check = validate_uscc(code)
    if not check.ok:
        errors["uscc"] = _("统一社会信用代码无效：%(reason)s") % {"reason": check.reason}
    name = _clean(errors, "name", name, max_length=200, required=True, label=_("承诺主体名称"))
    text = _clean(errors, "text", text, max_length=MAX_TEXT, required=True, label=_("承诺内容"))
    platform = _clean(errors, "platform", platform, max_length=100, required=False, label=_("交易平台"))
    tender_ref = _clean(errors, "tender_ref", tender_ref, max_length=100, required=False, label=_("项目编号／标段"))
    if kind not in pledge_policy.KINDS:
        errors["kind"] = _("承诺类型无效")
    if not isinstance(pledged_on, datetime.date) or not isinstance(due_on, datetime.date):
        errors["due_on"] = _("请填写承诺日期和履行核查日期")
    elif due_on < pledged_on:
        errors["due_on"] = _("履行核查日期不能早于承诺日期")
    elif pledged_on > timezone.localdate():
        errors["pledged_on"] = _("承诺日期不能晚于今天")
    if errors:
        raise ValidationError(errors)
    enterprise = Enterprise.objects.filter(uscc=code).first()
    agency = getattr(actor, "agency", None)
    region = enterprise.region if enterprise and enterprise.region_id else getattr(agency, "region", None)
    pledge = Pledge.objects.create(
        number=f"TMP-{uuid.uuid4().hex}"[:30],
        enterprise=enterprise,
        uscc=code,
        name=name,
        region=region,
        kind=kind,
        platform=platform,
        tender_ref=tender_ref,
        text=text,
        pledged_on=pledged_on,
        due_on=due_on,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    # Numbered from the primary key: unique without a counter table, readable by year.
    pledge.number = f"XYCN{pledged_on.year}{pledge.pk:08d}"
    pledge.save(update_fields=["number"])
    log_change(actor=actor, action="create", obj=pledge, after=model_snapshot(pledge))
    return pledge


def _decide(
    *,
    actor: Any,
    pledge: Pledge,
    target: str,
    note: str,
    evidence_ref: str = "",
    then: Callable[[], dict[str, Any]] | None = None,
) -> Pledge:
    """Claim the pledge (conditional UPDATE on `pledged`), run `then` — whose returned fields are stored on
    the pledge too — and write one audit row with the final state. The caller's transaction holds it all."""
    if not pledge_policy.may_move(pledge.status, target):
        raise ValidationError({"status": _("承诺当前状态为“%(s)s”，不能再变更") % {"s": pledge.get_status_display()}})
    before = model_snapshot(pledge)
    now = timezone.now()
    changed = Pledge.objects.filter(pk=pledge.pk, status=PledgeStatus.PLEDGED).update(
        status=target,
        outcome_note=note,
        evidence_ref=evidence_ref,
        decided_by=str(getattr(actor, "username", "") or "")[:150],
        decided_at=now,
    )
    if changed != 1:  # someone else decided it in the meantime
        raise ValidationError({"status": _("该承诺已被他人处理，请刷新后查看")})
    if then is not None:
        extra = then()
        if extra:
            Pledge.objects.filter(pk=pledge.pk).update(**extra)
    pledge.refresh_from_db()
    log_change(actor=actor, action="update", obj=pledge, before=before, after=model_snapshot(pledge),
               message=note[:500])  # fmt: skip
    return pledge


@transaction.atomic
def pledge_fulfil(*, actor: Any, pledge: Pledge, note: str) -> Pledge:
    """The pledge was kept (核查已履行)."""
    errors: dict[str, str] = {}
    note = _clean(errors, "note", note, max_length=2000, required=False, label=_("核查说明"))
    if errors:
        raise ValidationError(errors)
    return _decide(actor=actor, pledge=pledge, target=PledgeStatus.FULFILLED, note=note)


DOCUMENT_NUMBER_MAX = CreditRecord._meta.get_field("document_number").max_length or 100


@transaction.atomic
def pledge_breach(
    *,
    actor: Any,
    pledge: Pledge,
    reason: str,
    evidence_ref: str,
    document_number: str,
    breached_on: datetime.date | None = None,
) -> Pledge:
    """The pledge was broken (违反承诺): a reason, a reference to the evidence and the number of the breach
    decision are required. The breach becomes a 违约 (`breach`) credit record of the bidder enterprise in the
    same transaction: decided by the recording officer's body (the bidding supervision department), under
    that document number, decision date today, conduct date `breached_on` (default today), facts = the
    reason; its publicity window is the records policy's (`dishonesty.default`).

    Refused when the officer belongs to no body, or when the bidder is not in the enterprise registry (a
    credit record needs a registered subject, and the registry takes enterprises from its own sources, not
    from a name as a bidder signed it)."""
    if not pledge_policy.may_move(pledge.status, PledgeStatus.BREACHED):  # say so before asking for more input
        raise ValidationError({"status": _("承诺当前状态为“%(s)s”，不能再变更") % {"s": pledge.get_status_display()}})
    errors: dict[str, str] = {}
    reason = _clean(errors, "reason", reason, max_length=2000, required=True, label=_("违诺原因"))
    evidence_ref = _clean(errors, "evidence_ref", evidence_ref, max_length=200, required=True, label=_("证据材料编号"))
    document_number = _clean(
        errors, "document_number", document_number, max_length=DOCUMENT_NUMBER_MAX, required=True,
        label=_("违约认定决定书文号"),
    )  # fmt: skip
    today = timezone.localdate()
    breached_on = breached_on or today
    if not isinstance(breached_on, datetime.date) or breached_on > today:
        errors["breached_on"] = _("违诺日期不能晚于今天")
    elif breached_on < pledge.pledged_on:
        errors["breached_on"] = _("违诺日期不能早于承诺日期")
    agency = getattr(actor, "agency", None)
    if agency is None:
        errors["agency"] = _("您的账号未关联任何单位，不能作出违约认定：违约信用记录须以认定单位的名义记录")
    enterprise = pledge.enterprise or Enterprise.objects.filter(uscc=pledge.uscc).first()
    if enterprise is None:
        errors["enterprise"] = _(
            "承诺主体（统一社会信用代码%(uscc)s）尚未在企业主体库中登记，无法记入违约信用记录；"
            "请先登记该企业，再作违约认定"
        ) % {"uscc": pledge.uscc}
    if errors:
        raise ValidationError(errors)
    assert agency is not None and enterprise is not None
    authority, subject = agency, enterprise
    kind = pledge_policy.KINDS.get(pledge.kind)
    kind_label, kind_basis = (kind.label, kind.basis) if kind else (pledge.kind, "")

    def breach_record() -> dict[str, Any]:
        record = record_create(
            actor=actor,
            subject=subject,
            record_class=RecordClass.BREACH,
            severity="",
            document_number=document_number,
            authority_name=authority.name,
            authority_uscc=authority.uscc,
            decision_date=today,
            conduct_date=breached_on,
            facts=reason,
            basis=_("违反信用承诺（%(number)s，%(kind)s）；承诺依据：%(basis)s")
            % {"number": pledge.number, "kind": kind_label, "basis": kind_basis},
            content=_("认定违反信用承诺，记入违约信用记录；证据材料：%(evidence)s") % {"evidence": evidence_ref},
            supplier=authority,
            source=Source.CONSOLE,
            source_ref=pledge.number,
        )
        return {"breach_record": record, "enterprise": subject}

    return _decide(
        actor=actor, pledge=pledge, target=PledgeStatus.BREACHED, note=reason, evidence_ref=evidence_ref,
        then=breach_record,
    )  # fmt: skip


@transaction.atomic
def pledge_withdraw(*, actor: Any, pledge: Pledge, reason: str) -> Pledge:
    """Withdrawn before its check (e.g. the bid was withdrawn or the tender cancelled)."""
    errors: dict[str, str] = {}
    reason = _clean(errors, "reason", reason, max_length=2000, required=True, label=_("撤回原因"))
    if errors:
        raise ValidationError(errors)
    return _decide(actor=actor, pledge=pledge, target=PledgeStatus.WITHDRAWN, note=reason)


def pledges_flag_overdue(*, run_date: datetime.date) -> int:
    """Remind the recording officer of each pledge still open after its due date, once per pledge.

    Idempotent: `overdue_notified_at` is claimed by a conditional UPDATE before the message is sent, in the
    same transaction, so a second run (or a parallel one) sends nothing more."""
    flagged = 0
    open_ids = list(
        Pledge.objects.filter(status=PledgeStatus.PLEDGED, due_on__lt=run_date, overdue_notified_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in open_ids:
        with transaction.atomic():
            claimed = Pledge.objects.filter(pk=pk, status=PledgeStatus.PLEDGED, overdue_notified_at__isnull=True)
            if claimed.update(overdue_notified_at=timezone.now()) != 1:
                continue
            pledge = Pledge.objects.select_related("recorded_by").get(pk=pk)
            if pledge.recorded_by is not None and pledge.recorded_by.is_active:
                notify(
                    recipients=[pledge.recorded_by],
                    title=_("信用承诺逾期未核查：%(number)s") % {"number": pledge.number},
                    body=_("%(name)s 的信用承诺已过履行核查日期（%(due)s），请核查履行情况。")
                    % {"name": pledge.name, "due": pledge.due_on.isoformat()},
                    link=reverse("screening:pledge_detail", args=[pledge.pk]),
                    category="screening.pledge",
                )
            flagged += 1
    return flagged
