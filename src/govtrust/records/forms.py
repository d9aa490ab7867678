"""Console forms: they parse input; the services check every rule."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from govtrust.records.models import RecordStatus
from govtrust.records.policy import RecordClass

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# Why a personal archive is read; every read writes an AccessLog row with the chosen purpose.
ACCESS_PURPOSES = [
    ("supervision", _("信用监管")),
    ("objection", _("异议处理")),
    ("repair", _("信用修复办理")),
    ("personnel", _("公务员录用、调任、评优评先查询")),
    ("fault_tolerance", _("容错纠错核对")),
    ("audit", _("审计检查")),
]


class RecordFilterForm(forms.Form):
    record_class = forms.ChoiceField(label=_("类别"), choices=[("", _("全部"))] + RecordClass.choices, required=False)
    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部"))] + RecordStatus.choices, required=False)
    supplier = forms.CharField(label=_("数据提供部门代码"), max_length=40, required=False)
    subject = forms.CharField(label=_("主体名称"), max_length=100, required=False)
    date_from = forms.DateField(label=_("决定日期自"), widget=DATE, required=False)
    date_to = forms.DateField(label=_("至"), widget=DATE, required=False)


class PurposeForm(forms.Form):
    purpose = forms.ChoiceField(label=_("查询用途"), choices=ACCESS_PURPOSES)


class RulingForm(forms.Form):
    number = forms.CharField(label=_("认定文号"), max_length=100)
    decision_date = forms.DateField(label=_("认定日期"), widget=DATE)
    subject_kind = forms.ChoiceField(
        label=_("认定对象"), choices=[("agency", _("政府部门")), ("civil_servant", _("公务员"))]
    )
    subject_code = forms.CharField(
        label=_("对象代码"), max_length=40, help_text=_("政府部门填统一社会信用代码；公务员填身份证号码")
    )
    grounds = forms.CharField(label=_("认定理由"), widget=forms.Textarea(attrs={"rows": 4}))
    conduct_description = forms.CharField(label=_("所涉行为"), widget=forms.Textarea(attrs={"rows": 3}))
    document_numbers = forms.CharField(
        label=_("所涉决定书文号"), widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text=_("每行一个")
    )
    natural_keys = forms.CharField(
        label=_("所涉记录业务键"), widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text=_("每行一个")
    )
    conduct_from = forms.DateField(label=_("行为起始日期"), widget=DATE, required=False)
    conduct_to = forms.DateField(label=_("行为截止日期"), widget=DATE, required=False)


class RulingCheckForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("核对结论"), choices=[("accept", _("通过，认定生效")), ("reject", _("不通过"))]
    )
    reason = forms.CharField(label=_("核对意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
