"""The set-based publication of record kinds: staged insert-ready values, one INSERT … SELECT at publication.

Every test compares it with the row-by-row path (`GOVTRUST_RECORDS_SET_PUBLISH = False`) on the same file:
the records, their numbers, the feed rows, the audit row and the event must be the same. Every test runs twice:
with the typed rows staged in the records' staging table, and (SQLite) in the batch's own staging file
(core.ingest.stagingfile, attached at publication) — which needs staging outside a transaction, so that run is
transactional.
"""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from registry.builders import SYSTEM, make_uscc

from govtrust.core.events import OutboxEvent
from govtrust.core.ingest.bulk import sqlite_indexes_rebuilt
from govtrust.core.ingest.services import batch_dir, ingest_run, ingest_start
from govtrust.core.ingest.stagingfile import StagingFile
from govtrust.core.models import ImportBatch, ObjectChange, StagedRow
from govtrust.records import services
from govtrust.records.models import CURRENT_NATURAL_KEY, CreditRecord, RecordChange, RecordNumberCounter, StagedRecord

from .formats_helpers import LEGAL_HEADERS, errors_of, legal_row, write_csv

LEGAL = "records.penalty_legal_person"
AUTH = make_uscc(501, area="320100")
TODAY = timezone.localdate()
# Numbers, ids, timestamps and the batch differ between two imports by construction; everything else must not.
VOLATILE = {"id", "number", "created_at", "updated_at", "batch_number"}


