"""Region data files: the packaged Jiangsu divisions and township-level CSV imports (parsing only, no ORM).

Township CSV: UTF-8 (with or without BOM) or GBK/GB18030, header `code,name[,parent_code][,kind]`
(Chinese headers 代码,名称,上级代码,类别 also work). Codes are the 国家统计局 统计用区划代码 of 乡级 units:
9 digits, or the 12-digit form of the same unit (9 digits + "000"), which is stored as its 9 digits so
both spellings name one row. 12-digit codes of 村级 units (last 3 digits not 000) are rejected: the
region tree stops at township level (Region.level 4), and a village row would have no ancestor column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

JIANGSU_CSV = Path(__file__).resolve().parent / "data" / "regions" / "jiangsu.csv"

COLUMNS = ("code", "name", "parent_code", "kind")
REQUIRED_COLUMNS = ("code", "name")
_HEADER_ALIASES = {"代码": "code", "名称": "name", "上级代码": "parent_code", "类别": "kind"}
MAX_IMPORT_ROWS = 100_000


@dataclass(frozen=True)
class RegionRow:
    """One data row of an import file; `row` is its line number in the file (the header is line 1)."""

    row: int
    code: str
    name: str
    parent_code: str = ""
    kind: str = ""
    surplus_cells: bool = False  # more cells than header columns: probably a shifted row


@dataclass(frozen=True)
class RowError:
    row: int  # 0 = the file as a whole (encoding, header)
    column: str
    reason: str

    def __str__(self) -> str:
        if self.row == 0:
            return _("文件：%(reason)s") % {"reason": self.reason}
        return _("第%(row)d行 %(column)s 列：%(reason)s") % {
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
        }


class RegionImportError(Exception):
    """The file was rejected as a whole; `errors` lists every bad row."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


def decode_csv_bytes(data: bytes) -> str:
    """UTF-8 (BOM optional) first; files saved by Excel or WPS on Chinese Windows are GBK, read as GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def parse_region_csv(data: bytes) -> list[RegionRow]:
    """Read a township import file into rows. File-level problems raise RegionImportError (row 0)."""
    try:
        text = decode_csv_bytes(data)
    except UnicodeDecodeError:
        raise RegionImportError([RowError(0, "", _("无法识别文件编码，请使用UTF-8或GBK"))])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RegionImportError([RowError(0, "", _("文件为空"))])
    except csv.Error as exc:
        raise RegionImportError([RowError(0, "", _("CSV格式错误：%(e)s") % {"e": exc})])
    columns = [_HEADER_ALIASES.get(h.strip(), h.strip().lower()) for h in header]
    errors = [
        RowError(1, h, _("未知的列（可用列：code、name、parent_code、kind）")) for h in columns if h not in COLUMNS
    ]
    errors += [RowError(1, c, _("缺少必需的列")) for c in REQUIRED_COLUMNS if c not in columns]
    errors += [RowError(1, c, _("列重复")) for c in COLUMNS if columns.count(c) > 1]
    if errors:
        raise RegionImportError(errors)
    rows: list[RegionRow] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue  # blank lines, e.g. a trailing one
            if len(rows) >= MAX_IMPORT_ROWS:
                raise RegionImportError([RowError(0, "", _("超过%(n)d行，请分批导入") % {"n": MAX_IMPORT_ROWS})])
            record = dict(zip(columns, (v.strip() for v in values), strict=False))
            rows.append(RegionRow(row=reader.line_num, surplus_cells=len(values) > len(columns), **record))
    except csv.Error as exc:
        raise RegionImportError([RowError(reader.line_num, "", _("CSV格式错误：%(e)s") % {"e": exc})])
    if not rows:
        raise RegionImportError([RowError(0, "", _("文件中没有数据行"))])
    return rows


def read_jiangsu_rows() -> list[dict[str, str]]:
    """The packaged province, cities, county-level units and functional zones, parents before children."""
    with JIANGSU_CSV.open(encoding="utf-8", newline="") as f:
        return sorted(csv.DictReader(f), key=lambda r: (int(r["level"]), r["code"]))


def load_jiangsu(region_model) -> int:  # type: ignore[no-untyped-def]
    """Insert or update the packaged rows; takes the model so that a data migration can pass its historical one.

    Historical models have no custom methods, hence the ancestor columns are computed here.
    """
    ancestors: dict[str, dict[str, str]] = {}
    fields = {1: "province_code", 2: "city_code", 3: "county_code"}
    for row in read_jiangsu_rows():
        level = int(row["level"])
        parent = region_model.objects.get(code=row["parent_code"]) if row["parent_code"] else None
        codes = dict(ancestors[row["parent_code"]]) if parent else {f: "" for f in fields.values()}
        codes[fields[level]] = row["code"]
        ancestors[row["code"]] = codes
        region_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "level": level,
                "kind": row["kind"],
                "parent": parent,
                "township_code": "",
                **codes,
            },
        )
    return len(ancestors)
