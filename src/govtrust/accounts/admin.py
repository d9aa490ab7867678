"""Operator admin for accounts. Logs are read-only; token hashes are never editable and tokens are
issued from the console (the plaintext has to be shown once, which the admin cannot do)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from govtrust.accounts import services
from govtrust.accounts.forms import AdminLoginForm
from govtrust.accounts.models import ApiClient, ApiToken, LoginLog, OperationLog, Role, User
from govtrust.accounts.policy import validate_api_scopes, validate_grants

# The admin login is throttled like the console's; this only makes it say why.
admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "agency", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "roles")
    search_fields = ("username", "display_name", "email", "agency__name")
    raw_id_fields = ("agency",)  # no dependency on how registry registers Agency
    filter_horizontal = ("roles", "groups", "user_permissions")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("单位与角色"), {"fields": ("display_name", "agency", "roles")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("单位与角色"), {"fields": ("display_name", "agency", "roles")}),
    )


class RoleAdminForm(ModelForm):
    class Meta:
        model = Role
        fields = ("code", "name", "description", "grants")

    def clean_grants(self) -> dict[str, str]:
        return validate_grants(self.cleaned_data["grants"])


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    form = RoleAdminForm
    list_display = ("code", "name")
    search_fields = ("code", "name")

    def save_model(self, request: HttpRequest, obj: Role, form: Any, change: bool) -> None:
        if change and "grants" in form.changed_data:
            # Grants changes go through the audited service; other fields are labels.
            grants = obj.grants
            obj.grants = Role.objects.get(pk=obj.pk).grants
            super().save_model(request, obj, form, change)
            services.role_update_grants(actor=request.user, role=obj, grants=grants)
        else:
            super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LoginLog)
class LoginLogAdmin(ReadOnlyAdmin):
    list_display = ("time", "event", "username", "user_pk", "ip", "success", "reason")
    list_filter = ("event", "success")
    search_fields = ("username", "ip")
    date_hierarchy = "time"


@admin.register(OperationLog)
class OperationLogAdmin(ReadOnlyAdmin):
    list_display = ("time", "user_name", "business_type", "method", "path", "status_code", "duration_ms")
    list_filter = ("success", "method")
    search_fields = ("user_name", "business_type", "path", "request_id")
    date_hierarchy = "time"


class ApiClientAdminForm(ModelForm):
    class Meta:
        model = ApiClient
        fields = ("name", "agency", "scopes", "rate_limit_per_minute", "active")

    def clean_scopes(self) -> list[str]:
        return validate_api_scopes(self.cleaned_data["scopes"])


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientAdminForm
    list_display = ("name", "agency", "rate_limit_per_minute", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name",)
    raw_id_fields = ("agency",)  # no dependency on how registry registers Agency


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "client", "created_at", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("client",)
    search_fields = ("prefix", "client__name")
    readonly_fields = ("client", "prefix", "token_hash", "created_at", "last_used_at")
    fields = ("client", "prefix", "token_hash", "created_at", "expires_at", "revoked_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