@pytest.fixture(autouse=True, params=["table", pytest.param("file", marks=pytest.mark.django_db(transaction=True))])
def staging(request, settings, monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "file":
        if connection.vendor != "sqlite":
            pytest.skip("staging files are SQLite's")
        assert not connection.in_atomic_block  # staging files are used outside transactions only
    settings.GOVTRUST_INGEST_STAGING_FILE = request.param == "file"
    created: list[Path] = []
    create = StagingFile.create.__func__  # type: ignore[attr-defined]

    def counted(cls: type[StagingFile], directory: Path, model: Any) -> StagingFile:
        created.append(directory)
        return create(cls, directory, model)  # type: ignore[no-any-return]

    monkeypatch.setattr(StagingFile, "create", classmethod(counted))
    yield str(request.param)
    assert bool(created) is (request.param == "file"), "the run did not stage where it was meant to"


def rows(cast) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Bodies, both penalty regimes, amounts, an open-ended and an ended publicity, and one bad row."""
    out = []
    bodies = [cast.xw_edu, cast.xw_gov, cast.sz_finance, cast.xw_discipline]
    dates = ["2021-03-15", "2023-04-30", "2023-05-01", "2025-06-02", TODAY.isoformat()]
    for i in range(12):
        body = bodies[i % len(bodies)]
        cells = {
            "行政处罚决定书文号": f"宁市监罚〔2025〕{100 + i}号",
            "处罚决定日期": dates[i % len(dates)],
            "处罚有效期": "2099-12-31",
            "罚款金额(万元)": f"{i}.25" if i % 3 else "",
            "处罚类别": "警告" if i % 4 == 0 else "罚款",
        }
        out.append(legal_row(body.name, body.uscc, AUTH, **cells))
    out.append(legal_row(cast.xw_edu.name, "11320102000000061A", AUTH))  # a wrong check digit
    return out


def csv_file(tmp_path: Path, name: str, data: list[dict[str, Any]], *, blank_lines: int = 0) -> Path:
    """The file; trailing blank lines (skipped by the reader) make a second, different file of the same rows."""
    path = write_csv(tmp_path / name, [*LEGAL_HEADERS, "操作类型", "失信严重程度"], data)
    path.write_bytes(path.read_bytes() + b"\r\n" * blank_lines)
    return path


def run(path: Path, supplier: str, progress: Any = None) -> ImportBatch:
    batch = ingest_start(actor=SYSTEM, kind=LEGAL, source=path, file_name=path.name, supplier_code=supplier)
    return ingest_run(batch, progress=progress)


def outcome(batch: ImportBatch) -> dict[str, Any]:
    """What an import left behind, minus what differs by construction (ids, numbers, times, batch number)."""
    records = list(CreditRecord.objects.filter(batch_number=batch.number).order_by("number").values())
    numbers = [int(r["number"][-7:]) for r in records]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), "numbers must be one contiguous block"
    assert len({r["number"] for r in records}) == len(records)
    first = numbers[0]
    by_id = {r["id"]: int(r["number"][-7:]) - first for r in records}
    feed = sorted(
        (by_id[c.record_id], c.change, c.version, c.status, c.personal)
        for c in RecordChange.objects.filter(record_id__in=by_id)
    )
    [audit] = ObjectChange.objects.filter(object_type="records.creditrecord", object_id=batch.number)
    after = {
        k: v
        for k, v in audit.postchange_data.items()
        if k not in {"first_id", "last_id", "first_number", "last_number"}
    }
    after.pop("batch_number")
    [event] = [e.payload for e in OutboxEvent.objects.filter(name="records.batch_in_force")
               if e.payload["batch_number"] == batch.number]  # fmt: skip
    result = {k: v for k, v in batch.result.items() if k not in {"set_based", "indexes_rebuilt"}}
    return {
        "records": [{k: v for k, v in r.items() if k not in VOLATILE} for r in records],
        "offsets": [n - first for n in numbers],
        "feed": feed,
        "audit": (audit.action, audit.message, audit.user_name, after),
        "event": (event["count"], event["last_id"] - event["first_id"] + 1),
        "batch": (batch.status, batch.rows_total, batch.rows_valid, batch.rows_rejected, batch.rows_published, result),
        "errors": errors_of(batch),
    }


def forget(batch: ImportBatch, counter_before: int) -> None:
    """Remove a batch's records and give its numbers back, so that the next import of the rows is new again."""
    ids = list(CreditRecord.objects.filter(batch_number=batch.number).values_list("pk", flat=True))
    RecordChange.objects.filter(record_id__in=ids).delete()
    CreditRecord.objects.filter(pk__in=ids).delete()
    RecordNumberCounter.objects.filter(year=TODAY.year).update(last=counter_before)


def restamp(change: Any) -> None:
    """Change the stamp (day | rule catalogue version) of every row staged insert-ready (`StagedRecord`), in the
    records' staging table or in a batch's staging file."""
    for row in StagedRecord.objects.all():
        StagedRecord.objects.filter(pk=row.pk).update(stamp=change(row.stamp))
    for batch in ImportBatch.objects.all():
        staging = StagingFile.existing(batch_dir(batch), StagedRecord)
        if staging is not None:
            db = sqlite3.connect(staging.path)
            with db:
                for row_number, stamp in db.execute("SELECT row_number, stamp FROM records_stagedrecord").fetchall():
                    db.execute(
                        "UPDATE records_stagedrecord SET stamp = ? WHERE row_number = ?", [change(stamp), row_number]
                    )
            db.close()


def counter() -> int:
    return RecordNumberCounter.objects.filter(year=TODAY.year).values_list("last", flat=True).first() or 0


def both_paths(cast, tmp_path, settings, data, progress: Any = None) -> tuple[dict, dict, ImportBatch]:  # type: ignore[no-untyped-def, type-arg]
    """Import `data` row by row, forget it, then import it set-based; both outcomes and the second batch."""
    before = counter()
    settings.GOVTRUST_RECORDS_SET_PUBLISH = False
    row_batch = run(csv_file(tmp_path, "a.csv", data), cast.nj_credit.uscc, progress)
    assert row_batch.result["set_based"] == 0
    by_row = outcome(row_batch)
    forget(row_batch, before)
    settings.GOVTRUST_RECORDS_SET_PUBLISH = True
    set_batch = run(csv_file(tmp_path, "b.csv", data, blank_lines=1), cast.nj_credit.uscc, progress)
    return by_row, outcome(set_batch), set_batch


def test_the_set_based_path_stores_exactly_what_the_row_path_stores(cast, tmp_path, settings):
    by_row, set_based, batch = both_paths(cast, tmp_path, settings, rows(cast))
    assert batch.result["set_based"] == 12 and batch.rows_published == 12 and batch.rows_rejected == 1
    assert set_based == by_row
    statuses = {r["status"] for r in set_based["records"]}
    assert len(statuses) > 1  # the file really exercises more than one status
    assert not StagedRow.objects.filter(batch=batch).exists()
    assert not StagedRecord.objects.filter(batch=batch).exists()


def test_a_record_that_appears_before_publication_is_rejected_with_the_same_message_on_both_paths(
    cast, tmp_path, settings
):
    data = rows(cast)[:3]
    doc = data[1]["行政处罚决定书文号"]

    def someone_else_stores_row_3(done: int, total: int | None, message: str) -> None:
        if message == "正在入库":  # staged: the record now appears from another channel
            services.record_create(
                actor=SYSTEM,
                subject=cast.xw_gov,
                record_class="penalty",
                severity="general",
                document_number=doc,
                authority_name="南京市市场监督管理局",
                authority_uscc=AUTH,
                decision_date=datetime.date(2023, 4, 30),
                facts="另行报送",
                basis="《行政处罚法》第九条",
                content="警告",
                supplier=cast.nj_credit,
                source="console",
            )

    def revoke_it() -> None:
        CreditRecord.objects.filter(document_number=doc, source="console").update(status="revoked")

    settings.GOVTRUST_RECORDS_SET_PUBLISH = False
    row_batch = run(csv_file(tmp_path, "a.csv", data), cast.nj_credit.uscc, someone_else_stores_row_3)
    revoke_it()  # a revoked record no longer holds its key: the second import meets the next one only
    forget(row_batch, counter())
    settings.GOVTRUST_RECORDS_SET_PUBLISH = True
    set_batch = run(csv_file(tmp_path, "b.csv", data, blank_lines=1), cast.nj_credit.uscc, someone_else_stores_row_3)
    assert errors_of(set_batch) == errors_of(row_batch) == [(3, "行政处罚决定书文号", "该主体的同一决定书已有记录")]
    assert (set_batch.rows_published, set_batch.rows_rejected) == (row_batch.rows_published, row_batch.rows_rejected)
    assert (set_batch.rows_published, set_batch.rows_rejected, set_batch.result["set_based"]) == (2, 1, 2)
    [audit] = ObjectChange.objects.filter(object_type="records.creditrecord", object_id=set_batch.number)
    assert audit.postchange_data["rejected_rows"] == 1 and audit.postchange_data["count"] == 2


def test_rows_staged_on_an_earlier_day_are_published_row_by_row_with_todays_status(cast, tmp_path, settings):
    def staged_yesterday(done: int, total: int | None, message: str) -> None:
        # As a batch staged yesterday and resumed today: the staged values carry yesterday's stamp.
        if message != "正在入库":
            return
        yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
        restamp(lambda stamp: yesterday + stamp[10:])

    by_row, resumed, batch = both_paths(cast, tmp_path, settings, rows(cast), staged_yesterday)
    assert batch.result["set_based"] == 0 and batch.rows_published == 12
    assert resumed == by_row


def test_a_rule_override_saved_after_staging_sends_the_rows_row_by_row(cast, tmp_path, settings):
    settings.GOVTRUST_RECORDS_SET_PUBLISH = True
    path = csv_file(tmp_path, "a.csv", rows(cast)[:2])
    batch = ingest_start(actor=SYSTEM, kind=LEGAL, source=path, file_name=path.name, supplier_code=cast.nj_credit.uscc)

    def catalogue_changes(done: int, total: int | None, message: str) -> None:
        if message == "正在入库":
            restamp(lambda stamp: stamp + "-another-catalogue")

    batch = ingest_run(batch, progress=catalogue_changes)
    assert (batch.rows_published, batch.result["set_based"]) == (2, 0)


def test_rows_of_a_body_under_a_ruling_in_effect_and_of_enterprises_take_the_row_path(cast, tmp_path, settings):
    ruling = services.ruling_record(
        actor=cast.discipline_user,
        number="玄纪容〔2026〕1号",
        authority=cast.xw_discipline,
        decision_date=TODAY - datetime.timedelta(days=1),
        grounds="为推动改革先行先试，未谋取私利，已主动挽回损失",
        subject=cast.xw_edu,
        conduct_description="延期支付工程款",
        document_numbers=["宁市监罚〔2025〕100号"],
    )
    services.ruling_check(actor=cast.city_user, ruling=ruling, accepted=True, reason="符合容错情形")
    data = rows(cast)[:4]
    data.append(legal_row(cast.enterprise.name, cast.enterprise.uscc, AUTH, 行政处罚决定书文号="宁市监罚〔2025〕999号"))
    settings.GOVTRUST_RECORDS_SET_PUBLISH = True
    batch = run(csv_file(tmp_path, "a.csv", data), cast.nj_credit.uscc)
    # 玄武区教育局 (ruling) and the enterprise go row by row; the other three bodies set-based.
    assert (batch.rows_published, batch.result["set_based"], batch.result["covered"]) == (5, 3, 1)
    covered = CreditRecord.objects.get(document_number="宁市监罚〔2025〕100号")
    assert covered.covered_by == ruling and covered.agency == cast.xw_edu
    assert CreditRecord.objects.filter(enterprise=cast.enterprise).count() == 1
    numbers = sorted(CreditRecord.objects.filter(batch_number=batch.number).values_list("number", flat=True))
    assert len(set(numbers)) == 5
    assert RecordChange.objects.filter(record__batch_number=batch.number).count() == 5


def test_a_strict_batch_meeting_a_record_at_publication_stores_nothing(cast, tmp_path, settings):
    settings.GOVTRUST_RECORDS_SET_PUBLISH = True
    data = rows(cast)[:3]
    path = csv_file(tmp_path, "a.csv", data)
    batch = ingest_start(
        actor=SYSTEM, kind=LEGAL, source=path, file_name=path.name, supplier_code=cast.nj_credit.uscc, strict=True
    )

    def meanwhile(done: int, total: int | None, message: str) -> None:
        if message == "正在入库":
            services.record_create(
                actor=SYSTEM,
                subject=cast.xw_edu,
                record_class="penalty",
                severity="general",
                document_number=data[0]["行政处罚决定书文号"],
                authority_name="南京市市场监督管理局",
                authority_uscc=AUTH,
                decision_date=datetime.date(2021, 3, 15),
                facts="'; DROP TABLE records_creditrecord; --",
                basis="《行政处罚法》第九条",
                content="<script>alert(1)</script>",
                supplier=cast.nj_credit,
                source="console",
            )

    batch = ingest_run(batch, progress=meanwhile)
    assert batch.status == ImportBatch.Status.REJECTED
    assert CreditRecord.objects.count() == 1  # only the one stored meanwhile
    assert errors_of(batch) == [(2, "行政处罚决定书文号", "该主体的同一决定书已有记录")]


def test_publishing_a_batch_leaves_another_batchs_staged_rows_alone(cast, tmp_path):
    waiting = ingest_start(
        actor=SYSTEM, kind=LEGAL, source=csv_file(tmp_path, "w.csv", rows(cast)[:1]), file_name="w.csv",
        supplier_code=cast.nj_credit.uscc,
    )  # fmt: skip
    # A row of a batch still staging (as another process would have committed it).
    StagedRecord.objects.create(
        batch=waiting, row_number=2, natural_key="X|Y|A:Z", record_class="penalty", document_number="X",
        authority_name="Y", authority_uscc=AUTH, decision_date=TODAY, subject_kind="agency", subject_name="Z",
        publicity_start=TODAY, rule_key="k", rule_version="v", status="in_force", stamp="s",
    )  # fmt: skip
    batch = run(csv_file(tmp_path, "b.csv", rows(cast)), cast.nj_credit.uscc)
    assert batch.status == ImportBatch.Status.PUBLISHED and batch.rows_published == 12
    assert list(StagedRecord.objects.values_list("batch_id", flat=True)) == [waiting.pk]


def test_a_run_stopped_between_staging_and_publication_is_published_by_the_next_run(cast, tmp_path):
    def stopped(done: int, total: int | None, message: str) -> None:
        if message == "正在入库":
            raise KeyboardInterrupt  # as a process stopped right after staging: the batch stays staged

    path = csv_file(tmp_path, "a.csv", rows(cast))
    batch = ingest_start(actor=SYSTEM, kind=LEGAL, source=path, file_name=path.name, supplier_code=cast.nj_credit.uscc)
    with pytest.raises(KeyboardInterrupt):
        ingest_run(batch, progress=stopped)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.STAGED and CreditRecord.objects.count() == 0
    # The next run publishes without staging again (the kind's per-batch state is set up all the same).
    batch = ingest_run(batch)
    assert (batch.status, batch.rows_published, batch.result["set_based"]) == ("published", 12, 12)
    assert StagedRecord.objects.count() == 0


def record_indexes() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s ORDER BY name",
            [CreditRecord._meta.db_table],
        )
        return cursor.fetchall()


