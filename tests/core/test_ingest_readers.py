"""Reading import files: encodings, formats, headers, normalised values, and files refused with a reason."""

from __future__ import annotations

import datetime
import zipfile

import pytest
import xlsxwriter

from govtrust.core.ingest.readers import RefusedFile, cell_text, open_source

from .ingest_helpers import KIND, code, write_csv, write_jsonl, write_xlsx


def rows_of(path, name=None):
    source = open_source(path, name or path.name, KIND)
    return source, list(source.rows())


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_it_reads_csv_in_utf8_with_or_without_bom_and_in_gbk_or_gb18030(tmp_path, encoding, expected):
    note = "江苏省财政厅" if encoding != "gb18030" else "㐀字在GB18030中"  # U+3400 is not in GBK
    path = write_csv(tmp_path / "a.csv", [[code(1), note, "甲类"]], encoding=encoding)
    source, rows = rows_of(path)
    assert source.encoding == expected
    assert rows == [(2, {"code": code(1), "note": note, "category": "甲类"}, "")]


def test_a_gbk_file_whose_first_chinese_character_comes_late_is_still_detected(tmp_path):
    rows = [[code(i), "plain ascii", ""] for i in range(5000)] + [[code(9999), "南京", ""]]
    source, read = rows_of(write_csv(tmp_path / "late.csv", rows, encoding="gbk"))
    assert source.encoding == "gb18030"
    assert read[-1][1]["note"] == "南京"


def test_cells_are_trimmed_of_spaces_full_width_spaces_and_zero_width_characters(tmp_path):
    path = write_csv(tmp_path / "s.csv", [["\u3000" + code(1) + " ", "\ufeff说明\u3000", " 乙类\xa0"]])
    _source, rows = rows_of(path)
    assert rows[0][1] == {"code": code(1), "note": "说明", "category": "乙类"}


def test_rows_with_and_without_zero_width_characters_are_trimmed_alike(tmp_path):
    path = write_csv(
        tmp_path / "z.csv",
        [
            ["\xa0" + code(1) + "\u3000", "\t说明 ", "\u3000乙类"],  # no zero-width character in the row
            [code(2) + "\u200b", "\u3000\u200b说明\ufeff ", "乙类"],  # zero-width after other spaces
        ],
    )
    _source, rows = rows_of(path)
    assert [r[1] for r in rows] == [
        {"code": code(1), "note": "说明", "category": "乙类"},
        {"code": code(2), "note": "说明", "category": "乙类"},
    ]


def test_empty_rows_are_skipped_and_row_numbers_are_what_the_spreadsheet_shows(tmp_path):
    path = write_csv(tmp_path / "e.csv", [[code(1), "a", ""], ["", "", ""], [code(2), "b", ""]])
    _source, rows = rows_of(path)
    assert [r[0] for r in rows] == [2, 4]


def test_a_tab_separated_file_is_read(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("代码\t说明\n" + code(1) + "\t制表符分隔\n", encoding="utf-8")
    _source, rows = rows_of(path)
    assert rows[0][1]["note"] == "制表符分隔"


def test_header_aliases_and_column_keys_are_accepted_and_unknown_columns_ignored_with_a_warning(tmp_path):
    path = write_csv(tmp_path / "h.csv", [[code(1), "x", "多余"]], headers=["旧代码", " note ", "备注"])
    source, rows = rows_of(path)
    assert rows[0][1] == {"code": code(1), "note": "x", "category": ""}
    assert source.warnings == ["已忽略未知列“备注”"]


def test_a_missing_required_header_refuses_the_file_naming_it(tmp_path):
    path = write_csv(tmp_path / "m.csv", [[code(1), "甲类"]], headers=["代码", "类别"])
    with pytest.raises(RefusedFile, match="缺少必填列：说明"):
        open_source(path, "m.csv", KIND)


def test_a_wrong_header_row_refuses_the_file_listing_the_expected_headers(tmp_path):
    path = write_csv(tmp_path / "w.csv", [["x", "y"]], headers=["姓名", "年龄"])
    with pytest.raises(RefusedFile, match="表头应为：代码、说明、类别"):
        open_source(path, "w.csv", KIND)


def test_the_same_column_twice_refuses_the_file(tmp_path):
    path = write_csv(tmp_path / "d.csv", [["a", "b", "c"]], headers=["代码", "旧代码", "说明"])
    with pytest.raises(RefusedFile, match="同一列"):
        open_source(path, "d.csv", KIND)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "e.csv", "文件为空"),
        (b"\xef\xbb\xbf  \r\n", "e.csv", "文件为空"),
        (b"\x00\x01\x02binary\xff\xfe junk", "j.csv", "二进制"),
        (b"\xff\xfe\x00\x00", "u.csv", "UTF-16"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", ".xls"),
        (b"this is not a workbook", "fake.xlsx", "不是有效的.xlsx"),
    ],
)
def test_malformed_files_are_refused_with_a_clear_message(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RefusedFile, match=message):
        open_source(path, name, KIND)


