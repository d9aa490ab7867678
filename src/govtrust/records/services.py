"""Every write to credit records, rule overrides and fault-tolerance rulings.

Keyword-only, inside `transaction.atomic()`, audited with `core.audit.log_change` and announcing what
happened with `core.events.emit` in the same transaction. The events are the contract other modules
subscribe to; see docs/records.md for the list and payloads.
"""

from __future__ import annotations

import datetime
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from govtrust.core.audit import actor_identity, log_change, model_snapshot
from govtrust.core.codes import validate_uscc
from govtrust.core.errors import ErrorDict, add_error, raise_if_errors
from govtrust.core.events import emit
from govtrust.core.ingest.bulk import chunked, insert_rows
from govtrust.records import catalog, policy
from govtrust.records.models import (
    SUBJECT_FIELDS,
    ChangeType,
    CreditRecord,
    CreditRecordVersion,
    FaultToleranceRuling,
    RecordChange,
    RecordNumberCounter,
    RecordStatus,
    RuleOverride,
    RulingStatus,
    Source,
    SubjectKind,
)
from govtrust.registry.models import Agency, CivilServant, Enterprise, Person

NUMBER_PREFIX = "XY"
BULK_CHUNK = 2000
TEXT_MAX = 20000
AMOUNT_MAX = Decimal("99999999")  # 万元, fits max_digits=14 with 6 decimals

EVENT_IN_FORCE = "record.in_force"
EVENT_BATCH_IN_FORCE = "records.batch_in_force"
EVENT_CORRECTED = "record.corrected"
EVENT_REVOKED = "record.revoked"
EVENT_REPAIRED = "record.repaired"
EVENT_EXPIRED = "record.expired"
EVENT_COVERED = "record.covered"


# --- helpers ---------------------------------------------------------------------------------------------------------
# Short local names: the checks below call these on almost every line.
_add = add_error
_raise_if = raise_if_errors


def _today() -> datetime.date:
    return timezone.localdate()


def subject_kind_of(subject: Any) -> SubjectKind:
    # CivilServant and Person share a base class, so test the concrete classes.
    if isinstance(subject, Agency):
        return SubjectKind.AGENCY
    if isinstance(subject, CivilServant):
        return SubjectKind.CIVIL_SERVANT
    if isinstance(subject, Person):
        return SubjectKind.PERSON
    if isinstance(subject, Enterprise):
        return SubjectKind.ENTERPRISE
    raise ValidationError({"subject": [ValidationError(_("记录主体应为政府部门、公务员、自然人或企业"))]})  # type: ignore[dict-item]


def subject_identifier(subject: Any) -> str:
    """The subject part of the natural key: a body's or enterprise's USCC, a natural person's ID-number hash.

    A civil servant and a person with the same ID number are one natural person, so both use "ID:".
    """
    kind = subject_kind_of(subject)
    if kind in (SubjectKind.AGENCY, SubjectKind.ENTERPRISE):
        return f"{'A' if kind == SubjectKind.AGENCY else 'E'}:{subject.uscc}"
    return f"ID:{subject.id_number_hash}"


def natural_key_for(*, subject: Any, document_number: str, authority_uscc: str) -> str:
    code = validate_uscc(authority_uscc).code if authority_uscc else ""
    return policy.natural_key(document_number, code, subject_identifier(subject))


def find_current(natural_key: str) -> CreditRecord | None:
    """The current (not revoked) record with this natural key, for 变更/撤销 operations; None if there is none."""
    return CreditRecord.objects.exclude(status=RecordStatus.REVOKED).filter(natural_key=natural_key).first()


def allocate_numbers(count: int, *, year: int | None = None) -> list[str]:
    """`count` consecutive record numbers XY<year><7 digits>, claimed by compare-and-set on the counter row.

    Safe under concurrency on both databases: the UPDATE only succeeds if `last` is still what we read, so
    two callers never get the same block; the loser reads again. Inside the caller's transaction, so a
    rolled-back creation gives its numbers back (no gaps from failures).
    """
    if count < 1:
        return []
    year = year or _today().year
    first, last = allocate_number_block(count, year=year)
    return [f"{NUMBER_PREFIX}{year}{n:07d}" for n in range(first, last + 1)]


def allocate_number_block(count: int, *, year: int) -> tuple[int, int]:
    """`allocate_numbers` as the block's first and last sequence numbers (no list of a million strings)."""
    while True:
        last = RecordNumberCounter.objects.filter(year=year).values_list("last", flat=True).first()
        if last is None:
            try:
                with transaction.atomic():
                    RecordNumberCounter.objects.create(year=year, last=0)
            except IntegrityError:
                pass  # someone else created it first
            continue
        if RecordNumberCounter.objects.filter(year=year, last=last).update(last=last + count) == 1:
            return last + 1, last + count


# Unicode category Cc is exactly U+0000–U+001F and U+007F–U+009F; tab, LF and CR are allowed in texts.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _has_control(value: str) -> bool:
    # A regular expression: a per-character unicodedata loop cost ~30 % of a bulk import's checks.
    return _CONTROL.search(value) is not None


