"""Push API for supplier systems (mounted at /api/records/): `POST /api/records/push`.

One machinery: the JSON rows are written as a JSON Lines file and go through the same `ingest_start` /
`ingest_run` as an uploaded file (same validation, duplicates, staging, publication, audit and batch page).
The call runs the batch synchronously, so it is capped at `PUSH_MAX_ROWS` rows (413 beyond).

The supplier is the API client's body; a client bound to no body is refused (403). The same payload sent
again (same kind, same rows in the same order → same SHA-256 of the JSON Lines file) is recognised once
published: nothing changes and the answer carries `"duplicate": true` and the first batch's figures.
"""

from __future__ import annotations

import io
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from govtrust.accounts.api_auth import ApiTokenAuth
from govtrust.core.ingest.services import ingest_run, ingest_start
from govtrust.core.models import ImportBatch, ImportRowError
from govtrust.records.formats.base import API_FILE_PREFIX

PUSH_MAX_ROWS = 5000
PUSH_SCOPE = "records.ingest"
RECORD_KIND_PREFIX = "records."  # the scope covers credit records only, not e.g. registry kinds

router = Router(tags=["records"])

_EXAMPLE_ROW = {
    "行政相对人名称": "南京市玄武区教育局",
    "行政相对人类别": "02",
    "行政相对人代码_1(统一社会信用代码)": "1132010200000006XA",
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
    "处罚机关统一社会信用代码": "11320100000005012Q",
    "数据来源单位": "南京市市场监督管理局",
    "数据来源单位统一社会信用代码": "11320100000005012Q",
    "操作类型": "新增",
}


class PushIn(Schema):
    kind: str = Field(
        ...,
        description="导入类型，如 records.penalty_legal_person、records.penalty_natural_person、records.judgment、"
        "records.defaulter、records.discipline、records.accountability、records.commendation",
        examples=["records.penalty_legal_person"],
    )
    rows: list[dict[str, Any]] = Field(
        ...,
        description=f"记录行（至多{PUSH_MAX_ROWS}行）：键为模板表头（中文）或列代码，值为文本、数字或布尔值",
        examples=[[_EXAMPLE_ROW]],
    )
    strict: bool = Field(False, description="严格模式：任一行有错则整批不入库")


class RowErrorOut(Schema):
    row: int = Field(..., description="出错的行（rows 中的序号，从1开始）")
    column: str = Field(..., description="出错的列（模板表头）；整行错误为空")
    value: str = Field(..., description="出错的值（证件号码已脱敏）")
    reason: str = Field(..., description="原因")


class PushOut(Schema):
    batch: str = Field(..., description="批次号，可在工作台“归集批次”页面查看", examples=["GJ-20260301-0001"])
    status: str = Field(..., description="published 已入库、rejected 严格模式整批拒收、refused 数据无法读取")
    published: int = Field(..., description="入库（新增、变更、撤销）的行数")
    rejected: list[RowErrorOut] = Field(..., description="每个出错的单元格")
    duplicate: bool = Field(False, description="相同内容此前已报送并入库：本次未作任何改动")
    message: str = Field("", description="批次说明（如被拒收的原因）")


class ErrorOut(Schema):
    detail: str


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    # Deterministic text (key order as sent), so that the same payload has the same SHA-256.
    lines = (json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _answer(batch: ImportBatch) -> dict[str, Any]:
    errors = ImportRowError.objects.filter(batch=batch).order_by("row_number", "pk")
    return {
        "batch": batch.number,
        "status": batch.status,
        "published": batch.rows_published,
        "rejected": [
            {"row": row, "column": column, "value": value, "reason": reason}
            for row, column, value, reason in errors.values_list("row_number", "column", "value", "reason")
        ],
        "duplicate": bool(getattr(batch, "duplicate", False)),
        "message": batch.message,
    }


@router.post(
    "/push",
    auth=ApiTokenAuth(PUSH_SCOPE),
    response={200: PushOut, 400: ErrorOut, 403: ErrorOut, 413: ErrorOut},
    summary="报送信用记录（推送）",
    description=(
        "供报送单位的业务系统推送信用记录。令牌须有 records.ingest 授权范围，客户端须属于某一单位（即报送单位）。"
        "每行的校验与上传文件相同（见 docs/record-formats.md）；默认有效行入库、错误行逐一返回，"
        f"strict=true 时任一行有错整批不入库。每次至多{PUSH_MAX_ROWS}行。"
        "相同内容重复推送不会重复入库（duplicate=true）。"
    ),
)
def push(request: HttpRequest, payload: PushIn) -> dict[str, Any]:
    client = request.auth  # type: ignore[attr-defined]
    if client.agency_id is None:
        raise HttpError(403, _("该接口客户端未关联报送单位，不能报送数据"))
    if len(payload.rows) > PUSH_MAX_ROWS:
        raise HttpError(
            413, _("每次至多报送%(max)d行，本次%(n)d行，请分批报送") % {"max": PUSH_MAX_ROWS, "n": len(payload.rows)}
        )
    if not payload.kind.startswith(RECORD_KIND_PREFIX):
        raise HttpError(400, _("未知的记录导入类型“%(kind)s”") % {"kind": payload.kind[:100]})
    if not payload.rows:
        raise HttpError(400, _("没有数据行"))
    actor = _ClientActor(client)
    try:
        batch = ingest_start(
            actor=actor,
            kind=payload.kind,
            source=io.BytesIO(_jsonl(payload.rows)),
            file_name=f"{API_FILE_PREFIX}{client.pk}.jsonl",
            supplier_code=client.agency.uscc,
            strict=payload.strict,
        )
    except ValidationError as error:
        raise HttpError(400, " ".join(error.messages)) from None
    if not getattr(batch, "duplicate", False):
        batch = ingest_run(batch)
    return _answer(batch)


class _ClientActor:
    """The API client as the submitter of a batch (the audit row names it; it is no user)."""

    is_authenticated = False

    def __init__(self, client: Any) -> None:
        self.username = f"api:{client.name}"[:150]
