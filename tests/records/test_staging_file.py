"""A batch's staging file (core.ingest.stagingfile): what happens when it is lost or damaged between runs, when the
batch is published inside a caller's transaction, and when the batch ends without publication.

SQLite only (staging files are SQLite's), transactional: the file is used only for staging outside a transaction.
"""

from __future__ import annotations

import contextlib
import datetime
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections, transaction
from registry.builders import SYSTEM, add_agency, make_region, make_uscc

from govtrust.core.ingest.services import batch_dir, ingest_run, ingest_start
from govtrust.core.ingest.stagingfile import FILE_NAME, StagingFile
from govtrust.core.models import ImportBatch, ImportRowError
from govtrust.records.models import CreditRecord, StagedRecord

from .formats_helpers import LEGAL_HEADERS, legal_row, write_csv

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "sqlite" or connection.is_in_memory_db(), reason="staging files are SQLite's, on disk"
    ),
    pytest.mark.django_db(transaction=True),
]

LEGAL = "records.penalty_legal_person"
AUTH = make_uscc(501, area="320100")
ROWS = 40
BAD_ROW = 12  # file row 13 (the header is row 1) has a date that does not exist


class Stop(BaseException):
    """Raised from the progress callback: the run stops as a killed process would (nothing more committed)."""


def import_batch(tmp_path: Path, *, strict: bool = False) -> ImportBatch:
    js = make_region("320000", "江苏省", 1, None)
    nj = make_region("320100", "南京市", 2, js)
    supplier = add_agency(3, "南京市发展和改革委员会", nj, is_credit_office=True)
    bodies = [add_agency(100 + n, f"南京市第{n}局", nj) for n in range(3)]
    rows = [
        legal_row(bodies[n % 3].name, bodies[n % 3].uscc, AUTH, 行政处罚决定书文号=f"宁罚〔2025〕{n}号")
        for n in range(ROWS)
    ]
    rows[BAD_ROW] = legal_row(bodies[0].name, bodies[0].uscc, AUTH, 处罚决定日期="2025-02-30")
    path = write_csv(tmp_path / "penalties.csv", LEGAL_HEADERS, rows)
    return ingest_start(
        actor=SYSTEM, kind=LEGAL, source=path, file_name=path.name, supplier_code=supplier.uscc, strict=strict
    )


def stop_when(condition: Any) -> Any:
    def progress(done: int, total: int | None, message: str) -> None:
        if condition(done, message):
            raise Stop

    return progress


def staging_path(batch: ImportBatch) -> Path:
    return batch_dir(batch) / FILE_NAME


def assert_published_once(batch: ImportBatch) -> None:
    assert (batch.status, batch.rows_total, batch.rows_valid, batch.rows_rejected, batch.rows_published) == (
        ImportBatch.Status.PUBLISHED, ROWS, ROWS - 1, 1, ROWS - 1,
    )  # fmt: skip
    assert list(ImportRowError.objects.filter(batch=batch).values_list("row_number", flat=True)) == [BAD_ROW + 2]
    rows = sorted(CreditRecord.objects.values_list("source_row", flat=True))
    assert rows == [n for n in range(2, ROWS + 2) if n != BAD_ROW + 2]
    numbers = sorted(int(n[-7:]) for n in CreditRecord.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + ROWS - 1))
    assert not staging_path(batch).exists() and not StagedRecord.objects.exists()


