"""Operator admin: rule overrides are edited here, through `rule_override_save` (audited)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from govtrust.records import catalog, policy
from govtrust.records.models import CreditRecord, ExpectedSupplier, FaultToleranceRuling, RuleOverride


def _rule_choices() -> list[tuple[str, str]]:
    return [(rule.key, f"{rule.key} · {rule.title}") for rule in catalog.packaged().rules]


class RuleOverrideForm(forms.ModelForm):
    rule_key = forms.ChoiceField(label=_("规则"), choices=_rule_choices)
    values = forms.JSONField(
        label=_("取值"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
        help_text=_(
            '与 rules/*.json 相同的格式，如 {"general": {"min": {"n": 3, "unit": "month"}, '
            '"max": {"n": 1, "unit": "year"}}}；留空（null）表示待补充。'
        ),
    )

    class Meta:
        model = RuleOverride
        fields = ["rule_key", "version", "values", "basis", "effective_from", "effective_to", "provisional"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            policy.parse_values(data.get("values"), "values")
        except policy.PolicyError as exc:
            self.add_error("values", str(exc))
        return data


@admin.register(RuleOverride)
class RuleOverrideAdmin(admin.ModelAdmin):
    form = RuleOverrideForm
    list_display = [
        "rule_key",
        "version",
        "effective_from",
        "effective_to",
        "provisional",
        "entered_by_name",
        "updated_at",
    ]
    readonly_fields = ["entered_by_name", "updated_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a deletion would change windows without an audit row; end an override by its dates

    def save_model(self, request: HttpRequest, obj: RuleOverride, form: forms.ModelForm, change: bool) -> None:
        from govtrust.records.services import rule_override_save

        data = form.cleaned_data
        try:
            saved = rule_override_save(
                actor=request.user,
                rule_key=data["rule_key"],
                version=data["version"],
                values=data.get("values"),
                basis=data["basis"],
                effective_from=data.get("effective_from"),
                effective_to=data.get("effective_to"),
                provisional=data.get("provisional", True),
            )
        except ValidationError as error:  # the form checked the same rules; this is a race or a bug
            raise ValidationError(error.messages) from error
        obj.pk = saved.pk
        obj.refresh_from_db()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records and rulings change only through the console and the services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CreditRecord)
class CreditRecordAdmin(ReadOnlyAdmin):
    list_display = ["number", "subject_kind", "record_class", "document_number", "decision_date", "status"]
    list_filter = ["record_class", "status", "subject_kind"]
    search_fields = ["number", "document_number"]


@admin.register(FaultToleranceRuling)
class FaultToleranceRulingAdmin(ReadOnlyAdmin):
    list_display = ["number", "authority", "decision_date", "subject_kind", "status"]


class ExpectedSupplierForm(forms.ModelForm):
    record_classes = forms.MultipleChoiceField(
        label=_("应报送的记录类别"),
        choices=policy.RecordClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选表示任何类别"),
    )

    class Meta:
        model = ExpectedSupplier
        fields = ["agency", "record_classes", "since", "note"]


@admin.register(ExpectedSupplier)
class ExpectedSupplierAdmin(admin.ModelAdmin):
    """Bodies expected to report every month (coverage page); saved and removed through the audited services."""

    form = ExpectedSupplierForm
    list_display = ["agency", "record_classes", "since", "entered_by_name", "updated_at"]
    raw_id_fields = ["agency"]
    readonly_fields = ["entered_by_name", "updated_at"]

    def save_model(self, request: HttpRequest, obj: ExpectedSupplier, form: forms.ModelForm, change: bool) -> None:
        from govtrust.records.coverage import expected_supplier_save

        data = form.cleaned_data
        saved = expected_supplier_save(
            actor=request.user,
            agency=data["agency"],
            record_classes=data.get("record_classes") or [],
            since=data["since"],
            note=data.get("note", ""),
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: ExpectedSupplier) -> None:
        from govtrust.records.coverage import expected_supplier_remove

        expected_supplier_remove(actor=request.user, expected=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        from govtrust.records.coverage import expected_supplier_remove

        for obj in queryset:
            expected_supplier_remove(actor=request.user, expected=obj)
