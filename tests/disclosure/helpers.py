"""Small helpers for the disclosure tests: xlsx files of candidates, a CLI runner."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter
from django.core.management import call_command
from django.core.management.base import CommandError

from govtrust.disclosure.queries import TEMPLATE_HEADERS


def candidates_xlsx(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("候选人")
    sheet.write_row(0, 0, header or TEMPLATE_HEADERS)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            sheet.write_string(i, j, str(value))
    book.close()
    return buffer.getvalue()


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        return 0, out.getvalue(), err.getvalue()
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
