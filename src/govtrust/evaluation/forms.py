from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.evaluation.models import AlertKind, Framework, FrameworkStatus, Severity, UnitLevel


class RunForm(forms.Form):
    framework = forms.ModelChoiceField(
        label=gettext_lazy("指标体系版本"), queryset=Framework.objects.exclude(status=FrameworkStatus.RETIRED)
    )
    unit_level = forms.ChoiceField(label=gettext_lazy("评价对象"), choices=UnitLevel.choices)
    period = forms.CharField(
        label=gettext_lazy("评价期间"),
        max_length=10,
        initial="2025",
        help_text=gettext_lazy("年度2025、季度2025Q1或月度2025-03"),
    )
    normalise = forms.ChoiceField(
        label=gettext_lazy("标准化方法"),
        choices=[
            ("minmax", gettext_lazy("最小-最大（1–100）")),
            ("zscore", gettext_lazy("Z分数（100±10）")),
            ("percentile", gettext_lazy("百分位秩")),
        ],
    )
    aggregation = forms.ChoiceField(
        label=gettext_lazy("汇总方法"),
        choices=[("arithmetic", gettext_lazy("算术平均")), ("geometric", gettext_lazy("几何平均"))],
    )
    mc_runs = forms.IntegerField(
        label=gettext_lazy("蒙特卡洛次数"),
        min_value=0,
        max_value=20000,
        initial=1000,
        help_text=gettext_lazy("0 表示不做不确定性分析"),
    )
    seed = forms.IntegerField(
        label=gettext_lazy("随机种子"),
        required=False,
        min_value=0,
        max_value=2**62,
        help_text=gettext_lazy("留空则随机生成并保存，复算时使用同一种子"),
    )
    title = forms.CharField(label=gettext_lazy("标题"), required=False, max_length=200)

    def method(self) -> dict[str, Any]:
        norm = self.cleaned_data["normalise"]
        params = {"minmax": {"low": 1, "high": 100}, "zscore": {"mean": 100, "sd": 10}}.get(norm, {})
        return {
            "normalise": {"method": norm, **params},
            "aggregate": {"method": self.cleaned_data["aggregation"], "threshold": 0.5},
        }


class IndicatorForm(forms.Form):
    weight = forms.FloatField(label=gettext_lazy("权重"), min_value=0)
    direction = forms.TypedChoiceField(
        label=gettext_lazy("方向"), coerce=int, choices=[(1, gettext_lazy("越大越好")), (-1, gettext_lazy("越小越好"))]
    )


class NewVersionForm(forms.Form):
    version = forms.CharField(label=gettext_lazy("新版本号"), max_length=40)


class RuleForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("规则代码"), max_length=60)
    name = forms.CharField(label=gettext_lazy("名称"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=AlertKind.choices)
    unit_level = forms.ChoiceField(label=gettext_lazy("评价对象"), choices=UnitLevel.choices)
    indicator_code = forms.CharField(label=gettext_lazy("指标代码"), max_length=60, required=False)
    params = forms.CharField(
        label=gettext_lazy("参数（JSON）"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            '阈值 {"op": ">=", "value": 1.5}；变化 {"pct": 20}；同级异常 {"z": 3.5}；'
            '逾期 {"source": "records.publicity_overrun", "limit": 1}'
        ),
    )
    severity = forms.ChoiceField(label=gettext_lazy("严重程度"), choices=Severity.choices, initial=Severity.WARNING)
    basis = forms.CharField(label=gettext_lazy("依据"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_params(self) -> dict[str, Any]:
        try:
            value = json.loads(self.cleaned_data["params"])
        except ValueError:
            raise forms.ValidationError(_("参数须为JSON对象")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("参数须为JSON对象"))
        return value


class AlertNoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("处理说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class UnpublishForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("撤回原因"), max_length=500)
