"""Audit trail: `log_change` for state changes, `log_access` for reads of personal data.

Services call these inside their own `transaction.atomic()` so the audit row commits or rolls back
with the change it describes.

The chain: each row's `row_hash` = SM3(prev_hash || canonical JSON of the row's HASHED_FIELDS), and
`prev_hash` is the row_hash of the row before it (seq - 1), or 64 zeros for seq 1. The canonical form
is computed from the values as the database gives them back (`canonical_fields`), so a row can be
re-hashed from its stored columns alone on SQLite and PostgreSQL.

Signed checkpoints (`write_checkpoints`) pin the row count and head hash outside the audit tables,
so that a deleted tail is caught too; `verify_chain` checks all of it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govtrust.core.context import current_request_id
from govtrust.core.crypto import sm2_sign, sm2_signing_key, sm2_verify, sm3_hex
from govtrust.core.ingest.bulk import insert_one
from govtrust.core.models import AccessLog, AuditCheckpoint, ObjectChange

GENESIS_HASH = "0" * 64
CHAIN_VERSION = "v1"

AuditModel = type[ObjectChange] | type[AccessLog]
LOGS: dict[str, AuditModel] = {"object_change": ObjectChange, "access_log": AccessLog}
# Arbitrary constants for pg_advisory_xact_lock(classid, objid): one lock per log.
_PG_LOCK_CLASS = 0x6774  # "gt"
_PG_LOCK_IDS = {"object_change": 1, "access_log": 2}


# --- canonical form ---------------------------------------------------------------------------


def _clean_str(value: str) -> str:
    # PostgreSQL refuses NUL in text and jsonb, and nobody can store a lone surrogate as UTF-8: an
    # audit row must never make the service's transaction fail, so such characters are replaced.
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    return value.encode("utf-8", "replace").decode("utf-8")


def _clean_json(value: Any) -> Any:
    """Make data survive a JSON round trip through SQLite text and PostgreSQL jsonb unchanged.

    jsonb keeps numbers as `numeric`: `-0.0` comes back as `0.0` and `1e+16` as the integer
    10000000000000000, and it rejects NaN/Infinity. So floats that are whole and ≥ 2**53 become
    ints, -0.0 becomes 0.0, non-finite floats become strings; everything not JSON becomes str().
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == 0:
            return 0.0
        if abs(value) >= 2**53:
            return int(value)
        return value
    if isinstance(value, str):
        return _clean_str(value)
    if isinstance(value, dict):
        return {_clean_str(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return _clean_str(str(value))


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _canonical_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # Always UTC with microseconds: the same text whether the backend returns +00:00 or UTC.
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def canonical_fields(model: AuditModel, row: dict[str, Any] | models.Model) -> dict[str, Any]:
    """The hashed fields of one row, as stored, in canonical form."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return {name: _canonical_value(get(name)) for name in model.HASHED_FIELDS}


def row_digest(fields: dict[str, Any], prev_hash: str) -> str:
    """SM3 over the previous hash and the row's fields in canonical JSON."""
    return sm3_hex(prev_hash + _canonical(fields))


def object_type_label(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


# --- writing ----------------------------------------------------------------------------------


def actor_identity(actor: Any) -> tuple[int | None, str]:
    """(user pk, user name) of whoever acts; "system" for the sweep, the worker and anonymous callers."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, getattr(actor, "username", "") or "system"
    return actor.pk, actor.get_username()


def _actor_fields(actor: Any) -> dict[str, Any]:
    user_pk, user_name = actor_identity(actor)
    return {"user_pk": user_pk, "user_name": user_name}


def _lock_log(log: str) -> None:
    """Serialise appends to one log until the surrounding transaction ends.

    Without it two PostgreSQL transactions read the same head and both write seq N+1 (one fails on
    the unique seq, or, worse, with a different seq scheme, the chain forks). SQLite needs nothing:
    the settings open every transaction with BEGIN IMMEDIATE, which already serialises writers.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_PG_LOCK_CLASS, _PG_LOCK_IDS[log]])


def _append(log: str, values: dict[str, Any]) -> Any:
    model = LOGS[log]
    # Fit each text to its column (PostgreSQL would refuse longer text; SQLite would keep it) so that
    # what we hash is what is stored.
    for name, value in values.items():
        if isinstance(value, str):
            value = _clean_str(value)
            max_length = getattr(model._meta.get_field(name), "max_length", None)
            values[name] = value[:max_length] if max_length else value
    # No savepoint: a failed append fails the service's whole transaction anyway. The head is read with a
    # plain query because every audited write (each API screening, too) pays for it.
    with transaction.atomic(savepoint=False):
        _lock_log(log)
        with connection.cursor() as cursor:
            cursor.execute(_HEAD_SQL[log])
            head = cursor.fetchone()
        seq = head[0] + 1 if head else 1
        prev_hash = head[1] if head else GENESIS_HASH
        row = model(seq=seq, prev_hash=prev_hash, **values)
        row.row_hash = row_digest(canonical_fields(model, row), prev_hash)
        insert_one(row)  # append-only: never an UPDATE; no signals are attached to audit rows
        return row


_HEAD_SQL = {
    log: f"SELECT seq, row_hash FROM {model._meta.db_table} ORDER BY seq DESC LIMIT 1"  # noqa: S608
    for log, model in LOGS.items()
}


def log_change(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    message: str = "",
) -> ObjectChange:
    """Write one ObjectChange. Call inside the service's transaction.

    On PostgreSQL this holds the object_change append lock until that transaction ends, so keep
    the audit call near the end of the service's work.
    """
    if obj is not None:
        object_type = object_type or object_type_label(obj)
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    values: dict[str, Any] = {
        # Whole microseconds in UTC: both databases store exactly this.
        "time": timezone.now(),
        **_actor_fields(actor),
        "request_id": current_request_id(),
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "object_repr": object_repr,
        "message": message,
        "prechange_data": _clean_json(before) if before is not None else None,
        "postchange_data": _clean_json(after) if after is not None else None,
    }
    change: ObjectChange = _append("object_change", values)
    return change


def log_access(
    *,
    actor: Any,
    subject: models.Model | None = None,
    subject_type: str = "",
    subject_id: str = "",
    subject_repr: str = "",
    purpose: str,
    detail: dict[str, Any] | None = None,
) -> AccessLog:
    """Write one AccessLog row for a read of personal data."""
    if subject is not None:
        subject_type = subject_type or object_type_label(subject)
        subject_id = subject_id or str(subject.pk)
        subject_repr = subject_repr or str(subject)
    values: dict[str, Any] = {
        "time": timezone.now(),
        **_actor_fields(actor),
        "request_id": current_request_id(),
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "subject_repr": subject_repr,
        "purpose": purpose,
        "detail": _clean_json(detail) if detail is not None else None,
    }
    access: AccessLog = _append("access_log", values)
    return access


def model_snapshot(obj: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON-able dict of a model's concrete fields, for before/after data."""
    data: dict[str, Any] = {}
    for model_field in obj._meta.concrete_fields:
        if model_field.attname in exclude or model_field.name in exclude:
            continue
        data[model_field.attname] = model_field.value_from_object(obj)
    cleaned: dict[str, Any] = _clean_json(data)
    return cleaned


# --- checkpoints ------------------------------------------------------------------------------


def checkpoint_file() -> Path:
    return Path(settings.VAR_DIR) / "audit" / "checkpoints.jsonl"


def _created_at_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def checkpoint_message(*, log: str, row_count: int, head_seq: int, head_hash: str, created_at: dt.datetime) -> bytes:
    """The exact bytes a checkpoint's SM2 signature covers."""
    text = f"govtrust-audit-checkpoint|{CHAIN_VERSION}|{log}|{row_count}|{head_seq}|{head_hash}|"
    return (text + _created_at_text(created_at)).encode("utf-8")


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write() on an O_APPEND descriptor: lines from two processes never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def write_checkpoint(log: str) -> AuditCheckpoint:
    """Sign the current head of one log; store it in AuditCheckpoint and append it to checkpoints.jsonl."""
    model = LOGS[log]
    private_hex, public_hex = sm2_signing_key()
    signer_id = settings.GOVTRUST_SM2_SIGNER_ID
    with transaction.atomic():
        # Appends commit in seq order (see _lock_log), so the head and everything below it is settled.
        head = model.objects.order_by("-seq").values("seq", "row_hash").first()
        head_seq = head["seq"] if head else 0
        head_hash = head["row_hash"] if head else GENESIS_HASH
        row_count = model.objects.filter(seq__lte=head_seq).count()
        created_at = timezone.now()
        message = checkpoint_message(
            log=log, row_count=row_count, head_seq=head_seq, head_hash=head_hash, created_at=created_at
        )
        checkpoint = AuditCheckpoint(
            log=log,
            row_count=row_count,
            head_seq=head_seq,
            head_hash=head_hash,
            created_at=created_at,
            public_key=public_hex,
            signer_id=signer_id,
            signature=sm2_sign(message, private_hex, signer_id=signer_id),
        )
        checkpoint.save()
        # The file is written inside the transaction: if it cannot be written, the row rolls back too.
        _append_line(checkpoint_file(), _canonical(_checkpoint_record(checkpoint)))
    return checkpoint


def write_checkpoints() -> list[AuditCheckpoint]:
    """One signed checkpoint per log. `govtrust audit checkpoint` and the daily sweep run it.

    A second run adds one more checkpoint of the same head, which is harmless.
    """
    return [write_checkpoint(log) for log in LOGS]


def _checkpoint_record(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    return {
        "log": checkpoint.log,
        "row_count": checkpoint.row_count,
        "head_seq": checkpoint.head_seq,
        "head_hash": checkpoint.head_hash,
        "created_at": _created_at_text(checkpoint.created_at),
        "public_key": checkpoint.public_key,
        "signer_id": checkpoint.signer_id,
        "signature": checkpoint.signature,
    }


# --- verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One finding. `kind` is a stable code for machines; `message` names the rows for people."""

    kind: str  # edited | inserted | deleted | relinked | deleted_tail | rewritten | checkpoint
    message: str
    seq: int | None = None


@dataclass
class VerifyReport:
    log: str
    rows: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, message: str, seq: int | None = None) -> None:
        self.problems.append(Problem(kind=kind, message=message, seq=seq))


# How many recent row hashes the walk remembers, to tell "a row was inserted before seq N" (N's
# prev_hash is the hash of an older row) from "seq N-1 was rewritten".
_RECENT_HASHES = 1000


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


def _walk_rows(model: AuditModel, report: VerifyReport, needed: list[int]) -> dict[int, tuple[str | None, int]]:
    """Check every row's hash, link and seq in seq order.

    Returns, for each seq in `needed` (checkpoint heads): (that row's hash or None, rows with seq ≤ it).
    Memory stays flat however long the log is.
    """
    marks: dict[int, tuple[str | None, int]] = {}
    pending = sorted(set(needed))
    next_mark = 0
    recent: OrderedDict[str, int] = OrderedDict()
    previous: dict[str, Any] | None = None
    columns = ("id", *model.HASHED_FIELDS, "prev_hash", "row_hash")
    for row in model.objects.order_by("seq").values(*columns).iterator(chunk_size=2000):
        seq = row["seq"]
        while next_mark < len(pending) and pending[next_mark] < seq:
            marks[pending[next_mark]] = (None, report.rows)
            next_mark += 1
        report.rows += 1
        if next_mark < len(pending) and pending[next_mark] == seq:
            marks[seq] = (row["row_hash"], report.rows)
            next_mark += 1
        expected_seq = previous["seq"] + 1 if previous else 1
        expected_prev = previous["row_hash"] if previous else GENESIS_HASH

        if row_digest(canonical_fields(model, row), row["prev_hash"]) != row["row_hash"]:
            report.add("edited", _("第 %(seq)s 行：内容与哈希不符（该行被修改或伪造）") % {"seq": seq}, seq)

        if previous is not None and seq == previous["seq"]:
            report.add("inserted", _("第 %(seq)s 行：序号重复（插入了伪造行）") % {"seq": seq}, seq)
        elif seq > expected_seq:
            rows = _span(expected_seq, seq - 1)
            if previous is None:
                text = _("第 %(rows)s 行被删除（日志开头缺失，首行为第 %(seq)s 行）") % {"rows": rows, "seq": seq}
            else:
                text = _("第 %(rows)s 行被删除（第 %(before)s 行与第 %(seq)s 行之间缺号）") % {
                    "rows": rows,
                    "before": previous["seq"],
                    "seq": seq,
                }
            report.add("deleted", text, expected_seq)
        elif row["prev_hash"] != expected_prev:
            older = recent.get(row["prev_hash"])
            if older is not None and older < seq - 1:
                report.add(
                    "inserted",
                    _("第 %(rows)s 行是插入的：第 %(seq)s 行原本紧接第 %(older)s 行")
                    % {"rows": _span(older + 1, seq - 1), "seq": seq, "older": older},
                    older + 1,
                )
            else:
                report.add(
                    "relinked",
                    _("第 %(seq)s 行：与第 %(prev)s 行的链接断开（第 %(prev)s 行被改写或替换）")
                    % {"seq": seq, "prev": seq - 1},
                    seq,
                )
        previous = row
        recent[row["row_hash"]] = seq
        if len(recent) > _RECENT_HASHES:
            recent.popitem(last=False)
    for head in pending[next_mark:]:
        marks[head] = (None, report.rows)
    if previous is not None:
        report.head_seq = previous["seq"]
        report.head_hash = previous["row_hash"]
    return marks


@dataclass(frozen=True)
class _Checkpoint:
    source: str  # "db" | "file" | "both"
    log: str
    row_count: int
    head_seq: int
    head_hash: str
    created_at: str
    public_key: str
    signer_id: str
    signature: str

    @property
    def key(self) -> tuple[str, int, str, str]:
        return (self.log, self.head_seq, self.head_hash, self.created_at)

    def label(self) -> str:
        where = {"db": _("数据库"), "file": _("检查点文件"), "both": _("数据库与检查点文件")}[self.source]
        return _("%(where)s中 %(time)s 的检查点") % {"where": where, "time": self.created_at}

    def signature_valid(self, trusted_keys: set[str]) -> bool:
        try:
            created = dt.datetime.strptime(self.created_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
        except ValueError:
            return False
        message = checkpoint_message(
            log=self.log,
            row_count=self.row_count,
            head_seq=self.head_seq,
            head_hash=self.head_hash,
            created_at=created,
        )
        if self.public_key.lower() not in trusted_keys:
            return False
        try:
            return sm2_verify(message, self.signature, self.public_key, signer_id=self.signer_id)
        except ValueError:  # e.g. a signer ID too long to encode: a tampered record
            return False


def _checkpoints_from_db(log: str) -> list[_Checkpoint]:
    return [
        _Checkpoint(source="db", **_checkpoint_record(cp))
        for cp in AuditCheckpoint.objects.filter(log=log).order_by("created_at", "pk")
    ]


def _checkpoints_from_file(log: str, report: VerifyReport) -> list[_Checkpoint] | None:
    """The file's checkpoints of one log, or None when there is no file."""
    path = checkpoint_file()
    if not path.exists():
        return None
    found: list[_Checkpoint] = []
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if record.get("log") != log:
                    continue
                found.append(
                    _Checkpoint(
                        source="file",
                        log=str(record["log"]),
                        row_count=int(record["row_count"]),
                        head_seq=int(record["head_seq"]),
                        head_hash=str(record["head_hash"]),
                        created_at=str(record["created_at"]),
                        public_key=str(record["public_key"]),
                        signer_id=str(record["signer_id"]),
                        signature=str(record["signature"]),
                    )
                )
            except (ValueError, KeyError, TypeError, AttributeError):
                report.add("checkpoint", _("检查点文件第 %(line)s 行无法读取（被改动）") % {"line": number})
    return found


def trusted_public_keys() -> set[str]:
    """Public keys whose checkpoints count: GOVTRUST_AUDIT_TRUSTED_KEYS when set (pinning, and
    retired keys after a rotation), otherwise the current signing key's public key."""
    pinned = {k.strip().lower() for k in settings.GOVTRUST_AUDIT_TRUSTED_KEYS if k.strip()}
    return pinned or {sm2_signing_key()[1]}


def _check_checkpoint(
    cp: _Checkpoint, marks: dict[int, tuple[str | None, int]], report: VerifyReport
) -> list[tuple[str, str]]:
    """What is wrong between one checkpoint and the table (signature aside)."""
    head_hash, present = marks.get(cp.head_seq, (None, 0))
    values = {
        "cp": cp.label(),
        "rows": cp.row_count,
        "head": cp.head_seq,
        "hash": cp.head_hash[:16],
        "present": present,
        "table_rows": report.rows,
        "table_head": report.head_seq,
    }
    if cp.head_seq > 0 and head_hash is None:
        return [
            (
                "deleted_tail",
                _(
                    "%(cp)s记录 %(rows)s 行、末行第 %(head)s 行（哈希 %(hash)s…），但表中已无第 %(head)s 行"
                    "（现有 %(table_rows)s 行，末行第 %(table_head)s 行）：尾部被删除"
                )
                % values,
            )
        ]
    if cp.head_seq > 0 and head_hash != cp.head_hash:
        return [
            (
                "rewritten",
                _("%(cp)s记录第 %(head)s 行哈希为 %(hash)s…，表中该行哈希已不同：该行及以前的历史被改写或替换")
                % values,
            )
        ]
    if present != cp.row_count:
        kind = "deleted" if present < cp.row_count else "inserted"
        return [(kind, _("%(cp)s记录至第 %(head)s 行共 %(rows)s 行，表中现有 %(present)s 行") % values)]
    return []


def verify_chain(log: str, *, all_signatures: bool = False) -> VerifyReport:
    """Re-hash and re-link every row of one log ('object_change' | 'access_log') and check its checkpoints.

    Checkpoints come from both the AuditCheckpoint table and the checkpoint file. Signatures are
    slow in pure Python, so by default only the latest checkpoint of each source and every
    checkpoint that disagrees with the table get their signature checked (an attacker who cuts a
    tail must remove or forge every later checkpoint); `all_signatures` checks all of them.
    """
    if log not in LOGS:
        raise ValueError(f"unknown audit log {log!r}; expected one of {', '.join(LOGS)}")
    report = VerifyReport(log=log)
    from_db = _checkpoints_from_db(log)
    from_file = _checkpoints_from_file(log, report)
    # A checkpoint found identical in both places is checked (and reported) once.
    db_records = {dataclasses.replace(cp, source="both") for cp in from_db}
    checkpoints = [dataclasses.replace(cp, source="both") if cp in db_records else cp for cp in from_db]
    checkpoints += [cp for cp in from_file or [] if dataclasses.replace(cp, source="both") not in db_records]
    report.checkpoints = len(checkpoints)
    marks = _walk_rows(LOGS[log], report, [cp.head_seq for cp in checkpoints])

    trusted = trusted_public_keys()
    latest = {cps[-1].key for cps in (from_db, from_file) if cps}
    for cp in checkpoints:
        findings = _check_checkpoint(cp, marks, report)
        if (findings or all_signatures or cp.key in latest) and not cp.signature_valid(trusted):
            findings.append(
                (
                    "checkpoint",
                    _("%(cp)s（第 %(head)s 行）签名无效或不是受信任的密钥：检查点被伪造或改动")
                    % {"cp": cp.label(), "head": cp.head_seq},
                )
            )
        for kind, message in findings:
            report.add(kind, message, cp.head_seq)

    # Each checkpoint is written to both places; one missing from either means someone removed it.
    if from_file is None:
        if from_db:
            report.add("checkpoint", _("检查点文件 %(path)s 不存在（被删除）") % {"path": checkpoint_file()})
    else:
        by_key = {cp.key: cp for cp in from_file}
        for cp in from_db:
            twin = by_key.get(cp.key)
            if twin is not None and dataclasses.replace(twin, source="db") != cp:
                report.add(
                    "checkpoint",
                    _("%(time)s 的检查点（第 %(head)s 行）在数据库与检查点文件中不一致：其中之一被改动")
                    % {"time": cp.created_at, "head": cp.head_seq},
                    cp.head_seq,
                )
        for missing, where in (
            ([cp for cp in from_db if cp.key not in {f.key for f in from_file}], _("检查点文件")),
            ([cp for cp in from_file if cp.key not in {d.key for d in from_db}], _("数据库")),
        ):
            if missing:
                report.add(
                    "checkpoint",
                    _("%(count)s 个检查点在%(where)s中缺失（最近一个：%(time)s，第 %(head)s 行）：检查点被删除")
                    % {
                        "count": len(missing),
                        "where": where,
                        "time": missing[-1].created_at,
                        "head": missing[-1].head_seq,
                    },
                    missing[-1].head_seq,
                )
    return report


def verify_all(logs: Iterable[str] = tuple(LOGS), *, all_signatures: bool = False) -> list[VerifyReport]:
    return [verify_chain(log, all_signatures=all_signatures) for log in logs]
