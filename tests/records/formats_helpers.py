"""Real-format files for the record-format tests: the national 双公示 headers, one good row builder, writers."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import xlsxwriter
from registry.builders import SYSTEM

from govtrust.core.ingest.services import ingest_run, ingest_start
from govtrust.core.models import ImportBatch, ImportRowError

# The 27 columns of the national legal-person template (reference §2 + 行政相对人类别), as suppliers export them.
LEGAL_HEADERS = [
    "行政相对人名称",
    "行政相对人类别",
    "行政相对人代码_1（统一社会信用代码）",
    "行政相对人代码_2(工商注册号)",
    "行政相对人代码_3(组织机构代码)",
    "行政相对人代码_4(税务登记号)",
    "行政相对人代码_5(事业单位证书号)",
    "行政相对人代码_6(社会组织登记证号)",
    "法定代表人",
    "法定代表人身份证号",
    "行政处罚决定书文号",
    "违法行为类型",
    "违法事实",
    "处罚依据",
    "处罚类别",
    "处罚内容",
    "罚款金额(万元)",
    "没收违法所得、没收非法财物的金额(万元)",
    "暂扣或吊销证照名称及编号",
    "处罚决定日期",
    "处罚有效期",
    "公示截止期",
    "处罚机关",
    "处罚机关统一社会信用代码",
    "数据来源单位",
    "数据来源单位统一社会信用代码",
    "备注",
]
NATURAL_HEADERS = ["行政相对人名称", "证件类型", "证件号码", *LEGAL_HEADERS[10:]]


def legal_row(name: str, uscc: str, authority_uscc: str, **cells: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "行政相对人名称": name,
        "行政相对人类别": "法人",
        "行政相对人代码_1（统一社会信用代码）": uscc,
        "行政处罚决定书文号": "宁市监罚〔2025〕12号",
        "违法行为类型": "未按规定支付中小企业款项",
        "违法事实": "经查，当事人未按合同约定支付中小企业款项",
        "处罚依据": "《保障中小企业款项支付条例》第九条",
        "处罚类别": "罚款",
        "处罚内容": "罚款人民币2万元",
        "罚款金额(万元)": "2",
        "处罚决定日期": "2025-06-02",
        "处罚有效期": "2026-06-02",
        "处罚机关": "南京市市场监督管理局",
        "处罚机关统一社会信用代码": authority_uscc,
        "数据来源单位": "南京市市场监督管理局",
        "数据来源单位统一社会信用代码": authority_uscc,
    }
    row.update(cells)
    return row


def write_csv(path: Path, headers: list[str], rows: list[dict[str, Any]], *, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, headers: list[str], rows: list[dict[str, Any]]) -> Path:
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, headers)
    for i, row in enumerate(rows, start=1):
        for j, header in enumerate(headers):
            value = row.get(header, "")
            if value != "":
                sheet.write(i, j, value)
    book.close()
    return path


def run(path: Path, kind: str, supplier: str, *, strict: bool = False, actor: Any = SYSTEM) -> ImportBatch:
    batch = ingest_start(
        actor=actor, kind=kind, source=path, file_name=path.name, supplier_code=supplier, strict=strict
    )
    return ingest_run(batch)


def errors_of(batch: ImportBatch) -> list[tuple[int, str, str]]:
    """(row, column header, reason) of every rejected cell, in row order."""
    return list(
        ImportRowError.objects.filter(batch=batch)
        .order_by("row_number", "pk")
        .values_list("row_number", "column", "reason")
    )
