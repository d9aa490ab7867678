"""The platform's one xlsx writer: every export and report goes through it.

Spreadsheet formula injection (CWE-1236): a cell whose text starts with =, +, -, @, a tab or a carriage
return may be run as a formula by Excel or WPS — `=HYPERLINK("http://x","y")` in a body's name would
become a live link in an exported list, and a CSV re-save keeps it live. So every text cell is written
with `write_string` (never interpreted) and such text gets a leading apostrophe (OWASP's advice), which
also survives a re-save as CSV. Numbers, dates and booleans are written as such.

    content = write_xlsx(["名称", "代码"], rows, sheet_name="政府部门", widths={0: 40})
    return xlsx_response(content, "agencies.xlsx")

For sheets with formats of their own (the annotated error report, templates) use `open_book()` and
`SafeSheet`.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Excel's sheet-name limit and forbidden characters.
_SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = str.maketrans({c: "_" for c in "[]:*?/\\"})


def neutralise(text: str) -> str:
    """Text that no spreadsheet will run as a formula: a leading apostrophe before a formula trigger."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def sheet_name(name: str) -> str:
    return (str(name).translate(_SHEET_NAME_BAD)[:_SHEET_NAME_MAX]) or "Sheet1"


class SafeSheet:
    """A worksheet whose `write`/`write_row` never produce a formula, a URL or a number out of text."""

    def __init__(self, book: Workbook, worksheet: Worksheet) -> None:
        self.book = book
        self.sheet = worksheet
        self._date = book.add_format({"num_format": "yyyy-mm-dd"})
        self._datetime = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})

    def write(self, row: int, col: int, value: Any, fmt: Format | None = None) -> None:
        sheet = self.sheet
        if value is None or value == "":
            sheet.write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value, fmt)
        elif isinstance(value, int | float | Decimal):
            sheet.write_number(row, col, float(value), fmt)
        elif isinstance(value, datetime.datetime):
            if value.tzinfo is not None:
                value = timezone.localtime(value).replace(tzinfo=None)  # the site's time zone, as users see it
            sheet.write_datetime(row, col, value, fmt or self._datetime)
        elif isinstance(value, datetime.date):
            sheet.write_datetime(row, col, datetime.datetime.combine(value, datetime.time()), fmt or self._date)
        else:
            sheet.write_string(row, col, neutralise(str(value)), fmt)

    def write_row(self, row: int, values: Sequence[Any], fmt: Format | None = None, *, col: int = 0) -> None:
        for offset, value in enumerate(values):
            self.write(row, col + offset, value, fmt)


def open_book() -> tuple[Workbook, io.BytesIO]:
    """An in-memory workbook that never turns strings into formulas, URLs or numbers by itself."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    return book, buffer


def add_sheet(book: Workbook, name: str) -> SafeSheet:
    return SafeSheet(book, book.add_worksheet(sheet_name(name)))


def write_xlsx(
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str = "Sheet1",
    widths: dict[int, int] | None = None,
    max_rows: int | None = None,
    truncated_note: str = "",
) -> bytes:
    """One sheet: a bold header row, then `rows`. With `max_rows`, rows beyond it are dropped and
    `truncated_note` is written in the row after the last one kept."""
    book, buffer = open_book()
    sheet = add_sheet(book, sheet_title)
    sheet.write_row(0, [str(h) for h in headers], book.add_format({"bold": True}))
    sheet.sheet.freeze_panes(1, 0)
    count = 0
    for count, row in enumerate(rows, start=1):
        if max_rows is not None and count > max_rows:
            sheet.write(count, 0, truncated_note)
            break
        sheet.write_row(count, row)
    for col, width in (widths or {}).items():
        sheet.sheet.set_column(col, col, width)
    book.close()
    return buffer.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A download of `content`; the file name may be Chinese (RFC 6266 filename*)."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "") or "export.xlsx"
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return response
