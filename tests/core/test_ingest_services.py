"""The import machinery end to end with a small test kind: semantics, duplicates, strict mode, resume, audit."""

from __future__ import annotations

import io
import re
import zipfile
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from python_calamine import CalamineWorkbook

from govtrust.core.ingest.reports import error_report_xlsx
from govtrust.core.ingest.services import ingest_run, ingest_start, source_path
from govtrust.core.models import ImportBatch, ImportRowError, ObjectChange, StagedRow

from .ingest_helpers import KIND, code, stored_codes, write_csv, write_jsonl, write_xlsx

OPERATOR = SimpleNamespace(username="cli:tester", is_authenticated=False)


def run(path, *, strict=False, name=None):
    batch = ingest_start(actor=OPERATOR, kind="test.codes", source=path, file_name=name or path.name, strict=strict)
    if batch.duplicate:
        return batch
    return ingest_run(batch)


def errors_of(batch):
    return list(ImportRowError.objects.filter(batch=batch).values_list("row_number", "column", "value", "reason"))


def audit_rows(batch):
    return ObjectChange.objects.filter(object_type="core.importbatch", object_id=str(batch.pk))


@pytest.mark.django_db
def test_valid_rows_are_published_and_bad_rows_rejected_with_row_column_value_and_reason(tmp_path):
    path = write_csv(
        tmp_path / "a.csv",
        [
            [code(1), "好", "甲类"],
            ["bad", "坏行", ""],
            [code(3), "三", "b"],
            [code(4), "四", "丙类"],
            [code(5), "", ""],
        ],
    )
    batch = run(path)
    assert batch.status == ImportBatch.Status.PUBLISHED
    assert (batch.rows_total, batch.rows_valid, batch.rows_rejected, batch.rows_published) == (5, 2, 3, 2)
    assert stored_codes() == {code(1): "a:好", code(3): "b:三"}  # labels and codes both map to the code
    assert errors_of(batch) == [
        (3, "代码", "bad", "代码应为T开头的18位大写字母或数字"),
        (3, "说明", "坏行", "说明不能含“坏”字"),
        (5, "类别", "丙类", "类别只能填写：甲类、乙类"),
        (6, "说明", "", "说明不能为空"),
    ]
    assert StagedRow.objects.filter(batch=batch).count() == 0
    assert re.fullmatch(r"GJ-\d{8}-0001", batch.number)
    assert (batch.format, batch.encoding, batch.result) == ("csv", "utf-8", {"published": 2})
    [audit] = audit_rows(batch)
    assert audit.action == "import" and audit.user_name == "cli:tester"
    assert audit.postchange_data["rows_published"] == 2 and audit.postchange_data["sha256"] == batch.sha256


@pytest.mark.django_db
def test_a_strict_batch_with_any_bad_row_stores_nothing_but_reports_every_bad_row(tmp_path):
    path = write_csv(tmp_path / "s.csv", [[code(1), "好", ""], ["bad", "x", ""], [code(3), "坏", ""]])
    batch = run(path, strict=True)
    assert batch.status == ImportBatch.Status.REJECTED
    assert (batch.rows_valid, batch.rows_rejected, batch.rows_published) == (1, 2, 0)
    assert stored_codes() == {}
    assert [e[0] for e in errors_of(batch)] == [3, 4]
    assert StagedRow.objects.filter(batch=batch).count() == 0
    assert audit_rows(batch).count() == 1


@pytest.mark.django_db
def test_a_strict_batch_without_bad_rows_is_published(tmp_path):
    batch = run(write_csv(tmp_path / "ok.csv", [[code(1), "好", ""]]), strict=True)
    assert batch.status == ImportBatch.Status.PUBLISHED and stored_codes() == {code(1): "-:好"}


