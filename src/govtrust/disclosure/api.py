"""Open data API (mounted at /api/opendata/): published records, paginated, with ETag / If-None-Match.

Access: an API client token with scope `opendata.read` (`Authorization: Bearer gt_…`), rate-limited per client by
the foundation's token bucket (`ApiClient.rate_limit_per_minute`). Without an Authorization header the API is
open to anyone at a low rate per client address (GOVTRUST_OPENDATA_ANON_PER_MINUTE, default 30): the data are
public by law, and a citizen or journalist should not need an account to read them. A header that is present but
wrong is refused (401), never downgraded to anonymous.

Filters (region, class, date range, body USCC, text) and the ordering only narrow `published.public_records()`;
no parameter can name a record that is not published. A 304 costs the same query as a 200 (the ETag is the hash
of the page as it would be sent) but not the transfer.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.security.http import HttpAuthBase

from govtrust.accounts.api_auth import ApiAuthError, ApiTokenAuth
from govtrust.accounts.ratelimit import rate_limit_take
from govtrust.accounts.request_info import client_ip
from govtrust.core.crypto import keyed_hash
from govtrust.disclosure import published as pub

SCOPE = "opendata.read"
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000


class AnonymousReader:
    """`request.auth` for a call without a token (truthy, so ninja accepts it)."""

    is_anonymous_reader = True

    def __bool__(self) -> bool:
        return True


def anonymous_per_minute() -> int:
    return int(getattr(settings, "GOVTRUST_OPENDATA_ANON_PER_MINUTE", 30))


class OpenDataAuth(HttpAuthBase):
    """A client token with `opendata.read` if one is sent; otherwise the anonymous per-address bucket."""

    openapi_scheme = "bearer"

    def __init__(self) -> None:
        self.token_auth = ApiTokenAuth(SCOPE)
        super().__init__()

    def __call__(self, request: HttpRequest) -> Any:
        if request.headers.get("Authorization"):
            return self.token_auth(request)
        ip = client_ip(request) or "unknown"
        capacity = anonymous_per_minute()
        decision = rate_limit_take(key=f"opendata_anon:{keyed_hash('anon:' + ip)[:40]}", capacity=capacity)
        if not decision.allowed:
            raise ApiAuthError(
                429,
                _("匿名访问过于频繁，请 %(seconds)d 秒后再试，或申请开放数据接口令牌。")
                % {"seconds": decision.retry_after},
                {"Retry-After": str(decision.retry_after)},
            )
        return AnonymousReader()


router = Router(tags=["opendata"], auth=OpenDataAuth())


class RecordOut(Schema):
    number: str = Field(..., description="记录编号", examples=["XY2026000123"])
    body_name: str = Field(..., description="主体（政府部门）名称")
    body_uscc: str = Field(..., description="主体统一社会信用代码")
    region_code: str = Field(..., description="主体所在行政区划代码")
    region_name: str
    record_class: str = Field(
        ..., description="记录类别代码：judgment 司法判决、defaulter 拒不执行生效判决、penalty 行政处罚等"
    )
    record_class_label: str
    sub_type: str = Field(..., description="子类代码；admin_lawsuit_lost 为行政机关败诉")
    sub_type_label: str
    severity: str
    document_number: str = Field(..., description="决定书文号；行政机关败诉为判决书案号")
    authority_name: str
    authority_uscc: str
    decision_date: str = Field(..., description="决定日期 YYYY-MM-DD")
    conduct_date: str
    facts: str = Field(..., description="事实（自然人姓名、证件号码、电话号码已脱敏）")
    basis: str
    content: str
    amount_fine: str = Field(..., description="罚款金额（万元），无则为空")
    amount_confiscated: str
    publicity_start: str
    publicity_end: str = Field(..., description="公示截止日；空为无固定期限")
    supplier_name: str = Field(..., description="数据提供部门")
    under_objection: bool = Field(..., description="是否异议处理中")


class RecordsPage(Schema):
    count: int = Field(..., description="符合条件的公开记录总数")
    page: int
    page_size: int
    pages: int
    results: list[RecordOut]


class RecordFilters(Schema):
    region: str = Field("", description="行政区划代码（含下级），如 320100", max_length=12)
    record_class: str = Field("", description="记录类别代码", max_length=30)
    sub_type: str = Field("", description="子类代码，如 admin_lawsuit_lost", max_length=30)
    date_from: datetime.date | None = Field(None, description="决定日期起（含）")
    date_to: datetime.date | None = Field(None, description="决定日期止（含）")
    uscc: str = Field("", description="主体统一社会信用代码", max_length=18)
    q: str = Field("", description="主体名称或文号中的文字", max_length=100)
    ordering: str = Field(
        pub.DEFAULT_ORDERING, description="排序：-decision_date（默认）、decision_date、number、-number"
    )
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class ErrorOut(Schema):
    detail: str


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


@router.get(
    "/records",
    response={200: RecordsPage, 304: None, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut},
    summary="公开的政务失信记录（分页）",
    description=(
        "只含政府部门的、在公示期内、未被容错认定覆盖、未修复或撤销的记录；自然人信息已脱敏。"
        "响应带 ETag，请求带 If-None-Match 且内容未变时返回 304。匿名访问按来源地址限流，"
        "持 opendata.read 令牌的客户端按其配额限流。"
    ),
)
def records(request: HttpRequest, filters: Query[RecordFilters]) -> Any:
    try:
        flt = pub.parse_filter(
            {
                "region": filters.region,
                "class": filters.record_class,
                "sub_type": filters.sub_type,
                "date_from": filters.date_from.isoformat() if filters.date_from else "",
                "date_to": filters.date_to.isoformat() if filters.date_to else "",
                "uscc": filters.uscc,
                "q": filters.q,
                "ordering": filters.ordering,
            }
        )
    except pub.FilterError as error:
        raise HttpError(400, str(error)) from error
    qs = pub.filter_public(pub.public_records(), flt)
    count = qs.count()
    size = filters.page_size
    pages = max(1, -(-count // size))
    page = min(filters.page, pages)
    rows = list(qs.values(*pub.PUBLIC_FIELDS)[(page - 1) * size : page * size])
    results = [RecordOut(**v) for v in pub.page_values(rows)]
    data = RecordsPage(count=count, page=page, page_size=size, pages=pages, results=results)
    body = data.model_dump_json().encode("utf-8")
    etag = _etag(body)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    for name, value in headers.items():
        response[name] = value
    return response
