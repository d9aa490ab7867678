"""What every credit-record import kind shares: the operation type, subjects, keys, caches and publication.

A kind subclasses `RecordKind`, lists its columns and implements `fields(values, errors)`, which turns a
row's cells into the record's fields (`RecordFields`) plus how its subject is identified (`SubjectRef`).
The base class does the rest:

- 操作类型 (`operation`: 新增 add / 变更 change / 撤销 revoke, default 新增);
- subject resolution from caches loaded once in `begin` (bodies by USCC, civil servants by ID hash);
  a government body must already exist — an unknown body is reported, never created;
- the natural key (document number | deciding authority USCC | subject identifier, `records.policy`)
  checked against the current records loaded in `begin` (kept as 64-bit hashes: a million keys fit in
  ~60 MB; a hash hit is confirmed at publication, where the services check again anyway);
- publication: 新增 rows go to `records.services.record_bulk_create` in groups (enterprises and natural
  persons missing from the registry are inserted first, in bulk), 变更 rows to `record_correct` (the
  previous values become a version), 撤销 rows to `record_revoke`. Rows the services refuse are reported
  with `reject_at_publish`.

Staged rows hold only protected forms of ID numbers (SM4 ciphertext, keyed hash, masked), never the clear
number. Cells are validated without gettext on the happy path: messages are translated only when a row is bad.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core import codes
from govtrust.core.crypto import keyed_hash, sm4_encrypt
from govtrust.core.ingest import CellError, Column, ImportKind, RowOutcome, Staged
from govtrust.core.ingest.bulk import chunked, insert_rows, sqlite_indexes_rebuilt
from govtrust.core.ingest.services import batch_actor, reject_at_publish
from govtrust.core.ingest.values import parse_date, parse_decimal
from govtrust.core.masking import mask_id_number
from govtrust.core.models import ImportBatch, Region
from govtrust.core.validators import CodeCheck, check_id_number, check_uscc
from govtrust.records import policy, services
from govtrust.records.models import (
    CURRENT_NATURAL_KEY,
    CreditRecord,
    FaultToleranceRuling,
    RecordStatus,
    RulingStatus,
    Source,
    StagedRecord,
)
from govtrust.registry import policy as registry_policy
from govtrust.registry.models import Agency, CivilServant, CodeStatus, Enterprise, Person

# --- vocabulary shared by the kinds -------------------------------------------------------------------------------
ADD, CHANGE, REVOKE = "add", "change", "revoke"
OPERATION_CHOICES = ((ADD, gettext_lazy("新增")), (CHANGE, gettext_lazy("变更")), (REVOKE, gettext_lazy("撤销")))
SEVERITY_CHOICES = (
    ("minor", gettext_lazy("轻微")),
    ("general", gettext_lazy("一般")),
    ("serious", gettext_lazy("严重")),
)
# 证件类型 of the national natural-person template; only a resident identity card can be checked.
ID_TYPE_RESIDENT = "01"
ID_TYPE_CHOICES = (
    ("01", gettext_lazy("身份证")),
    ("02", gettext_lazy("护照")),
    ("03", gettext_lazy("港澳居民来往内地通行证")),
    ("04", gettext_lazy("台湾居民来往大陆通行证")),
    ("05", gettext_lazy("外国人永久居留身份证")),
)

# Push API batches are named so (the kind then marks the records' source as "api", not "import").
API_FILE_PREFIX = "api-push-"
PUBLISH_GROUP = 2000
TEXT_MAX = services.TEXT_MAX
DOC_MAX, NAME_MAX, OTHER_ID_MAX = 100, 200, 40
USCC_CACHE_MAX = 200_000
SUBJECT_CACHE_MAX = 50_000

# USCC (GB 32100) first character = registering department, second = organisation type. Codes registered
# by the establishment (编制) departments — 11 机关, 12 事业单位, 13 中央编办管理的群众团体, 19 其他 — are
# public bodies: such a subject must be a registered body. 9x are market subjects registered by market
# regulation (91 企业, 92 个体工商户, 93 农民专业合作社). Every other code (51–53 社会组织, Y1 …) is stored as
# an "other organisation" in the Enterprise table, like a market subject (a project decision: they are not
# government bodies and the registry has no other table for them).
PUBLIC_BODY_PREFIXES = ("11", "12", "13", "19")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class SubjectRef:
    """How a row names its subject; resolved to a model instance at publication."""

    __slots__ = ("data", "identifier", "legacy")

    def __init__(self, identifier: str, data: list[Any], legacy: bool = False) -> None:
        self.legacy = legacy  # identified by an early pilot USCC that fails the checksum (passes with a note)
        self.identifier = identifier  # the subject part of the natural key: A:<uscc>, E:<uscc>, ID:<hash>
        self.data = data  # JSON-able: ["a", pk] | ["e", uscc, name, status, region_pk] | ["p", hash, enc, masked,
        # name] | ["c", pk]


@dataclass
class RecordFields:
    record_class: str
    severity: str
    sub_type: str
    document_number: str
    authority_name: str
    authority_uscc: str
    decision_date: datetime.date | None
    conduct_date: datetime.date | None = None
    facts: str = ""
    basis: str = ""
    content: str = ""
    amount_fine: Decimal | None = None
    amount_confiscated: Decimal | None = None
    extension_years: int | None = None


# Which column to blame when the records services refuse a field at publication, per kind (overridable).
SERVICE_FIELD_COLUMNS = {
    "document_number": "document_number",
    "authority_name": "authority_name",
    "authority_uscc": "authority_uscc",
    "decision_date": "decision_date",
    "conduct_date": "conduct_date",
    "facts": "facts",
    "basis": "basis",
    "content": "content",
    "amount_fine": "amount_fine",
    "amount_confiscated": "amount_confiscated",
    "severity": "severity",
    "sub_type": "sub_type",
}


def operation_column() -> Column:
    return Column(
        "operation",
        "操作类型",
        choices=OPERATION_CHOICES,
        example="新增",
        help=gettext_lazy(
            "新增：新的记录（默认）；变更：更正已报送的记录（按决定书文号、决定机关和主体找到原记录，保留历史版本）；"
            "撤销：撤销已报送的记录（决定被撤销或报错）"
        ),
        width=10,
    )


def severity_column(help_text: Any = "") -> Column:
    return Column(
        "severity",
        "失信严重程度",
        choices=SEVERITY_CHOICES,
        help=help_text or gettext_lazy("可不填；填写时以此为准"),
        width=12,
    )


def compose(main: str, extras: list[tuple[str, str]]) -> str:
    """The main text followed by labelled extra cells that the record has no field of its own for."""
    parts = [main] if main else []
    for label, value in extras:  # a plain loop: a generator here cost ~1 µs a row
        if value:
            parts.append(f"{label}：{value}")
    return "\n".join(parts)


class RecordKind(ImportKind):
    """Base of the credit-record kinds; subclasses set `record_class`, `columns` and implement `fields`."""

    row_has_control = True

    supplier_required = True
    action = "records.ingest"
    record_class: ClassVar[str] = ""
    # which subjects a kind accepts
    accepts_agencies: ClassVar[bool] = True
    accepts_enterprises: ClassVar[bool] = True
    accepts_servants: ClassVar[bool] = False
    accepts_persons: ClassVar[bool] = False
    field_columns: ClassVar[dict[str, str]] = SERVICE_FIELD_COLUMNS
    # 新增 rows of registered bodies are staged insert-ready in their own typed table (`_insert_values`).
    staging_model = StagedRecord
    parallel_validation = True  # `publish` uses only what `begin` computed
    staging_columns = (*services.STAGED_COLUMNS[:-1], "stamp", "legacy")

    # --- per batch ---------------------------------------------------------------------------------------------
    def begin(self, batch: ImportBatch) -> None:
        self.batch_number = batch.number
        self.stamp_day = services._today()
        self.today = timezone.localdate()
        self.legacy_codes = codes.known_legacy_codes()
        self.uscc_checks: dict[str, CodeCheck] = {}
        self.parsed_dates: dict[str, tuple[datetime.date | None, str]] = {}
        self.parsed_amounts: dict[str, tuple[Decimal | None, str]] = {}
        self.memo: dict[Any, Any] = {}  # a kind's own per-batch memo of cell checks (e.g. 处罚类别 → severity)
        self.agencies: dict[str, tuple[int, str]] = {
            uscc: (pk, name) for uscc, pk, name in Agency.objects.values_list("uscc", "pk", "name")
        }
        self.region_pks = dict(Region.objects.values_list("code", "pk")) if self.accepts_enterprises else {}
        self.servants: dict[str, int] = {}
        if self.accepts_servants:
            # Several rows per person (moved between bodies): the latest registration wins.
            for pk, digest in (
                CivilServant.objects.order_by("pk").values_list("pk", "id_number_hash").iterator(chunk_size=5000)
            ):
                self.servants[digest] = pk
        # Insert-ready values computed at staging (`_insert_values`) hold for this day and rule catalogue only.
        self.set_based = bool(getattr(settings, "GOVTRUST_RECORDS_SET_PUBLISH", True))
        self.stamp = _stamp()
        self.insert_caches: dict[str, Any] = {}
        self.iso_dates: dict[datetime.date, str] | None = {} if connection.vendor == "sqlite" else None
        self.agency_instances: dict[int, Agency] = {}  # light instances, one per body (not one per row)
        self.supplier_pk = Agency.objects.filter(uscc=batch.supplier_code).values_list("pk", flat=True).first()
        current = CreditRecord.objects.exclude(status=RecordStatus.REVOKED).values_list("natural_key", flat=True)
        self.current_keys = {hash(key) for key in current.iterator(chunk_size=5000)}

    # --- shared cell checks (messages translated only on failure) ------------------------------------------------
    def check_uscc(self, raw: str) -> CodeCheck:
        check = self.uscc_checks.get(raw)
        if check is None:
            check = check_uscc(raw, legacy_codes=self.legacy_codes)
            if len(self.uscc_checks) < USCC_CACHE_MAX:
                self.uscc_checks[raw] = check
        return check

    def uscc_cell(self, values: dict[str, str], key: str, errors: list[CellError], *, required: bool = True) -> str:
        raw = values[key]
        if not raw:
            if required:
                errors.append(CellError(key, "", _("%(col)s不能为空") % {"col": self.column(key).header}))
            return ""
        check = self.check_uscc(raw)
        if check.status == "invalid":
            errors.append(CellError(key, raw, _("统一社会信用代码无效：%(reason)s") % {"reason": check.reason}))
            return ""
        return check.code

    def text_cell(
        self, values: dict[str, str], key: str, errors: list[CellError], *, max_length: int = TEXT_MAX
    ) -> str:
        value = values[key]
        if len(value) > max_length:
            errors.append(
                CellError(
                    key,
                    value[:50],
                    _("%(col)s不能超过%(max)d个字") % {"col": self.column(key).header, "max": max_length},
                )
            )
        elif self.row_has_control and _CONTROL.search(value):
            errors.append(CellError(key, value[:50], _("含有不可见的控制字符")))
        return value

    def text_cells(self, values: dict[str, str], cells: tuple[tuple[str, int], ...], errors: list[CellError]) -> None:
        """`text_cell` for several (column key, maximum length) cells, in order: one loop over the row's usual, good
        cells; `text_cell` itself words the error of a bad one."""
        control = self.row_has_control
        for key, max_length in cells:
            value = values[key]
            if len(value) > max_length or (control and _CONTROL.search(value)):
                self.text_cell(values, key, errors, max_length=max_length)

    def date_cell(
        self, values: dict[str, str], key: str, errors: list[CellError], *, not_after_today: bool = True
    ) -> datetime.date | None:
        raw = values[key]
        if not raw:
            return None
        # A file holds a few thousand distinct dates: parse each once (bounded, like the USCC cache).
        parsed = self.parsed_dates.get(raw)
        if parsed is None:
            parsed = parse_date(raw)
            if len(self.parsed_dates) < USCC_CACHE_MAX:
                self.parsed_dates[raw] = parsed
        value, reason = parsed
        if value is None:
            errors.append(CellError(key, raw, reason))
            return None
        if not_after_today and value > self.today:
            errors.append(CellError(key, raw, _("%(col)s不能晚于今天") % {"col": self.column(key).header}))
            return None
        return value

    def amount_cell(self, values: dict[str, str], key: str, errors: list[CellError]) -> Decimal | None:
        raw = values[key]
        if not raw:
            return None
        # Amounts repeat too: parse each distinct cell once per batch (bounded, like the USCC cache).
        parsed = self.parsed_amounts.get(raw)
        if parsed is None:
            parsed = parse_decimal(raw, places=6)
            if len(self.parsed_amounts) < USCC_CACHE_MAX:
                self.parsed_amounts[raw] = parsed
        value, reason = parsed
        if value is None:
            errors.append(CellError(key, raw, reason))
            return None
        if value < 0:
            errors.append(CellError(key, raw, _("金额不能为负数")))
            return None
        if value > services.AMOUNT_MAX:
            errors.append(CellError(key, raw, _("金额应以万元为单位，不超过99999999万元")))
            return None
        return value

    def id_number_cell(self, values: dict[str, str], key: str, errors: list[CellError]) -> str:
        """A resident ID number, checked (GB 11643) and 15→18 upgraded; "" when empty or bad."""
        raw = values[key]
        if not raw:
            return ""
        check = check_id_number(raw)
        if check.status == "invalid":
            errors.append(CellError(key, raw, check.reason))
            return ""
        return registry_policy.upgrade_id_number(check.code)

    # --- subjects ---------------------------------------------------------------------------------------------
    def organisation_subject(
        self, values: dict[str, str], key: str, name: str, errors: list[CellError], *, name_key: str
    ) -> SubjectRef | None:
        """A body (must exist) or, if the kind accepts them, an enterprise/other organisation by its USCC."""
        raw = values[key]
        code = self.uscc_cell(values, key, errors)
        if not code:
            return None
        check = self.uscc_checks.get(raw)
        legacy = check is not None and check.status == "legacy"
        agency = self.agencies.get(code)
        if agency is not None:
            if not self.accepts_agencies:
                errors.append(CellError(key, code, _("该类记录不适用于政府部门")))
                return None
            return SubjectRef(f"A:{code}", ["a", agency[0]], legacy)
        if code.startswith(PUBLIC_BODY_PREFIXES):
            errors.append(
                CellError(
                    key, code, _("政府部门（机关、事业单位）“%(code)s”未在平台登记，请先登记该单位") % {"code": code}
                )
            )
            return None
        if not self.accepts_enterprises:
            errors.append(CellError(key, code, _("该单位未在平台登记为政府部门")))
            return None
        if not name:
            return None
        region_pk = self.region_pks.get(code[2:8])
        status = CodeStatus.LEGACY if legacy else CodeStatus.VALID
        return SubjectRef(f"E:{code}", ["e", code, name, str(status), region_pk], legacy)

    def servant_subject(self, values: dict[str, str], key: str, errors: list[CellError]) -> SubjectRef | None:
        number = self.id_number_cell(values, key, errors)
        if not number:
            return None
        digest = keyed_hash(number)
        pk = self.servants.get(digest)
        if pk is None:
            errors.append(CellError(key, values[key], _("该身份证号码的公职人员未在平台登记，请先登记")))
            return None
        return SubjectRef(f"ID:{digest}", ["c", pk])

    def person_subject(self, number: str, name: str) -> SubjectRef:
        digest = keyed_hash(number)
        return SubjectRef(f"ID:{digest}", ["p", digest, sm4_encrypt(number), mask_id_number(number), name])

    # --- the row ----------------------------------------------------------------------------------------------
    def fields(self, values: dict[str, str], errors: list[CellError]) -> tuple[RecordFields, SubjectRef | None, str]:
        """The record fields, the subject and the subject's name; append CellErrors for bad cells."""
        raise NotImplementedError

    def validate_row(self, values: dict[str, str], *, row_number: int) -> RowOutcome:
        errors: list[CellError] = []
        # One search over the whole row; the cells are searched one by one only when it finds something.
        self.row_has_control = _CONTROL.search("".join(values.values())) is not None
        record, subject, name = self.fields(values, errors)
        if errors or subject is None:
            return RowOutcome(None, errors)
        operation = values.get("operation") or ADD
        key = policy.natural_key(record.document_number, record.authority_uscc, subject.identifier)
        exists = hash(key) in self.current_keys
        if operation == ADD and exists and services.find_current(key) is not None:
            doc_col = self.field_columns["document_number"]
            return RowOutcome(
                None,
                [CellError(doc_col, record.document_number, _("该记录已存在，请使用操作类型“变更”或“撤销”"))],
                natural_key=key,
            )
        if operation != ADD and not exists:
            return RowOutcome(
                None,
                [
                    CellError(
                        "operation", values["operation"], _("找不到要变更或撤销的记录（按决定书文号、决定机关和主体）")
                    )
                ],
                natural_key=key,
            )
        if operation == ADD and self.set_based:
            typed = self._insert_values(record, subject, key, row_number)
            if typed is not None:
                return RowOutcome(None, natural_key=key, typed=typed)
        data = {
            "op": operation,
            "s": subject.data,
            "n": name,
            "cls": record.record_class,
            "sev": record.severity,
            "sub": record.sub_type,
            "doc": record.document_number,
            "an": record.authority_name,
            "au": record.authority_uscc,
            "dd": record.decision_date.isoformat() if record.decision_date else None,
            "cd": record.conduct_date.isoformat() if record.conduct_date else None,
            "f": record.facts,
            "b": record.basis,
            "c": record.content,
            "af": str(record.amount_fine) if record.amount_fine is not None else None,
            "ac": str(record.amount_confiscated) if record.amount_confiscated is not None else None,
            "ext": record.extension_years,
            "r": values.get("remark", ""),
        }
        if subject.legacy:
            data["lg"] = 1
        return RowOutcome(data, natural_key=key)

    def _insert_values(self, record: RecordFields, subject: SubjectRef, key: str, row_number: int) -> list[Any] | None:
        """The record's insert-ready columns for the typed staging table (`StagedRecord`), so that publication is
        one `INSERT … SELECT` (`_publish_set_based`); None when the row must take the row-by-row path.

        Only for registered bodies: their pk and name are known now; enterprises and persons may have to be
        created at publication, civil servants' names are not cached — those rows take the row-by-row path, as
        does any row the services would refuse (that path words the rejection)."""
        ref = subject.data
        if ref[0] != "a" or self.supplier_pk is None:
            return None
        agency = self.agency_instance(subject.identifier[2:])
        draft = services.RecordDraft(
            subject=agency,
            record_class=record.record_class,
            severity=record.severity,
            sub_type=record.sub_type,
            document_number=record.document_number,
            authority_name=record.authority_name,
            authority_uscc=record.authority_uscc,
            decision_date=record.decision_date,  # type: ignore[arg-type]
            conduct_date=record.conduct_date,
            facts=record.facts,
            basis=record.basis,
            content=record.content,
            amount_fine=record.amount_fine,
            amount_confiscated=record.amount_confiscated,
            extension_years=record.extension_years,
            source_row=row_number,
        )
        return self.draft_insert_values(draft, key, subject.legacy)

    def agency_instance(self, code: str) -> Agency:
        """A light instance of the registered body with this USCC, one per body (not one per row)."""
        pk, name = self.agencies[code]
        agency = self.agency_instances.get(pk)
        if agency is None:
            agency = self.agency_instances[pk] = Agency(pk=pk, uscc=code, name=name)
        return agency

    def draft_insert_values(self, draft: services.RecordDraft, key: str, legacy: bool) -> list[Any] | None:
        """`_insert_values` from the record's draft: the staged columns, or None for the row-by-row path."""
        values = services.record_insert_values(draft, today=self.stamp_day, caches=self.insert_caches)
        if values is None or values[-1] != key:
            return None
        iso = self.iso_dates
        if iso is not None:
            # SQLite: the dates as the ISO text Django's sqlite3 adapter would bind, made once per distinct date
            # here (in the validating child) instead of by an adapter call per date and row in the writing process.
            for i in _STAGED_DATES:
                day = values[i]
                if day is not None:
                    text = iso.get(day)
                    if text is None:
                        text = iso[day] = day.isoformat()
                    values[i] = text
        values[-1] = self.stamp  # natural key (staged in its own column) → stamp, then the legacy flag
        values.append(legacy)
        return values

    # --- publication ------------------------------------------------------------------------------------------
    def publish(self, batch: ImportBatch, staged: Iterator[Staged]) -> dict[str, int]:
        supplier = Agency.objects.get(uscc=batch.supplier_code)
        actor = batch_actor(batch)
        source = Source.API if batch.file_name.startswith(API_FILE_PREFIX) else Source.IMPORT
        counts = {"published": 0, "created": 0, "corrected": 0, "revoked": 0, "persons_created": 0,
                  "enterprises_created": 0, "legacy_code_rows": 0}  # fmt: skip
        subjects: dict[tuple[str, Any], Any] = {}
        set_sql = _StagedSql(batch.pk, _stamp(), batch.typed_staging_table)
        set_result = self._publish_set_based(
            batch, set_sql, supplier=supplier, actor=actor, source=source, counts=counts
        )

        def drafts() -> Iterator[services.RecordDraft]:
            # Typed rows the set-based insert did not take (staged on another day or under another rule
            # catalogue, or the body is under a fault-tolerance ruling): the services recompute them.
            yield from self._typed_leftovers(set_sql, counts)
            for group in chunked(staged, PUBLISH_GROUP):
                if len(subjects) > SUBJECT_CACHE_MAX:  # many distinct enterprises/persons: keep memory flat
                    subjects.clear()
                self._resolve_subjects(group, subjects, counts)
                for row in group:
                    d = row.data
                    subject = subjects.get(_subject_key(d["s"]))
                    counts["legacy_code_rows"] += d.get("lg", 0)
                    if d["op"] == ADD:
                        yield services.RecordDraft(
                            subject=subject,
                            record_class=d["cls"],
                            severity=d["sev"],
                            sub_type=d["sub"],
                            document_number=d["doc"],
                            authority_name=d["an"],
                            authority_uscc=d["au"],
                            decision_date=datetime.date.fromisoformat(d["dd"]),
                            conduct_date=datetime.date.fromisoformat(d["cd"]) if d["cd"] else None,
                            facts=d["f"],
                            basis=d["b"],
                            content=d["c"],
                            amount_fine=Decimal(d["af"]) if d["af"] is not None else None,
                            amount_confiscated=Decimal(d["ac"]) if d["ac"] is not None else None,
                            extension_years=d["ext"],
                            source_row=row.row_number,
                        )
                    else:
                        self._change(batch, row, actor=actor, source=source, counts=counts)

        result = services.record_bulk_create(
            actor=actor,
            drafts=drafts(),
            supplier=supplier,
            batch_number=batch.number,
            source=source,
            # Every cell was validated at staging (`text_cell`, `amount_cell`, `date_cell` …): the services
            # skip only what those checks guarantee.
            checked=True,
        )
        rejected_rows: set[int] = set()
        for rejection in result.rejected:
            row_number = rejection.source_row or 0
            if row_number in rejected_rows:
                continue
            rejected_rows.add(row_number)
            column = self.field_columns.get(rejection.field, "")
            reject_at_publish(batch, row_number=row_number, errors=[CellError(column, "", rejection.message)])
        counts["created"] = result.created + set_result.created
        counts["published"] = counts["created"] + counts["corrected"] + counts["revoked"]
        counts["in_force"] = result.in_force + set_result.in_force
        counts["received"] = result.received + set_result.received
        counts["ended"] = result.ended + set_result.ended
        counts["covered"] = result.covered
        counts["set_based"] = set_result.created  # how many went through the one INSERT … SELECT
        return counts

    def _publish_set_based(
        self, batch: ImportBatch, sql: _StagedSql, *, supplier: Agency, actor: Any, source: str, counts: dict[str, int]
    ) -> services.BulkResult:
        """Publish the typed staged rows (`StagedRecord`) with one `INSERT … SELECT`.

        Taken: rows staged today under the current rule catalogue (else their window or status may be stale: a
        batch resumed the next day, or after a rule override, goes row by row) whose body has no
        fault-tolerance ruling in effect (rare; the row path sets `covered_by`). A row whose natural key is
        already a current record is rejected with the services' message (and dropped from staging, in this
        same transaction).
        """
        if not self.set_based:
            return services.BulkResult()
        where, params = sql.taken()
        rejected = 0
        with connection.cursor() as cursor:
            cursor.execute(sql.duplicates(where), params)
            taken = sorted(row[0] for row in cursor.fetchall())
            for row_number in taken:
                reject_at_publish(
                    batch,
                    row_number=row_number,
                    errors=[CellError(self.field_columns["document_number"], "", _("该主体的同一决定书已有记录"))],
                )
                rejected += 1
            if taken:
                sql.drop_rows(cursor, taken)
            cursor.execute(sql.count(where), [sql.batch_pk, *_COUNTED_STATUSES, *params])
            count, legacy, ranked, low, high, staged, *by_status = (int(value or 0) for value in cursor.fetchone())
            statuses = dict(zip(_COUNTED_STATUSES, by_status, strict=True))
            statuses["other"] = count - sum(by_status)
            counts["legacy_code_rows"] += legacy
            sql.leftovers = staged > count
            # The taken rows' ranks at staging are 1 … count exactly (nothing dropped or left out): they are the
            # numbers' order, and no window function has to sort the rows again.
            ranked_in_order = ranked == count and low == 1 and high == count

            def insert_select(prefix: str, first: int, fields: list[Any]) -> int:
                batch_values = {"supplier_id": supplier.pk, "source": source, "batch_number": batch.number}
                statement, select_params = sql.insert(
                    fields, where, prefix=prefix, first=first, batch_values=batch_values, ranked=ranked_in_order
                )
                # A first big load into a table with few records yet: build its indexes after the rows instead
                # of inserting into them row by row (core.ingest.bulk.sqlite_indexes_rebuilt; SQLite only).
                rebuilt = sqlite_indexes_rebuilt(CreditRecord, rows=count, also=(CURRENT_NATURAL_KEY,))
                with _publication_cache(count), rebuilt as counts["indexes_rebuilt"]:
                    cursor.execute(statement, [*select_params, *params])
                    inserted = int(cursor.rowcount)
                return inserted

            return services.record_bulk_insert_select(
                actor=actor,
                supplier=supplier,
                batch_number=batch.number,
                source=source,
                count=count,
                insert_select=insert_select,
                statuses=statuses,
                rejected_rows=rejected,
            )

    def _typed_leftovers(self, sql: _StagedSql, counts: dict[str, int]) -> Iterator[services.RecordDraft]:
        if not sql.leftovers:  # the set-based insert took every typed row
            return
        rows = StagedRecord.objects.filter(batch_id=sql.batch_pk)
        if sql.staged != sql.own:
            # Staged in the batch's staging file: the leftovers (few) are copied into the kind's own table, read
            # from there as below, and deleted from it with the batch's other staged rows.
            with connection.cursor() as cursor:
                cursor.execute(*sql.copy_leftovers(self.set_based))
        elif self.set_based:  # else every typed row is a leftover (a batch staged before the switch was turned off)
            where, params = sql.taken(alias=sql.staged)
            rows = rows.extra(where=[f"NOT ({where})"], params=params)  # noqa: S610 (our own SQL, bound values)
        columns = ("row_number", "legacy", *services.STAGED_COLUMNS)
        agencies: dict[int, Agency] = {}
        ordered = rows.order_by("row_number").values_list(*columns).iterator(chunk_size=2000)
        for group in chunked(ordered, PUBLISH_GROUP):
            missing = {row[2 + services.STAGED_INDEX["agency_id"]] for row in group} - agencies.keys()
            for pk, uscc, name in Agency.objects.filter(pk__in=missing).values_list("pk", "uscc", "name"):
                agencies[pk] = Agency(pk=pk, uscc=uscc, name=name)
            for row_number, legacy, *values in group:
                i = dict(zip(services.STAGED_COLUMNS, values, strict=True))
                counts["legacy_code_rows"] += int(bool(legacy))
                yield services.RecordDraft(
                    subject=agencies.get(i["agency_id"]),
                    record_class=i["record_class"],
                    severity=i["severity"],
                    sub_type=i["sub_type"],
                    document_number=i["document_number"],
                    authority_name=i["authority_name"],
                    authority_uscc=i["authority_uscc"],
                    decision_date=i["decision_date"],
                    conduct_date=i["conduct_date"],
                    facts=i["facts"],
                    basis=i["basis"],
                    content=i["content"],
                    amount_fine=i["amount_fine"],
                    amount_confiscated=i["amount_confiscated"],
                    extension_years=i["extension_years"],
                    source_row=row_number,
                )

    def _change(self, batch: ImportBatch, row: Staged, *, actor: Any, source: str, counts: dict[str, int]) -> None:
        d = row.data
        record = services.find_current(row.natural_key)
        if record is None:
            reject_at_publish(
                batch,
                row_number=row.row_number,
                errors=[CellError("operation", "", _("找不到要变更或撤销的记录（按决定书文号、决定机关和主体）"))],
            )
            return
        where = _("批次%(batch)s第%(row)d行") % {"batch": batch.number, "row": row.row_number}
        try:
            if d["op"] == REVOKE:
                reason = d.get("r") or _("报送单位撤销")
                services.record_revoke(actor=actor, record=record, reason=f"{reason}（{where}）", source=source)
                counts["revoked"] += 1
            else:
                changes = {
                    "severity": d["sev"],
                    "sub_type": d["sub"],
                    "authority_name": d["an"],
                    "decision_date": datetime.date.fromisoformat(d["dd"]),
                    "conduct_date": datetime.date.fromisoformat(d["cd"]) if d["cd"] else None,
                    "facts": d["f"],
                    "basis": d["b"],
                    "content": d["c"],
                    "amount_fine": Decimal(d["af"]) if d["af"] is not None else None,
                    "amount_confiscated": Decimal(d["ac"]) if d["ac"] is not None else None,
                    "extension_years": d["ext"],
                }
                reason = _("报送单位变更（%(where)s）") % {"where": where}
                services.record_correct(actor=actor, record=record, changes=changes, reason=reason, source=source)
                counts["corrected"] += 1
        except ValidationError as error:
            errors: list[CellError] = []
            for field_name, messages in getattr(error, "message_dict", {"": error.messages}).items():
                column = self.field_columns.get(field_name, "")
                errors.extend(CellError(column, "", message) for message in messages)
            reject_at_publish(batch, row_number=row.row_number, errors=errors)

    def _resolve_subjects(
        self, group: list[Staged], subjects: dict[tuple[str, Any], Any], counts: dict[str, int]
    ) -> None:
        """Model instances for the subjects of a group of rows; missing enterprises and persons inserted in bulk.

        Light instances (pk, name, code) suffice for the records services; they are cached for the batch.
        """
        agency_pks, servant_pks = set(), set()
        enterprises: dict[str, list[Any]] = {}
        persons: dict[str, list[Any]] = {}
        for row in group:
            ref = row.data["s"]
            if _subject_key(ref) in subjects:
                continue
            if ref[0] == "a":
                agency_pks.add(ref[1])
            elif ref[0] == "c":
                servant_pks.add(ref[1])
            elif ref[0] == "e":
                enterprises.setdefault(ref[1], ref)
            else:
                persons.setdefault(ref[1], ref)
        if agency_pks:
            for pk, uscc, name in Agency.objects.filter(pk__in=agency_pks).values_list("pk", "uscc", "name"):
                subjects[("a", pk)] = Agency(pk=pk, uscc=uscc, name=name)
        if servant_pks:
            for pk, digest, name in CivilServant.objects.filter(pk__in=servant_pks).values_list(
                "pk", "id_number_hash", "name"
            ):
                subjects[("c", pk)] = CivilServant(pk=pk, id_number_hash=digest, name=name)
        if enterprises:
            known = dict(Enterprise.objects.filter(uscc__in=enterprises).values_list("uscc", "pk"))
            missing = [ref for code, ref in enterprises.items() if code not in known]
            if missing:
                counts["enterprises_created"] += insert_rows(
                    Enterprise,
                    ("uscc", "uscc_status", "name", "region_id"),
                    [(ref[1], ref[3], ref[2][:NAME_MAX], ref[4]) for ref in missing],
                )
                known = dict(Enterprise.objects.filter(uscc__in=enterprises).values_list("uscc", "pk"))
            for uscc, name, pk in Enterprise.objects.filter(uscc__in=enterprises).values_list("uscc", "name", "pk"):
                subjects[("e", uscc)] = Enterprise(pk=pk, uscc=uscc, name=name)
        if persons:
            known_persons = set(
                Person.objects.filter(id_number_hash__in=persons).values_list("id_number_hash", flat=True)
            )
            missing = [ref for digest, ref in persons.items() if digest not in known_persons]
            if missing:
                # The registry's bulk path (as its `registry.persons` kind): encrypted, hashed, masked.
                counts["persons_created"] += insert_rows(
                    Person,
                    ("name", "id_number_encrypted", "id_number_hash", "id_number_masked"),
                    [(ref[4][: registry_policy.PERSON_NAME_MAX], ref[2], ref[1], ref[3]) for ref in missing],
                )
            for pk, digest, name in (
                Person.objects.filter(id_number_hash__in=persons)
                .order_by("pk")
                .values_list("pk", "id_number_hash", "name")
            ):
                subjects.setdefault(("p", digest), Person(pk=pk, id_number_hash=digest, name=name))


