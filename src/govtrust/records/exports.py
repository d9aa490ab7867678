"""xlsx export with formula neutralisation (CSV/formula injection).

A cell whose text starts with =, +, -, @ (or a tab / carriage return, which some spreadsheet programs strip
before evaluating) is written as text prefixed with an apostrophe, so `=HYPERLINK(...)` from a supplier's
file is shown, never evaluated — not by Excel, nor by a program that re-saves the sheet as CSV. Every cell is
written with `write_string`. `write_xlsx` is the one call site, so it can be swapped for `core.exports` when
that lands.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        text = timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else str(value)
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    elif isinstance(value, Decimal):
        text = format(value.normalize(), "f")
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_xlsx(sheet_name: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(safe_cell(sheet_name)[:31].lstrip("'") or "Sheet1")
    bold = book.add_format({"bold": True})
    for col, header in enumerate(headers):
        sheet.write_string(0, col, safe_cell(header), bold)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            sheet.write_string(r, col, safe_cell(value))
    sheet.set_column(0, max(len(headers) - 1, 0), 18)
    book.close()
    return buffer.getvalue()


def xlsx_response(
    filename: str, sheet_name: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    response = HttpResponse(write_xlsx(sheet_name, headers, rows), content_type=XLSX_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    return response
