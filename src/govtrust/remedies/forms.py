"""Console forms: they parse input; the services check every rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govtrust.core.uploads import ALLOWED
from govtrust.records.policy import Severity
from govtrust.remedies.models import ObjectionStatus, RecordAction

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ACCEPT = ",".join(f".{ext}" for ext in ALLOWED)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; type and size are checked by `core.uploads` in the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [f for f in data if f]
        return [data] if data else []


class ObjectionForm(forms.Form):
    claim = forms.CharField(
        label=_("异议内容（事实和理由）"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000
    )
    requested_action = forms.ChoiceField(
        label=_("请求"), choices=[(RecordAction.CORRECT, _("更正记录")), (RecordAction.REVOKE, _("撤销记录"))]
    )
    attachments = MultipleFileField(label=_("证明材料（PDF、OFD、JPG、PNG）"), required=False)


class ExtendForm(forms.Form):
    reason = forms.CharField(label=_("延期理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    approval_reference = forms.CharField(label=_("延期批准文号"), max_length=100)
    approver = forms.CharField(label=_("批准人"), max_length=100)


class CorrectionFields(forms.Form):
    """What a decision changes in the record (only fields filled in are changed)."""

    record_action = forms.ChoiceField(label=_("对记录的处理"), choices=RecordAction.choices, required=False)
    severity = forms.ChoiceField(
        label=_("更正：严重程度"), choices=[("", _("不变"))] + list(Severity.choices), required=False
    )
    document_number = forms.CharField(label=_("更正：决定书文号"), max_length=100, required=False)
    decision_date = forms.DateField(label=_("更正：决定日期"), widget=DATE, required=False)
    facts = forms.CharField(label=_("更正：事实"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    content = forms.CharField(label=_("更正：内容"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    amount_fine = forms.DecimalField(label=_("更正：罚款金额（万元）"), max_digits=14, decimal_places=6, required=False)
    publish = forms.ChoiceField(
        label=_("更正：是否公示"), choices=[("", _("不变")), ("yes", _("公示")), ("no", _("不公示"))], required=False
    )

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes: dict[str, Any] = {}
        for name in ("severity", "document_number", "decision_date", "facts", "content", "amount_fine"):
            value = data.get(name)
            if value not in (None, ""):
                changes[name] = value
        if data.get("publish"):
            changes["publish"] = data["publish"] == "yes"
        return changes


class DecideForm(CorrectionFields):
    outcome = forms.ChoiceField(
        label=_("决定"),
        choices=[
            (ObjectionStatus.UPHELD, _("异议成立")),
            (ObjectionStatus.PARTLY_UPHELD, _("异议部分成立")),
            (ObjectionStatus.REJECTED, _("异议不成立")),
        ],
    )
    reasons = forms.CharField(label=_("决定理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    field_order = ["outcome", "reasons", "record_action"]


class ReviewForm(CorrectionFields):
    outcome = forms.ChoiceField(
        label=_("复核结论"),
        choices=[
            (ObjectionStatus.REVIEW_MAINTAINED, _("维持原决定")),
            (ObjectionStatus.REVIEW_CHANGED, _("变更原决定（异议成立）")),
        ],
    )
    reasons = forms.CharField(label=_("复核意见"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    field_order = ["outcome", "reasons", "record_action"]


class ReasonsForm(forms.Form):
    reasons = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class RepairForm(forms.Form):
    corrective_actions = forms.CharField(
        label=_("纠正失信行为、履行法定义务的情况"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    obligations_performed = forms.BooleanField(label=_("行政处罚等法定义务已全部履行"), required=False)
    pledge_text = forms.CharField(label=_("信用承诺书"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)
    pledge_confirmed = forms.BooleanField(label=_("本单位确认上述信用承诺，并将其向社会公开"), required=False)
    pledge_file = forms.FileField(
        label=_("签章的信用承诺书（PDF、OFD、JPG、PNG）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    evidence = MultipleFileField(label=_("证明材料（PDF、OFD、JPG、PNG）"), required=False)


class RepairDecideForm(forms.Form):
    approve = forms.ChoiceField(label=_("决定"), choices=[("yes", _("准予修复")), ("no", _("不予修复"))])
    reasons = forms.CharField(label=_("决定理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    reference = forms.CharField(label=_("修复决定文号"), max_length=100, required=False)


class AgentForm(forms.Form):
    agent_username = forms.CharField(label=_("受托人账号"), max_length=150)
    reference = forms.CharField(label=_("授权委托书编号"), max_length=100)
    valid_from = forms.DateField(label=_("生效日期"), widget=DATE)
    valid_until = forms.DateField(label=_("截止日期"), widget=DATE, required=False)
    note = forms.CharField(label=_("委托事项"), max_length=200, required=False)
