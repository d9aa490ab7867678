from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from govtrust.core.context import reset_request_id, set_request_id


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
