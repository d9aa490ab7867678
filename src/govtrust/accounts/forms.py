from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govtrust.accounts.permissions import API_SCOPES
from govtrust.registry.models import Agency


class LockoutMessageMixin:
    """Say "locked, try again in N minutes" instead of "wrong password" when the throttle refused the attempt."""

    request: Any

    def get_invalid_login_error(self) -> ValidationError:
        refused = getattr(self.request, "login_refusal", None)
        if refused:
            return ValidationError(refused, code="locked")
        return super().get_invalid_login_error()  # type: ignore[misc]


class LoginForm(LockoutMessageMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockoutMessageMixin, AdminAuthenticationForm):
    pass


class ApiClientForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    agency = forms.ModelChoiceField(label=_("所属单位"), queryset=Agency.objects.all(), required=False)
    scopes = forms.MultipleChoiceField(
        label=_("授权范围"), choices=list(API_SCOPES.items()), widget=forms.CheckboxSelectMultiple, required=False
    )
    rate_limit_per_minute = forms.IntegerField(label=_("每分钟请求上限"), min_value=1, max_value=100_000, initial=60)


class ApiTokenIssueForm(forms.Form):
    VALIDITY = [("90", _("90 天")), ("30", _("30 天")), ("365", _("一年")), ("", _("长期有效"))]

    valid_days = forms.ChoiceField(label=_("有效期"), choices=VALIDITY, required=False, initial="90")

    def expires_at(self) -> Any:
        days = self.cleaned_data.get("valid_days")
        return timezone.now() + timedelta(days=int(days)) if days else None
