"""A small import kind for the machinery's own tests, publishing into a real core table (KnownLegacyCode).

Codes are 18 upper-case letters/digits starting with "T" (no real legacy code starts so), so the seeded
legacy codes never collide with the test rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import xlsxwriter

from govtrust.core.ingest import CellError, Column, ImportKind, RowOutcome, Staged, register_kind
from govtrust.core.ingest.services import reject_at_publish
from govtrust.core.models import ImportBatch, KnownLegacyCode

CODE = re.compile(r"T[0-9A-Z]{17}")
HEADERS = ["代码", "说明", "类别"]


class CodesKind(ImportKind):
    code = "test.codes"
    label = "测试代码"
    supplier_required = False
    action = "records.ingest"
    columns = (
        Column("code", "代码", required=True, example="T00000000000000001", aliases=("旧代码",)),
        Column("note", "说明", required=True, example="说明文字", help="不含“坏”字"),
        Column("category", "类别", choices=(("a", "甲类"), ("b", "乙类")), example="a"),
    )
    explode_at: int | None = None  # simulate a crash on this row
    begun = 0

    def begin(self, batch: ImportBatch) -> None:
        type(self).begun += 1

    def validate_row(self, values: dict[str, str], *, row_number: int) -> RowOutcome:
        if self.explode_at is not None and row_number == self.explode_at:
            raise RuntimeError("simulated crash")
        errors = []
        if not CODE.fullmatch(values["code"]):
            errors.append(CellError("code", values["code"], "代码应为T开头的18位大写字母或数字"))
        if "坏" in values["note"]:
            errors.append(CellError("note", values["note"], "说明不能含“坏”字"))
        if errors:
            return RowOutcome(None, errors)
        data = {"code": values["code"], "note": f"{values['category'] or '-'}:{values['note']}"}
        return RowOutcome(data, natural_key=values["code"])

    def publish(self, batch: ImportBatch, staged: Iterator[Staged]) -> dict[str, int]:
        rows = list(staged)
        taken = set(
            KnownLegacyCode.objects.filter(code__in=[r.data["code"] for r in rows]).values_list("code", flat=True)
        )
        fresh = []
        for row in rows:
            if row.data["code"] in taken:
                reject_at_publish(
                    batch, row_number=row.row_number, errors=[CellError("code", row.data["code"], "已存在")]
                )
            else:
                fresh.append(KnownLegacyCode(code=row.data["code"], note=row.data["note"]))
        KnownLegacyCode.objects.bulk_create(fresh)
        return {"published": len(fresh)}


KIND = register_kind(CodesKind())


def code(n: int) -> str:
    return f"T{n:017d}"


def stored_codes() -> dict[str, str]:
    return dict(KnownLegacyCode.objects.filter(code__startswith="T").values_list("code", "note"))


def write_csv(path: Path, rows: list[list[Any]], *, headers: list[str] = HEADERS, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[Any]], *, headers: list[str] = HEADERS) -> Path:
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, headers)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            sheet.write(i, j, value)
    book.close()
    return path


def write_jsonl(path: Path, objects: list[Any]) -> Path:
    path.write_text("\n".join(o if isinstance(o, str) else json.dumps(o, ensure_ascii=False) for o in objects) + "\n")
    return path


def make_uscc(n: int, *, area: str = "320000") -> str:
    from govtrust.core.validators import org_code_check_digit, uscc_check_digit

    org8 = f"{n:08d}"
    first17 = "11" + area + org8 + org_code_check_digit(org8)
    return first17 + uscc_check_digit(first17)


def make_body(n: int, name: str, region_code: str = "320000", **kw: Any) -> Any:
    from types import SimpleNamespace

    from govtrust.registry.services import agency_create

    setup = SimpleNamespace(username="test-setup", is_authenticated=False)
    return agency_create(actor=setup, uscc=make_uscc(n, area=region_code), name=name, region_code=region_code, **kw)
