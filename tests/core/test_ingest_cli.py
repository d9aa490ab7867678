"""`govtrust ingest`: the summary it prints and its exit codes."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.management import call_command
from python_calamine import CalamineWorkbook

from govtrust.core.models import ImportBatch, ObjectChange

from .ingest_helpers import code, make_body, stored_codes, write_csv


def ingest(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ingest", *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_all_rows_stored_exits_0_with_a_chinese_summary(tmp_path):
    path = write_csv(tmp_path / "ok.csv", [[code(1), "一", ""], [code(2), "二", ""]])
    status, out, _err = ingest(str(path), "--kind", "test.codes")
    assert status == 0
    assert "批次号：GJ-" in out and "（已入库）" in out
    assert "总行数 2，有效 2，错误 0，入库 2" in out
    assert "（CSV，UTF-8）" in out


@pytest.mark.django_db
def test_some_rows_rejected_exits_1_and_lists_the_first_errors(tmp_path):
    path = write_csv(tmp_path / "some.csv", [[code(1), "一", ""], ["bad", "二", ""]])
    status, out, _err = ingest(str(path), "--kind", "test.codes")
    assert status == 1
    assert "第3行［代码］“bad”：代码应为T开头的18位大写字母或数字" in out
    assert stored_codes() == {code(1): "-:一"}


@pytest.mark.django_db
def test_strict_with_a_bad_row_exits_1_and_stores_nothing(tmp_path):
    path = write_csv(tmp_path / "strict.csv", [[code(1), "一", ""], ["bad", "二", ""]])
    status, out, _err = ingest(str(path), "--kind", "test.codes", "--strict")
    assert status == 1 and "严格模式" in out
    assert stored_codes() == {}


@pytest.mark.django_db
def test_a_refused_file_exits_2(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    status, _out, err = ingest(str(path), "--kind", "test.codes")
    assert status == 2 and "文件为空" in err
    assert ImportBatch.objects.get().status == ImportBatch.Status.REFUSED


@pytest.mark.django_db
def test_an_unknown_kind_supplier_or_file_exits_2(tmp_path):
    path = write_csv(tmp_path / "a.csv", [[code(1), "一", ""]])
    assert ingest(str(path), "--kind", "no.such")[0] == 2
    status, _out, err = ingest(str(path), "--kind", "test.codes", "--supplier", "11320000MB0000000X")
    assert status == 2 and "未登记" in err
    assert ingest(str(tmp_path / "missing.csv"), "--kind", "test.codes")[0] == 2
    assert ImportBatch.objects.count() == 0


@pytest.mark.django_db
def test_a_registered_supplier_is_named_on_the_batch(tmp_path):
    body = make_body(71, "江苏省测试报送局")
    path = write_csv(tmp_path / "a.csv", [[code(1), "一", ""]])
    assert ingest(str(path), "--kind", "test.codes", "--supplier", body.uscc.lower())[0] == 0
    batch = ImportBatch.objects.get()
    assert (batch.supplier_code, batch.supplier_name) == (body.uscc, "江苏省测试报送局")


@pytest.mark.django_db
def test_the_same_file_again_exits_3_and_changes_nothing(tmp_path):
    path = write_csv(tmp_path / "a.csv", [[code(1), "一", ""]])
    assert ingest(str(path), "--kind", "test.codes")[0] == 0
    changes = ObjectChange.objects.count()
    status, _out, err = ingest(str(path), "--kind", "test.codes")
    assert status == 3 and "本次未做任何更改" in err
    assert ObjectChange.objects.count() == changes and ImportBatch.objects.count() == 1


@pytest.mark.django_db
def test_list_kinds_and_template(tmp_path):
    status, out, _err = ingest("--list-kinds")
    assert status == 0 and "registry.civil_servants\t公务员" in out and "test.codes" in out
    target = tmp_path / "t.xlsx"
    assert ingest("--template", "test.codes", str(target))[0] == 0
    sheet = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
    assert sheet[0] == ["代码", "说明", "类别"] and sheet[1] == ["T00000000000000001", "说明文字", "甲类"]
    with zipfile.ZipFile(target) as archive:
        assert 'type="list"' in archive.read("xl/worksheets/sheet1.xml").decode()
