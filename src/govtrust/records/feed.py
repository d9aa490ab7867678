"""Sharing (共享): the change feed of credit records, and the import kind that applies another platform's feed.

The contract is in docs/sharing.md. In short:

- Every change to a record (created, in_force, corrected, revoked, repaired, expired, covered) is a
  `RecordChange` row written by `records.services` in the transaction that made the change.
- The cursor is `RecordChange.seq`, stamped by `feed_sequence()` on committed rows only, while holding the
  `FeedSequence` row (an UPDATE takes its lock, so two sequencers never interleave). Sequencer runs commit in
  the order of the numbers they hand out, so when a reader sees seq N, every seq below N is already visible:
  paging with `seq > cursor` has no gaps and no duplicates, whatever the commit order of the writers. (Paging
  by the auto-increment id would skip an id that was allocated early and committed late.)
- Each line is the record **as it is when served** plus the change type and the version that change produced;
  a consumer applying the lines in order converges to the source's current state.
- Records about natural persons (civil servants, persons) are served only to clients holding
  `records.feed_personal`; other clients never see those changes at all (not even masked).

`RecordsFeed` (import kind `records.feed`) reads the same JSON Lines and applies each change through the
services: created → `record_create` (skipped when the natural key is already known), corrected →
`record_correct` (the fields that differ), revoked → `record_revoke`, repaired → `record_repair`, expired →
`record_expire` when the local window has also passed, otherwise nothing (the local sweep ends it), in_force and
covered → nothing (the window is local policy; fault-tolerance rulings are not shared).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core.codes import validate_uscc
from govtrust.core.ingest import CellError, Column, ImportKind, RowOutcome, Staged, register_kind
from govtrust.core.ingest.services import batch_actor, reject_at_publish
from govtrust.core.validators import check_id_number
from govtrust.records import services
from govtrust.records.models import (
    ChangeType,
    CreditRecord,
    FeedSequence,
    RecordChange,
    RecordStatus,
    Source,
    SubjectKind,
)
from govtrust.records.policy import RecordClass, Severity
from govtrust.registry.models import Agency, CivilServant, Enterprise, Person

MAX_LIMIT = 5000
DEFAULT_LIMIT = 1000
SEQUENCE_BATCH = 50_000
PERSONAL_KINDS = (SubjectKind.CIVIL_SERVANT, SubjectKind.PERSON)


# --- the cursor ------------------------------------------------------------------------------------------------------
def _counter() -> None:
    if not FeedSequence.objects.filter(pk=1).exists():
        try:
            with transaction.atomic():
                FeedSequence.objects.create(pk=1, last=0)
        except IntegrityError:
            pass  # created concurrently


def feed_sequence() -> int:
    """Stamp `seq` on every committed change that has none yet; returns how many were stamped.

    The UPDATE of the single `FeedSequence` row comes first and holds its lock to the end of the transaction,
    so sequencers run one after another (PostgreSQL: row lock; SQLite: the database write lock). Rows whose
    transaction has not committed are invisible here and get a higher seq in a later run. seq = id + shift,
    with the shift chosen so that every new seq is above every seq handed out before: one UPDATE per run.
    """
    _counter()
    with transaction.atomic():
        FeedSequence.objects.filter(pk=1).update(last=F("last"))  # take the lock first
        last = FeedSequence.objects.values_list("last", flat=True).get(pk=1)
        pending = RecordChange.objects.filter(seq__isnull=True)
        low = pending.aggregate(low=Min("id"))["low"]
        if low is None:
            return 0
        high = low + SEQUENCE_BATCH - 1
        shift = max(0, last - low + 1)
        stamped = pending.filter(id__gte=low, id__lte=high).update(seq=F("id") + shift)
        top = RecordChange.objects.filter(id__gte=low, id__lte=high).aggregate(top=Max("seq"))["top"]
        if top is not None and top > last:
            FeedSequence.objects.filter(pk=1).update(last=top)
        return stamped


def feed_head() -> int:
    """The highest seq handed out and committed: a reader may serve up to here."""
    return FeedSequence.objects.filter(pk=1).values_list("last", flat=True).first() or 0


@dataclass
class FeedPage:
    changes: list[RecordChange]
    next_cursor: int
    has_more: bool


def feed_read(*, since: int, limit: int = DEFAULT_LIMIT, personal: bool = False) -> FeedPage:
    """Changes with seq > `since`, oldest first, at most `limit`; `next_cursor` is where the next call starts.

    Without `personal`, changes of records about natural persons are left out (the cursor still moves past
    them). The head is read before the changes, so a change stamped meanwhile is served by the next call.
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    while feed_sequence() == SEQUENCE_BATCH:
        pass  # a long backlog (e.g. after a big import): stamp it all before reading
    head = feed_head()
    qs = RecordChange.objects.filter(seq__gt=since, seq__lte=head)
    if not personal:
        qs = qs.filter(personal=False)
    changes = list(
        qs.select_related(
            "record", "record__agency", "record__enterprise", "record__civil_servant", "record__person",
            "record__supplier",
        ).order_by("seq")[: limit + 1]
    )  # fmt: skip
    has_more = len(changes) > limit
    changes = changes[:limit]
    if has_more:
        next_cursor = changes[-1].seq or since
    else:
        next_cursor = max(since, head)
    return FeedPage(changes=changes, next_cursor=next_cursor, has_more=has_more)


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _amount(value: Decimal | None) -> str | None:
    return format(value.normalize(), "f") if value is not None else None


