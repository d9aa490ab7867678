"""Who is on the other end of a request: client IP and user agent, for the login and operation logs."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    """REMOTE_ADDR, or the address our own reverse proxies saw when GOVTRUST_TRUSTED_PROXIES > 0.

    X-Forwarded-For is only believed for as many hops as there are proxies we run: anything further
    left was written by the client, and trusting it would let one attacker lock out any address.
    """
    if request is None:
        return None
    proxies = int(getattr(settings, "GOVTRUST_TRUSTED_PROXIES", 0))
    if proxies > 0:
        hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return _valid_ip(hops[-proxies])
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


def user_agent(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return request.META.get("HTTP_USER_AGENT", "")[:300]