def test_a_first_big_load_builds_the_indexes_after_the_rows_and_stores_exactly_the_same(cast, tmp_path, settings):
    settings.GOVTRUST_SQLITE_INDEX_REBUILD_MIN_ROWS = 1  # every set-based publication counts as big here
    before = record_indexes() if connection.vendor == "sqlite" else []
    by_row, set_based, batch = both_paths(cast, tmp_path, settings, rows(cast))
    assert set_based == by_row
    # The table was empty, so on SQLite the indexes were dropped and built again; never on PostgreSQL.
    assert batch.result["indexes_rebuilt"] is (connection.vendor == "sqlite")
    if connection.vendor == "sqlite":
        assert record_indexes() == before  # the same indexes, from the same SQL
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            assert cursor.fetchall() == [("ok",)]
    # The rebuilt unique index holds: the same decision about the same body cannot come in twice.
    assert run(csv_file(tmp_path, "c.csv", rows(cast), blank_lines=2), cast.nj_credit.uscc).rows_published == 0


def test_a_load_into_a_table_holding_more_than_half_as_many_rows_keeps_its_indexes(cast, tmp_path, settings):
    settings.GOVTRUST_SQLITE_INDEX_REBUILD_MIN_ROWS = 1
    settings.GOVTRUST_RECORDS_SET_PUBLISH = True
    run(csv_file(tmp_path, "a.csv", rows(cast)[:8]), cast.nj_credit.uscc)  # 8 records in the table
    more = [
        legal_row(cast.xw_gov.name, cast.xw_gov.uscc, AUTH, 行政处罚决定书文号=f"宁市监罚〔2026〕{n}号")
        for n in range(12)
    ]
    batch = run(csv_file(tmp_path, "b.csv", more), cast.nj_credit.uscc)
    assert (batch.rows_published, batch.result["indexes_rebuilt"]) == (12, False)  # 8 > 12 / 2


