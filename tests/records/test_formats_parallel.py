"""Rows validated in a forked child process (core.ingest.parallel) give exactly what inline validation gives.

Transactional tests: the child opens its own database connection, which sees only committed data, so the
parallel path runs only outside the caller's transaction (and never on an in-memory SQLite database).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from registry.builders import SYSTEM, add_agency, make_region, make_uscc

from govtrust.core.ingest import parallel
from govtrust.core.ingest.kinds import get_kind
from govtrust.core.ingest.services import batch_dir, ingest_run, ingest_start
from govtrust.core.ingest.stagingfile import StagingFile
from govtrust.core.models import ImportBatch, StagedRow
from govtrust.records.models import CreditRecord, StagedRecord

from .formats_helpers import LEGAL_HEADERS, errors_of, legal_row, write_csv

LEGAL = "records.penalty_legal_person"
AUTH = make_uscc(501, area="320100")


def import_file(path: Path, supplier: str) -> ImportBatch:
    batch = ingest_start(actor=SYSTEM, kind=LEGAL, source=path, file_name=path.name, supplier_code=supplier)
    return ingest_run(batch)


def outcome(batch: ImportBatch) -> dict[str, Any]:
    records = CreditRecord.objects.filter(batch_number=batch.number).order_by("source_row")
    return {
        "counts": (batch.status, batch.rows_total, batch.rows_valid, batch.rows_rejected, batch.rows_published),
        "errors": errors_of(batch),
        "records": list(records.values_list("source_row", "agency_id", "document_number", "status", "severity")),
    }


def nanjing_bodies() -> tuple[Any, list[Any]]:
    """The credit office that supplies the files, and three bodies the rows are about."""
    js = make_region("320000", "江苏省", 1, None)
    nj = make_region("320100", "南京市", 2, js)
    supplier = add_agency(3, "南京市发展和改革委员会", nj, is_credit_office=True)
    return supplier, [add_agency(100 + n, f"南京市第{n}局", nj) for n in range(3)]


def data(bodies: list[Any], existing_doc: str) -> list[dict[str, Any]]:
    rows = [
        legal_row(bodies[n % 3].name, bodies[n % 3].uscc, AUTH, 行政处罚决定书文号=f"宁罚〔2025〕{n}号")
        for n in range(40)
    ]
    rows[5] = legal_row(bodies[0].name, "11320102000000061A", AUTH)  # a wrong check digit
    rows[9] = dict(rows[8])  # the same decision twice in the file
    rows[12] = legal_row(bodies[1].name, bodies[1].uscc, AUTH, 处罚决定日期="2025-02-30")  # no such day
    rows[20] = legal_row(bodies[2].name, bodies[2].uscc, AUTH, 行政处罚决定书文号=existing_doc)  # already a record
    return rows


@pytest.mark.skipif(connection.vendor == "sqlite" and connection.is_in_memory_db(), reason="needs a file database")
@pytest.mark.django_db(transaction=True)
def test_the_child_process_and_the_split_staging_validate_exactly_as_inline_validation(tmp_path, settings):
    supplier, bodies = nanjing_bodies()
    settings.GOVTRUST_INGEST_CHUNK_ROWS = 7  # several chunks in flight, each process with several of its own
    results = {}
    csv_file = SimpleNamespace(format="csv")
    for mode, parallel_on, split_on in (("inline", False, False), ("child", True, False), ("split", True, True)):
        settings.GOVTRUST_INGEST_PARALLEL = parallel_on
        settings.GOVTRUST_INGEST_SPLIT = split_on
        existing_doc = f"宁罚〔2024〕{mode}号"
        seed = write_csv(tmp_path / f"seed-{mode}.csv", LEGAL_HEADERS, [
            legal_row(bodies[2].name, bodies[2].uscc, AUTH, 行政处罚决定书文号=existing_doc)
        ])  # fmt: skip
        assert import_file(seed, supplier.uscc).rows_published == 1
        assert parallel.can_fork(get_kind(LEGAL)) is parallel_on
        assert parallel.can_split(get_kind(LEGAL), csv_file) is split_on  # type: ignore[arg-type]
        rows = data(bodies, existing_doc)
        # Same rows, other decision numbers per mode (the first import's records would collide otherwise).
        for row in rows:
            if row["行政处罚决定书文号"] != existing_doc:
                row["行政处罚决定书文号"] = row["行政处罚决定书文号"].replace("〕", f"〕{mode}")
        batch = import_file(write_csv(tmp_path / f"{mode}.csv", LEGAL_HEADERS, rows), supplier.uscc)
        results[mode] = outcome(batch)
        # The typed rows were ranked 1 … n in file order: one INSERT numbered them in that order.
        assert batch.result["set_based"] == batch.rows_published
        numbers = [int(n[-7:]) for n in CreditRecord.objects.filter(batch_number=batch.number)
                   .order_by("source_row").values_list("number", flat=True)]  # fmt: skip
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        assert StagedRecord.objects.count() == 0 and StagedRow.objects.count() == 0

    inline = results["inline"]
    assert inline["counts"] == ("published", 40, 36, 4, 36)
    assert [row for row, _column, _reason in inline["errors"]] == [7, 11, 14, 22]  # file rows (header = row 1)
    assert "与第10行重复" in inline["errors"][1][2]
    assert "已存在" in inline["errors"][3][2]
    strip = [(row, agency, status, severity) for row, agency, _doc, status, severity in inline["records"]]
    for mode in ("child", "split"):
        assert results[mode]["counts"] == inline["counts"]
        assert results[mode]["errors"] == inline["errors"]
        assert [
            (row, agency, status, severity) for row, agency, _doc, status, severity in results[mode]["records"]
        ] == strip


@pytest.mark.django_db
def test_rows_are_validated_inline_inside_a_transaction_and_for_kinds_that_keep_state():
    # pytest-django wraps this test in a transaction: a child's connection would not see its data.
    assert connection.in_atomic_block
    assert parallel.can_fork(get_kind(LEGAL)) is False
    assert get_kind("registry.persons").parallel_validation is False


@pytest.mark.skipif(connection.vendor == "sqlite" and connection.is_in_memory_db(), reason="needs a file database")
@pytest.mark.django_db(transaction=True)
def test_a_refused_file_stops_the_child_and_keeps_nothing(tmp_path):
    js = make_region("320000", "江苏省", 1, None)
    supplier = add_agency(3, "江苏省发展和改革委员会", js, is_credit_office=True)
    path = tmp_path / "broken.csv"
    good = write_csv(tmp_path / "good.csv", LEGAL_HEADERS, [legal_row("甲", supplier.uscc, AUTH)] * 3)
    # Valid UTF-8 rows, then bytes that are not: the reader refuses the file midway.
    path.write_bytes(good.read_bytes() * 2000 + b"\xff\xfe\xfa,\xff\r\n")
    batch = import_file(path, supplier.uscc)
    assert batch.status == ImportBatch.Status.REFUSED
    assert "无法按" in batch.message
    assert StagedRecord.objects.count() == 0 and CreditRecord.objects.count() == 0


# The database refuses the chunk holding row 21 on (a full disk, say): either its staged rows (in the records'
# staging table) or its batch counters (after its rows went to the batch's staging file).
REFUSE = {
    ("rows", "sqlite"): [
        "CREATE TRIGGER refuse_staging BEFORE INSERT ON records_stagedrecord WHEN NEW.row_number > 20 "
        "BEGIN SELECT RAISE(ABORT, 'disk refused'); END"
    ],
    ("rows", "postgresql"): [
        "CREATE FUNCTION refuse_staging() RETURNS trigger AS $$ BEGIN IF NEW.row_number > 20 THEN "
        "RAISE EXCEPTION 'disk refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_staging BEFORE INSERT ON records_stagedrecord "
        "FOR EACH ROW EXECUTE FUNCTION refuse_staging()",
    ],
    ("counters", "sqlite"): [
        "CREATE TRIGGER refuse_staging BEFORE UPDATE ON core_importbatch WHEN NEW.last_chunk_row > 20 "
        "BEGIN SELECT RAISE(ABORT, 'disk refused'); END"
    ],
    ("counters", "postgresql"): [
        "CREATE FUNCTION refuse_staging() RETURNS trigger AS $$ BEGIN IF NEW.last_chunk_row > 20 THEN "
        "RAISE EXCEPTION 'disk refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_staging BEFORE UPDATE ON core_importbatch "
        "FOR EACH ROW EXECUTE FUNCTION refuse_staging()",
    ],
}
DROP_REFUSAL = {
    ("rows", "sqlite"): ["DROP TRIGGER refuse_staging"],
    ("rows", "postgresql"): ["DROP TRIGGER refuse_staging ON records_stagedrecord", "DROP FUNCTION refuse_staging()"],
    ("counters", "sqlite"): ["DROP TRIGGER refuse_staging"],
    ("counters", "postgresql"): ["DROP TRIGGER refuse_staging ON core_importbatch", "DROP FUNCTION refuse_staging()"],
}


@pytest.mark.skipif(connection.vendor == "sqlite" and connection.is_in_memory_db(), reason="needs a file database")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("refused", ["rows", "counters"])
def test_a_staging_process_whose_writes_fail_stops_the_import_and_a_second_run_completes_it(
    tmp_path, settings, refused
):
    supplier, bodies = nanjing_bodies()
    settings.GOVTRUST_INGEST_CHUNK_ROWS = 7
    settings.GOVTRUST_INGEST_SPLIT = True
    # Rows refused by the records' staging table: the rows must go there, not to a staging file.
    settings.GOVTRUST_INGEST_STAGING_FILE = refused == "counters"
    in_file = refused == "counters" and connection.vendor == "sqlite"
    rows = [legal_row(bodies[n % 3].name, bodies[n % 3].uscc, AUTH, 行政处罚决定书文号=f"宁罚〔2025〕{n}号")
            for n in range(40)]  # fmt: skip
    path = write_csv(tmp_path / "a.csv", LEGAL_HEADERS, rows)
    batch = ingest_start(actor=SYSTEM, kind=LEGAL, source=path, file_name=path.name, supplier_code=supplier.uscc)
    with connection.cursor() as cursor:
        for statement in REFUSE[refused, connection.vendor]:
            cursor.execute(statement)
    with pytest.raises(RuntimeError, match="disk refused"):
        ingest_run(batch)
    batch.refresh_from_db()
    # The chunks before it stay committed (rows 2–15, file rows with the header as row 1); nothing is published.
    assert (batch.status, batch.last_chunk_row, batch.rows_total) == (ImportBatch.Status.FAILED, 15, 14)
    assert CreditRecord.objects.count() == 0
    staging = StagingFile.existing(batch_dir(batch), StagedRecord)
    assert (staging is not None) is in_file
    if staging is not None:
        # The refused chunk's rows were committed to the staging file before its counters were refused.
        assert staging.count() >= 21 > batch.rows_valid
        staging.close()
    with connection.cursor() as cursor:
        for statement in DROP_REFUSAL[refused, connection.vendor]:
            cursor.execute(statement)
    batch = ingest_run(batch)  # resumes after row 15 (cutting off the staging file's rows after it)
    assert (batch.status, batch.rows_total, batch.rows_published) == (ImportBatch.Status.PUBLISHED, 40, 40)
    assert sorted(CreditRecord.objects.values_list("source_row", flat=True)) == list(range(2, 42))
    assert StagedRecord.objects.count() == 0
    assert not (batch_dir(batch) / "staged.sqlite3").exists()
