"""Login-failure handling: refuse further attempts for a username (or from an address) after too many failures.

The rule itself is `policy.locked_until`; this module reads the LoginLog rows it needs and plugs the
check into Django's authentication as the first backend, so every `authenticate()` call — the
console login form, the admin login, tests — is throttled the same way.
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import ngettext

from govtrust.accounts.models import LoginLog
from govtrust.accounts.policy import LoginThrottle, locked_until
from govtrust.accounts.request_info import client_ip

# Set by the backend when it refuses an attempt, read by the user_login_failed receiver (which must
# log "refused", not "failed") and by the login form (which shows the reason instead of "wrong password").
refusal_reason: ContextVar[str | None] = ContextVar("govtrust_login_refusal", default=None)

RESET_EVENTS = (LoginLog.Event.LOGIN, LoginLog.Event.UNLOCKED)


def username_key(username: str) -> str:
    return (username or "").strip().lower()[:150]


def username_rule() -> LoginThrottle:
    return LoginThrottle(
        limit=settings.GOVTRUST_LOGIN_FAILURE_LIMIT,
        window=timedelta(seconds=settings.GOVTRUST_LOGIN_FAILURE_WINDOW_SECONDS),
        lockout=timedelta(seconds=settings.GOVTRUST_LOGIN_LOCKOUT_SECONDS),
    )


def ip_rule() -> LoginThrottle:
    return LoginThrottle(
        limit=settings.GOVTRUST_LOGIN_IP_FAILURE_LIMIT,
        window=timedelta(seconds=settings.GOVTRUST_LOGIN_FAILURE_WINDOW_SECONDS),
        lockout=timedelta(seconds=settings.GOVTRUST_LOGIN_LOCKOUT_SECONDS),
    )


def _recent(qs: Any, rule: LoginThrottle, now: datetime) -> list[tuple[datetime, str]]:
    # Only rows young enough to matter, newest first, at most `limit` + 1: one indexed range scan.
    since = now - rule.window - rule.lockout
    return list(
        qs.filter(time__gte=since, time__lte=now)
        .order_by("-time", "-id")
        .values_list("time", "event")[: rule.limit + 1]
    )


def _minutes(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


def login_refusal(username: str, ip: str | None, *, now: datetime | None = None) -> str | None:
    """The Chinese message to show when this attempt must be refused without checking the password."""
    now = now or timezone.now()
    rule = username_rule()
    key = username_key(username)
    if key:
        events = _recent(
            LoginLog.objects.filter(username_key=key, event__in=[LoginLog.Event.FAILED, *RESET_EVENTS]), rule, now
        )
        until = locked_until(events, rule=rule)
        if until and until > now:
            minutes = _minutes(until, now)
            return ngettext(
                "登录失败次数过多，该账号已暂时锁定，请 %(minutes)d 分钟后再试。",
                "登录失败次数过多，该账号已暂时锁定，请 %(minutes)d 分钟后再试。",
                minutes,
            ) % {"minutes": minutes}
    if ip:
        # Only failures count per address: a valid login from a shared NAT must not reset an attack.
        rule = ip_rule()
        events = _recent(LoginLog.objects.filter(ip=ip, event=LoginLog.Event.FAILED), rule, now)
        until = locked_until(events, rule=rule)
        if until and until > now:
            minutes = _minutes(until, now)
            return ngettext(
                "该地址登录失败次数过多，请 %(minutes)d 分钟后再试。",
                "该地址登录失败次数过多，请 %(minutes)d 分钟后再试。",
                minutes,
            ) % {"minutes": minutes}
    return None


class LoginThrottleBackend:
    """First in AUTHENTICATION_BACKENDS: refuses a locked username or address before any password check.

    Raising PermissionDenied stops `authenticate()` from trying the other backends, and Django then
    sends `user_login_failed`, which our receiver logs as a refused attempt. It deliberately has no
    `get_user`: it never logs anyone in, and without it Django (and `Client.force_login`) never
    records it as a session's backend.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None, **kwargs: Any) -> None:
        refusal_reason.set(None)
        if username is None:
            return
        message = login_refusal(username, client_ip(request))
        if message:
            refusal_reason.set(message)
            raise PermissionDenied(message)
        return