def _stamp() -> str:
    """When staged insert values were computed: the day (status depends on it) and the rule catalogue version."""
    return f"{services._today().isoformat()}|{services.catalog_version()}"


class _StagedSql:
    """The set-based publication's SQL over the typed staging table (`StagedRecord`); the same on both databases."""

    def __init__(self, batch_pk: int, stamp: str, staged: str = "") -> None:
        qn = self.qn = connection.ops.quote_name
        self.own = qn(StagedRecord._meta.db_table)
        # Where the batch's rows are: the kind's own table, or the same table in the batch's attached staging file.
        self.staged = staged or self.own
        self.records = qn(CreditRecord._meta.db_table)
        self.batch_pk, self.stamp = batch_pk, stamp
        self.leftovers = True  # typed rows the set-based insert did not take (known once it has counted)
        self.ruled = set(
            FaultToleranceRuling.objects.filter(status=RulingStatus.IN_EFFECT, subject_agency__isnull=False)
            .values_list("subject_agency_id", flat=True)
        )  # fmt: skip

    def taken(self, alias: str = "s") -> tuple[str, list[Any]]:
        """The rows the set-based insert takes (over `alias`, the staging table)."""
        clause = f"{alias}.batch_id = %s AND {alias}.stamp = %s"
        if self.ruled:  # integers from the database: safe to inline
            clause += f" AND {alias}.agency_id NOT IN ({', '.join(str(int(pk)) for pk in sorted(self.ruled))})"
        return clause, [self.batch_pk, self.stamp]

    def drop_rows(self, cursor: Any, row_numbers: list[int]) -> None:
        """Delete these staged rows (rejected at publication, in its transaction)."""
        for group in chunked(row_numbers, 500):
            marks = ", ".join(["%s"] * len(group))
            cursor.execute(
                f"DELETE FROM {self.staged} WHERE batch_id = %s AND row_number IN ({marks})",  # noqa: S608
                [self.batch_pk, *group],
            )

    def copy_leftovers(self, set_based: bool) -> tuple[str, list[Any]]:
        """INSERT into the kind's own table the staged rows the set-based insert did not take (all of them when it
        is off): for a batch staged in a staging file."""
        columns = ", ".join(self.qn(f.column) for f in StagedRecord._meta.concrete_fields if not f.primary_key)
        where, params = self.taken() if set_based else ("1 = 0", [])
        sql = (
            f"INSERT INTO {self.own} ({columns}) SELECT {columns} FROM {self.staged} s "  # noqa: S608
            f"WHERE s.batch_id = %s AND NOT ({where})"
        )
        return sql, [self.batch_pk, *params]

    def duplicates(self, where: str) -> str:
        return (
            f"SELECT s.row_number FROM {self.staged} s JOIN {self.records} r ON r.natural_key = s.natural_key "  # noqa: S608
            f"AND r.status <> '{RecordStatus.REVOKED.value}' WHERE {where}"
        )

    def count(self, where: str) -> str:
        """Over the taken rows: how many, how many legacy codes, how many ranked (`seq`), the lowest and highest
        rank; how many typed rows the batch has staged in all (the first parameter is the batch); how many taken rows
        have each status of `_COUNTED_STATUSES` (the next parameters)."""
        by_status = ", ".join(["SUM(CASE WHEN s.status = %s THEN 1 ELSE 0 END)"] * len(_COUNTED_STATUSES))
        return (
            "SELECT COUNT(*), SUM(CASE WHEN s.legacy THEN 1 ELSE 0 END), COUNT(s.seq), MIN(s.seq), MAX(s.seq), "  # noqa: S608
            f"(SELECT COUNT(*) FROM {self.staged} a WHERE a.batch_id = %s), {by_status} "
            f"FROM {self.staged} s WHERE {where}"
        )

    def insert(
        self,
        fields: list[Any],
        where: str,
        *,
        prefix: str,
        first: int,
        batch_values: dict[str, Any],
        ranked: bool = False,
    ) -> tuple[str, list[Any]]:
        """INSERT INTO records (every column) SELECT staged columns, computed number/stamps, defaults.

        `ranked`: the taken rows' `seq` is exactly 1 … count in row order, so it gives the numbers; otherwise
        `ROW_NUMBER()` over the row number does."""
        now = timezone.now()
        columns, exprs, params = [], [], []
        for f in fields:
            columns.append(self.qn(f.column))
            if f.attname == "number":
                # The rank within the batch after the block's first number, 7 digits: the digits of
                # 10,000,000 + n without the leading 1 (portable: no printf/lpad in both).
                rank = "s.seq" if ranked else "ROW_NUMBER() OVER (ORDER BY s.row_number)"
                exprs.append(f"%s || SUBSTR(CAST(%s + {rank} AS TEXT), 2)")
                params += [prefix, 10_000_000 + first - 1]
            elif f.attname in ("created_at", "updated_at"):
                exprs.append("%s")
                params.append(f.get_db_prep_save(now, connection))
            elif f.attname == "covered_by_id":
                exprs.append("NULL")
            elif f.attname in batch_values:
                exprs.append("%s")
                params.append(batch_values[f.attname])
            elif f.attname in services.STAGED_INDEX:
                exprs.append(f"s.{self.qn(_STAGED_COLUMN_NAMES[f.attname])}")
            else:
                exprs.append("%s")
                params.append(f.get_db_prep_save(f.get_default(), connection))
        sql = (
            f"INSERT INTO {self.records} ({', '.join(columns)}) SELECT {', '.join(exprs)} "  # noqa: S608
            f"FROM {self.staged} s WHERE {where}"
        )
        return sql, params


