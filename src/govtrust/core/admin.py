"""Operator admin for core's models. Writes go through the services, never straight to the model."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from govtrust.core import periods
from govtrust.core.models import CalendarYear, KnownLegacyCode, Region
from govtrust.core.services import legacy_code_add, legacy_code_errors, legacy_code_remove

# --- Calendar (periods) ---------------------------------------------------------------------------------------------


def _split_dates(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,，、;；]+", text or "") if part]


class CalendarYearForm(forms.ModelForm):
    """Dates typed one per line (or separated by commas) rather than as raw JSON."""

    holidays_text = forms.CharField(
        label=_("放假日期"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("通知所列的全部放假日期，每行一个，格式 YYYY-MM-DD。"),
    )
    workdays_text = forms.CharField(
        label=_("调休上班日期"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("调休上班的周六、周日，每行一个，格式 YYYY-MM-DD。"),
    )

    class Meta:
        model = CalendarYear
        fields = ["year", "basis"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["holidays_text"].initial = "\n".join(self.instance.holidays)
            self.fields["workdays_text"].initial = "\n".join(self.instance.workdays)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        year = data.get("year", self.instance.year if self.instance.pk else None)
        try:
            year, days_off, days_on, basis = periods.validate_arrangement(
                year=year,
                holidays=_split_dates(data.get("holidays_text", "")),
                workdays=_split_dates(data.get("workdays_text", "")),
                basis=data.get("basis", ""),
            )
        except ValidationError as exc:
            mapping = {"holidays": "holidays_text", "workdays": "workdays_text"}
            for field, messages in exc.message_dict.items():
                target = mapping.get(field, field)
                self.add_error(target if target in self.fields else None, messages)
            return data
        data.update(year=year, holidays=days_off, workdays=days_on, basis=basis)
        return data


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    form = CalendarYearForm
    list_display = ["year", "basis", "entered_by_name", "updated_at"]
    readonly_fields = ["entered_by_name", "updated_at"]
    ordering = ["-year"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The year is the key a deadline was computed against: correct a year, never move it.
        return [*self.readonly_fields, "year"] if obj else list(self.readonly_fields)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting would silently revert deadlines to the packaged data without an audit row.
        return False

    def save_model(self, request: HttpRequest, obj: CalendarYear, form: forms.ModelForm, change: bool) -> None:
        from govtrust.core.services import calendar_year_save

        data = form.cleaned_data
        saved = calendar_year_save(
            actor=request.user,
            year=data.get("year", obj.year),
            holidays=data["holidays"],
            workdays=data["workdays"],
            basis=data["basis"],
        )
        obj.pk = saved.pk
        obj.refresh_from_db()


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
