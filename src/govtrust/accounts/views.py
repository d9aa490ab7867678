"""Console pages for operators holding `api_client.manage`: list and create API clients, issue and revoke tokens."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govtrust.accounts import services
from govtrust.accounts.forms import ApiClientForm, ApiTokenIssueForm
from govtrust.accounts.models import ApiClient, ApiToken


def require_action(action: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Logged in, and some role grants `action` (any scope); otherwise the login page or 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.data_scope(action) is None:  # type: ignore[union-attr]
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _clients(request: HttpRequest) -> Any:
    return ApiClient.objects.visible_to(request.user).select_related("agency")


@require_action("api_client.manage")
def api_client_list(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/api_client_list.html", {"clients": _clients(request)})


@require_action("api_client.manage")
def api_client_create(request: HttpRequest) -> HttpResponse:
    form = ApiClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.api_client_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("已创建接口客户端“%(name)s”。") % {"name": client.name})
            return redirect("accounts:api_client_detail", pk=client.pk)
    return render(request, "accounts/api_client_form.html", {"form": form})


def _detail(request: HttpRequest, client: ApiClient, *, plaintext: str = "", status: int = 200) -> HttpResponse:
    response = render(
        request,
        "accounts/api_client_detail.html",
        {"client": client, "tokens": client.tokens.all(), "issue_form": ApiTokenIssueForm(), "plaintext": plaintext},
        status=status,
    )
    if plaintext:
        response["Cache-Control"] = "no-store"  # the one page that shows a token must not be cached anywhere
    return response


@require_action("api_client.manage")
def api_client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_object_or_404(_clients(request), pk=pk))


@require_POST
@require_action("api_client.manage")
def api_token_issue(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(_clients(request), pk=pk)
    form = ApiTokenIssueForm(request.POST)
    if not form.is_valid():
        return _detail(request, client, status=400)
    plaintext, _token = services.api_token_issue(actor=request.user, client=client, expires_at=form.expires_at())
    # Rendered, not redirected: the plaintext must never travel in a URL or sit in the session.
    return _detail(request, client, plaintext=plaintext)


@require_POST
@require_action("api_client.manage")
def api_token_revoke(request: HttpRequest, pk: int, token_pk: int) -> HttpResponse:
    client = get_object_or_404(_clients(request), pk=pk)
    token = get_object_or_404(ApiToken, pk=token_pk, client=client)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("已吊销令牌 gt_%(prefix)s_…。") % {"prefix": token.prefix})
    return redirect("accounts:api_client_detail", pk=client.pk)
