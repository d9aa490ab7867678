"""Operation log: one OperationLog row per write request, and per API read.

Place it right after AuthenticationMiddleware (it needs request.user and, from RequestIdMiddleware,
request.id). Logged: every request whose method is not GET/HEAD/OPTIONS, plus GET/HEAD requests under
/api/ (machine reads are what rate limits and scopes are about). Not logged: the public portal's and
the console's page views, static files, and the OpenAPI docs. One INSERT per logged request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

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
        # Who was logged in before the view ran: a logout view replaces request.user with AnonymousUser.
        before = request.user if request.method not in READ_METHODS and hasattr(request, "user") else None
        before_user = before if before is not None and before.is_authenticated else None
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000)
        try:
            self._write(request, response, duration_ms, before_user)
        except Exception:
            # Losing one operation-log row must not turn a successful request into an error page.
            logger.exception("operation log write failed for %s %s", request.method, request.path)
        return response

    def _write(self, request: HttpRequest, response: HttpResponse, duration_ms: int, before_user: Any) -> None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            user = before_user
        client = getattr(request, "auth", None)  # set by ninja auth: an ApiClient for token callers
        user_pk, user_name, client_pk = None, "", None
        if user is not None:
            user_pk, user_name = user.pk, user.get_username()
        elif isinstance(client, ApiClient):
            client_pk, user_name = client.pk, f"api:{client.name}"
        # One row per API call: the plain INSERT costs a tenth of the ORM's `create` (no signals on this model).
        insert_one(
            OperationLog(
                user_pk=user_pk,
                user_name=user_name[:150],
                api_client_pk=client_pk,
                business_type=business_type(request)[:150],
                method=(request.method or "")[:10],
                path=request.path[:500],
                status_code=response.status_code,
                success=response.status_code < 400,
                duration_ms=duration_ms,
                request_id=getattr(request, "id", None),
                ip=client_ip(request),
            )
        )
