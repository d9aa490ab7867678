"""The platform's CSP middleware builds the settings' policy once and still honours nonces and exemptions."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from govtrust.core.middleware import CSPMiddleware

HEADER = "Content-Security-Policy"


def _respond(request, response=None):  # type: ignore[no-untyped-def]
    middleware = CSPMiddleware(lambda r: response or HttpResponse("ok"))
    return middleware(request)


def test_a_plain_response_gets_the_settings_policy():
    response = _respond(RequestFactory().get("/"))
    policy = response[HEADER]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "nonce-" not in policy
    assert _respond(RequestFactory().get("/other/"))[HEADER] == policy


def test_a_response_with_its_own_policy_keeps_it():
    own = HttpResponse("{}")
    own[HEADER] = "default-src 'none'"
    assert _respond(RequestFactory().get("/api/x"), own)[HEADER] == "default-src 'none'"


def test_an_exempt_response_gets_no_policy():
    exempt = HttpResponse("x")
    exempt._csp_exempt = True  # type: ignore[attr-defined]
    assert HEADER not in _respond(RequestFactory().get("/"), exempt)


def test_every_case_gives_the_header_the_library_itself_gives():
    import csp.middleware

    def page_using_a_nonce(r):  # type: ignore[no-untyped-def]
        return HttpResponse(str(r.csp_nonce))  # a template reading {{ request.csp_nonce }}

    def page_with_an_update(r):  # type: ignore[no-untyped-def]
        response = HttpResponse("x")
        response._csp_update = {"img-src": ["https://tiles.example.cn"]}  # type: ignore[attr-defined]
        return response

    for view in (lambda r: HttpResponse("x"), page_using_a_nonce, page_with_an_update):
        ours = CSPMiddleware(view)(RequestFactory().get("/"))
        library = csp.middleware.CSPMiddleware(view)(RequestFactory().get("/"))
        assert ours[HEADER] == library[HEADER]
    assert "tiles.example.cn" in CSPMiddleware(page_with_an_update)(RequestFactory().get("/"))[HEADER]


def test_asking_for_a_nonce_after_the_header_is_written_is_an_error():
    request = RequestFactory().get("/")
    _respond(request)
    with pytest.raises(Exception, match="csp_nonce"):
        str(request.csp_nonce)