def test_a_truncated_xlsx_is_refused_not_a_traceback(tmp_path):
    whole = write_xlsx(tmp_path / "whole.xlsx", [[code(i), "x", ""] for i in range(200)]).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(RefusedFile, match="无法读取.xlsx文件"):
        open_source(path, "cut.xlsx", KIND)


def test_xlsx_numbers_stay_codes_and_dates_become_iso(tmp_path):
    path = tmp_path / "n.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["代码", "说明", "类别"])
    sheet.write_number(1, 0, 91320000)  # a code typed as a number
    sheet.write_datetime(1, 1, datetime.datetime(2024, 3, 1), book.add_format({"num_format": "yyyy-mm-dd"}))
    sheet.write_number(2, 0, 123456789012345)
    sheet.write_number(2, 1, 12.5)
    sheet.write_boolean(2, 2, True)
    book.close()
    _source, rows = rows_of(path)
    assert rows[0][1] == {"code": "91320000", "note": "2024-03-01", "category": ""}
    assert rows[1][1] == {"code": "123456789012345", "note": "12.5", "category": "是"}


def test_cell_text_never_writes_a_long_number_in_exponent_form():
    assert cell_text(1.234567890123457e17) == "123456789012345700"
    assert cell_text(0.1 + 0.2) == "0.30000000000000004"
    assert cell_text(datetime.datetime(2024, 3, 1, 8, 30)) == "2024-03-01 08:30:00"


def test_an_xlsx_over_the_row_cap_is_refused_before_it_is_loaded(tmp_path, settings):
    settings.GOVTRUST_INGEST_XLSX_MAX_ROWS = 5
    path = write_xlsx(tmp_path / "big.xlsx", [[code(i), "x", ""] for i in range(6)])
    with pytest.raises(RefusedFile, match="超过5行.*请改用CSV"):
        open_source(path, "big.xlsx", KIND)
    ok = write_xlsx(tmp_path / "ok.xlsx", [[code(i), "x", ""] for i in range(5)])
    assert len(list(open_source(ok, "ok.xlsx", KIND).rows())) == 5


def test_an_xlsx_without_a_declared_dimension_is_still_capped(tmp_path, settings):
    settings.GOVTRUST_INGEST_XLSX_MAX_ROWS = 3
    original = write_xlsx(tmp_path / "o.xlsx", [[code(i), "x", ""] for i in range(4)])
    path = tmp_path / "nodim.xlsx"
    with zipfile.ZipFile(original) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:C5"/>', b"")
            dst.writestr(item, data)
    with pytest.raises(RefusedFile, match="超过3行"):
        open_source(path, "nodim.xlsx", KIND)


def test_json_lines_take_headers_or_keys_and_report_a_bad_line_as_a_row_problem(tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [{"代码": code(1), "说明": "中文键", "extra": 1}, {"code": code(2), "note": 42}, "{broken", "[1, 2]"],
    )
    source, rows = rows_of(path)
    assert rows[0] == (1, {"code": code(1), "note": "中文键", "category": ""}, "")
    assert rows[1] == (2, {"code": code(2), "note": "42", "category": ""}, "")
    assert rows[2][0] == 3 and rows[2][2] == "不是有效的JSON"
    assert rows[3][2] == "每行应为一个JSON对象"
    assert source.warnings == ["已忽略未知字段“extra”"]


def test_a_file_named_csv_that_is_really_a_workbook_is_read_as_xlsx(tmp_path):
    path = write_xlsx(tmp_path / "really.csv", [[code(1), "x", ""]])
    source, rows = rows_of(path)
    assert source.format == "xlsx" and len(rows) == 1


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_chunks_hold_the_data_rows_after_the_resume_point_in_order(tmp_path, fmt):
    # Empty rows, a row with a line break inside a quoted cell: chunks count data rows only.
    data = [[code(i), f"第{i}行" + ("\n续" if i == 4 else ""), ""] for i in range(1, 12)]
    data[5] = ["", "", ""]
    if fmt == "csv":
        path = write_csv(tmp_path / "c.csv", data)
    elif fmt == "jsonl":
        path = write_jsonl(tmp_path / "c.jsonl", [{"code": r[0], "note": r[1]} if r[0] else {} for r in data])
    else:
        path = write_xlsx(tmp_path / "c.xlsx", data)
    source = open_source(path, path.name, KIND)
    chunks = list(source.chunks(3, resume_after=3))
    assert [len(rows) for rows in chunks[:-1]] == [3] * (len(chunks) - 1) and 1 <= len(chunks[-1]) <= 3
    assert [row for rows in chunks for row in rows] == [r for r in source.rows() if r[0] > 3]
