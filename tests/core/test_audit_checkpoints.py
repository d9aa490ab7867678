"""Signed checkpoints (database + file) catch a deleted tail, rewritten history and forged checkpoints."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection

from govtrust.core.audit import (
    canonical_fields,
    checkpoint_file,
    checkpoint_message,
    log_access,
    log_change,
    row_digest,
    verify_chain,
    write_checkpoints,
)
from govtrust.core.crypto import sm2_generate_keypair, sm2_sign, sm2_signing_key, sm2_verify
from govtrust.core.models import AuditCheckpoint, AuditImmutableError, ObjectChange

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audit_var")]

TABLE = ObjectChange._meta.db_table
CHECKPOINTS = AuditCheckpoint._meta.db_table


def _changes(count: int) -> None:
    for i in range(count):
        log_change(actor=None, action="create", object_type="registry.agency", object_id=str(i), object_repr=f"机关{i}")


def _sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _kinds(report) -> set[str]:
    return {p.kind for p in report.problems}


def _file_lines() -> list[dict]:
    return [json.loads(line) for line in checkpoint_file().read_text(encoding="utf-8").splitlines()]


def test_a_checkpoint_is_signed_and_written_to_the_table_and_the_file():
    _changes(4)
    log_access(actor=None, subject_type="p", subject_id="1", subject_repr="x", purpose="核查")
    object_change, access_log = write_checkpoints()
    assert (object_change.log, object_change.row_count, object_change.head_seq) == ("object_change", 4, 4)
    assert object_change.head_hash == ObjectChange.objects.get(seq=4).row_hash
    assert (access_log.log, access_log.row_count) == ("access_log", 1)
    assert object_change.public_key == sm2_signing_key()[1]
    message = checkpoint_message(
        log="object_change",
        row_count=4,
        head_seq=4,
        head_hash=object_change.head_hash,
        created_at=object_change.created_at,
    )
    assert sm2_verify(message, object_change.signature, object_change.public_key)
    lines = _file_lines()
    assert [line["log"] for line in lines] == ["object_change", "access_log"]
    assert lines[0]["signature"] == object_change.signature
    assert verify_chain("object_change").ok
    assert verify_chain("access_log").ok


def test_an_empty_log_can_be_checkpointed_and_verifies():
    write_checkpoints()
    report = verify_chain("access_log")
    assert report.ok, report.problems
    assert report.rows == 0


def test_a_deleted_tail_after_a_checkpoint_is_named():
    _changes(5)
    write_checkpoints()
    _sql(f"DELETE FROM {TABLE} WHERE seq > 3")
    report = verify_chain("object_change")
    assert _kinds(report) == {"deleted_tail"}
    [problem] = report.problems  # the same checkpoint in the table and the file is reported once
    assert "记录 5 行、末行第 5 行" in problem.message
    assert "现有 3 行，末行第 3 行" in problem.message


def test_a_deleted_tail_with_its_checkpoint_rows_is_still_caught_by_the_file():
    _changes(3)
    write_checkpoints()
    _changes(2)
    write_checkpoints()
    _sql(f"DELETE FROM {TABLE} WHERE seq > 3")
    _sql(f"DELETE FROM {CHECKPOINTS} WHERE head_seq > 3")
    report = verify_chain("object_change")
    assert "deleted_tail" in _kinds(report)
    assert any("检查点文件中" in p.message and "末行第 5 行" in p.message for p in report.problems)
    assert any("在数据库中缺失" in p.message for p in report.problems)


def test_a_deleted_tail_with_the_checkpoint_file_removed_is_still_caught_by_the_table():
    _changes(3)
    write_checkpoints()
    _sql(f"DELETE FROM {TABLE} WHERE seq = 3")
    checkpoint_file().unlink()
    report = verify_chain("object_change")
    assert {"deleted_tail", "checkpoint"} <= _kinds(report)
    assert any("不存在（被删除）" in p.message for p in report.problems)


def test_a_tail_deleted_and_regrown_is_named_as_rewritten_history():
    _changes(4)
    write_checkpoints()
    _sql(f"DELETE FROM {TABLE} WHERE seq > 2")
    _changes(3)  # genuine-looking new rows 3..5 now chain from row 2
    report = verify_chain("object_change")
    assert _kinds(report) == {"rewritten"}
    assert "第 4 行" in report.problems[0].message


def test_history_rewritten_and_fully_re_hashed_is_caught_by_the_checkpoint():
    _changes(4)
    write_checkpoints()
    # The forger edits row 2 and recomputes every hash after it, so the chain alone looks perfect.
    rows = list(ObjectChange.objects.order_by("seq"))
    rows[1].object_repr = "伪造机关"
    prev = rows[0].row_hash
    for row in rows[1:]:
        row.prev_hash = prev
        row.row_hash = row_digest(canonical_fields(ObjectChange, row), prev)
        _sql(
            f"UPDATE {TABLE} SET object_repr = %s, prev_hash = %s, row_hash = %s WHERE seq = %s",
            [row.object_repr, row.prev_hash, row.row_hash, row.seq],
        )
        prev = row.row_hash
    report = verify_chain("object_change")
    assert _kinds(report) == {"rewritten"}


def test_a_tampered_checkpoint_signature_is_named():
    _changes(2)
    write_checkpoints()
    checkpoint = AuditCheckpoint.objects.get(log="object_change")
    flipped = ("0" if checkpoint.signature[0] != "0" else "1") + checkpoint.signature[1:]
    _sql(f"UPDATE {CHECKPOINTS} SET signature = %s WHERE id = %s", [flipped, checkpoint.pk])
    report = verify_chain("object_change")
    assert _kinds(report) == {"checkpoint"}
    assert any("数据库中" in p.message and "签名无效" in p.message for p in report.problems)


def test_a_checkpoint_with_forged_numbers_is_named():
    _changes(5)
    write_checkpoints()
    _sql(f"DELETE FROM {TABLE} WHERE seq > 3")
    head = ObjectChange.objects.get(seq=3)
    # The forger makes both checkpoint copies describe the shortened table, but cannot re-sign them.
    _sql(f"UPDATE {CHECKPOINTS} SET row_count = 3, head_seq = 3, head_hash = %s", [head.row_hash])
    lines = _file_lines()
    for line in lines:
        if line["log"] == "object_change":
            line.update(row_count=3, head_seq=3, head_hash=head.row_hash)
    checkpoint_file().write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    report = verify_chain("object_change")
    assert _kinds(report) == {"checkpoint"}
    assert "签名无效" in report.problems[0].message


def test_a_checkpoint_re_signed_with_another_key_is_named():
    _changes(5)
    write_checkpoints()
    _sql(f"DELETE FROM {TABLE} WHERE seq > 3")
    head = ObjectChange.objects.get(seq=3)
    forger_private, forger_public = sm2_generate_keypair()
    checkpoint = AuditCheckpoint.objects.get(log="object_change")
    message = checkpoint_message(
        log="object_change", row_count=3, head_seq=3, head_hash=head.row_hash, created_at=checkpoint.created_at
    )
    signature = sm2_sign(message, forger_private)
    _sql(
        f"UPDATE {CHECKPOINTS} SET row_count = 3, head_seq = 3, head_hash = %s, public_key = %s, signature = %s "
        "WHERE id = %s",
        [head.row_hash, forger_public, signature, checkpoint.pk],
    )
    report = verify_chain("object_change")
    assert any("不是受信任的密钥" in p.message for p in report.problems)
    assert "deleted_tail" in _kinds(report)  # the file's copy still says 5 rows


def test_pinned_trusted_keys_reject_checkpoints_of_the_current_key(settings):
    _changes(1)
    write_checkpoints()
    settings.GOVTRUST_AUDIT_TRUSTED_KEYS = [sm2_generate_keypair()[1]]
    assert "checkpoint" in _kinds(verify_chain("object_change"))
    settings.GOVTRUST_AUDIT_TRUSTED_KEYS = [sm2_signing_key()[1]]
    assert verify_chain("object_change").ok


def test_an_unreadable_line_in_the_checkpoint_file_is_named():
    _changes(1)
    write_checkpoints()
    with checkpoint_file().open("a", encoding="utf-8") as f:
        f.write('{"log": "object_change", "row_count": "<script>"}\n')
    report = verify_chain("object_change")
    assert [p.kind for p in report.problems] == ["checkpoint"]
    assert "第 3 行无法读取" in report.problems[0].message


def test_checkpoints_are_append_only_in_the_orm():
    [checkpoint, _] = write_checkpoints()
    checkpoint.row_count = 999
    with pytest.raises(AuditImmutableError):
        checkpoint.save()
    with pytest.raises(AuditImmutableError):
        checkpoint.delete()
    with pytest.raises(AuditImmutableError):
        AuditCheckpoint.objects.all().delete()


def test_the_checkpoint_command_writes_one_checkpoint_per_log(capsys):
    _changes(2)
    call_command("audit", "checkpoint")
    assert AuditCheckpoint.objects.count() == 2
    out = capsys.readouterr().out
    assert "object_change\trows=2\thead_seq=2" in out
    assert "access_log\trows=0\thead_seq=0" in out


def test_all_signatures_checks_older_checkpoints_too():
    _changes(1)
    write_checkpoints()
    _changes(1)
    write_checkpoints()
    oldest = AuditCheckpoint.objects.filter(log="object_change").order_by("created_at").first()
    assert oldest is not None
    # Both copies of the older checkpoint get the same bad signature, so only its signature can tell.
    _sql(f"UPDATE {CHECKPOINTS} SET signature = %s WHERE id = %s", ["1" * 128, oldest.pk])
    lines = _file_lines()
    lines[0]["signature"] = "1" * 128
    checkpoint_file().write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert verify_chain("object_change").ok  # by default only the latest signatures are checked
    report = verify_chain("object_change", all_signatures=True)
    assert _kinds(report) == {"checkpoint"}
    assert "签名无效" in report.problems[0].message


def test_a_checkpoint_that_differs_between_table_and_file_is_named():
    _changes(1)
    write_checkpoints()
    _changes(1)
    write_checkpoints()
    oldest = AuditCheckpoint.objects.filter(log="object_change").order_by("created_at").first()
    assert oldest is not None
    _sql(f"UPDATE {CHECKPOINTS} SET signature = %s WHERE id = %s", ["1" * 128, oldest.pk])
    report = verify_chain("object_change")
    assert any("不一致" in p.message for p in report.problems)


def test_a_hostile_checkpoint_line_is_named_without_crashing_verify():
    _changes(2)
    write_checkpoints()
    forged = {
        "log": "object_change",
        "row_count": 2,
        "head_seq": 2,
        "head_hash": "'; DROP TABLE core_objectchange; --é",
        "created_at": "2024-01-01T00:00:00.000000Z",
        "public_key": sm2_signing_key()[1],
        "signer_id": "x" * 10000,
        "signature": "<script>",
    }
    with checkpoint_file().open("a", encoding="utf-8") as f:
        f.write(json.dumps(forged, ensure_ascii=False) + "\n")
    report = verify_chain("object_change")
    assert {"rewritten", "checkpoint"} <= _kinds(report)
    assert any("签名无效" in p.message for p in report.problems)
    assert any("在数据库中缺失" in p.message for p in report.problems)
