"""Streaming readers for import files: CSV (UTF-8 with or without BOM, GBK/GB18030), JSON Lines, XLSX.

`open_source(path, file_name, kind)` checks the file and its header and returns a `Source` whose `rows()`
yields `(row_number, values, problem)`: values maps every column key of the kind to trimmed text.
Anything wrong with the file as a whole raises `RefusedFile` with a Chinese message for the supplier.

Row numbers are what the supplier sees: the spreadsheet row (header = row 1) for CSV and XLSX, the line
number for JSON Lines. Completely empty rows are skipped.

CSV and JSON Lines are read in constant memory. XLSX is read with python-calamine, which loads a sheet
whole, so an XLSX is capped (`GOVTRUST_INGEST_XLSX_MAX_ROWS`, 200,000 data rows) and the cap is checked
from the sheet's declared dimension before loading it.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from govtrust.core.ingest.kinds import ImportKind

XLSX_MAX_ROWS_DEFAULT = 200_000
_SAMPLE = 64 * 1024
_ZERO_WIDTH = "\ufeff\u200b\u200c\u200d\u2060"
_STRIP = " \t\r\n\x0b\x0c\xa0\u3000" + _ZERO_WIDTH


def _has_zero_width(text: str) -> bool:
    # Five `in` scans are twice as fast as one regular-expression search over a row's text.
    return "\ufeff" in text or "\u200b" in text or "\u200c" in text or "\u200d" in text or "\u2060" in text


_HAS_ZERO_WIDTH = _has_zero_width
_JOIN = "".join
_STR_STRIP = str.strip

ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（带BOM）", "gb18030": "GB18030/GBK"}


class RefusedFile(Exception):
    """The file cannot be imported at all; str(exc) is the message for the supplier."""


def xlsx_max_rows() -> int:
    return int(getattr(settings, "GOVTRUST_INGEST_XLSX_MAX_ROWS", XLSX_MAX_ROWS_DEFAULT))


def clean(text: str) -> str:
    """Trim spaces, full-width spaces, non-breaking and zero-width characters at both ends."""
    text = text.strip()
    if text and (text[0] in _ZERO_WIDTH or text[-1] in _ZERO_WIDTH):
        text = text.strip(_STRIP)
    return text


def header_key(text: str) -> str:
    """A header as compared: no whitespace anywhere, no required-marks (*), full-width brackets as ASCII."""
    text = re.sub(r"[\s" + _ZERO_WIDTH + "]+", "", str(text)).strip("*＊")
    return text.replace("（", "(").replace("）", ")")


# --- the header ---------------------------------------------------------------------------------


@dataclass
class HeaderMap:
    positions: list[tuple[int, str]]  # (cell index, column key)
    absent: list[str]  # optional column keys with no cell in this file
    unknown: list[str]  # headers of the file that no column claims (ignored)


def header_lookup(kind: ImportKind) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in kind.columns:
        for name in (column.key, str(column.header), *column.aliases):
            lookup.setdefault(header_key(name), column.key)
    return lookup


def map_header(cells: list[str], kind: ImportKind) -> HeaderMap:
    lookup = header_lookup(kind)
    positions: list[tuple[int, str]] = []
    seen: dict[str, str] = {}
    unknown: list[str] = []
    for index, cell in enumerate(cells):
        text = clean(cell)
        if not text:
            continue
        key = lookup.get(header_key(text))
        if key is None:
            unknown.append(text)
        elif key in seen:
            raise RefusedFile(_("表头中“%(a)s”与“%(b)s”是同一列，请删除其中一列") % {"a": seen[key], "b": text})
        else:
            seen[key] = text
            positions.append((index, key))
    if not positions:
        expected = "、".join(str(c.header) for c in kind.columns)
        raise RefusedFile(
            _("第一行不是%(kind)s的表头：未找到任何已知列。表头应为：%(expected)s")
            % {"kind": kind.label, "expected": expected}
        )
    missing = [str(c.header) for c in kind.columns if c.required and c.key not in seen]
    if missing:
        raise RefusedFile(_("缺少必填列：%(cols)s。请使用下载的模板。") % {"cols": "、".join(missing)})
    absent = [c.key for c in kind.columns if c.key not in seen]
    return HeaderMap(positions=positions, absent=absent, unknown=unknown)


# --- values -------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A spreadsheet or JSON value as the text a supplier typed: codes stay codes, dates become ISO.

    Excel stores numbers as doubles, so 91320000 comes back as 91320000.0: whole numbers lose the ".0" and
    never turn into 9.132e+07. (A code of more than 15 digits typed as a number has already lost its last
    digits in Excel itself; the kind's check digit reports it. The template formats every cell as text.)
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        # The shortest decimal that reads back as this double, never in exponent form.
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return clean(str(value))


# --- sources ------------------------------------------------------------------------------------

Row = tuple[int, dict[str, str], str]


@dataclass
class Source:
    """An opened import file. `headers`/`raw_rows` give the original layout for the annotated report."""

    path: Path
    format: str  # "csv" | "jsonl" | "xlsx"
    kind: ImportKind
    encoding: str = ""
    delimiter: str = ","
    header_row: int = 1
    headers: list[str] = field(default_factory=list)
    header_map: HeaderMap | None = None
    total_rows: int | None = None  # known up front for XLSX only
    warnings: list[str] = field(default_factory=list)
    _raw: IO[bytes] | None = None
    _sheet: Any = None  # the loaded XLSX sheet (calamine holds it in memory anyway)

    @property
    def encoding_label(self) -> str:
        return ENCODING_LABELS.get(self.encoding, self.encoding)

    def bytes_read(self) -> int:
        """How far into the file the reader is (for a progress estimate of CSV and JSON Lines)."""
        try:
            return self._raw.tell() if self._raw is not None and not self._raw.closed else 0
        except (OSError, ValueError):
            return 0

    def rows(self) -> Iterator[Row]:
        if self.format == "jsonl":
            yield from self._jsonl_rows()
            return
        values_of = self._values_builder()
        for row_number, cells in self._cells():
            if row_number > self.header_row:
                yield row_number, values_of(cells), ""

    def chunks(self, size: int, resume_after: int = 0) -> Iterator[list[Row]]:
        """The data rows after `resume_after` (a resumed run), in chunks of `size`."""
        chunk: list[Row] = []
        for row in self.rows():
            if row[0] <= resume_after:
                continue
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def chunks_of_part(self, size: int, resume_after: int, part: int, parts: int) -> Iterator[tuple[int, list[Row]]]:
        """(chunk index, rows) of every `parts`-th chunk of `chunks(size, resume_after)`, starting at `part`: one of
        several processes that each read the whole CSV file and take their share of the chunks. The other chunks'
        rows are only parsed (their cells are not trimmed nor keyed), which is what makes reading a share cheap."""
        assert self.format == "csv", "only CSV files are read in parts"
        values_of = self._values_builder()
        index, count, chunk = 0, 0, []
        for row_number, cells in self._cells():
            if row_number <= self.header_row or row_number <= resume_after:
                continue
            if index % parts == part:
                chunk.append((row_number, values_of(cells), ""))
            count += 1
            if count == size:
                if chunk:
                    yield index, chunk
                index, count, chunk = index + 1, 0, []
        if chunk:
            yield index, chunk

    def _values_builder(self) -> Callable[[list[str]], dict[str, str]]:
        """cells → {column key: trimmed text} for this file's header."""
        assert self.header_map is not None
        positions, absent = self.header_map.positions, self.header_map.absent
        # The usual file: every cell is a known column, in order. Its rows are built with C-level zip/map.
        keys = [key for _i, key in positions]
        in_order = [i for i, _key in positions] == list(range(len(positions)))
        width = len(positions)

        def values_of(cells: list[str]) -> dict[str, str]:
            n = len(cells)
            # Zero-width characters are rare: when the row has none, `str.strip` alone is `clean` (a third of
            # the reader's time went into calling `clean` per cell).
            trim = clean if _HAS_ZERO_WIDTH(_JOIN(cells)) else _STR_STRIP
            if in_order and n >= width:
                values = dict(zip(keys, map(trim, cells), strict=False))  # stops at the known columns
            else:
                values = {key: (trim(cells[i]) if i < n else "") for i, key in positions}
            for key in absent:
                values[key] = ""
            return values

        return values_of

    def raw_rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number, every original cell as text) of each data row, in file order."""
        if self.format == "jsonl":
            keys = [c.key for c in self.kind.columns]
            for row_number, values, _problem in self._jsonl_rows():
                yield row_number, [values.get(k, "") for k in keys]
            return
        for row_number, cells in self._cells():
            if row_number > self.header_row:
                yield row_number, [clean(c) for c in cells]

    # CSV and XLSX: every non-empty row as a list of texts, numbered as the supplier sees them.
    def _cells(self) -> Iterator[tuple[int, list[str]]]:
        if self.format == "xlsx":
            if self._sheet is None:
                self._sheet = _load_sheet(self.path)
            yield from _xlsx_cells(self._sheet)
        else:
            yield from self._csv_cells()

    def _csv_cells(self) -> Iterator[tuple[int, list[str]]]:
        raw = open(self.path, "rb")  # noqa: SIM115 (closed in finally; the generator may stop early)
        self._raw = raw
        text = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
        row_number = 0
        try:
            reader = csv.reader(text, delimiter=self.delimiter)
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError as exc:
                    raise RefusedFile(
                        _("第%(row)d行附近的字符无法按%(enc)s解码：文件编码不一致或文件已损坏")
                        % {"row": row_number + 1, "enc": self.encoding_label}
                    ) from exc
                except csv.Error as exc:
                    raise RefusedFile(
                        _("第%(row)d行附近的CSV格式错误：%(error)s") % {"row": row_number + 1, "error": exc}
                    ) from exc
                row_number += 1
                if _JOIN(cells).strip():  # not an empty row (as any(c.strip() for c in cells), without a generator)
                    yield row_number, cells
        finally:
            text.close()

    def _jsonl_rows(self) -> Iterator[Row]:
        lookup = header_lookup(self.kind)
        keys = [c.key for c in self.kind.columns]
        unknown: set[str] = set()
        raw = open(self.path, "rb")  # noqa: SIM115 (closed in finally)
        self._raw = raw
        try:
            for line_number, line in enumerate(raw, start=1):
                if not line.strip():
                    continue
                try:
                    text = line.decode(self.encoding)
                except UnicodeDecodeError as exc:
                    raise RefusedFile(
                        _("第%(row)d行的字符无法按%(enc)s解码") % {"row": line_number, "enc": self.encoding_label}
                    ) from exc
                values = dict.fromkeys(keys, "")
                try:
                    obj = json.loads(text)
                except ValueError:
                    yield line_number, values, _("不是有效的JSON")
                    continue
                if not isinstance(obj, dict):
                    yield line_number, values, _("每行应为一个JSON对象")
                    continue
                for name, value in obj.items():
                    key = lookup.get(header_key(name))
                    if key is None:
                        if name not in unknown and len(unknown) < 50:
                            unknown.add(name)
                            self.warnings.append(_("已忽略未知字段“%(name)s”") % {"name": name})
                        continue
                    values[key] = cell_text(value)
                yield line_number, values, ""
        finally:
            raw.close()


# --- opening ------------------------------------------------------------------------------------


def _sniff_format(path: Path, file_name: str, head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise RefusedFile(_("不支持旧版Excel（.xls）文件，请另存为.xlsx或CSV（UTF-8）后再上传"))
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xlsx":
        raise RefusedFile(_("文件不是有效的.xlsx工作簿（可能已损坏或只上传了一部分）"))
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    return "jsonl" if head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").startswith(b"{") else "csv"


def detect_encoding(path: Path) -> str:
    """utf-8-sig with a BOM; utf-8 when the whole file decodes as UTF-8; otherwise gb18030 (a superset of GBK).

    The whole file is scanned (1 MB at a time, cheap next to the import): a GBK file whose first Chinese
    character comes late would otherwise be taken for UTF-8.
    """
    with open(path, "rb") as raw:
        head = raw.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        raw.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while block := raw.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


def _first_line(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace", newline="") as text:
        for line in text:
            if line.strip():
                return line
    return ""


def open_source(path: Path, file_name: str, kind: ImportKind) -> Source:
    """Open an import file for `kind`, or raise RefusedFile saying what is wrong with it."""
    path = Path(path)
    try:
        with open(path, "rb") as raw:
            head = raw.read(_SAMPLE)
    except OSError as exc:
        raise RefusedFile(_("无法读取上传的文件")) from exc
    if not head.strip(codecs.BOM_UTF8 + b" \t\r\n"):
        raise RefusedFile(_("文件为空"))
    fmt = _sniff_format(path, file_name, head)
    if fmt == "xlsx":
        return _open_xlsx(path, kind)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RefusedFile(_("不支持UTF-16编码的文本文件，请另存为“CSV UTF-8”"))
    if b"\x00" in head:
        raise RefusedFile(_("文件不是文本文件（含有二进制内容），请上传CSV、JSON Lines或.xlsx文件"))
    encoding = detect_encoding(path)
    source = Source(path=path, format=fmt, kind=kind, encoding=encoding)
    if fmt == "jsonl":
        return source
    first = _first_line(path, encoding)
    if "\t" in first and "," not in first:
        source.delimiter = "\t"
    for row_number, cells in source._csv_cells():
        source.header_row, source.headers = row_number, [clean(c) for c in cells]
        break
    _check_header(source)
    return source


def _check_header(source: Source) -> None:
    source.header_map = map_header(source.headers, source.kind)
    for name in source.header_map.unknown[:50]:
        source.warnings.append(_("已忽略未知列“%(name)s”") % {"name": name})


# --- XLSX ---------------------------------------------------------------------------------------


def _calamine_errors() -> tuple[type[BaseException], ...]:
    # A corrupt file can make calamine's Rust code panic; pyo3 raises that as PanicException, which
    # derives from BaseException, not Exception.
    errors: list[type[BaseException]] = [Exception]
    try:
        from pyo3_runtime import PanicException  # type: ignore[import-not-found]

        errors.append(PanicException)
    except ImportError:
        pass
    return tuple(errors)


def _declared_rows(path: Path) -> int | None:
    """The row count the first sheet declares (<dimension ref="A1:AA1000"/>), read without loading it."""
    try:
        with zipfile.ZipFile(path) as archive:
            book = archive.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            sheet = re.search(r"<(?:\w+:)?sheet\b[^>]*\br:id=\"([^\"]+)\"", book)
            if sheet is None:
                return None
            target = re.search(r"<Relationship\b[^>]*Id=\"" + re.escape(sheet.group(1)) + r"\"[^>]*>", rels)
            match = target and re.search(r"Target=\"([^\"]+)\"", target.group(0))
            if not match:
                return None
            name = match.group(1).lstrip("/")
            name = name if name.startswith("xl/") else "xl/" + name
            with archive.open(name) as stream:
                start = stream.read(4096).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None
    dimension = re.search(r"<(?:\w+:)?dimension\s+ref=\"[A-Z]+\d+(?::[A-Z]+(\d+))?\"", start)
    if dimension is None:
        return None
    return int(dimension.group(1) or 1)


def _load_sheet(path: Path) -> Any:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        return workbook.get_sheet_by_index(0)
    except _calamine_errors() as exc:
        raise RefusedFile(_("无法读取.xlsx文件：文件已损坏、被加密或只上传了一部分")) from exc


def _too_many(rows: int) -> RefusedFile:
    return RefusedFile(
        _("Excel文件超过%(max)d行数据（约%(n)d行），请改用CSV或JSON Lines格式上传大批量数据")
        % {"max": xlsx_max_rows(), "n": rows}
    )


def _xlsx_cells(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    try:
        for index, cells in enumerate(sheet.iter_rows(), start=1):
            texts = [cell_text(c) for c in cells]
            if any(texts):
                yield index, texts
    except _calamine_errors() as exc:
        raise RefusedFile(_("无法读取.xlsx文件：文件已损坏")) from exc


def _open_xlsx(path: Path, kind: ImportKind) -> Source:
    declared = _declared_rows(path)
    cap = xlsx_max_rows()
    if declared is not None and declared - 1 > cap:
        raise _too_many(declared - 1)
    sheet = _load_sheet(path)
    height = int(sheet.height)
    source = Source(path=path, format="xlsx", kind=kind, encoding="", _sheet=sheet)
    for row_number, cells in _xlsx_cells(sheet):
        source.header_row, source.headers = row_number, cells
        break
    else:
        raise RefusedFile(_("文件为空"))
    data_rows = max(0, height - source.header_row)
    if data_rows > cap:
        raise _too_many(data_rows)
    source.total_rows = data_rows
    _check_header(source)
    return source
