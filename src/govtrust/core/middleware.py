from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import csp.constants
import csp.middleware
import csp.utils
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from govtrust.core.context import reset_request_id, set_request_id


class ServerTimingMiddleware:
    """`Server-Timing: app;dur=<ms>` on every response: the time Django spent on the request, middleware included.

    Outermost in MIDDLEWARE, so it covers everything but the WSGI server itself. Browsers' developer tools show
    it, the portal benchmark reads it (server-side percentiles without the client's queueing), and an operator
    can log it at the proxy. The duration of a public page says nothing its response time did not already say.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        # A streamed response (CSV download) is still being produced: this is the time to its first byte.
        total = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        # A view may have reported its own parts (screening: match, record): keep them, the total goes last.
        own = response.get("Server-Timing")
        response["Server-Timing"] = f"{own}, {total}" if own else total
        return response


class RequestIdMiddleware:
    """Gives every request an id that audit rows carry, so one user action can be traced end to end."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4()
        request.id = request_id  # type: ignore[attr-defined]
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = str(request_id)
        return response


class ChineseByDefaultMiddleware:
    """Serve zh-Hans unless the user picked another language with the switch (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an English-language
    browser in a government office would get English pages; policy wants Chinese by default. Put this
    before LocaleMiddleware: it makes the browser's preference the site default.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META["HTTP_ACCEPT_LANGUAGE"] = settings.LANGUAGE_CODE
        return self.get_response(request)


# A response that customises its policy (django-csp's decorators) or a request whose nonce a template used
# needs the policy built for it; everything else gets the same header.
_PER_RESPONSE_POLICY = tuple(f"_csp_{kind}{ro}" for kind in ("config", "update", "replace") for ro in ("", "_ro"))


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the policy built once per process instead of on every response.

    django-csp 4.0 rebuilds the header from the settings (deep copies included) on every response, even one
    that already carries its own header: ~0.1 ms of every page and ~5% of an API call. The settings' policy
    does not change while the process runs, so the plain case uses the string built on first use; nonces,
    per-view overrides and a report-only policy go through the library unchanged.
    """

    _policy: str | None = None

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:  # type: ignore[override]
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE_POLICY)
            or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            or (settings.DEBUG and response.status_code in (500, 404))
        ):
            return super().process_response(request, response)
        if CSPMiddleware._policy is None:
            CSPMiddleware._policy = csp.utils.build_policy()
        prefixes = tuple((getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
        if (
            CSPMiddleware._policy
            and csp.constants.HEADER not in response
            and not getattr(response, "_csp_exempt", False)
            and not request.path_info.startswith(prefixes)
        ):
            response[csp.constants.HEADER] = CSPMiddleware._policy
        # What the library does last: a nonce asked for after the header is written is an error, not a silent gap.
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