@contextlib.contextmanager
def _publication_cache(rows: int) -> Iterator[None]:
    """On SQLite, a bigger page cache for the one big `INSERT … SELECT` of a publication: the records table's
    indexes then stay in memory instead of being read and written back page by page as the rows' keys land all
    over them (a million rows: ~20 % less CPU). Only on this connection, only for this statement, and only as
    much as the rows need (`GOVTRUST_SQLITE_PUBLISH_CACHE_KB` at most; ~200 bytes of index per row); the
    validating child process is gone by then, so the import stays within its memory budget."""
    limit = int(getattr(settings, "GOVTRUST_SQLITE_PUBLISH_CACHE_KB", 0))
    usual = int(getattr(settings, "GOVTRUST_SQLITE_CACHE_KB", 0))
    wanted = min(limit, rows // 5)  # KiB
    if connection.vendor != "sqlite" or wanted <= usual:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA cache_size = -{int(wanted)}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size = -{int(usual)}")


def _subject_key(ref: list[Any]) -> tuple[str, Any]:
    return (ref[0], ref[1])


# The statuses a set-based publication counts (`record_bulk_insert_select` reports them).
_COUNTED_STATUSES = (RecordStatus.IN_FORCE.value, RecordStatus.RECEIVED.value, RecordStatus.PUBLICITY_ENDED.value)

# The staged columns holding dates (positions in `services.STAGED_COLUMNS`).
_STAGED_DATES = tuple(
    services.STAGED_INDEX[name]
    for name in ("decision_date", "conduct_date", "publicity_start", "publicity_min_end", "publicity_max_end")
)

# Staged column → its column name in `records_stagedrecord` (the same names as in `records_creditrecord`).
_STAGED_COLUMN_NAMES = {f.attname: f.column for f in StagedRecord._meta.concrete_fields}