@pytest.mark.django_db
def test_a_duplicate_within_the_file_is_rejected_naming_the_first_row(tmp_path):
    path = write_csv(tmp_path / "d.csv", [[code(1), "一", ""], [code(2), "二", ""], [code(1), "又一", ""]])
    batch = run(path)
    assert errors_of(batch) == [(4, "", "", "与第2行重复")]
    assert stored_codes() == {code(1): "-:一", code(2): "-:二"}


@pytest.mark.django_db
def test_duplicates_are_found_across_chunks(tmp_path, settings):
    settings.GOVTRUST_INGEST_CHUNK_ROWS = 2
    rows = [[code(i), str(i), ""] for i in range(1, 8)] + [[code(3), "again", ""]]
    batch = run(write_csv(tmp_path / "c.csv", rows))
    assert errors_of(batch) == [(9, "", "", "与第4行重复")]
    assert len(stored_codes()) == 7


@pytest.mark.django_db
def test_the_same_file_twice_is_recognised_and_changes_nothing(tmp_path):
    path = write_csv(tmp_path / "twice.csv", [[code(1), "一", ""]])
    first = run(path)
    changes = ObjectChange.objects.count()
    again = run(path, name="renamed.csv")
    assert again.duplicate and again.pk == first.pk
    assert ImportBatch.objects.count() == 1 and ObjectChange.objects.count() == changes
    assert stored_codes() == {code(1): "-:一"}
    assert list((source_path(first).parent.parent / "incoming").iterdir()) == []  # the second copy is gone


@pytest.mark.django_db
def test_a_row_already_in_the_database_can_be_rejected_at_publication(tmp_path):
    run(write_csv(tmp_path / "first.csv", [[code(1), "一", ""]]))
    batch = run(write_csv(tmp_path / "second.csv", [[code(1), "again", ""], [code(2), "二", ""]]))
    assert (batch.rows_valid, batch.rows_rejected, batch.rows_published) == (1, 1, 1)
    assert errors_of(batch) == [(2, "代码", code(1), "已存在")]


@pytest.mark.django_db
def test_a_strict_batch_rejected_at_publication_rolls_the_publication_back(tmp_path):
    run(write_csv(tmp_path / "first.csv", [[code(1), "一", ""]]))
    batch = run(write_csv(tmp_path / "second.csv", [[code(2), "二", ""], [code(1), "again", ""]]), strict=True)
    assert batch.status == ImportBatch.Status.REJECTED
    assert stored_codes() == {code(1): "-:一"}  # code(2) was not kept
    assert errors_of(batch) == [(3, "代码", code(1), "已存在")]


@pytest.mark.django_db
def test_a_crashed_run_is_marked_failed_and_a_re_run_resumes_after_the_last_committed_chunk(tmp_path, settings):
    settings.GOVTRUST_INGEST_CHUNK_ROWS = 3
    rows = [[code(i), str(i), ""] for i in range(1, 11)] + [[code(2), "dup of row 3", ""]]
    path = write_csv(tmp_path / "crash.csv", rows)
    batch = ingest_start(actor=OPERATOR, kind="test.codes", source=path, file_name="crash.csv")
    KIND.explode_at = 9  # row 9 is in the third chunk (rows 8–10)
    try:
        with pytest.raises(RuntimeError):
            ingest_run(batch)
    finally:
        KIND.explode_at = None
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and batch.last_chunk_row == 7
    assert StagedRow.objects.filter(batch=batch).count() == 6 and stored_codes() == {}  # nothing visible

    again = ingest_start(actor=OPERATOR, kind="test.codes", source=path, file_name="crash.csv")
    assert again.pk == batch.pk  # the unfinished batch of the same file is resumed
    batch = ingest_run(again)
    assert batch.status == ImportBatch.Status.PUBLISHED
    assert (batch.rows_total, batch.rows_valid, batch.rows_rejected) == (11, 10, 1)
    assert stored_codes() == {code(i): f"-:{i}" for i in range(1, 11)}
    assert errors_of(batch) == [(12, "", "", "与第3行重复")]  # found against a row of an earlier run
    assert audit_rows(batch).count() == 1