def test_a_duplicate_found_while_rebuilding_a_unique_index_undoes_the_whole_insert(cast, tmp_path, settings):
    if connection.vendor != "sqlite":
        pytest.skip("the indexes are rebuilt on SQLite only (PostgreSQL would lock readers out)")
    settings.GOVTRUST_SQLITE_INDEX_REBUILD_MIN_ROWS = 1
    settings.GOVTRUST_RECORDS_SET_PUBLISH = True
    run(csv_file(tmp_path, "a.csv", rows(cast)[:1]), cast.nj_credit.uscc)
    before = record_indexes()
    columns = [f.column for f in CreditRecord._meta.concrete_fields if not f.primary_key and f.column != "number"]
    copy = ", ".join(f'"{c}"' for c in columns)
    with pytest.raises(IntegrityError), transaction.atomic():
        # Rows enough for the rule (the largest id bounds the table; ids are not reused after a transactional test).
        enough = 2 * CreditRecord.objects.order_by("-pk").values_list("pk", flat=True)[0]
        with sqlite_indexes_rebuilt(CreditRecord, rows=enough, also=(CURRENT_NATURAL_KEY,)) as rebuilt:
            assert rebuilt
            with connection.cursor() as cursor:  # the same natural key again, under another number
                cursor.execute(
                    f'INSERT INTO records_creditrecord ("number", {copy}) '  # noqa: S608
                    f"SELECT number || 'X', {copy} FROM records_creditrecord"
                )
    assert record_indexes() == before
    assert CreditRecord.objects.count() == 1


def test_only_public_staged_rows_are_deleted_without_zeroing_and_the_setting_comes_back(cast, tmp_path, settings):
    # Staged registered bodies' records are public by policy; the JSON staging (persons, civil servants) is not.
    assert StagedRecord.residue_is_public and not getattr(StagedRow, "residue_is_public", False)
    settings.GOVTRUST_RECORDS_SET_PUBLISH = True
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = 1")  # as Debian's build has it
    batch = run(csv_file(tmp_path, "a.csv", rows(cast)), cast.nj_credit.uscc)
    assert batch.rows_published == 12 and not StagedRecord.objects.exists()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete")
            assert cursor.fetchone()[0] == 1
