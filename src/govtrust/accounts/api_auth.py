"""Bearer-token authentication for machine callers, with scope check and the shared rate limit.

    from govtrust.accounts.api_auth import ApiTokenAuth
    @router.get("/things", auth=ApiTokenAuth("registry.read"))
    def things(request): client = request.auth  # the ApiClient

Outcomes: 401 (no, malformed, unknown, revoked or expired token; inactive client), 403 (token valid
but the client lacks the scope), 429 with Retry-After (over the client's rate limit). The messages are
Chinese (translated with the request's language); the 429 and 401 headers need
`install_api_error_handlers(api)` on the NinjaAPI.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from datetime import timedelta
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.security.http import HttpAuthBase

from govtrust.accounts.models import ApiClient, ApiToken
from govtrust.accounts.ratelimit import rate_limit_take_leased
from govtrust.accounts.services import hash_token

LAST_USED_GRANULARITY = timedelta(minutes=1)


class ApiAuthError(HttpError):
    """An authentication outcome other than success, with the headers its response must carry."""

    def __init__(self, status_code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code, message)
        self.headers = headers or {}


def _unauthorized(message: str) -> ApiAuthError:
    return ApiAuthError(401, message, {"WWW-Authenticate": 'Bearer realm="govtrust"'})


def install_api_error_handlers(api: NinjaAPI) -> None:
    """Render ApiAuthError as {"detail": …} with its status and headers (Retry-After, WWW-Authenticate)."""

    def handler(request: HttpRequest, exc: Any) -> HttpResponse:
        response = api.create_response(request, {"detail": exc.message}, status=exc.status_code)
        for name, value in exc.headers.items():
            response[name] = value
        return response

    api.add_exception_handler(ApiAuthError, handler)


def parse_token(raw: str) -> tuple[str, str] | None:
    """`gt_<prefix>_<secret>` → (prefix, whole token); None if it does not have that shape."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != "gt" or len(parts[1]) != 8 or not parts[2]:
        return None
    return parts[1], raw


class ApiTokenAuth(HttpAuthBase):
    """`Authorization: Bearer gt_…` for an active ApiClient holding `scope`; `request.auth` becomes the client."""

    openapi_scheme = "bearer"

    def __init__(self, scope: str | None) -> None:
        # None: any active client may call (e.g. /whoami); otherwise the scope must be in client.scopes.
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> ApiClient:
        header = request.headers.get("Authorization", "")
        scheme, _sep, raw = header.partition(" ")
        if not header:
            raise _unauthorized(_("缺少访问令牌，请在 Authorization 头中提供 Bearer 令牌。"))
        if scheme.lower() != "bearer" or not raw.strip():
            raise _unauthorized(_("Authorization 头格式错误，应为“Bearer 令牌”。"))
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient:
        parsed = parse_token(token)
        api_token = _token_by_prefix(parsed[0]) if parsed is not None else None
        # Constant-time comparison of the digests; an unknown prefix still costs a hash.
        digest = hash_token(token)
        if api_token is None or not hmac.compare_digest(digest, api_token.token_hash):
            raise _unauthorized(_("访问令牌无效。"))
        now = timezone.now()
        if api_token.revoked_at is not None:
            raise _unauthorized(_("访问令牌已被吊销。"))
        if api_token.expires_at is not None and api_token.expires_at <= now:
            raise _unauthorized(_("访问令牌已过期。"))
        client = api_token.client
        if not client.active:
            raise _unauthorized(_("接口客户端已停用。"))
        if self.scope is not None and self.scope not in client.scopes:
            raise ApiAuthError(403, _("该客户端无权调用此接口（需要授权范围 %(scope)s）。") % {"scope": self.scope})
        decision = rate_limit_take_leased(key=f"api_client:{client.pk}", capacity=client.rate_limit_per_minute)
        if not decision.allowed:
            raise ApiAuthError(
                429,
                _("请求过于频繁，请 %(seconds)d 秒后再试。") % {"seconds": decision.retry_after},
                {"Retry-After": str(decision.retry_after)},
            )
        _touch(api_token, now)
        request.api_token = api_token  # type: ignore[attr-defined]
        return client


_TOKEN_FIELDS = ("id", "client_id", "prefix", "token_hash", "expires_at", "revoked_at", "last_used_at")
_CLIENT_FIELDS = ("id", "name", "agency_id", "scopes", "rate_limit_per_minute", "active")


def _datetime(value: Any) -> Any:
    # SQLite gives naive UTC datetimes (or text), PostgreSQL aware ones — what Django's converters undo.
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, dt.UTC)
    return value


def _token_by_prefix(prefix: str) -> ApiToken | None:
    """The token with this prefix and its client, in one plain query: every API call runs this, and building
    the ORM query (select_related) cost more than the look-up itself. Fields not selected stay deferred."""
    quote = connection.ops.quote_name
    columns = [f"t.{quote(name)}" for name in _TOKEN_FIELDS] + [f"c.{quote(name)}" for name in _CLIENT_FIELDS]
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(ApiToken._meta.db_table)} t "  # noqa: S608
        f"JOIN {quote(ApiClient._meta.db_table)} c ON c.id = t.client_id WHERE t.prefix = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    token_values = list(row[: len(_TOKEN_FIELDS)])
    token_values[4:7] = [_datetime(v) for v in token_values[4:7]]
    client_values = list(row[len(_TOKEN_FIELDS) :])
    scopes = client_values[3]
    client_values[3] = json.loads(scopes) if isinstance(scopes, str) else scopes
    client_values[5] = bool(client_values[5])
    api_token = ApiToken.from_db(connection.alias, list(_TOKEN_FIELDS), token_values)
    api_token.client = ApiClient.from_db(connection.alias, list(_CLIENT_FIELDS), client_values)
    return api_token


def _touch(api_token: ApiToken, now: Any) -> None:
    """Record last use at most once a minute: a busy client must not turn every call into two writes."""
    if api_token.last_used_at is not None and now - api_token.last_used_at < LAST_USED_GRANULARITY:
        return
    ApiToken.objects.filter(pk=api_token.pk).exclude(last_used_at__gte=now - LAST_USED_GRANULARITY).update(
        last_used_at=now
    )
    api_token.last_used_at = now
