"""Login log: one LoginLog row per login, failed or refused attempt, and logout, from Django's auth signals."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext as _

from govtrust.accounts.login_throttle import refusal_reason, username_key
from govtrust.accounts.models import LoginLog
from govtrust.accounts.request_info import client_ip, user_agent


def write_login_log(
    *, event: str, username: str, request: HttpRequest | None, user_pk: int | None, success: bool, reason: str = ""
) -> LoginLog:
    username = (username or "")[:150]
    return LoginLog.objects.create(
        event=event,
        username=username,
        username_key=username_key(username),
        user_pk=user_pk,
        ip=client_ip(request),
        user_agent=user_agent(request),
        success=success,
        reason=reason[:200],
    )


@receiver(user_logged_in, dispatch_uid="govtrust.accounts.login")
def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    write_login_log(
        event=LoginLog.Event.LOGIN, username=user.get_username(), request=request, user_pk=user.pk, success=True
    )


@receiver(user_logged_out, dispatch_uid="govtrust.accounts.logout")
def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    write_login_log(
        event=LoginLog.Event.LOGOUT, username=user.get_username(), request=request, user_pk=user.pk, success=True
    )


@receiver(user_login_failed, dispatch_uid="govtrust.accounts.login_failed")
def on_login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kw: Any) -> None:
    User = get_user_model()
    username = str(credentials.get(User.USERNAME_FIELD) or credentials.get("username") or "")
    refused = refusal_reason.get()
    refusal_reason.set(None)
    user = User.objects.filter(**{User.USERNAME_FIELD: username}).only("pk", "is_active").first() if username else None
    if refused:
        event, reason = LoginLog.Event.REFUSED, refused
    elif user is not None and not user.is_active:
        event, reason = LoginLog.Event.FAILED, _("账号已停用")
    elif user is None:
        event, reason = LoginLog.Event.FAILED, _("用户名不存在")
    else:
        event, reason = LoginLog.Event.FAILED, _("密码错误")
    if request is not None and refused:
        # The login form reads this to say why, instead of the generic "wrong username or password".
        request.login_refusal = refused  # type: ignore[attr-defined]
    write_login_log(
        event=event, username=username, request=request, user_pk=user.pk if user else None, success=False, reason=reason
    )
