"""Import of indicator values (kind `evaluation.values`) through the import machinery: CSV (UTF-8, GBK), xlsx,
bad rows reported with row, column and reason, replacement of an existing value."""

from __future__ import annotations

import csv

import pytest
import xlsxwriter

from govtrust.core.ingest.services import ingest_run, ingest_start
from govtrust.core.models import ImportBatch, ImportRowError
from govtrust.evaluation.models import IndicatorValue

from .conftest import SYSTEM

HEADERS = ["行政区划代码", "统一社会信用代码", "指标代码", "期间", "数值"]


def write_csv(path, rows, encoding="utf-8"):  # type: ignore[no-untyped-def]
    with open(path, "w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path


def load(path, strict=False):  # type: ignore[no-untyped-def]
    batch = ingest_start(actor=SYSTEM, kind="evaluation.values", source=path, file_name=path.name, strict=strict)
    return ingest_run(batch)


def errors_of(batch):  # type: ignore[no-untyped-def]
    return [(e.row_number, e.column, e.reason) for e in ImportRowError.objects.filter(batch=batch)]


@pytest.mark.django_db
def test_a_good_file_stores_each_value_with_its_provenance(framework, tmp_path):
    batch = load(
        write_csv(
            tmp_path / "v.csv",
            [
                ["320100", "", "debt_risk", "2025", "98.5"],
                ["320500", "", "debt_risk", "2025", "1,102.25"],
                ["320102", "", "rectification_on_time", "2025", "87.5%"],
            ],
        )
    )
    assert batch.status == ImportBatch.Status.PUBLISHED and batch.rows_published == 3, errors_of(batch)
    stored = {(v.indicator_code, v.region.code): v for v in IndicatorValue.objects.select_related("region")}
    assert stored[("debt_risk", "320100")].value == 98.5
    assert stored[("debt_risk", "320500")].value == 1102.25
    assert stored[("rectification_on_time", "320102")].value == 87.5
    assert (
        stored[("debt_risk", "320100")].batch_number == batch.number and stored[("debt_risk", "320100")].source_row == 2
    )


@pytest.mark.django_db
def test_an_xlsx_file_is_read_like_a_csv(framework, tmp_path):
    path = tmp_path / "v.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    sheet.write_row(1, 0, ["320200", "", "npc_cppcc_rate", "2025", 96.4])
    sheet.write_row(2, 0, ["320300", "", "npc_cppcc_rate", "2025", "91"])
    book.close()
    batch = load(path)
    assert batch.rows_published == 2, errors_of(batch)
    assert sorted(IndicatorValue.objects.values_list("value", flat=True)) == [91.0, 96.4]


@pytest.mark.django_db
def test_a_gbk_csv_is_read(framework, tmp_path):
    path = tmp_path / "gbk.csv"
    write_csv(path, [["320100", "", "objection_days", "2025", "6.5"]], encoding="gbk")
    assert path.read_bytes().decode("gbk").startswith("行政区划代码")
    batch = load(path)
    assert batch.status == ImportBatch.Status.PUBLISHED and batch.rows_published == 1, errors_of(batch)
    assert batch.encoding.lower() in ("gb18030", "gbk")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (["329999", "", "debt_risk", "2025", "90"], "region_code", "不存在"),
        (["", "", "debt_risk", "2025", "90"], "region_code", "请填写行政区划代码"),
        (["320100", "", "debt_risk", "2025", "九十"], "value", "应为数字"),
        (["320100", "", "debt_risk", "2025", "1e400"], "value", "数值超出合理范围"),
        (["320100", "", "debt_risk", "2025", "nan"], "value", "数值超出合理范围"),
        (["320100", "", "debt_risk", "2025Q1", "90"], "period", "期间格式不符"),
        (["320100", "", "debt_risk", "25年", "90"], "period", "期间格式"),
        (["320100", "", "no_such_indicator", "2025", "90"], "indicator_code", "不存在"),
        (["320100", "", "'; DROP TABLE evaluation_indicatorvalue; --", "2025", "90"], "indicator_code", "不存在"),
        (["320100", "", "dishonesty_per_body", "2025", "3"], "indicator_code", "平台计算"),
        (["320100", "", "<script>alert(1)</script>", "2025", "90"], "indicator_code", "不存在"),
    ],
)
def test_a_bad_row_is_rejected_with_its_column_and_reason_and_the_good_rows_still_land(
    framework, tmp_path, row, column, reason
):
    batch = load(write_csv(tmp_path / "bad.csv", [["320200", "", "debt_risk", "2025", "80"], row]))
    assert batch.rows_published == 1 and batch.rows_rejected == 1
    [(row_number, col, why)] = errors_of(batch)
    assert row_number == 3 and reason in why
    assert (
        col == {"region_code": "行政区划代码", "value": "数值", "period": "期间", "indicator_code": "指标代码"}[column]
    )
    assert IndicatorValue.objects.count() == 1


@pytest.mark.django_db
def test_strict_mode_stores_nothing_when_a_row_is_bad(framework, tmp_path):
    batch = load(
        write_csv(
            tmp_path / "s.csv", [["320200", "", "debt_risk", "2025", "80"], ["320100", "", "debt_risk", "2025", "x"]]
        ),
        strict=True,
    )
    assert batch.status == ImportBatch.Status.REJECTED and not IndicatorValue.objects.exists()


@pytest.mark.django_db
def test_a_later_file_replaces_the_value_and_a_duplicate_row_in_one_file_is_rejected(framework, tmp_path):
    load(write_csv(tmp_path / "a.csv", [["320100", "", "debt_risk", "2025", "80"]]))
    batch = load(
        write_csv(
            tmp_path / "b.csv", [["320100", "", "debt_risk", "2025", "85"], ["320100", "", "debt_risk", "2025", "86"]]
        )
    )
    assert batch.rows_published == 1 and batch.rows_rejected == 1
    value = IndicatorValue.objects.get()
    assert value.value == 85 and value.batch_number == batch.number
    again = ingest_start(actor=SYSTEM, kind="evaluation.values", source=tmp_path / "b.csv", file_name="b.csv")
    assert again.duplicate  # the same file twice changes nothing


@pytest.mark.django_db
def test_a_body_indicator_needs_a_registered_uscc(cast, framework, tmp_path):
    batch = load(
        write_csv(
            tmp_path / "b.csv",
            [
                ["", cast.nj_market.uscc, "body_rectification_on_time", "2025", "100"],
                ["", "91320000MA1XXXXX0X", "body_rectification_on_time", "2025", "100"],
                ["320100", "", "body_rectification_on_time", "2025", "100"],
            ],
        )
    )
    assert batch.rows_published == 1
    assert [(r, c) for r, c, _why in errors_of(batch)] == [(3, "统一社会信用代码"), (4, "统一社会信用代码")]
    assert IndicatorValue.objects.get().agency == cast.nj_market
