"""Reactions to lower apps' events (imported from RemediesConfig.ready).

* `record.in_force` / `records.batch_in_force`: a government body's dishonesty record came into force. Its users
  get repair guidance (from when and how it can be repaired); the deciding authority's users get the repair
  notice (信用修复告知书) to deliver with the decision — 两书同达 is the authority's own act, we only prepare it.
  Idempotent: keyed on the event id (`GuidanceSent`).
* `calendar.year_entered`: recompute provisional deadlines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from govtrust.core.events import subscribe
from govtrust.core.models import OutboxEvent
from govtrust.core.notifications import notify
from govtrust.core.periods import EVENT_YEAR_ENTERED
from govtrust.records.models import CreditRecord, RecordStatus, SubjectKind
from govtrust.records.policy import DISHONESTY_CLASSES
from govtrust.registry.models import Agency
from govtrust.remedies import services
from govtrust.remedies.models import GuidanceSent

NOTIFY_CHUNK = 2000


def _claim(event: OutboxEvent, count: int) -> bool:
    try:
        with transaction.atomic():
            GuidanceSent.objects.create(event_id=event.pk, records=count)
    except IntegrityError:
        return False
    return True


def _eligible(records: Any) -> Any:
    return records.filter(
        subject_kind=SubjectKind.AGENCY,
        status=RecordStatus.IN_FORCE,
        covered_by__isnull=True,
        record_class__in=sorted(DISHONESTY_CLASSES),
    ).select_related("agency")


LISTED = 20  # records named in one message; the rest are counted


def send_guidance(records: Iterable[CreditRecord]) -> int:
    """One message per subject body (and per deciding authority) for these records. Returns messages sent.

    Keeps at most `LISTED` records per body and one per authority: a batch may hold a million records."""
    by_subject: dict[int, list[CreditRecord]] = defaultdict(list)
    subject_counts: dict[int, int] = defaultdict(int)
    by_authority: dict[str, list[CreditRecord]] = {}
    authority_counts: dict[str, int] = defaultdict(int)
    for record in records:
        agency_id = int(record.agency_id or 0)
        subject_counts[agency_id] += 1
        if subject_counts[agency_id] <= LISTED:
            by_subject[agency_id].append(record)
        authority_counts[record.authority_uscc] += 1
        by_authority.setdefault(record.authority_uscc, [record])
    sent = 0
    for agency_id, records_of in by_subject.items():
        subject = records_of[0].agency
        assert subject is not None
        total = subject_counts[agency_id]
        lines = []
        for record in records_of:
            verdict = services.eligibility(record)
            if verdict.barred:
                when = _("不适用信用修复：%(r)s") % {"r": verdict.barred}
            elif verdict.eligible_from is None:
                when = "；".join(verdict.reasons)
            else:
                when = _("%(d)s起可申请信用修复") % {"d": verdict.eligible_from.isoformat()}
            lines.append(f"{record.number}（{record.document_number}）：{when}")
        if total > LISTED:
            lines.append(_("……共%(n)d条") % {"n": total})
        body = (
            "\n".join(lines)
            + "\n"
            + _(
                "申请条件：最短公示期届满；失信行为已纠正、法定义务已全部履行；作出信用承诺。"
                "请在“异议与修复 > 本单位记录”中提交申请，并上传信用承诺书和证明材料。对记录有异议的，可提出异议。"
            )
        )
        sent += len(
            notify(
                recipients=services.users_with(services.FILE, subject),
                title=_("信用记录开始公示：%(n)d条，附信用修复提示") % {"n": total},
                body=body,
                link=reverse("remedies:my_records"),
                category="remedies.guidance",
                email=True,
            )
        )
    authorities = {a.uscc: a for a in Agency.objects.filter(uscc__in=list(by_authority))}
    for uscc, records_of in by_authority.items():
        authority = authorities.get(uscc)
        if authority is None:
            continue
        first = records_of[0]
        sent += len(
            notify(
                recipients=services.users_with("records.view", authority),
                title=_("信用修复告知书（两书同达）：%(n)d条记录") % {"n": authority_counts[uscc]},
                body=_("贵单位作出的决定已作为失信记录公示。可下载信用修复告知书模板，随决定书一并送达。"),
                link=reverse("remedies:repair_notice", kwargs={"number": first.number}),
                category="remedies.guidance",
            )
        )
    return sent


@subscribe("record.in_force")
def guidance_for_record(event: OutboxEvent) -> None:
    if not _claim(event, 1):
        return
    records = list(_eligible(CreditRecord.objects.filter(pk=event.payload.get("record_id"))))
    if records:
        send_guidance(records)


@subscribe("records.batch_in_force")
def guidance_for_batch(event: OutboxEvent) -> None:
    payload = event.payload
    records = _eligible(
        CreditRecord.objects.filter(
            batch_number=payload.get("batch_number", ""),
            pk__gte=payload.get("first_id") or 0,
            pk__lte=payload.get("last_id") or 0,
        )
    )
    if not _claim(event, int(payload.get("count") or 0)):
        return
    send_guidance(records.order_by("pk").iterator(chunk_size=2000))


@subscribe(EVENT_YEAR_ENTERED)
def recompute_deadlines(event: OutboxEvent) -> None:
    services.deadlines_recompute(year=event.payload.get("year"))