def _text(errors: ErrorDict, name: str, value: Any, *, label: Any, max_length: int, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        _add(errors, name, _("%(label)s不能为空") % {"label": label}, code="required")
    elif len(text) > max_length:
        _add(errors, name, _("%(label)s不能超过%(max)d个字") % {"label": label, "max": max_length})
    elif _has_control(text):
        _add(errors, name, _("%(label)s含有不可见的控制字符") % {"label": label})
    return text


def _amount(errors: ErrorDict, name: str, value: Any, label: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        _add(errors, name, _("%(label)s“%(v)s”不是数字") % {"label": label, "v": str(value)[:20]})
        return None
    if not amount.is_finite() or amount < 0 or amount > AMOUNT_MAX:
        _add(errors, name, _("%(label)s应为0至99999999万元之间的数") % {"label": label})
        return None
    if amount.as_tuple().exponent < -6:  # type: ignore[operator]
        _add(errors, name, _("%(label)s最多保留6位小数") % {"label": label})
        return None
    return amount


# Lazy: translated only when a message is built, not once per field of every row of a million-row import.
LABELS = {
    "document_number": gettext_lazy("决定书文号"),
    "authority_name": gettext_lazy("决定机关"),
    "facts": gettext_lazy("事实"),
    "basis": gettext_lazy("依据"),
    "content": gettext_lazy("内容"),
    "amount_fine": gettext_lazy("罚款金额"),
    "amount_confiscated": gettext_lazy("没收金额"),
}


@dataclass
class _Checked:
    values: dict[str, Any]
    window: policy.Window | None


def _check(
    data: dict[str, Any],
    *,
    cat: policy.Catalog,
    uscc_cache: dict[str, Any] | None = None,
    window_cache: dict[tuple[Any, ...], policy.Window] | None = None,
) -> _Checked:
    """Validate one record's fields and compute its window; raises ValidationError keyed by field."""
    errors: ErrorDict = {}
    v: dict[str, Any] = {}
    v["record_class"] = str(data.get("record_class") or "")
    v["severity"] = str(data.get("severity") or "")
    v["sub_type"] = str(data.get("sub_type") or "")
    for name, message in policy.check_record_kind(v["record_class"], v["severity"], v["sub_type"]).items():
        _add(errors, name, message)
    v["document_number"] = _text(
        errors,
        "document_number",
        data.get("document_number"),
        label=LABELS["document_number"],
        max_length=100,
        required=True,
    )
    v["authority_name"] = _text(
        errors,
        "authority_name",
        data.get("authority_name"),
        label=LABELS["authority_name"],
        max_length=200,
        required=True,
    )
    raw_uscc = str(data.get("authority_uscc") or "").strip()
    if not raw_uscc:
        _add(errors, "authority_uscc", _("决定机关统一社会信用代码不能为空"), code="required")
        v["authority_uscc"] = ""
    else:
        check = uscc_cache.get(raw_uscc) if uscc_cache is not None else None
        if check is None:
            check = validate_uscc(raw_uscc)
            if uscc_cache is not None:
                uscc_cache[raw_uscc] = check
        if not check.ok:
            _add(errors, "authority_uscc", _("决定机关统一社会信用代码无效：%(r)s") % {"r": check.reason})
        v["authority_uscc"] = check.code
    decision_date = data.get("decision_date")
    conduct_date = data.get("conduct_date")
    if not isinstance(decision_date, datetime.date) or isinstance(decision_date, datetime.datetime):
        _add(errors, "decision_date", _("决定日期应为日期"), code="required")
        decision_date = None
    if conduct_date is not None and (
        not isinstance(conduct_date, datetime.date) or isinstance(conduct_date, datetime.datetime)
    ):
        _add(errors, "conduct_date", _("行为发生日期应为日期"))
        conduct_date = None
    if decision_date and conduct_date and conduct_date > decision_date:
        _add(errors, "conduct_date", _("行为发生日期不能晚于决定日期"))
    v["decision_date"], v["conduct_date"] = decision_date, conduct_date
    for name in ("facts", "basis", "content"):
        v[name] = _text(errors, name, data.get(name), label=LABELS[name], max_length=TEXT_MAX, required=False)
    v["amount_fine"] = _amount(errors, "amount_fine", data.get("amount_fine"), LABELS["amount_fine"])
    v["amount_confiscated"] = _amount(
        errors, "amount_confiscated", data.get("amount_confiscated"), LABELS["amount_confiscated"]
    )
    return _finish_check(errors, v, data.get("extension_years"), decision_date, cat, window_cache)


def _finish_check(
    errors: ErrorDict,
    v: dict[str, Any],
    extension: Any,
    decision_date: datetime.date | None,
    cat: policy.Catalog,
    window_cache: dict[tuple[Any, ...], policy.Window] | None,
) -> _Checked:
    """The checks both the full and the pre-checked path end with: the extension, then the window by policy."""
    if extension in (None, "", 0):
        extension = None
    elif isinstance(extension, bool) or not isinstance(extension, int):
        _add(errors, "extension_years", _("延长年数应为整数"))
        extension = None
    v["extension_years"] = extension
    window = None
    if not errors and decision_date is not None:
        window = _window(errors, v, cat, window_cache)
    _raise_if(errors)
    return _Checked(v, window)


def _window(
    errors: ErrorDict, v: dict[str, Any], cat: policy.Catalog, cache: dict[tuple[Any, ...], policy.Window] | None
) -> policy.Window | None:
    """The publicity window of checked values (memoised: an import has a few thousand distinct inputs)."""
    key = (v["record_class"], v["severity"], v["sub_type"], v["decision_date"], v["conduct_date"],
           v["extension_years"])  # fmt: skip
    window = cache.get(key) if cache is not None else None
    if window is None:
        try:
            window = policy.compute_window(
                cat,
                record_class=v["record_class"],
                severity=v["severity"],
                sub_type=v["sub_type"],
                decision_date=v["decision_date"],
                conduct_date=v["conduct_date"],
                extension_years=v["extension_years"],
                checked=True,
            )
        except policy.PolicyError as exc:
            _add(errors, "decision_date", str(exc), code="no_rule")
        else:
            if cache is not None:
                cache[key] = window
    return window


# What `_check_prechecked` still checks: the fields' presence and length (cheap, and a kind's composed texts —
# e.g. 处罚内容 plus labelled extra cells — can outgrow the field even when every cell fits).
_PRECHECKED_TEXTS = (("document_number", 100, True), ("authority_name", 200, True), ("facts", TEXT_MAX, False),
                     ("basis", TEXT_MAX, False), ("content", TEXT_MAX, False))  # fmt: skip


def _check_prechecked(
    draft: RecordDraft,
    *,
    cat: policy.Catalog,
    kind_cache: dict[tuple[str, str, str], dict[str, str]],
    uscc_cache: dict[str, Any],
    window_cache: dict[tuple[Any, ...], policy.Window],
) -> _Checked:
    """`_check` for a draft whose cells an import kind has already validated (`record_bulk_create(checked=True)`).

    Trusted, because the kind checked them cell by cell: texts already trimmed and free of control characters,
    amounts parsed (≥ 0, ≤ AMOUNT_MAX, ≤ 6 places), dates real `date`s. Still checked here, as in `_check`:
    class/severity/sub-type, presence and length of the texts, the deciding authority's USCC, the order of the
    dates, the extension — and the window is computed (no rule → rejected).
    """
    errors: ErrorDict = {}
    v: dict[str, Any] = {
        "record_class": draft.record_class or "",
        "severity": draft.severity or "",
        "sub_type": draft.sub_type or "",
        "document_number": draft.document_number,
        "authority_name": draft.authority_name,
        "facts": draft.facts,
        "basis": draft.basis,
        "content": draft.content,
        "amount_fine": draft.amount_fine,
        "amount_confiscated": draft.amount_confiscated,
    }
    kind_key = (v["record_class"], v["severity"], v["sub_type"])
    kind_errors = kind_cache.get(kind_key)
    if kind_errors is None:
        kind_errors = kind_cache[kind_key] = policy.check_record_kind(*kind_key)
    for name, message in kind_errors.items():
        _add(errors, name, message)
    for name, max_length, required in _PRECHECKED_TEXTS:
        text = v[name]
        if not isinstance(text, str) or (required and not text) or len(text) > max_length:
            # Unusual: let the full check word the message.
            v[name] = _text(errors, name, text, label=LABELS[name], max_length=max_length, required=required)
    raw_uscc = draft.authority_uscc or ""
    check = uscc_cache.get(raw_uscc)
    if check is None:
        check = uscc_cache[raw_uscc] = validate_uscc(raw_uscc) if raw_uscc else None
    if check is None:
        _add(errors, "authority_uscc", _("决定机关统一社会信用代码不能为空"), code="required")
        v["authority_uscc"] = ""
    else:
        if not check.ok:
            _add(errors, "authority_uscc", _("决定机关统一社会信用代码无效：%(r)s") % {"r": check.reason})
        v["authority_uscc"] = check.code
    decision_date: datetime.date | None = draft.decision_date
    conduct_date = draft.conduct_date
    if type(decision_date) is not datetime.date:
        _add(errors, "decision_date", _("决定日期应为日期"), code="required")
        decision_date = None
    if conduct_date is not None and type(conduct_date) is not datetime.date:
        _add(errors, "conduct_date", _("行为发生日期应为日期"))
        conduct_date = None
    if decision_date and conduct_date and conduct_date > decision_date:
        _add(errors, "conduct_date", _("行为发生日期不能晚于决定日期"))
    v["decision_date"], v["conduct_date"] = decision_date, conduct_date
    return _finish_check(errors, v, draft.extension_years, decision_date, cat, window_cache)


def _apply_window(record: CreditRecord, window: policy.Window, today: datetime.date) -> None:
    record.publicity_start = window.start
    record.publicity_min_end = window.min_end
    record.publicity_max_end = window.max_end
    record.publish = window.publish
    record.rule_key = window.rule_key
    record.rule_version = window.rule_version
    record.rule_provisional = window.provisional
    record.status = policy.status_on(window.start, window.max_end, today)


def _record_payload(record: CreditRecord) -> dict[str, Any]:
    return {
        "record_id": record.pk,
        "number": record.number,
        "subject_kind": record.subject_kind,
        "subject_id": getattr(record, f"{SUBJECT_FIELDS[SubjectKind(record.subject_kind)]}_id"),
        "record_class": record.record_class,
        "severity": record.severity,
        "status": record.status,
        "publicity_start": record.publicity_start.isoformat(),
        "publicity_max_end": record.publicity_max_end.isoformat() if record.publicity_max_end else None,
        "rule_provisional": record.rule_provisional,
        "covered": record.covered_by_id is not None,
    }


# --- the change feed: one RecordChange per change, in the same transaction (see records/feed.py) ---------------
def record_changed(record: CreditRecord, change: str) -> None:
    """Note a change for the change feed; call inside the transaction that made it."""
    RecordChange.objects.create(
        record=record, change=change, version=record.version, status=record.status, personal=record.is_personal
    )


def records_changed(records: Iterable[CreditRecord], change: str) -> int:
    """The same for many records at once (imports, the sweep): one executemany, no model instances."""
    now = timezone.now()
    return insert_rows(
        RecordChange,
        ["record_id", "change", "version", "status", "personal", "created_at"],
        ((r.pk, change, r.version, r.status, r.is_personal, now) for r in records),
    )


def records_changed_by_numbers(first_number: str, last_number: str, change: str) -> int:
    """Feed rows for a block of records just inserted by number range: one INSERT … SELECT, no round trip."""
    change_table = connection.ops.quote_name(RecordChange._meta.db_table)
    record_table = connection.ops.quote_name(CreditRecord._meta.db_table)
    personal = (SubjectKind.CIVIL_SERVANT.value, SubjectKind.PERSON.value)
    sql = (
        f"INSERT INTO {change_table} (record_id, change, version, status, personal, created_at) "  # noqa: S608
        f"SELECT id, %s, version, status, subject_kind IN (%s, %s), %s FROM {record_table} "
        "WHERE number >= %s AND number <= %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [change, *personal, timezone.now(), first_number, last_number])
        return cursor.rowcount


# --- fault-tolerance matching ----------------------------------------------------------------------------------------
def ruling_covers(
    ruling: FaultToleranceRuling,
    *,
    document_number: str,
    natural_key: str,
    conduct_date: datetime.date | None,
) -> bool:
    """Whether an in-effect ruling covers a record of its subject (the caller checks the subject)."""
    if natural_key in (ruling.natural_keys or []):
        return True
    doc = policy.normalise_document_number(document_number)
    if doc and doc in {policy.normalise_document_number(d) for d in ruling.document_numbers or []}:
        return True
    if conduct_date and (ruling.conduct_from or ruling.conduct_to):
        return (ruling.conduct_from is None or ruling.conduct_from <= conduct_date) and (
            ruling.conduct_to is None or conduct_date <= ruling.conduct_to
        )
    return False


class _RulingIndex:
    """In-effect rulings by (subject kind, subject pk), loaded once per bulk call."""

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        self._by_subject: dict[tuple[str, int], list[FaultToleranceRuling]] = {}
        agencies = {pk for kind, pk in pairs if kind == SubjectKind.AGENCY}
        servants = {pk for kind, pk in pairs if kind == SubjectKind.CIVIL_SERVANT}
        rulings = FaultToleranceRuling.objects.filter(status=RulingStatus.IN_EFFECT)
        if agencies:
            for ruling in rulings.filter(subject_agency_id__in=agencies):
                self._by_subject.setdefault((SubjectKind.AGENCY, ruling.subject_agency_id), []).append(ruling)  # type: ignore[arg-type]
        if servants:
            for ruling in rulings.filter(subject_civil_servant_id__in=servants):
                key = (SubjectKind.CIVIL_SERVANT, ruling.subject_civil_servant_id)
                self._by_subject.setdefault(key, []).append(ruling)  # type: ignore[arg-type]

    def match(
        self, kind: str, pk: int, *, document_number: str, natural_key: str, conduct_date: datetime.date | None
    ) -> FaultToleranceRuling | None:
        for ruling in self._by_subject.get((kind, pk), ()):
            if ruling_covers(
                ruling, document_number=document_number, natural_key=natural_key, conduct_date=conduct_date
            ):
                return ruling
        return None


def _pairs(kind: SubjectKind, pk: int) -> list[tuple[str, int]]:
    return [(kind, pk)]


# --- create ----------------------------------------------------------------------------------------------------------
def _build(
    *,
    subject: Any,
    checked: _Checked,
    supplier: Agency,
    source: str,
    batch_number: str,
    source_row: int | None,
    source_ref: str,
    today: datetime.date,
) -> CreditRecord:
    kind = subject_kind_of(subject)
    v = checked.values
    record = CreditRecord(
        subject_kind=kind,
        subject_name=str(subject.name),
        supplier=supplier,
        source=source,
        batch_number=batch_number,
        source_row=source_row,
        source_ref=source_ref[:200],
        natural_key=policy.natural_key(v["document_number"], v["authority_uscc"], subject_identifier(subject)),
        **v,
    )
    setattr(record, SUBJECT_FIELDS[kind], subject)
    assert checked.window is not None
    _apply_window(record, checked.window, today)
    return record


def _check_source(source: str, supplier: Any) -> None:
    errors: ErrorDict = {}
    if source not in Source.values:
        _add(errors, "source", _("来源“%(v)s”无效") % {"v": source})
    if not isinstance(supplier, Agency) or supplier.pk is None:
        _add(errors, "supplier", _("数据提供部门应为已登记的政府部门"))
    _raise_if(errors)


def record_create(
    *,
    actor: Any,
    subject: Any,
    record_class: str,
    severity: str,
    document_number: str,
    authority_name: str,
    authority_uscc: str,
    decision_date: datetime.date,
    conduct_date: datetime.date | None = None,
    facts: str,
    basis: str,
    content: str,
    amount_fine: Decimal | None = None,
    amount_confiscated: Decimal | None = None,
    supplier: Agency,
    source: str,
    batch_number: str = "",
    source_row: int | None = None,
    sub_type: str = "",
    source_ref: str = "",
    extension_years: int | None = None,
) -> CreditRecord:
    """Store one record with its window computed by policy; emit `record.in_force` if it is in force now.

    A record whose maximum end has already passed is stored as publicity_ended (no event); one whose start
    lies ahead as received (the lifecycle sweep puts it in force). A matching in-effect fault-tolerance
    ruling marks it covered at creation.
    """
    subject_kind_of(subject)
    _check_source(source, supplier)
    checked = _check(
        {
            "record_class": record_class,
            "severity": severity,
            "sub_type": sub_type,
            "document_number": document_number,
            "authority_name": authority_name,
            "authority_uscc": authority_uscc,
            "decision_date": decision_date,
            "conduct_date": conduct_date,
            "facts": facts,
            "basis": basis,
            "content": content,
            "amount_fine": amount_fine,
            "amount_confiscated": amount_confiscated,
            "extension_years": extension_years,
        },
        cat=catalog.current_catalog(),
    )
    today = _today()
    with transaction.atomic():
        record = _build(
            subject=subject,
            checked=checked,
            supplier=supplier,
            source=source,
            batch_number=batch_number,
            source_row=source_row,
            source_ref=source_ref,
            today=today,
        )
        kind = SubjectKind(record.subject_kind)
        if kind in (SubjectKind.AGENCY, SubjectKind.CIVIL_SERVANT):
            record.covered_by = _RulingIndex(_pairs(kind, subject.pk)).match(
                kind,
                subject.pk,
                document_number=record.document_number,
                natural_key=record.natural_key,
                conduct_date=record.conduct_date,
            )
        if find_current(record.natural_key) is not None:
            raise ValidationError(
                {"document_number": [ValidationError(_("该主体的同一决定书已有记录"), code="duplicate")]}  # type: ignore[dict-item]
            )
        record.number = allocate_numbers(1, year=today.year)[0]
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:
            raise ValidationError(
                {"document_number": [ValidationError(_("该主体的同一决定书已有记录"), code="duplicate")]}  # type: ignore[dict-item]
            ) from None
        log_change(actor=actor, action="create", obj=record, after=model_snapshot(record))
        record_changed(record, ChangeType.CREATED)
        if record.status == RecordStatus.IN_FORCE:
            emit(EVENT_IN_FORCE, _record_payload(record))
    return record


@dataclass
class RecordDraft:
    """One record to store in bulk; the same fields as `record_create` without actor, supplier and source."""

    subject: Any
    record_class: str
    severity: str
    document_number: str
    authority_name: str
    authority_uscc: str
    decision_date: datetime.date
    conduct_date: datetime.date | None = None
    facts: str = ""
    basis: str = ""
    content: str = ""
    amount_fine: Decimal | None = None
    amount_confiscated: Decimal | None = None
    sub_type: str = ""
    source_row: int | None = None
    source_ref: str = ""
    extension_years: int | None = None


@dataclass(frozen=True)
class Rejection:
    index: int  # position of the draft in the input (0-based)
    source_row: int | None
    field: str
    message: str


@dataclass
class BulkResult:
    created: int = 0
    in_force: int = 0
    received: int = 0
    ended: int = 0
    covered: int = 0
    first_id: int | None = None
    last_id: int | None = None
    first_number: str = ""
    last_number: str = ""
    rejected: list[Rejection] = field(default_factory=list)


def _rejections(index: int, draft: RecordDraft, error: ValidationError) -> list[Rejection]:
    out = []
    for name, messages in getattr(error, "message_dict", {"__all__": error.messages}).items():
        for message in messages:
            out.append(Rejection(index, draft.source_row, name, message))
    return out


def record_bulk_create(
    *,
    actor: Any,
    drafts: Iterable[RecordDraft],
    supplier: Agency,
    batch_number: str,
    source: str,
    checked: bool = False,
) -> BulkResult:
    """Store many records at once (imports): bad drafts are rejected and reported, the rest stored.

    `checked=True` is for import kinds that validated every cell themselves at staging: the drafts' texts are
    then taken as trimmed and free of control characters and their amounts as in range (`_check_prechecked`);
    everything else — class, presence and length, the authority's USCC, the dates, the window, duplicates —
    is checked as always.

    Fast: numbers are claimed one block per chunk, rows inserted with one executemany per chunk straight from
    the checked values (no model instances), ONE audit row for the batch and ONE event
    `records.batch_in_force` {"batch_number", "first_id", "last_id", "count"} — never one `record.in_force`
    per record. No version rows (a new record has no previous version). `drafts` is consumed lazily, chunk
    by chunk, so a generator keeps memory flat. Runs in one transaction (a savepoint when the caller already
    has one, e.g. the ingest publish step).
    """
    _check_source(source, supplier)
    if not batch_number or len(batch_number) > 40:
        raise ValidationError({"batch_number": [ValidationError(_("批次号不能为空，且不超过40个字符"))]})  # type: ignore[dict-item]
    cat = catalog.current_catalog()
    today = _today()
    now = timezone.now()
    uscc_cache: dict[str, Any] = {}
    window_cache: dict[tuple[Any, ...], policy.Window] = {}
    kind_cache: dict[tuple[str, str, str], dict[str, str]] = {}
    result = BulkResult()
    # Keys stored by this call, as 64-bit hashes (a million keys in ~40 MB instead of ~150 MB of strings). A
    # hash only chooses between two messages: whether a key is taken is always decided by the database.
    stored_hashes: set[int] = set()
    inserter = _RowInserter()
    with transaction.atomic():
        offset = 0
        for chunk in chunked(drafts, BULK_CHUNK):
            built: list[tuple[int, dict[str, Any]]] = []
            chunk_keys: set[str] = set()
            for i, draft in enumerate(chunk, start=offset):
                try:
                    kind = subject_kind_of(draft.subject)
                    if checked:
                        values = _check_prechecked(
                            draft, cat=cat, kind_cache=kind_cache, uscc_cache=uscc_cache, window_cache=window_cache
                        )
                    else:
                        values = _check(
                            {
                                "record_class": draft.record_class,
                                "severity": draft.severity,
                                "sub_type": draft.sub_type,
                                "document_number": draft.document_number,
                                "authority_name": draft.authority_name,
                                "authority_uscc": draft.authority_uscc,
                                "decision_date": draft.decision_date,
                                "conduct_date": draft.conduct_date,
                                "facts": draft.facts,
                                "basis": draft.basis,
                                "content": draft.content,
                                "amount_fine": draft.amount_fine,
                                "amount_confiscated": draft.amount_confiscated,
                                "extension_years": draft.extension_years,
                            },
                            cat=cat,
                            uscc_cache=uscc_cache,
                            window_cache=window_cache,
                        )
                except ValidationError as error:
                    result.rejected.extend(_rejections(i, draft, error))
                    continue
                row = _row(
                    kind=kind,
                    subject=draft.subject,
                    checked=values,
                    supplier_id=supplier.pk,
                    source=source,
                    batch_number=batch_number,
                    source_row=draft.source_row,
                    source_ref=draft.source_ref,
                    today=today,
                    now=now,
                )
                key = row["natural_key"]
                if key in chunk_keys:
                    result.rejected.append(Rejection(i, draft.source_row, "document_number", _duplicate_in_batch()))
                    continue
                chunk_keys.add(key)
                built.append((i, row))
            offset += len(chunk)
            if not built:
                continue
            existing = set(
                CreditRecord.objects.exclude(status=RecordStatus.REVOKED)
                .filter(natural_key__in=[row["natural_key"] for _i, row in built])
                .values_list("natural_key", flat=True)
            )
            keep = []
            for i, row in built:
                key = row["natural_key"]
                if key in existing:
                    message = _duplicate_in_batch() if hash(key) in stored_hashes else _("该主体的同一决定书已有记录")
                    result.rejected.append(Rejection(i, row["source_row"], "document_number", message))
                else:
                    keep.append(row)
            if not keep:
                continue
            # Rulings in effect are rare: skip building the index (an IN over every subject) when there is none.
            in_effect = FaultToleranceRuling.objects.filter(status=RulingStatus.IN_EFFECT).exists()
            rulings = _RulingIndex({(row["subject_kind"], row["_subject_pk"]) for row in keep} if in_effect else ())
            for row in keep:
                kind = row["subject_kind"]
                if kind in (SubjectKind.AGENCY, SubjectKind.CIVIL_SERVANT):
                    ruling = rulings.match(
                        kind,
                        row["_subject_pk"],
                        document_number=row["document_number"],
                        natural_key=row["natural_key"],
                        conduct_date=row["conduct_date"],
                    )
                    row["covered_by_id"] = ruling.pk if ruling is not None else None
            numbers = allocate_numbers(len(keep), year=today.year)
            for row, number in zip(keep, numbers, strict=True):
                row["number"] = number
                stored_hashes.add(hash(row["natural_key"]))
                status = row["status"]
                result.created += 1
                result.covered += row["covered_by_id"] is not None
                result.in_force += status == RecordStatus.IN_FORCE
                result.received += status == RecordStatus.RECEIVED
                result.ended += status == RecordStatus.PUBLICITY_ENDED
            first_id, last_id = inserter.insert(keep)
            records_changed_by_numbers(numbers[0], numbers[-1], ChangeType.CREATED)
            result.first_id = first_id if result.first_id is None else min(result.first_id, first_id)
            result.last_id = last_id if result.last_id is None else max(result.last_id, last_id)
            result.first_number = result.first_number or numbers[0]
            result.last_number = numbers[-1]
        _finish_bulk(actor=actor, supplier=supplier, batch_number=batch_number, source=source, result=result)
    return result


def _finish_bulk(
    *,
    actor: Any,
    supplier: Agency,
    batch_number: str,
    source: str,
    result: BulkResult,
    rejected_rows: int | None = None,
) -> None:
    """The ONE audit row and ONE `records.batch_in_force` event of a bulk creation (nothing when none stored)."""
    if result.created:
        log_change(
            actor=actor,
            action="import",
            message="records.bulk_create",
            object_type="records.creditrecord",
            object_id=batch_number,
            object_repr=_("批次 %(batch)s") % {"batch": batch_number},
            after={
                "batch_number": batch_number,
                "supplier": supplier.uscc,
                "source": source,
                "count": result.created,
                "first_id": result.first_id,
                "last_id": result.last_id,
                "first_number": result.first_number,
                "last_number": result.last_number,
                "covered": result.covered,
                "rejected_rows": len({r.index for r in result.rejected}) if rejected_rows is None else rejected_rows,
            },
        )
        emit(
            EVENT_BATCH_IN_FORCE,
            {
                "batch_number": batch_number,
                "first_id": result.first_id,
                "last_id": result.last_id,
                "count": result.created,
            },
            # Subscribers go through every record of the batch (sanction cases, repair guidance): in the worker,
            # not in the importing process.
            in_worker=True,
        )


# --- set-based creation from staged, insert-ready values (the import kinds' fast path) --------------------------


def record_insert_values(
    draft: RecordDraft,
    *,
    today: datetime.date,
    caches: dict[str, Any],
) -> list[Any] | None:
    """The values of `STAGED_COLUMNS` (natural key last) that `record_bulk_create(checked=True)` would insert for
    `draft` today; None when it would reject the draft (the caller then leaves the row to that path, which words the
    rejection). `caches` is a dict the caller keeps for the batch. Supplier, source and batch number are the
    batch's: the set-based insert adds them.

    For staging: the window and status hold for `today` and the rule catalogue of now (`catalog_version()`),
    so a set-based publication must check both and fall back when either moved.
    """
    cat = caches.get("cat")
    if cat is None:
        cat = caches["cat"] = catalog.current_catalog()
    usual = _insert_values_usual(draft, today=today, caches=caches, cat=cat)
    if usual is not None:
        return usual
    return _insert_values_checked(draft, today=today, caches=caches, cat=cat)


def _insert_values_checked(
    draft: RecordDraft, *, today: datetime.date, caches: dict[str, Any], cat: policy.Catalog
) -> list[Any] | None:
    """`record_insert_values` for any draft, through `_check_prechecked`."""
    window_cache = caches.setdefault("window", {})
    try:
        checked = _check_prechecked(
            draft,
            cat=cat,
            kind_cache=caches.setdefault("kind", {}),
            uscc_cache=caches.setdefault("uscc", {}),
            window_cache=window_cache,
        )
    except ValidationError:
        return None
    v, window = checked.values, checked.window
    assert window is not None
    # The window's columns and the status, as text, once per distinct window.
    staged_windows = caches.setdefault("staged_windows", {})
    window_values = staged_windows.get(id(window))
    if window_values is None:
        window_values = staged_windows[id(window)] = [
            window.start,
            window.min_end,
            window.max_end,
            window.publish,
            window.rule_key,
            window.rule_version,
            window.provisional,
            str(policy.status_on(window.start, window.max_end, today)),
        ]
    subject = draft.subject
    kind = subject_kind_of(subject)
    if kind in (SubjectKind.AGENCY, SubjectKind.ENTERPRISE):
        identifier = f"{'A' if kind == SubjectKind.AGENCY else 'E'}:{subject.uscc}"
    else:
        identifier = f"ID:{subject.id_number_hash}"
    pk = subject.pk
    return [
        str(v["record_class"]),  # plain str, not the enum: staged rows may cross a process boundary (pickled)
        str(v["severity"]),
        str(v["sub_type"]),
        v["document_number"],
        v["authority_name"],
        v["authority_uscc"],
        v["decision_date"],
        v["conduct_date"],
        v["facts"],
        v["basis"],
        v["content"],
        v["amount_fine"],
        v["amount_confiscated"],
        v["extension_years"],
        str(kind),
        pk if kind == SubjectKind.AGENCY else None,
        pk if kind == SubjectKind.CIVIL_SERVANT else None,
        pk if kind == SubjectKind.PERSON else None,
        pk if kind == SubjectKind.ENTERPRISE else None,
        str(subject.name),
        draft.source_row,
        draft.source_ref[:200],
        *window_values,
        policy.natural_key(v["document_number"], v["authority_uscc"], identifier),
    ]


def _insert_values_usual(
    draft: RecordDraft, *, today: datetime.date, caches: dict[str, Any], cat: policy.Catalog
) -> list[Any] | None:
    """`record_insert_values` for the usual draft of an import — an agency subject, texts present and within
    their lengths, real dates in order, no extension — with every check of `_check_prechecked` made, those that
    depend on few distinct inputs memoised together: the class/severity/sub-type, the deciding authority's USCC
    and the window with its status. None when the draft is not that usual one: the general path then decides
    (and words any rejection); so both give the same values for the same draft.
    """
    decision_date, conduct_date = draft.decision_date, draft.conduct_date
    subject = draft.subject
    document_number, authority_name = draft.document_number, draft.authority_name
    facts, basis, content = draft.facts, draft.basis, draft.content
    if (
        type(decision_date) is not datetime.date
        or (conduct_date is not None and (type(conduct_date) is not datetime.date or conduct_date > decision_date))
        or draft.extension_years is not None
        or type(subject) is not Agency
        or type(document_number) is not str
        or not document_number
        or len(document_number) > 100
        or type(authority_name) is not str
        or not authority_name
        or len(authority_name) > 200
        or type(facts) is not str
        or len(facts) > TEXT_MAX
        or type(basis) is not str
        or len(basis) > TEXT_MAX
        or type(content) is not str
        or len(content) > TEXT_MAX
    ):
        return None
    record_class, severity, sub_type = draft.record_class or "", draft.severity or "", draft.sub_type or ""
    usual = caches.get("usual")
    if usual is None:
        usual = caches["usual"] = {"kind": {}, "uscc": {}, "window": {}}
    kind_key = (record_class, severity, sub_type)
    kind_ok = usual["kind"].get(kind_key)
    if kind_ok is None:
        kind_ok = usual["kind"][kind_key] = not policy.check_record_kind(*kind_key)
    raw_uscc = draft.authority_uscc or ""
    code = usual["uscc"].get(raw_uscc)
    if code is None:
        check = validate_uscc(raw_uscc) if raw_uscc else None
        code = usual["uscc"][raw_uscc] = check.code if check is not None and check.ok else ""
    if not kind_ok or not code:
        return None
    window_key = (record_class, severity, sub_type, decision_date, conduct_date)
    window_values = usual["window"].get(window_key)
    if window_values is None:
        try:
            window = policy.compute_window(
                cat,
                record_class=record_class,
                severity=severity,
                sub_type=sub_type,
                decision_date=decision_date,
                conduct_date=conduct_date,
                extension_years=None,
                checked=True,
            )
        except policy.PolicyError:
            window_values = False
        else:
            window_values = [
                window.start,
                window.min_end,
                window.max_end,
                window.publish,
                window.rule_key,
                window.rule_version,
                window.provisional,
                str(policy.status_on(window.start, window.max_end, today)),
            ]
        if len(usual["window"]) < 100_000:
            usual["window"][window_key] = window_values
    if window_values is False:
        return None
    uscc = subject.uscc
    return [
        str(record_class),
        str(severity),
        str(sub_type),
        document_number,
        authority_name,
        code,
        decision_date,
        conduct_date,
        facts,
        basis,
        content,
        draft.amount_fine,
        draft.amount_confiscated,
        None,
        _AGENCY_KIND,
        subject.pk,
        None,
        None,
        None,
        str(subject.name),
        draft.source_row,
        draft.source_ref[:200],
        *window_values,
        f"{policy.normalise_document_number(document_number)}|{code}|A:{uscc}",
    ]


_AGENCY_KIND = str(SubjectKind.AGENCY)


# The columns `record_insert_values` stages, in its order; every other column of a set-based insert is the
# batch's (supplier, source, batch number), computed (number, timestamps, coverage) or its default.
STAGED_COLUMNS = (
    "record_class", "severity", "sub_type", "document_number", "authority_name", "authority_uscc", "decision_date",
    "conduct_date", "facts", "basis", "content", "amount_fine", "amount_confiscated", "extension_years",
    "subject_kind", "agency_id", "civil_servant_id", "person_id", "enterprise_id", "subject_name", "source_row",
    "source_ref", "publicity_start", "publicity_min_end", "publicity_max_end", "publish", "rule_key",
    "rule_version", "rule_provisional", "status", "natural_key",
)  # fmt: skip
STAGED_INDEX = {name: i for i, name in enumerate(STAGED_COLUMNS)}


def catalog_version() -> str:
    """Changes whenever a rule override is saved: staged windows computed under another version are stale."""
    n, latest = catalog._version()
    return f"{n}|{latest}"


def record_bulk_insert_select(
    *,
    actor: Any,
    supplier: Agency,
    batch_number: str,
    source: str,
    count: int,
    insert_select: Any,
    statuses: dict[str, int],
    rejected_rows: int = 0,
) -> BulkResult:
    """Store `count` records with ONE `INSERT … SELECT` that `insert_select(first, columns)` executes.

    `statuses`: how many of the rows have each status (the caller counts them where it counts the rows: reading
    them back from the records table, ~1 s at a million, found no more).

    `insert_select(prefix, first, columns)` returns the rows inserted. Its SELECT yields, in the order of
    `columns` (CreditRecord column names), the staged insert-ready values and the number `prefix` + 7 digits
    of `first` − 1 + the row's rank — one contiguous block claimed
    here by `allocate_numbers`. Then, as `record_bulk_create`: feed rows by number range, one audit row, one
    `records.batch_in_force` event. The caller excludes subjects under a fault-tolerance ruling in effect
    (`covered_by_id` is left NULL) and rows whose natural key is taken. Returns the counts.
    """
    result = BulkResult()
    if count < 1:
        return result
    today = _today()
    with transaction.atomic():
        first, last = allocate_number_block(count, year=today.year)
        numbers = [f"{NUMBER_PREFIX}{today.year}{n:07d}" for n in (first, last)]
        inserted = insert_select(numbers[0][:-7], first, _insert_fields())
        if inserted != count:
            raise RuntimeError(f"set-based insert stored {inserted} records, expected {count}")
        result.first_number, result.last_number = numbers[0], numbers[-1]
        if sum(statuses.values()) != count:
            raise RuntimeError(f"status counts {statuses} do not add up to {count}")
        result.created = count
        result.in_force = statuses.get(RecordStatus.IN_FORCE, 0)
        result.received = statuses.get(RecordStatus.RECEIVED, 0)
        result.ended = statuses.get(RecordStatus.PUBLICITY_ENDED, 0)
        # The ids from the number index alone (it holds them): no record row is read.
        ids = CreditRecord.objects.filter(number__gte=numbers[0], number__lte=numbers[-1])
        span = ids.aggregate(first=models.Min("pk"), last=models.Max("pk"))
        result.first_id, result.last_id = span["first"], span["last"]
        records_changed_by_numbers(numbers[0], numbers[-1], ChangeType.CREATED)
        _finish_bulk(
            actor=actor,
            supplier=supplier,
            batch_number=batch_number,
            source=source,
            result=result,
            rejected_rows=rejected_rows,
        )
    return result


def _insert_fields() -> list[Any]:
    return [f for f in CreditRecord._meta.concrete_fields if not f.primary_key]


def _duplicate_in_batch() -> str:
    return _("与本批次前面的记录重复（同一主体同一决定书）")


def _row(
    *,
    kind: SubjectKind,
    subject: Any,
    checked: _Checked,
    supplier_id: int,
    source: str,
    batch_number: str,
    source_row: int | None,
    source_ref: str,
    today: datetime.date,
    now: datetime.datetime,
) -> dict[str, Any]:
    """The column values (attnames) of one new record, as `_build` would set them, without a model instance."""
    v = checked.values
    window = checked.window
    assert window is not None
    row = dict(v)
    if kind in (SubjectKind.AGENCY, SubjectKind.ENTERPRISE):
        identifier = f"{'A' if kind == SubjectKind.AGENCY else 'E'}:{subject.uscc}"
    else:
        identifier = f"ID:{subject.id_number_hash}"
    row.update(
        subject_kind=kind,
        agency_id=None,
        civil_servant_id=None,
        person_id=None,
        enterprise_id=None,
        subject_name=str(subject.name),
        supplier_id=supplier_id,
        source=source,
        batch_number=batch_number,
        source_row=source_row,
        source_ref=source_ref[:200],
        natural_key=policy.natural_key(v["document_number"], v["authority_uscc"], identifier),
        publicity_start=window.start,
        publicity_min_end=window.min_end,
        publicity_max_end=window.max_end,
        publish=window.publish,
        rule_key=window.rule_key,
        rule_version=window.rule_version,
        rule_provisional=window.provisional,
        status=policy.status_on(window.start, window.max_end, today),
        covered_by_id=None,
        created_at=now,
        updated_at=now,
        _subject_pk=subject.pk,
    )
    row[f"{SUBJECT_FIELDS[kind]}_id"] = subject.pk
    return row


def _converter(model_field: Any) -> Any:
    """The database form of a field's value, as `get_db_prep_save` gives it, minus its per-call overhead."""
    ops = connection.ops
    if isinstance(model_field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(model_field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(model_field, models.DecimalField):
        digits, places = model_field.max_digits, model_field.decimal_places
        return lambda value: None if value is None else ops.adapt_decimalfield_value(value, digits, places)
    if isinstance(model_field, models.CharField | models.TextField | models.BooleanField | models.ForeignKey):
        return None
    if isinstance(model_field, models.IntegerField):
        return None
    return lambda value: model_field.get_db_prep_save(value, connection)


class _RowInserter:
    """INSERT chunks of new records with one executemany each, straight from row dicts.

    `bulk_create` on SQLite is held to 999 bound parameters per statement (≈20 rows of this model) and builds a
    model instance per row (~40 % of an import's time); one prepared statement executed for every row is several
    times faster on both databases. Columns missing from a row take the field's default.
    """

    def __init__(self) -> None:
        fields = [f for f in CreditRecord._meta.concrete_fields if not f.primary_key]
        qn = connection.ops.quote_name
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (our own table and column names)
            qn(CreditRecord._meta.db_table),
            ", ".join(qn(f.column) for f in fields),
            ", ".join(["%s"] * len(fields)),
        )
        self.attnames = [f.attname for f in fields]
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.converted = [(i, c) for i, c in enumerate(_converter(f) for f in fields) if c is not None]
        # Dates and timestamps repeat a lot within an import (one `now`, a few thousand decision dates):
        # convert each distinct value once.
        self.memo: dict[int, dict[Any, Any]] = {
            i: {} for i, f in enumerate(fields) if isinstance(f, models.DateField) and i in dict(self.converted)
        }

    def insert(self, rows: list[dict[str, Any]]) -> tuple[int, int]:
        """Insert the rows (numbers already allocated as one contiguous block); (first id, last id)."""
        attnames, defaults = self.attnames, self.defaults
        plain = [(i, convert) for i, convert in self.converted if i not in self.memo]
        memoised = [(i, convert, self.memo[i]) for i, convert in self.converted if i in self.memo]
        # Defaults under the row's own values, then every column in one C-level itemgetter call.
        pick = operator.itemgetter(*attnames)
        params = []
        for row in rows:
            values = list(pick({**defaults, **row}))
            for i, convert, memo in memoised:
                value = values[i]
                if value is not None:
                    done = memo.get(value)
                    if done is None:
                        done = memo[value] = convert(value)
                    values[i] = done
            for i, convert in plain:
                value = values[i]
                if value is not None:
                    values[i] = convert(value)
            params.append(values)
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, params)
        bounds = CreditRecord.objects.filter(number__gte=rows[0]["number"], number__lte=rows[-1]["number"]).aggregate(
            first=models.Min("pk"), last=models.Max("pk")
        )
        return int(bounds["first"]), int(bounds["last"])


# --- change ----------------------------------------------------------------------------------------------------------
CORRECTABLE = (
    "severity",
    "sub_type",
    "document_number",
    "authority_name",
    "authority_uscc",
    "decision_date",
    "conduct_date",
    "facts",
    "basis",
    "content",
    "amount_fine",
    "amount_confiscated",
    "extension_years",
    "publish",
)
_WINDOW_FIELDS = {"severity", "sub_type", "decision_date", "conduct_date", "extension_years"}
_LIFECYCLE_OPEN = (RecordStatus.RECEIVED, RecordStatus.IN_FORCE, RecordStatus.PUBLICITY_ENDED)


def _save_transition(record: CreditRecord) -> None:
    try:
        record.updated_at = timezone.now()
        record.save()
    except ConcurrentTransition:
        raise ValidationError(_("记录状态已被他人修改，请刷新后重试")) from None


def record_correct(
    *, actor: Any, record: CreditRecord, changes: dict[str, Any], reason: str, source: str = "console"
) -> CreditRecord:
    """Correct a record (更正/变更): the previous values become a `CreditRecordVersion`; emits `record.corrected`.

    The window is recomputed when a field it depends on changes. Subject and class cannot be corrected:
    that is a different record (revoke this one, create the other).
    """
    reason = str(reason or "").strip()
    errors: ErrorDict = {}
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        _add(errors, "changes", _("不能更正的字段：%(f)s") % {"f": "、".join(unknown)})
    if not reason:
        _add(errors, "reason", _("请说明更正原因"), code="required")
    if source not in Source.values:
        _add(errors, "source", _("来源“%(v)s”无效") % {"v": source})
    _raise_if(errors)
    with transaction.atomic():
        record = CreditRecord.objects.get(pk=record.pk)  # fresh: decide on stored values, not a stale instance
        if record.status == RecordStatus.REVOKED:
            raise ValidationError(_("已撤销的记录不能更正"))
        before = model_snapshot(record)
        current = {name: getattr(record, name) for name in CORRECTABLE}
        publish = changes.get("publish", record.publish)
        merged = {
            **current,
            **{k: v for k, v in changes.items() if k != "publish"},
            "record_class": record.record_class,
        }
        checked = _check(merged, cat=catalog.current_catalog())
        new_values = {**checked.values, "publish": bool(publish)}
        changed = sorted(name for name in CORRECTABLE if new_values.get(name) != current.get(name))
        if not changed:
            raise ValidationError(_("没有需要更正的内容"))
        CreditRecordVersion.objects.create(
            record=record,
            version=record.version,
            data=before,
            changed_fields=changed,
            reason=reason,
            source=source,
            batch_number=record.batch_number,
            actor_pk=actor_identity(actor)[0],
            actor_name=actor_identity(actor)[1],
        )
        previous_status = record.status
        for name in CORRECTABLE:
            if name != "publish":
                setattr(record, name, new_values[name])
        window_changed = bool(_WINDOW_FIELDS & set(changed))
        if window_changed and checked.window is not None:
            keep_publish = "publish" in changes
            status = record.status
            _apply_window(record, checked.window, _today())
            if status not in _LIFECYCLE_OPEN:
                record.status = status  # repaired stays repaired; only an open lifecycle follows the new window
            if keep_publish:
                record.publish = bool(publish)
        elif "publish" in changed:
            record.publish = bool(publish)
        subject = record.subject
        record.natural_key = policy.natural_key(
            record.document_number, record.authority_uscc, subject_identifier(subject)
        )
        kind = SubjectKind(record.subject_kind)
        if record.covered_by_id is None and kind in (SubjectKind.AGENCY, SubjectKind.CIVIL_SERVANT):
            record.covered_by = _RulingIndex(_pairs(kind, subject.pk)).match(
                kind,
                subject.pk,
                document_number=record.document_number,
                natural_key=record.natural_key,
                conduct_date=record.conduct_date,
            )
        record.version += 1
        try:
            with transaction.atomic():
                _save_transition(record)
        except IntegrityError:
            raise ValidationError(
                {"document_number": [ValidationError(_("该主体的同一决定书已有记录"), code="duplicate")]}  # type: ignore[dict-item]
            ) from None
        log_change(
            actor=actor,
            action="update",
            obj=record,
            before=before,
            after=model_snapshot(record),
            message=f"records.correct: {reason}",
        )
        record_changed(record, ChangeType.CORRECTED)
        emit(
            EVENT_CORRECTED,
            {
                **_record_payload(record),
                "version": record.version,
                "changed_fields": changed,
                "window_changed": window_changed,
                "previous_status": previous_status,
            },
        )
    return record


def _transition(record: CreditRecord, method: str, message: str) -> str:
    previous = record.status
    try:
        getattr(record, method)()
    except TransitionNotAllowed:
        raise ValidationError(
            message % {"status": RecordStatus(previous).label}  # type: ignore[arg-type]
        ) from None
    return previous


def record_revoke(*, actor: Any, record: CreditRecord, reason: str, source: str = "console") -> CreditRecord:
    """Revoke a record (撤销: the decision was withdrawn or the record was wrong); emits `record.revoked`."""
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [ValidationError(_("请说明撤销原因"), code="required")]})  # type: ignore[dict-item]
    with transaction.atomic():
        record = CreditRecord.objects.get(pk=record.pk)
        before = model_snapshot(record)
        previous = _transition(record, "revoke", _("“%(status)s”的记录不能撤销"))
        record.status_reason = reason
        _save_transition(record)
        log_change(actor=actor, action="transition", obj=record, before=before, after=model_snapshot(record),
                   message=f"records.revoke: {reason}")  # fmt: skip
        record_changed(record, ChangeType.REVOKED)
        emit(EVENT_REVOKED, {**_record_payload(record), "previous_status": previous, "source": source})
    return record


def record_repair(
    *, actor: Any, record: CreditRecord, reason: str, reference: str, today: datetime.date | None = None
) -> CreditRecord:
    """Mark a record repaired (信用修复: publication ends early); emits `record.repaired`.

    Allowed from the day after the minimum period ends (a null minimum: any time in force). Also used when a
    court removes a judgment defaulter on performance. The remedies module calls this with its decision.
    """
    reason = str(reason or "").strip()
    reference = str(reference or "").strip()
    errors: ErrorDict = {}
    if not reason:
        _add(errors, "reason", _("请说明修复理由"), code="required")
    if not reference:
        _add(errors, "reference", _("请填写修复决定文号或受理编号"), code="required")
    elif len(reference) > 200:
        _add(errors, "reference", _("修复依据不能超过200个字"))
    _raise_if(errors)
    today = today or _today()
    with transaction.atomic():
        record = CreditRecord.objects.get(pk=record.pk)
        if not record.is_dishonesty:
            raise ValidationError(_("表彰奖励记录无需修复"))
        if not policy.can_repair_on(record.publicity_min_end, record.publicity_start, today):
            first = policy.repair_allowed_from(record.publicity_min_end, record.publicity_start)
            raise ValidationError(_("最短公示期未满，%(date)s起方可修复") % {"date": first.isoformat()})
        before = model_snapshot(record)
        previous = _transition(record, "repair", _("“%(status)s”的记录不能修复"))
        record.status_reason = reason
        record.status_reference = reference
        _save_transition(record)
        log_change(actor=actor, action="transition", obj=record, before=before, after=model_snapshot(record),
                   message=f"records.repair: {reference}: {reason}")  # fmt: skip
        record_changed(record, ChangeType.REPAIRED)
        emit(EVENT_REPAIRED, {**_record_payload(record), "previous_status": previous, "reference": reference})
    return record


def record_expire(*, actor: Any, record: CreditRecord, today: datetime.date | None = None) -> CreditRecord:
    """End the publicity of one record whose maximum end has passed; emits `record.expired`.

    The daily sweep does the same set-based (see sweeps.py); this is for single records.
    """
    today = today or _today()
    with transaction.atomic():
        record = CreditRecord.objects.get(pk=record.pk)
        if record.publicity_max_end is None or record.publicity_max_end >= today:
            raise ValidationError(_("最长公示期尚未届满"))
        before = model_snapshot(record)
        _transition(record, "end_publicity", _("“%(status)s”的记录不能结束公示"))
        _save_transition(record)
        log_change(
            actor=actor,
            action="transition",
            obj=record,
            before=before,
            after=model_snapshot(record),
            message="records.expire",
        )
        record_changed(record, ChangeType.EXPIRED)
        emit(EVENT_EXPIRED, _record_payload(record))
    return record


# --- rule overrides --------------------------------------------------------------------------------------------------
def rule_override_save(
    *,
    actor: Any,
    rule_key: str,
    version: str,
    values: Any,
    basis: str,
    effective_from: datetime.date | None,
    effective_to: datetime.date | None,
    provisional: bool,
) -> RuleOverride:
    """Create or replace the operator's version `version` of rule `rule_key` (audited).

    `values` has the packaged format (see rules/*.json) or is None (待补充). Records already stored keep the
    window they were given; corrections recompute with the rule in force.
    """
    errors: ErrorDict = {}
    rule_key = str(rule_key or "").strip()
    version = str(version or "").strip()
    basis = str(basis or "").strip()
    try:
        catalog.packaged().rule(rule_key)
    except policy.PolicyError:
        _add(errors, "rule_key", _("没有编号为“%(key)s”的规则") % {"key": rule_key})
    if not version or len(version) > 40:
        _add(errors, "version", _("版本号不能为空，且不超过40个字符"), code="required")
    if not basis:
        _add(errors, "basis", _("请填写依据（文件名称、文号、条款）"), code="required")
    if effective_from and effective_to and effective_from > effective_to:
        _add(errors, "effective_to", _("失效日期不能早于生效日期"))
    try:
        policy.parse_values(values, "values")
    except policy.PolicyError as exc:
        _add(errors, "values", str(exc))
    _raise_if(errors)
    with transaction.atomic():
        row = RuleOverride.objects.filter(rule_key=rule_key, version=version).first()
        before = model_snapshot(row) if row else None
        row = row or RuleOverride(rule_key=rule_key, version=version)
        row.values = values
        row.basis = basis
        row.effective_from = effective_from
        row.effective_to = effective_to
        row.provisional = bool(provisional)
        row.entered_by = actor if getattr(actor, "is_authenticated", False) else None
        row.entered_by_name = actor_identity(actor)[1]
        row.updated_at = timezone.now()
        row.save()
        log_change(
            actor=actor,
            action="update" if before else "create",
            obj=row,
            before=before,
            after=model_snapshot(row),
            message="records.rule_override",
        )
        transaction.on_commit(catalog.invalidate)
    catalog.invalidate()
    return row


# --- fault tolerance -------------------------------------------------------------------------------------------------
def _clean_list(values: Iterable[Any], max_items: int = 200) -> list[str]:
    out = []
    for value in values or ():
        text = str(value or "").strip()
        if text and text not in out:
            out.append(text[:400])
    return out[:max_items]


def ruling_record(
    *,
    actor: Any,
    number: str,
    authority: Agency,
    decision_date: datetime.date,
    grounds: str,
    subject: Agency | CivilServant,
    conduct_description: str,
    document_numbers: Iterable[str] = (),
    natural_keys: Iterable[str] = (),
    conduct_from: datetime.date | None = None,
    conduct_to: datetime.date | None = None,
) -> FaultToleranceRuling:
    """Record a fault-tolerance ruling made by a discipline or organisation department (status: recorded).

    It takes effect only when the credit office checks it (`ruling_check`).
    """
    errors: ErrorDict = {}
    number = _text(errors, "number", number, label=_("认定文号"), max_length=100, required=True)
    grounds = _text(errors, "grounds", grounds, label=_("认定理由"), max_length=TEXT_MAX, required=True)
    conduct_description = _text(
        errors, "conduct_description", conduct_description, label=_("所涉行为"), max_length=TEXT_MAX, required=True
    )
    if not isinstance(authority, Agency) or authority.pk is None:
        _add(errors, "authority", _("认定机关应为已登记的政府部门"))
    kind = None
    try:
        kind = subject_kind_of(subject)
    except ValidationError:
        pass
    if kind not in (SubjectKind.AGENCY, SubjectKind.CIVIL_SERVANT):
        _add(errors, "subject", _("容错认定的对象应为政府部门或公务员"))
    if not isinstance(decision_date, datetime.date):
        _add(errors, "decision_date", _("认定日期应为日期"), code="required")
    elif decision_date > _today():
        _add(errors, "decision_date", _("认定日期不能晚于今天"))
    if conduct_from and conduct_to and conduct_from > conduct_to:
        _add(errors, "conduct_to", _("行为截止日期不能早于起始日期"))
    documents = _clean_list(document_numbers)
    keys = _clean_list(natural_keys)
    if not documents and not keys and not (conduct_from or conduct_to):
        _add(errors, "document_numbers", _("请至少填写所涉决定书文号、记录业务键或行为期间之一"), code="required")
    _raise_if(errors)
    with transaction.atomic():
        ruling = FaultToleranceRuling(
            number=number,
            authority=authority,
            decision_date=decision_date,
            grounds=grounds,
            subject_kind=str(kind),
            conduct_description=conduct_description,
            document_numbers=documents,
            natural_keys=keys,
            conduct_from=conduct_from,
            conduct_to=conduct_to,
            entered_by=actor if getattr(actor, "is_authenticated", False) else None,
            entered_by_name=actor_identity(actor)[1],
        )
        if kind == SubjectKind.AGENCY:
            ruling.subject_agency = subject  # type: ignore[assignment]
        else:
            ruling.subject_civil_servant = subject  # type: ignore[assignment]
        try:
            with transaction.atomic():
                ruling.save()
        except IntegrityError:
            raise ValidationError({"number": [ValidationError(_("该认定文号已登记"), code="duplicate")]}) from None  # type: ignore[dict-item]
        log_change(actor=actor, action="create", obj=ruling, after=model_snapshot(ruling))
    return ruling


def ruling_check(*, actor: Any, ruling: FaultToleranceRuling, accepted: bool, reason: str) -> FaultToleranceRuling:
    """The credit office's check. Accepted: the ruling takes effect and covers the subject's matching records
    (each emits `record.covered`). Rejected: it covers nothing; the reason is kept.
    """
    reason = str(reason or "").strip()
    if not accepted and not reason:
        raise ValidationError({"reason": [ValidationError(_("不通过时须说明理由"), code="required")]})  # type: ignore[dict-item]
    with transaction.atomic():
        target = RulingStatus.IN_EFFECT if accepted else RulingStatus.REJECTED
        now = timezone.now()
        claimed = FaultToleranceRuling.objects.filter(pk=ruling.pk, status=RulingStatus.RECORDED).update(
            status=target, check_reason=reason, checked_by_name=actor_identity(actor)[1], checked_at=now
        )
        if claimed != 1:
            raise ValidationError(_("该认定已核对过"))
        before = model_snapshot(ruling)
        ruling.refresh_from_db()
        covered: list[CreditRecord] = []
        if accepted:
            subject_field = SUBJECT_FIELDS[SubjectKind(ruling.subject_kind)]
            candidates = CreditRecord.objects.filter(
                **{subject_field: ruling.subject}, covered_by__isnull=True
            ).exclude(status=RecordStatus.REVOKED)
            for record in candidates.iterator(chunk_size=500):
                if ruling_covers(
                    ruling,
                    document_number=record.document_number,
                    natural_key=record.natural_key,
                    conduct_date=record.conduct_date,
                ):
                    covered.append(record)
            for record in covered:
                # Conditional: a record covered meanwhile by another ruling keeps that one.
                if CreditRecord.objects.filter(pk=record.pk, covered_by__isnull=True).update(
                    covered_by=ruling, updated_at=now
                ):
                    record.covered_by = ruling
                    record_changed(record, ChangeType.COVERED)
                    emit(EVENT_COVERED, {**_record_payload(record), "ruling_id": ruling.pk,
                                         "ruling_number": ruling.number})  # fmt: skip
        log_change(
            actor=actor,
            action="transition",
            obj=ruling,
            before=before,
            after={**model_snapshot(ruling), "covered_record_ids": [r.pk for r in covered]},
            message=f"records.ruling_check: {reason}",
        )
    return ruling
