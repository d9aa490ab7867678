"""Console forms: they parse input only; every rule is checked by the services, whose errors land back here."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from govtrust.registry.models import AgencyLevel, AgencyStatus, AgencyType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's field-keyed errors on the matching form fields (others as form errors)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class AgencyForm(forms.Form):
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=40)
    name = forms.CharField(label=_("单位名称"), max_length=400)
    region_code = forms.CharField(label=_("行政区划代码"), max_length=12, help_text=_("GB/T 2260 代码，如 320102"))
    parent_uscc = forms.CharField(label=_("上级单位统一社会信用代码"), max_length=40, required=False)
    level = forms.ChoiceField(
        label=_("层级"), choices=[("", _("按行政区划确定"))] + list(AgencyLevel.choices), required=False
    )
    org_type = forms.ChoiceField(label=_("机构类型"), choices=AgencyType.choices, initial=AgencyType.ORGAN)
    is_credit_office = forms.BooleanField(label=_("信用主管部门"), required=False)
    status = forms.ChoiceField(label=_("状态"), choices=AgencyStatus.choices, initial=AgencyStatus.ACTIVE)


class LeaderForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=100)
    position = forms.CharField(label=_("职务"), max_length=200)
    term_start = forms.DateField(label=_("任职起始日"), widget=DATE)
    term_end = forms.DateField(label=_("任职终止日"), widget=DATE, required=False)
    keep_previous = forms.BooleanField(
        label=_("不自动结束前任的任期"), required=False, help_text=_("默认前任任期于新任起始日前一天结束")
    )


class LeaderEndForm(forms.Form):
    term_end = forms.DateField(label=_("任职终止日"), widget=DATE)


class CivilServantForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=100)
    id_number = forms.CharField(label=_("身份证号码"), max_length=30)
    position = forms.CharField(label=_("职务"), max_length=200, required=False)
    start_date = forms.DateField(label=_("任职日期"), widget=DATE, required=False)
    end_date = forms.DateField(label=_("离任日期"), widget=DATE, required=False)


class CivilServantEditForm(CivilServantForm):
    id_number = forms.CharField(
        label=_("身份证号码"), max_length=30, required=False, help_text=_("留空则不修改；已登记的号码不会显示")
    )


class PersonForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=100)
    id_number = forms.CharField(label=_("身份证号码"), max_length=30)


class EnterpriseForm(forms.Form):
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=40)
    name = forms.CharField(label=_("企业名称"), max_length=400)
    region_code = forms.CharField(label=_("行政区划代码"), max_length=12, required=False)