def change_line(change: RecordChange, *, personal: bool = False) -> dict[str, Any]:
    """One feed line (see docs/sharing.md). Personal identifiers only when `personal` (the client's scope)."""
    record: CreditRecord = change.record
    subject_uscc = ""
    subject_id_number = ""
    subject_name = record.subject_name
    if record.subject_kind == SubjectKind.AGENCY and record.agency is not None:
        subject_uscc = record.agency.uscc
    elif record.subject_kind == SubjectKind.ENTERPRISE and record.enterprise is not None:
        subject_uscc = record.enterprise.uscc
    elif record.is_personal:
        if not personal:  # feed_read never hands these over; a second lock on the door
            raise PermissionError("personal record in a non-personal feed")
        subject_id_number = record.subject.decrypt_id_number()
    return {
        "cursor": change.seq,
        "change": change.change,
        "changed_at": _iso(change.created_at),
        "change_version": change.version,
        "number": record.number,
        "natural_key": record.natural_key,
        "record_class": record.record_class,
        "sub_type": record.sub_type,
        "severity": record.severity,
        "subject_kind": record.subject_kind,
        "subject_name": subject_name,
        "subject_uscc": subject_uscc,
        "subject_id_number": subject_id_number,
        "document_number": record.document_number,
        "authority_name": record.authority_name,
        "authority_uscc": record.authority_uscc,
        "decision_date": _iso(record.decision_date),
        "conduct_date": _iso(record.conduct_date),
        "facts": record.facts,
        "basis": record.basis,
        "content": record.content,
        "amount_fine": _amount(record.amount_fine),
        "amount_confiscated": _amount(record.amount_confiscated),
        "extension_years": record.extension_years,
        "status": record.status,
        "status_reason": record.status_reason,
        "status_reference": record.status_reference,
        "publish": record.publish,
        "publicity_start": _iso(record.publicity_start),
        "publicity_min_end": _iso(record.publicity_min_end),
        "publicity_max_end": _iso(record.publicity_max_end),
        "rule_key": record.rule_key,
        "rule_version": record.rule_version,
        "rule_provisional": record.rule_provisional,
        "covered": record.covered_by_id is not None,
        "version": record.version,
        "supplier_uscc": record.supplier.uscc,
        "supplier_name": record.supplier.name,
        "batch_number": record.batch_number,
        "source": record.source,
        "source_row": record.source_row,
        "source_ref": record.source_ref,
        "created_at": _iso(record.created_at),
        "updated_at": _iso(record.updated_at),
    }


# --- the import kind -------------------------------------------------------------------------------------------------
_CHANGES = tuple((c.value, c.label) for c in ChangeType)
_KINDS = tuple((c.value, c.label) for c in SubjectKind)
_CLASSES = tuple((c.value, c.label) for c in RecordClass)
_SEVERITIES = tuple((c.value, c.label) for c in Severity)
_YES = {"是", "true", "1", "True"}


def _date(value: str, key: str, errors: list[CellError], *, required: bool = False) -> datetime.date | None:
    if not value:
        if required:
            errors.append(CellError(key, value, _("不能为空")))
        return None
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        errors.append(CellError(key, value, _("日期格式应为YYYY-MM-DD")))
        return None


def _decimal(value: str, key: str, errors: list[CellError]) -> str | None:
    if not value:
        return None
    try:
        Decimal(value)
    except InvalidOperation:
        errors.append(CellError(key, value, _("不是数字")))
        return None
    return value


