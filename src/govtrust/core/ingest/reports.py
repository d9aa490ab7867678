"""Spreadsheets of the import machinery: the annotated error report of a batch and a kind's blank template.

Both go through `core.exports` (formula injection neutralised).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils.translation import gettext as _

from govtrust.core.exports import add_sheet, open_book
from govtrust.core.ingest.kinds import ImportKind
from govtrust.core.ingest.readers import RefusedFile, open_source
from govtrust.core.ingest.services import kind_or_error, source_path
from govtrust.core.models import ImportBatch, ImportRowError

REPORT_MAX_ROWS = 100_000
TEMPLATE_VALIDATION_ROWS = 200_000


def error_report_xlsx(batch: ImportBatch) -> bytes:
    """Every rejected row of the batch with its original cells, bad cells highlighted, and a 错误原因 column.

    The original cells are read back from the kept file (so unknown extra columns are there too); if the
    file is gone, the report lists row, column, value and reason only.
    """
    kind = kind_or_error(batch.kind)
    by_row: dict[int, list[ImportRowError]] = defaultdict(list)
    for error in ImportRowError.objects.filter(batch=batch).order_by("row_number", "pk")[: REPORT_MAX_ROWS * 4]:
        by_row[error.row_number].append(error)
    book, buffer = open_book()
    sheet = add_sheet(book, _("错误行"))
    bold = book.add_format({"bold": True})
    bad = book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    reason_format = book.add_format({"font_color": "#9C0006", "text_wrap": True})
    key_by_header = {str(c.header): c.key for c in kind.columns}
    source = None
    path = source_path(batch)
    if path.exists():
        try:
            source = open_source(path, batch.file_name, kind)
        except RefusedFile:
            source = None
    if source is None:
        sheet.write_row(0, [_("行号"), _("列"), _("值"), _("错误原因")], bold)
        line = 0
        for row_number, errors in sorted(by_row.items()):
            for error in errors:
                line += 1
                sheet.write_row(line, [row_number, error.column, error.value, error.reason])
        book.close()
        return buffer.getvalue()

    if source.format == "jsonl":
        headers = [str(c.header) for c in kind.columns]
        index_of = {c.key: i for i, c in enumerate(kind.columns)}
    else:
        headers = list(source.headers)
        assert source.header_map is not None
        index_of = {key: i for i, key in source.header_map.positions}
    reason_col = len(headers) + 1
    sheet.write_row(0, [_("行号"), *headers, _("错误原因")], bold)
    sheet.sheet.freeze_panes(1, 1)
    sheet.sheet.set_column(reason_col, reason_col, 60)
    line = 0
    wanted = set(by_row)
    try:
        for row_number, cells in source.raw_rows():
            if row_number not in wanted:
                continue
            line += 1
            errors = by_row[row_number]
            bad_cols = {index_of[key_by_header[e.column]] for e in errors if key_by_header.get(e.column) in index_of}
            sheet.write(line, 0, row_number)
            for i in range(max(len(headers), len(cells))):
                sheet.write(line, i + 1, cells[i] if i < len(cells) else "", bad if i in bad_cols else None)
            reasons = "；".join(f"{e.column}：{e.reason}" if e.column else e.reason for e in errors)
            sheet.write(line, reason_col, reasons, reason_format)
            if line >= REPORT_MAX_ROWS:
                sheet.write(line + 1, 0, _("错误行超过%(n)d行，仅列出前%(n)d行") % {"n": REPORT_MAX_ROWS})
                break
    except RefusedFile:
        pass
    book.close()
    return buffer.getvalue()


def template_xlsx(kind: ImportKind) -> bytes:
    """A blank template: the header row (required columns marked), every cell formatted as text so that
    codes keep their digits, drop-downs for coded columns, example rows, and a sheet of column notes."""
    book, buffer = open_book()
    data = add_sheet(book, _("数据"))
    notes = add_sheet(book, _("填写说明"))
    options_sheet: Any = None
    text = book.add_format({"num_format": "@"})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "num_format": "@"})
    head_required = book.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "font_color": "#C00000", "border": 1, "num_format": "@"}
    )
    for col, column in enumerate(kind.columns):
        data.sheet.set_column(col, col, column.width, text)
        data.write(0, col, str(column.header), head_required if column.required else head)
        if column.choices:
            labels = [str(label) for _code, label in column.choices]
            validation: dict[str, Any] = {
                "validate": "list",
                "error_title": str(column.header),
                "error_message": _("请从下拉列表中选择"),
            }
            if sum(len(label) + 1 for label in labels) <= 250:
                validation["source"] = labels
            else:  # Excel limits an inline list to 255 characters: list the options on a hidden sheet
                if options_sheet is None:
                    options_sheet = add_sheet(book, _("选项"))
                    options_sheet.sheet.hide()
                for row, label in enumerate(labels):
                    options_sheet.write(row, col, label)
                letter = _column_letter(col)
                validation["source"] = f"='{options_sheet.sheet.name}'!${letter}$1:${letter}${len(labels)}"
            data.sheet.data_validation(1, col, TEMPLATE_VALIDATION_ROWS, col, validation)
    data.sheet.freeze_panes(1, 0)
    for row, example in enumerate(kind.template_rows(), start=1):
        for col, column in enumerate(kind.columns):
            value = example.get(column.key, "")
            for code, label in column.choices:
                if value == code:
                    value = str(label)
            data.write(row, col, value, text)

    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    notes.write_row(0, [_("列名"), _("是否必填"), _("填写说明"), _("可选值"), _("示例")], bold)
    for row, column in enumerate(kind.columns, start=1):
        choices = "、".join(str(label) for _code, label in column.choices)
        notes.write_row(
            row,
            [
                str(column.header),
                _("必填") if column.required else _("选填"),
                str(column.help),
                choices,
                column.example,
            ],
            wrap,
        )
    notes.sheet.set_column(0, 0, 24)
    notes.sheet.set_column(1, 1, 10)
    notes.sheet.set_column(2, 2, 60)
    notes.sheet.set_column(3, 3, 30)
    notes.sheet.set_column(4, 4, 24)
    last = len(kind.columns) + 2
    notes.write(
        last,
        0,
        _("说明：第一行为表头，请勿修改；第二行起为示例，请删除后填写。超过20万行请使用CSV（UTF-8）或JSON Lines格式。"),
    )
    book.close()
    return buffer.getvalue()


def _column_letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