@pytest.mark.django_db
def test_a_finished_batch_is_not_run_again(tmp_path):
    batch = run(write_csv(tmp_path / "a.csv", [[code(1), "一", ""]]))
    assert ingest_run(batch).status == ImportBatch.Status.PUBLISHED
    assert audit_rows(batch).count() == 1


@pytest.mark.django_db
def test_a_refused_file_ends_refused_with_its_message_and_one_audit_row(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("姓名,年龄\n张三,3\n", encoding="utf-8")
    batch = run(path)
    assert batch.status == ImportBatch.Status.REFUSED and "表头应为" in batch.message
    assert audit_rows(batch).count() == 1


@pytest.mark.django_db
def test_a_header_without_data_rows_is_refused(tmp_path):
    batch = run(write_csv(tmp_path / "h.csv", []))
    assert batch.status == ImportBatch.Status.REFUSED and batch.message == "文件中没有数据行"


@pytest.mark.django_db
def test_json_lines_and_xlsx_go_through_the_same_machinery(tmp_path):
    jsonl = run(write_jsonl(tmp_path / "a.jsonl", [{"代码": code(1), "说明": "一"}, "not json"]))
    assert (jsonl.rows_valid, jsonl.rows_rejected) == (1, 1)
    assert errors_of(jsonl) == [(2, "", "", "不是有效的JSON")]
    xlsx = run(write_xlsx(tmp_path / "b.xlsx", [[code(2), "二", "乙类"]]))
    assert xlsx.status == ImportBatch.Status.PUBLISHED and stored_codes()[code(2)] == "b:二"


@pytest.mark.django_db
def test_unknown_kinds_and_suppliers_are_refused_before_anything_is_stored(tmp_path):
    path = write_csv(tmp_path / "a.csv", [[code(1), "一", ""]])
    with pytest.raises(ValidationError, match="未知的导入类型"):
        ingest_start(actor=OPERATOR, kind="nope", source=path, file_name="a.csv")
    with pytest.raises(ValidationError, match="未登记"):
        ingest_start(
            actor=OPERATOR, kind="test.codes", source=path, file_name="a.csv", supplier_code="11320000MB0000000X"
        )
    assert ImportBatch.objects.count() == 0


@pytest.mark.django_db
def test_batch_numbers_count_up_within_a_day(tmp_path):
    a = run(write_csv(tmp_path / "a.csv", [[code(1), "一", ""]]))
    b = run(write_csv(tmp_path / "b.csv", [[code(2), "二", ""]]))
    assert a.number[:-4] == b.number[:-4] and int(b.number[-4:]) == int(a.number[-4:]) + 1


@pytest.mark.django_db
def test_the_annotated_error_report_has_the_original_columns_a_reason_column_and_no_live_formula(tmp_path):
    formula = '=HYPERLINK("http://x","y")'
    path = write_csv(
        tmp_path / "f.csv",
        [[code(1), "好", "", "保留"], [formula, "坏" + formula, "", "+cmd|' /C calc'!A0"]],
        headers=["代码", "说明", "类别", "备注"],
    )
    batch = run(path)
    content = error_report_xlsx(batch)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert sheet[0] == ["行号", "代码", "说明", "类别", "备注", "错误原因"]
    assert len(sheet) == 2
    row = sheet[1]
    assert row[0] == 3
    assert row[1] == "'" + formula and row[2] == "'坏" + formula or row[2] == "坏" + formula
    assert row[4] == "'+cmd|' /C calc'!A0"
    assert "代码：代码应为T开头" in row[5] and "说明：说明不能含" in row[5]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
        styles = archive.read("xl/styles.xml").decode()
    assert "<f>" not in xml  # no formula anywhere
    assert "FFC7CE" in styles  # bad cells are highlighted
