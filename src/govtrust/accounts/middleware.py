"""Operation log: one OperationLog row per write request, and per API read.

Place it right after AuthenticationMiddleware (it needs request.user and, from RequestIdMiddleware,
request.id). Logged: every request whose method is not GET/HEAD/OPTIONS, plus GET/HEAD requests under
/api/ (machine reads are what rate limits and scopes are about). Not logged: the public portal's and
the console's page views, static files, and the OpenAPI docs. One INSERT per logged request.

A view that stores its own writes can store the row in the same transaction (one commit instead of two):
`operation_log_row_for_view(request)` gives the row, the view passes it to its service, and once that
transaction has committed `operation_log_taken(request)` tells the middleware it is written. If the view
fails instead, the middleware still logs the request with its error status.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from govtrust.accounts.models import ApiClient, OperationLog
from govtrust.accounts.request_info import client_ip
from govtrust.core.ingest.bulk import insert_one

logger = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX = "/api/"
NOT_LOGGED_API_PATHS = ("/api/docs", "/api/openapi.json")


def should_log(request: HttpRequest) -> bool:
    if request.method not in READ_METHODS:
        return True
    return (
        request.method != "OPTIONS"
        and request.path.startswith(API_PREFIX)
        and not request.path.startswith(NOT_LOGGED_API_PATHS)
    )


def business_type(request: HttpRequest) -> str:
    """`<namespace>.<url name>` of the view that answered, e.g. "registry.agency_create", "api.whoami"."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    name = match.url_name or match.func.__name__
    namespace = match.namespace.replace(":", ".")
    return f"{namespace}.{name}" if namespace else name


class OperationLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not should_log(request):
            return self.get_response(request)
        started = time.perf_counter()
        request._operation_log_started = started  # type: ignore[attr-defined]
        # Who was logged in before the view ran: a logout view replaces request.user with AnonymousUser.
        # Without a session cookie nobody is logged in, and a machine call (bearer token) must not pay for
        # loading a session it does not have.
        before = request.user if self._may_have_user(request) else None
        before_user = before if before is not None and before.is_authenticated else None
        response = self.get_response(request)
        if getattr(request, "_operation_logged", False):
            return response  # the view stored the row in its own transaction
        duration_ms = round((time.perf_counter() - started) * 1000)
        try:
            self._write(request, response, duration_ms, before_user)
        except Exception:
            # Losing one operation-log row must not turn a successful request into an error page.
            logger.exception("operation log write failed for %s %s", request.method, request.path)
        return response

    @staticmethod
    def _may_have_user(request: HttpRequest) -> bool:
        return (
            request.method not in READ_METHODS
            and hasattr(request, "user")
            and settings.SESSION_COOKIE_NAME in request.COOKIES
        )

    def _write(self, request: HttpRequest, response: HttpResponse, duration_ms: int, before_user: Any) -> None:
        # One row per API call: the plain INSERT costs a tenth of the ORM's `create` (no signals on this model).
        insert_one(operation_log_row(request, response.status_code, duration_ms, before_user))


def operation_log_row(
    request: HttpRequest, status_code: int, duration_ms: int, before_user: Any = None
) -> OperationLog:
    client = getattr(request, "auth", None)  # set by ninja auth: an ApiClient for token callers
    user_pk, user_name, client_pk = None, "", None
    if isinstance(client, ApiClient):  # a token call: the client is who acted (and no session is loaded)
        client_pk, user_name = client.pk, f"api:{client.name}"
    else:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            user = before_user
        if user is not None:
            user_pk, user_name = user.pk, user.get_username()
    return OperationLog(
        user_pk=user_pk,
        user_name=user_name[:150],
        api_client_pk=client_pk,
        business_type=business_type(request)[:150],
        method=(request.method or "")[:10],
        path=request.path[:500],
        status_code=status_code,
        success=status_code < 400,
        duration_ms=duration_ms,
        request_id=getattr(request, "id", None),
        ip=client_ip(request),
    )


def operation_log_row_for_view(request: HttpRequest, status_code: int = 200) -> OperationLog | None:
    """The operation-log row of a request still being answered, for a view to store in its own transaction
    (duration so far); None when the middleware does not log this request."""
    started = getattr(request, "_operation_log_started", None)
    if started is None:
        return None
    return operation_log_row(request, status_code, round((time.perf_counter() - started) * 1000))


def operation_log_taken(request: HttpRequest) -> None:
    """The view's transaction, which stored the row, has committed: the middleware must not log it again."""
    request._operation_logged = True  # type: ignore[attr-defined]
