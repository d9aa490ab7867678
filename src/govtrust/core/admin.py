"""Operator admin for core. Writes go through the services so that they are validated and audited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from govtrust.core.models import KnownLegacyCode, Region
from govtrust.core.services import legacy_code_add, legacy_code_errors, legacy_code_remove


class KnownLegacyCodeForm(forms.ModelForm):
    code = forms.CharField(label=KnownLegacyCode._meta.get_field("code").verbose_name, max_length=32)

    class Meta:
        model = KnownLegacyCode
        fields = ["code", "note"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        errors = legacy_code_errors(cleaned.get("code", ""), cleaned.get("note", ""))
        if errors:
            raise ValidationError(errors)
        return cleaned

    def validate_unique(self) -> None:
        pass  # legacy_code_errors reports a duplicate in words the operator understands


@admin.register(KnownLegacyCode)
class KnownLegacyCodeAdmin(admin.ModelAdmin):
    form = KnownLegacyCodeForm
    list_display = ["code", "note", "added_by_name", "created_at"]
    search_fields = ["code", "note"]
    readonly_fields = ["added_by_name", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an entry is added or removed, never edited, so the audit trail stays simple

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = legacy_code_add(actor=request.user, code=form.cleaned_data["code"], note=form.cleaned_data["note"])
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        legacy_code_remove(actor=request.user, code=obj.code)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for entry in queryset:
            legacy_code_remove(actor=request.user, code=entry.code)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Read-only: divisions come from migrations, townships from `govtrust regions import`."""

    list_display = ["code", "name", "level", "kind", "parent"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
