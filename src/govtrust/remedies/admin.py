from __future__ import annotations

from typing import Any

from django.contrib import admin

from govtrust.remedies.models import RuleValues
from govtrust.remedies.services import rule_values_save


@admin.register(RuleValues)
class RuleValuesAdmin(admin.ModelAdmin):
    """Operators fill the 苏政规〔2025〕4号 slot here; the save goes through the audited service."""

    list_display = ("rule_key", "version", "values", "articles", "provisional", "entered_by_name", "updated_at")
    fields = ("rule_key", "version", "values", "articles", "provisional")

    def save_model(self, request: Any, obj: RuleValues, form: Any, change: bool) -> None:
        saved = rule_values_save(
            actor=request.user, rule_key=obj.rule_key, version=obj.version, values=obj.values,
            articles=obj.articles, provisional=obj.provisional,
        )  # fmt: skip
        obj.pk = saved.pk

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