@contextlib.contextmanager
def sqlite3_connection(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection to a staging file, committing on leaving the block."""
    db = sqlite3.connect(path)
    try:
        with db:
            yield db
    finally:
        db.close()


@pytest.fixture(autouse=True)
def small_chunks(settings: Any) -> None:
    settings.GOVTRUST_INGEST_CHUNK_ROWS = 7


def test_a_batch_resumed_without_its_staging_file_is_staged_again_from_its_first_row(tmp_path):
    batch = import_batch(tmp_path)
    with pytest.raises(Stop):
        ingest_run(batch, progress=stop_when(lambda done, _message: done >= 14))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.STAGING and batch.last_chunk_row >= 15
    assert ImportRowError.objects.filter(batch=batch).count() == 1  # row 13's error, reported once
    staging_path(batch).unlink()  # lost (a disk replaced, a clean-up too eager)

    batch = ingest_run(batch)
    assert_published_once(batch)  # the error of row 13 is not reported twice


def test_a_damaged_staging_file_is_found_and_the_batch_staged_again(tmp_path):
    batch = import_batch(tmp_path)
    with pytest.raises(Stop):
        ingest_run(batch, progress=stop_when(lambda _done, message: message == "正在入库"))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.STAGED
    with open(staging_path(batch), "r+b") as damaged:  # what a crash of the machine under synchronous=OFF may leave
        damaged.seek(0)
        damaged.write(b"\0" * 4096)

    batch = ingest_run(batch)
    assert_published_once(batch)


def test_rows_a_dead_run_left_past_its_last_counted_chunk_are_cut_off(tmp_path):
    batch = import_batch(tmp_path)
    with pytest.raises(Stop):
        ingest_run(batch, progress=stop_when(lambda done, _message: done >= 14))
    batch.refresh_from_db()
    staging = StagingFile.existing(batch_dir(batch), StagedRecord)
    assert staging is not None
    counted = staging.count()
    # As if the run had committed one more chunk to the file and died before committing its counters.
    last = list(staging.rows())[-1]
    extra = [last[:1] + (max(last[1], batch.last_chunk_row) + 1,) + last[2:]]
    with sqlite3_connection(staging.path) as db:
        columns = ", ".join(f'"{c}"' for c in staging.columns())
        db.executemany(f"INSERT INTO records_stagedrecord ({columns}) VALUES ({', '.join('?' * len(extra[0]))})", extra)  # noqa: S608
    assert staging.count() == counted + 1 > batch.rows_valid
    staging.close()

    batch = ingest_run(batch)
    assert_published_once(batch)


def test_a_batch_staged_in_a_file_is_published_inside_a_callers_transaction(tmp_path):
    batch = import_batch(tmp_path)
    with pytest.raises(Stop):
        ingest_run(batch, progress=stop_when(lambda _done, message: message == "正在入库"))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.STAGED and staging_path(batch).exists()
    with transaction.atomic():  # SQLite refuses ATTACH in here: the rows are copied into the records' table
        batch = ingest_run(batch)
        assert staging_path(batch).exists()  # until the caller commits
    assert_published_once(batch)
    assert batch.result["set_based"] == ROWS - 1


def test_a_strict_batch_rejected_leaves_no_staging_file(tmp_path):
    batch = ingest_run(import_batch(tmp_path, strict=True))
    assert batch.status == ImportBatch.Status.REJECTED
    assert CreditRecord.objects.count() == 0
    assert not staging_path(batch).exists()


def test_the_staging_file_has_the_staging_tables_columns_keyed_by_row_number(tmp_path):
    staging = StagingFile.create(tmp_path, StagedRecord)
    with sqlite3_connection(staging.path) as db:
        info = db.execute("PRAGMA table_info(records_stagedrecord)").fetchall()
        assert db.execute("PRAGMA page_size").fetchone()[0] == 65536  # appended once, read through once
    staging.close()
    in_file = {name: (kind.lower(), bool(notnull), bool(pk)) for _cid, name, kind, notnull, _default, pk in info}
    assert in_file["row_number"] == ("integer", True, True)
    model = {f.column for f in StagedRecord._meta.concrete_fields if not f.primary_key}
    assert set(in_file) == model
    assert set(staging.columns()) == model


def test_a_failed_publication_keeps_the_staging_file_for_the_next_run_and_restores_the_checkpointing(tmp_path):
    batch = import_batch(tmp_path)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        before = cursor.fetchone()[0]
        cursor.execute(
            "CREATE TRIGGER refuse_records BEFORE INSERT ON records_creditrecord "
            "BEGIN SELECT RAISE(ABORT, 'disk refused'); END"
        )
    with pytest.raises(Exception, match="disk refused"):
        ingest_run(batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and CreditRecord.objects.count() == 0
    assert staging_path(batch).exists()  # the staged rows stay for the next run
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA database_list")
        assert [name for _seq, name, _file in cursor.fetchall()] == ["main"]  # detached
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == before
        cursor.execute("DROP TRIGGER refuse_records")

    batch = ingest_run(batch)
    assert_published_once(batch)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == before


def test_the_sweep_removes_staging_files_of_finished_batches_only(tmp_path):
    from govtrust.core.sweeps import ingest_staging_files

    published = import_batch(tmp_path)
    with pytest.raises(Stop):  # staged, not yet published: keeps its file
        ingest_run(published, progress=stop_when(lambda _done, message: message == "正在入库"))
    waiting = ImportBatch.objects.get(pk=published.pk)
    assert ingest_staging_files(datetime.date(2026, 11, 27)) == {"removed": 0}
    assert staging_path(waiting).exists()
    # As a process that died between its publication's commit and the unlink would leave it.
    kept = staging_path(waiting).read_bytes()
    published = ingest_run(waiting)
    assert published.status == ImportBatch.Status.PUBLISHED and not staging_path(published).exists()
    staging_path(published).write_bytes(kept)
    assert ingest_staging_files(datetime.date(2026, 11, 27)) == {"removed": 1}
    assert not staging_path(published).exists()
    assert ingest_staging_files(datetime.date(2026, 11, 27)) == {"removed": 0}


def test_a_second_runner_of_a_batch_being_staged_stops_and_takes_nothing_from_the_first(tmp_path, settings):
    settings.GOVTRUST_INGEST_LOCK_WAIT_S = 0.5
    batch = import_batch(tmp_path)
    second: dict[str, ImportBatch] = {}

    def run_again() -> None:  # a second delivery of the job, in another thread (its own database connection)
        try:
            second["batch"] = ingest_run(ImportBatch.objects.get(pk=batch.pk))
        finally:
            connections.close_all()

    def meanwhile(done: int, total: int | None, message: str) -> None:
        # The first runner is between chunks; its staging processes may hold granted chunks' rows in the file,
        # not yet counted — which a second runner resuming the batch would cut off.
        if done >= 14 and not second:
            thread = threading.Thread(target=run_again)
            thread.start()
            thread.join()

    batch = ingest_run(batch, progress=meanwhile)
    assert second["batch"].status == ImportBatch.Status.STAGING  # it stopped, superseded, and left the batch alone
    assert_published_once(batch)
