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

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core import codes
from govtrust.core.crypto import keyed_hash, sm4_encrypt
from govtrust.core.ingest import CellError, Column, ImportKind, RowOutcome, Staged
from govtrust.core.ingest.bulk import insert_rows
from govtrust.core.ingest.services import batch_actor, reject_at_publish
from govtrust.core.ingest.values import parse_date, parse_decimal
from govtrust.core.masking import mask_id_number
from govtrust.core.models import ImportBatch, Region
from govtrust.core.validators import CodeCheck, check_id_number, check_uscc
from govtrust.records import policy, services
from govtrust.records.models import CreditRecord, RecordStatus, Source
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
    parts.extend(f"{label}：{value}" for label, value in extras if value)
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

    # --- per batch ---------------------------------------------------------------------------------------------
    def begin(self, batch: ImportBatch) -> None:
        self.batch_number = batch.number
        self.today = datetime.date.today()
        self.legacy_codes = codes.known_legacy_codes()
        self.uscc_checks: dict[str, CodeCheck] = {}
        self.parsed_dates: dict[str, tuple[datetime.date | None, str]] = {}
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
        value, reason = parse_decimal(raw, places=6)
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

    # --- publication ------------------------------------------------------------------------------------------
    def publish(self, batch: ImportBatch, staged: Iterator[Staged]) -> dict[str, int]:
        supplier = Agency.objects.get(uscc=batch.supplier_code)
        actor = batch_actor(batch)
        source = Source.API if batch.file_name.startswith(API_FILE_PREFIX) else Source.IMPORT
        counts = {"published": 0, "created": 0, "corrected": 0, "revoked": 0, "persons_created": 0,
                  "enterprises_created": 0, "legacy_code_rows": 0}  # fmt: skip
        subjects: dict[tuple[str, Any], Any] = {}

        def drafts() -> Iterator[services.RecordDraft]:
            for group in _groups(staged, PUBLISH_GROUP):
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
        counts["created"] = result.created
        counts["published"] = result.created + counts["corrected"] + counts["revoked"]
        counts["in_force"], counts["received"], counts["ended"] = result.in_force, result.received, result.ended
        counts["covered"] = result.covered
        return counts

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


def _subject_key(ref: list[Any]) -> tuple[str, Any]:
    return (ref[0], ref[1])


def _groups(items: Iterator[Staged], size: int) -> Iterator[list[Staged]]:
    group: list[Staged] = []
    for item in items:
        group.append(item)
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group
