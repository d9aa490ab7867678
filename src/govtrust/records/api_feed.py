"""`GET /api/records/feed/changes`: the change feed of credit records as JSON Lines (docs/sharing.md).

Mounted by govtrust/api.py at /api/records/feed/. API tokens with scope `records.feed`; records about natural
persons only with `records.feed_personal` as well. Rate limited per client by `ApiTokenAuth`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from govtrust.accounts.api_auth import ApiTokenAuth
from govtrust.core.audit import log_access
from govtrust.records import feed

router = Router(tags=["records-feed"])

FEED_SCOPE = "records.feed"
PERSONAL_SCOPE = "records.feed_personal"
CONTENT_TYPE = "application/x-ndjson; charset=utf-8"


class FeedQuery(Schema):
    since: int = Field(0, ge=0, description="游标：上次收到的最后一行的 cursor（或响应头 X-Next-Cursor）；首次为 0")
    limit: int = Field(feed.DEFAULT_LIMIT, ge=1, le=feed.MAX_LIMIT, description="本次最多返回的变更条数")


class FeedChange(Schema):
    """One line of the response (one JSON object per line, UTF-8, `\\n`-terminated)."""

    cursor: int = Field(description="本条变更的游标；断点续传时作为 since")
    change: str = Field(description="created | in_force | corrected | revoked | repaired | expired | covered")
    changed_at: str
    change_version: int = Field(description="本次变更产生的记录版本号")
    number: str = Field(description="来源平台的记录编号")
    natural_key: str = Field(description="业务键：决定书文号|决定机关统一社会信用代码|主体标识")
    record_class: str
    sub_type: str
    severity: str
    subject_kind: str = Field(description="agency | enterprise | civil_servant | person")
    subject_name: str
    subject_uscc: str = Field(description="政府部门、企业的统一社会信用代码")
    subject_id_number: str = Field(description="仅持有 records.feed_personal 的客户端可收到自然人记录及其身份证号码")
    document_number: str
    authority_name: str
    authority_uscc: str
    decision_date: str
    conduct_date: str | None
    facts: str
    basis: str
    content: str
    amount_fine: str | None = Field(description="万元，十进制字符串")
    amount_confiscated: str | None
    extension_years: int | None
    status: str = Field(description="received | in_force | publicity_ended | repaired | revoked（送出时的当前状态）")
    status_reason: str
    status_reference: str
    publish: bool
    publicity_start: str
    publicity_min_end: str | None
    publicity_max_end: str | None
    rule_key: str
    rule_version: str
    rule_provisional: bool
    covered: bool
    version: int = Field(description="送出时记录的当前版本号")
    supplier_uscc: str
    supplier_name: str
    batch_number: str
    source: str
    source_row: int | None
    source_ref: str
    created_at: str
    updated_at: str


DESCRIPTION = """信用记录变更订阅（JSON Lines，`application/x-ndjson`）。

每行一个 JSON 对象（见 FeedChange），按游标升序。响应头 `X-Next-Cursor` 是下次请求的 `since`，
`X-Has-More: true` 表示还有未取完的变更，应立即继续请求。中途断开时，以收到的最后一行的 `cursor` 作为
`since` 重新请求即可，不会遗漏也不会重复。每行内容是送出时记录的最新状态，按顺序应用即与本平台一致。
不持有 `records.feed_personal` 授权的客户端收不到公务员、自然人的记录（整条不送，游标照常前进）。

错误：401 令牌缺失或无效；403 客户端无 `records.feed` 授权；429 超过频率限制（见 Retry-After）。"""


@router.get(
    "/changes",
    auth=ApiTokenAuth(FEED_SCOPE),
    url_name="records_feed_changes",
    summary="信用记录变更（JSON Lines，可断点续传）",
    description=DESCRIPTION,
    openapi_extra={
        "responses": {
            200: {
                "description": "每行一条变更",
                "headers": {
                    "X-Next-Cursor": {"schema": {"type": "integer"}, "description": "下次请求的 since"},
                    "X-Has-More": {"schema": {"type": "string", "enum": ["true", "false"]}},
                },
                "content": {"application/x-ndjson": {"schema": FeedChange.model_json_schema()}},
            }
        }
    },
)
def changes(request: HttpRequest, query: Query[FeedQuery]) -> StreamingHttpResponse:
    client = request.auth  # type: ignore[attr-defined]
    personal = PERSONAL_SCOPE in (client.scopes or [])
    try:
        page = feed.feed_read(since=query.since, limit=query.limit, personal=personal)
    except ValueError as exc:  # pragma: no cover - FeedQuery already bounds the values
        raise HttpError(400, str(exc)) from exc
    personal_served = [c for c in page.changes if c.personal]
    if personal_served:
        log_access(
            actor=None,
            subject_type="records.creditrecord",
            subject_repr=f"api_client:{client.name}",
            purpose="records.feed",
            detail={"client": client.pk, "records": sorted({c.record_id for c in personal_served})[:1000]},
        )

    def lines() -> Iterator[bytes]:
        for change in page.changes:
            line = feed.change_line(change, personal=personal)
            yield (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

    response = StreamingHttpResponse(lines(), content_type=CONTENT_TYPE)
    response["X-Next-Cursor"] = str(page.next_cursor)
    response["X-Has-More"] = "true" if page.has_more else "false"
    response["Cache-Control"] = "no-store"
    return response
