from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
