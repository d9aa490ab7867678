"""Console forms of the sanctions pages. Validation of substance is in the services (policy)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govtrust.sanctions import policy
from govtrust.sanctions.models import CaseStatus, OrderStatus, ReferralOutcome

DATE = forms.DateInput(attrs={"type": "date"})


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部"))] + list(CaseStatus.choices), required=False)
    agency = forms.CharField(label=_("单位名称"), max_length=100, required=False)


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部"))] + list(OrderStatus.choices), required=False)
    overdue = forms.BooleanField(label=_("仅看超期"), required=False)


class MitigationForm(forms.Form):
    grounds = forms.MultipleChoiceField(
        label=_("从轻或免于惩戒情形"), choices=policy.MitigationGround.choices, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("具体事实和证明材料"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("决定"), choices=policy.Decision.choices, widget=forms.RadioSelect)
    new_code = forms.ChoiceField(label=_("变更为"), required=False)
    mitigated = forms.BooleanField(label=_("从轻或免于惩戒"), required=False)
    department_uscc = forms.CharField(
        label=_("接收移送的部门（统一社会信用代码）"),
        max_length=40,
        required=False,
        help_text=_("追究主要负责人责任时必填：纪检监察机关或组织人事部门"),
    )
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cat = policy.catalog()
        self.fields["new_code"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (m.code, m.label) for m in sorted(cat.measures.values(), key=lambda m: m.weight)
        ]


class ExplanationForm(forms.Form):
    text = forms.CharField(label=_("书面说明（失信原因）"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)


class EvidenceForm(forms.Form):
    note = forms.CharField(label=_("整改情况"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("审核结论"), choices=[("accept", _("整改通过")), ("send_back", _("退回补充"))], widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, required=False
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处理结果"), choices=ReferralOutcome.choices)
    reference = forms.CharField(label=_("处理文号"), max_length=100, required=False)
    outcome_date = forms.DateField(label=_("处理日期"), widget=DATE)
    text = forms.CharField(label=_("处理情况"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
