"""The SM3 hash chain of ObjectChange / AccessLog: it re-hashes from stored rows, and tampering is named."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from govtrust.core.audit import (
    GENESIS_HASH,
    canonical_fields,
    log_access,
    log_change,
    model_snapshot,
    row_digest,
    verify_chain,
)
from govtrust.core.context import reset_request_id, set_request_id
from govtrust.core.models import AccessLog, AuditImmutableError, ObjectChange, OutboxEvent

pytestmark = pytest.mark.usefixtures("audit_var")

HOSTILE = {
    "script": "<script>alert('x')</script>",
    "sql": "'; DROP TABLE core_objectchange; --",
    "nul": "a\x00b",
    "surrogate": "\ud800",
    "chinese": "南京市玄武区",
    "float": 0.1,
    "tiny": 1.5e-7,
    "huge": 1e20,
    "vast": 1.5e300,
    "negative_zero": -0.0,
    "nan": float("nan"),
    "whole": 5.0,
    "bigint": 2**70,
    "decimal": Decimal("12.50"),
    "date": dt.date(2024, 2, 29),
    "when": dt.datetime(2024, 1, 1, 8, 0, tzinfo=dt.UTC),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "nested": {"b": [1, 2.5, None, True], "a": {"z": "é", "1": []}},
    7: "int key",
}


def _changes(count: int, start: int = 0) -> list[ObjectChange]:
    return [
        log_change(actor=None, action="create", object_type="registry.agency", object_id=str(i), object_repr=f"机关{i}")
        for i in range(start, start + count)
    ]


def _sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _kinds(report) -> list[tuple[str, int | None]]:
    return [(p.kind, p.seq) for p in report.problems]


@pytest.mark.django_db
def test_rows_are_chained_from_the_genesis_hash_and_verify_clean():
    changes = _changes(3)
    access = log_access(
        actor=None, subject_type="registry.person", subject_id="9", subject_repr="张*明", purpose="核查"
    )
    assert [c.seq for c in changes] == [1, 2, 3]
    assert changes[0].prev_hash == GENESIS_HASH
    assert changes[1].prev_hash == changes[0].row_hash
    assert changes[2].prev_hash == changes[1].row_hash
    assert access.seq == 1 and access.prev_hash == GENESIS_HASH  # each log has its own chain
    for log in ("object_change", "access_log"):
        report = verify_chain(log)
        assert report.ok, report.problems
    assert verify_chain("object_change").rows == 3


@pytest.mark.django_db
def test_a_row_with_hostile_data_re_hashes_from_its_stored_columns():
    token = set_request_id(uuid.uuid4())
    try:
        change = log_change(
            actor=None,
            action="update",
            object_type="registry.agency",
            object_id="42",
            object_repr="<b>" + "长" * 300,  # longer than the column: stored and hashed truncated
            before=HOSTILE,
            after={"list": [HOSTILE]},
            message="'; DROP TABLE x; --\x00",
        )
        access = log_access(actor=None, subject_type="p", subject_id="1", subject_repr="x", purpose="p", detail=HOSTILE)
    finally:
        reset_request_id(token)
    stored = ObjectChange.objects.get(pk=change.pk)
    assert len(stored.object_repr) == 200
    assert stored.request_id == change.request_id
    assert stored.prechange_data["negative_zero"] == 0.0
    assert stored.prechange_data["huge"] == 10**20
    assert stored.prechange_data["nul"] == "a\ufffdb"
    assert row_digest(canonical_fields(ObjectChange, stored), stored.prev_hash) == stored.row_hash
    stored_access = AccessLog.objects.get(pk=access.pk)
    assert row_digest(canonical_fields(AccessLog, stored_access), stored_access.prev_hash) == stored_access.row_hash
    assert verify_chain("object_change").ok
    assert verify_chain("access_log").ok


def test_the_canonical_time_is_the_same_instant_in_any_zone_and_keeps_whole_seconds():
    shanghai = dt.timezone(dt.timedelta(hours=8))
    row = {name: None for name in ObjectChange.HASHED_FIELDS}
    in_utc = canonical_fields(ObjectChange, {**row, "time": dt.datetime(2024, 5, 1, 0, 0, tzinfo=dt.UTC)})
    in_shanghai = canonical_fields(ObjectChange, {**row, "time": dt.datetime(2024, 5, 1, 8, 0, tzinfo=shanghai)})
    assert in_utc == in_shanghai
    assert in_utc["time"] == "2024-05-01T00:00:00.000000Z"


@pytest.mark.django_db
def test_model_snapshot_gives_json_ready_data():
    event = OutboxEvent.objects.create(name="agency.created", payload={"b": 1.5, "a": "<script>"})
    snapshot = model_snapshot(event, exclude=("last_error",))
    assert snapshot["name"] == "agency.created"
    assert snapshot["payload"] == {"a": "<script>", "b": 1.5}
    assert isinstance(snapshot["created_at"], str)
    assert "last_error" not in snapshot


@pytest.mark.django_db
def test_an_edited_row_is_named():
    _changes(5)
    _sql(f"UPDATE {ObjectChange._meta.db_table} SET object_repr = %s WHERE seq = 3", ["伪造机关"])
    report = verify_chain("object_change")
    assert _kinds(report) == [("edited", 3)]
    assert "第 3 行" in report.problems[0].message


@pytest.mark.django_db
def test_an_edited_and_re_hashed_row_is_named_by_the_broken_link():
    _changes(5)
    row = ObjectChange.objects.get(seq=3)
    row.object_repr = "伪造机关"
    forged_hash = row_digest(canonical_fields(ObjectChange, row), row.prev_hash)
    _sql(
        f"UPDATE {ObjectChange._meta.db_table} SET object_repr = %s, row_hash = %s WHERE seq = 3",
        ["伪造机关", forged_hash],
    )
    report = verify_chain("object_change")
    assert _kinds(report) == [("relinked", 4)]
    assert "第 3 行被改写" in report.problems[0].message


@pytest.mark.django_db
def test_a_forged_row_inserted_with_raw_sql_is_named():
    _changes(5)
    table = ObjectChange._meta.db_table
    # The forger makes room at seq 3 and writes a row whose own hash and link are perfect.
    for seq in (5, 4, 3):
        _sql(f"UPDATE {table} SET seq = seq + 1 WHERE seq = %s", [seq])
    second = ObjectChange.objects.get(seq=2)
    forged = ObjectChange(
        seq=3,
        time=second.time,
        user_pk=None,
        user_name="system",
        request_id=None,
        action="delete",
        object_type="registry.agency",
        object_id="99",
        object_repr="伪造",
        message="",
        prechange_data=None,
        postchange_data=None,
        prev_hash=second.row_hash,
    )
    forged.row_hash = row_digest(canonical_fields(ObjectChange, forged), forged.prev_hash)
    _sql(
        f"INSERT INTO {table} (seq, time, user_pk, user_name, request_id, action, object_type, object_id, "
        "object_repr, message, prechange_data, postchange_data, prev_hash, row_hash) "
        "VALUES (%s, %s, NULL, %s, NULL, %s, %s, %s, %s, '', NULL, NULL, %s, %s)",
        [3, second.time, "system", "delete", "registry.agency", "99", "伪造", second.row_hash, forged.row_hash],
    )
    report = verify_chain("object_change")
    assert ("inserted", 3) in _kinds(report)
    inserted = next(p for p in report.problems if p.kind == "inserted")
    assert "第 3 行是插入的" in inserted.message
    # The renumbered genuine rows no longer match their hashes either.
    assert {("edited", 4), ("edited", 5), ("edited", 6)} <= set(_kinds(report))


@pytest.mark.django_db
def test_a_forged_row_with_a_made_up_hash_is_named():
    _changes(3)
    head = ObjectChange.objects.get(seq=3)
    _sql(
        f"INSERT INTO {ObjectChange._meta.db_table} (seq, time, user_pk, user_name, request_id, action, object_type, "
        "object_id, object_repr, message, prechange_data, postchange_data, prev_hash, row_hash) "
        "VALUES (4, %s, NULL, 'admin', NULL, 'delete', 'x', '1', 'x', '', NULL, NULL, %s, %s)",
        [head.time, head.row_hash, "f" * 64],
    )
    assert _kinds(verify_chain("object_change")) == [("edited", 4)]


@pytest.mark.django_db
def test_a_deleted_middle_row_is_named():
    _changes(6)
    _sql(f"DELETE FROM {ObjectChange._meta.db_table} WHERE seq IN (3, 4)")
    report = verify_chain("object_change")
    assert _kinds(report) == [("deleted", 3)]
    assert "第 3–4 行被删除" in report.problems[0].message
    assert "第 2 行与第 5 行之间" in report.problems[0].message


@pytest.mark.django_db
def test_deleted_first_rows_are_named():
    _changes(3)
    _sql(f"DELETE FROM {ObjectChange._meta.db_table} WHERE seq = 1")
    report = verify_chain("object_change")
    assert _kinds(report) == [("deleted", 1)]
    assert "第 1 行被删除" in report.problems[0].message


@pytest.mark.django_db
def test_the_orm_refuses_to_update_or_delete_audit_rows():
    change = _changes(1)[0]
    access = log_access(actor=None, subject_type="p", subject_id="1", subject_repr="x", purpose="p")
    for row, model in ((change, ObjectChange), (access, AccessLog)):
        row.user_name = "someone else"
        with pytest.raises(AuditImmutableError):
            row.save()
        with pytest.raises(AuditImmutableError):
            row.delete()
        with pytest.raises(AuditImmutableError):
            model.objects.filter(pk=row.pk).update(user_name="x")
        with pytest.raises(AuditImmutableError):
            model.objects.all().delete()
        with pytest.raises(AuditImmutableError):
            model.objects.bulk_update([row], ["user_name"])
        with pytest.raises(AuditImmutableError):
            model.objects.bulk_create([model(seq=99, time=change.time, prev_hash="0", row_hash="0")])
    assert ObjectChange.objects.get().user_name == "system"
    assert verify_chain("object_change").ok


@pytest.mark.django_db
def test_a_new_instance_cannot_overwrite_an_existing_row_by_its_primary_key():
    change = _changes(1)[0]
    copy = ObjectChange.objects.get(pk=change.pk)
    copy._state.adding = True
    copy.object_repr = "改写"
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError from the forced INSERT
        with transaction.atomic():
            copy.save()
    assert ObjectChange.objects.get(pk=change.pk).object_repr == "机关0"


@pytest.mark.django_db
def test_log_change_in_a_rolled_back_transaction_leaves_no_row():
    _changes(2)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        log_change(actor=None, action="create", object_type="x", object_id="1", object_repr="会回滚")
        raise Boom
    assert not ObjectChange.objects.filter(object_repr="会回滚").exists()
    following = log_change(actor=None, action="create", object_type="x", object_id="2", object_repr="之后")
    assert following.seq == 3
    assert verify_chain("object_change").ok


@pytest.mark.django_db
def test_log_change_records_the_object_and_the_request_id():
    event = OutboxEvent.objects.create(name="agency.created", payload={})
    request_id = uuid.uuid4()
    token = set_request_id(request_id)
    try:
        change = log_change(actor=None, action="update", obj=event, before={"name": "旧"}, after={"name": "新"})
    finally:
        reset_request_id(token)
    stored = ObjectChange.objects.get(pk=change.pk)
    assert stored.object_type == "core.outboxevent"
    assert stored.object_id == str(event.pk)
    assert stored.request_id == request_id
    assert stored.user_name == "system"
    assert stored.postchange_data == {"name": "新"}


@pytest.mark.django_db
def test_verify_rejects_an_unknown_log():
    with pytest.raises(ValueError):
        verify_chain("'; DROP TABLE core_objectchange; --")


@pytest.mark.django_db
def test_the_verify_command_exits_0_when_clean_and_1_when_tampered(capsys):
    _changes(3)
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "审计日志校验通过" in out and "Audit verification passed" in out

    _sql(f"DELETE FROM {ObjectChange._meta.db_table} WHERE seq = 2")
    call_command("audit", "verify", "--log", "access_log")  # the other log is still clean
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", "--log", "object_change")
    assert failure.value.returncode == 1
    assert "Audit verification FAILED" in str(failure.value)
    assert "第 2 行被删除" in capsys.readouterr().out
