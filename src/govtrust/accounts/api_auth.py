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

import hmac
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.security.http import HttpAuthBase

from govtrust.accounts.models import ApiClient, ApiToken
from govtrust.accounts.ratelimit import rate_limit_take
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
        api_token = None
        if parsed is not None:
            api_token = ApiToken.objects.select_related("client").filter(prefix=parsed[0]).first()
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
        decision = rate_limit_take(key=f"api_client:{client.pk}", capacity=client.rate_limit_per_minute)
        if not decision.allowed:
            raise ApiAuthError(
                429,
                _("请求过于频繁，请 %(seconds)d 秒后再试。") % {"seconds": decision.retry_after},
                {"Retry-After": str(decision.retry_after)},
            )
        _touch(api_token, now)
        request.api_token = api_token  # type: ignore[attr-defined]
        return client


def _touch(api_token: ApiToken, now: Any) -> None:
    """Record last use at most once a minute: a busy client must not turn every call into two writes."""
    if api_token.last_used_at is not None and now - api_token.last_used_at < LAST_USED_GRANULARITY:
        return
    ApiToken.objects.filter(pk=api_token.pk).exclude(last_used_at__gte=now - LAST_USED_GRANULARITY).update(
        last_used_at=now
    )
    api_token.last_used_at = now