class RecordsFeed(ImportKind):
    """Another platform's change feed (the JSON Lines of `GET /api/records/feed/changes`), applied in order."""

    code = "records.feed"
    label = gettext_lazy("信用记录变更（共享交换）")
    supplier_required = True
    action = "records.ingest"
    columns = (
        Column("change", gettext_lazy("变更类型"), required=True, choices=_CHANGES, example="created"),
        Column("number", gettext_lazy("来源记录编号"), required=True, example="XY20260000042"),
        Column("record_class", gettext_lazy("记录类别"), required=True, choices=_CLASSES, example="penalty"),
        Column("sub_type", gettext_lazy("子类")),
        Column("severity", gettext_lazy("严重程度"), choices=_SEVERITIES, example="general"),
        Column("subject_kind", gettext_lazy("主体类型"), required=True, choices=_KINDS, example="agency"),
        Column("subject_name", gettext_lazy("主体名称")),
        Column("subject_uscc", gettext_lazy("主体统一社会信用代码")),
        Column("subject_id_number", gettext_lazy("主体身份证号码"), sensitive=True),
        Column("document_number", gettext_lazy("决定书文号"), required=True),
        Column("authority_name", gettext_lazy("决定机关"), required=True),
        Column("authority_uscc", gettext_lazy("决定机关统一社会信用代码"), required=True),
        Column("decision_date", gettext_lazy("决定日期"), required=True),
        Column("conduct_date", gettext_lazy("行为发生日期")),
        Column("facts", gettext_lazy("事实")),
        Column("basis", gettext_lazy("依据")),
        Column("content", gettext_lazy("内容")),
        Column("amount_fine", gettext_lazy("罚款金额（万元）")),
        Column("amount_confiscated", gettext_lazy("没收金额（万元）")),
        Column("extension_years", gettext_lazy("延长年数")),
        Column("status", gettext_lazy("状态")),
        Column("status_reason", gettext_lazy("状态说明")),
        Column("status_reference", gettext_lazy("状态变更依据")),
        Column("publish", gettext_lazy("公示")),
        Column("supplier_uscc", gettext_lazy("数据提供部门统一社会信用代码")),
        Column("cursor", gettext_lazy("游标")),
    )

    def begin(self, batch: Any) -> None:
        self._agencies: dict[str, int | None] = {}

    def _subject(self, values: dict[str, str], errors: list[CellError]) -> tuple[str, int] | None:
        kind = values["subject_kind"]
        if kind in (SubjectKind.AGENCY, SubjectKind.ENTERPRISE):
            check = validate_uscc(values["subject_uscc"])
            if not values["subject_uscc"] or not check.ok:
                errors.append(CellError("subject_uscc", values["subject_uscc"], _("主体统一社会信用代码无效")))
                return None
            model: Any = Agency if kind == SubjectKind.AGENCY else Enterprise
            pk = model.objects.filter(uscc=check.code).values_list("pk", flat=True).first()
            if pk is None:
                errors.append(CellError("subject_uscc", check.code, _("本平台未登记该主体")))
                return None
            return kind, pk
        number = values["subject_id_number"]
        if not number or not check_id_number(number).ok:
            errors.append(CellError("subject_id_number", number, _("主体身份证号码无效或缺失")))
            return None
        people: Any = CivilServant if kind == SubjectKind.CIVIL_SERVANT else Person
        pk = people.objects.with_id_number(check_id_number(number).code).values_list("pk", flat=True).first()
        if pk is None:
            errors.append(CellError("subject_id_number", "", _("本平台未登记该自然人")))
            return None
        return kind, pk

    def validate_row(self, values: dict[str, str], *, row_number: int) -> RowOutcome:
        errors: list[CellError] = []
        subject = self._subject(values, errors)
        decision = _date(values["decision_date"], "decision_date", errors, required=True)
        conduct = _date(values["conduct_date"], "conduct_date", errors)
        fine = _decimal(values["amount_fine"], "amount_fine", errors)
        confiscated = _decimal(values["amount_confiscated"], "amount_confiscated", errors)
        extension = values["extension_years"]
        if extension and not extension.isdigit():
            errors.append(CellError("extension_years", extension, _("应为整数")))
        if errors:
            return RowOutcome(None, errors)
        assert subject is not None and decision is not None
        data: dict[str, Any] = {k: values[k] for k in values if k != "subject_id_number"}
        data.update(
            subject_kind=subject[0],
            subject_pk=subject[1],
            decision_date=decision.isoformat(),
            conduct_date=conduct.isoformat() if conduct else "",
            amount_fine=fine or "",
            amount_confiscated=confiscated or "",
            extension_years=int(extension) if extension else None,
        )
        return RowOutcome(data)

    # --- publication --------------------------------------------------------------------------------------------
    def publish(self, batch: Any, staged: Iterator[Staged]) -> dict[str, int]:
        actor = batch_actor(batch)
        supplier = Agency.objects.get(uscc=batch.supplier_code)
        counts = dict.fromkeys(("published", "created", "corrected", "revoked", "repaired", "expired", "unchanged"), 0)
        for row in staged:
            try:
                outcome = self._apply(row.data, batch=batch, actor=actor, supplier=supplier, row_number=row.row_number)
            except ValidationError as exc:
                reject_at_publish(batch, row_number=row.row_number, errors=[CellError("", "", "；".join(exc.messages))])
                continue
            counts[outcome] += 1
            counts["published"] += 1
        return counts

    def _fields(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "severity": data["severity"],
            "sub_type": data["sub_type"],
            "document_number": data["document_number"],
            "authority_name": data["authority_name"],
            "authority_uscc": data["authority_uscc"],
            "decision_date": datetime.date.fromisoformat(data["decision_date"]),
            "conduct_date": datetime.date.fromisoformat(data["conduct_date"]) if data["conduct_date"] else None,
            "facts": data["facts"],
            "basis": data["basis"],
            "content": data["content"],
            "amount_fine": Decimal(data["amount_fine"]) if data["amount_fine"] else None,
            "amount_confiscated": Decimal(data["amount_confiscated"]) if data["amount_confiscated"] else None,
            "extension_years": data["extension_years"],
        }

    def _local(self, data: dict[str, Any], subject: Any) -> CreditRecord | None:
        """The local copy: the record this feed created from the same source number, else by natural key."""
        ref = f"feed:{data['number']}"[:200]
        mine = (
            CreditRecord.objects.filter(source=Source.FEED, source_ref=ref)
            .exclude(status=RecordStatus.REVOKED)
            .order_by("-pk")
            .first()
        )
        if mine is not None:
            return mine
        key = services.natural_key_for(
            subject=subject, document_number=data["document_number"], authority_uscc=data["authority_uscc"]
        )
        return services.find_current(key)

    def _apply(self, data: dict[str, Any], *, batch: Any, actor: Any, supplier: Agency, row_number: int) -> str:
        model: Any = {
            SubjectKind.AGENCY: Agency,
            SubjectKind.ENTERPRISE: Enterprise,
            SubjectKind.CIVIL_SERVANT: CivilServant,
            SubjectKind.PERSON: Person,
        }[SubjectKind(data["subject_kind"])]
        subject = model.objects.get(pk=data["subject_pk"])
        change = data["change"]
        local = self._local(data, subject)
        if change == ChangeType.CREATED:
            if local is not None:
                return "unchanged"
            origin = Agency.objects.filter(uscc=data["supplier_uscc"]).first() if data["supplier_uscc"] else None
            services.record_create(
                actor=actor,
                subject=subject,
                record_class=data["record_class"],
                supplier=origin or supplier,
                source=Source.FEED,
                batch_number=batch.number,
                source_row=row_number,
                source_ref=f"feed:{data['number']}"[:200],
                **self._fields(data),
            )
            return "created"
        if local is None:
            if change in (ChangeType.CORRECTED, ChangeType.REVOKED, ChangeType.REPAIRED):
                raise ValidationError(_("本平台没有该记录，请从更早的游标重新获取变更"))
            return "unchanged"
        reason = data["status_reason"] or _("来源平台：%(change)s") % {"change": ChangeType(change).label}
        if change == ChangeType.CORRECTED:
            wanted = {**self._fields(data), "publish": data["publish"] in _YES}
            diff = {k: v for k, v in wanted.items() if getattr(local, k) != v}
            if not diff:
                return "unchanged"
            services.record_correct(actor=actor, record=local, changes=diff, reason=reason, source=Source.FEED)
            return "corrected"
        if change == ChangeType.REVOKED:
            if local.status == RecordStatus.REVOKED:
                return "unchanged"
            services.record_revoke(actor=actor, record=local, reason=reason, source=Source.FEED)
            return "revoked"
        if change == ChangeType.REPAIRED:
            if local.status == RecordStatus.REPAIRED:
                return "unchanged"
            services.record_repair(
                actor=actor, record=local, reason=reason, reference=data["status_reference"] or data["number"]
            )
            return "repaired"
        if change == ChangeType.EXPIRED:
            today = timezone.localdate()
            if local.status == RecordStatus.IN_FORCE and local.publicity_max_end and local.publicity_max_end < today:
                services.record_expire(actor=actor, record=local, today=today)
                return "expired"
        return "unchanged"  # in_force, covered, or an expiry the local window does not share yet


register_kind(RecordsFeed())
