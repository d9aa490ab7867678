"""Portal forms (public, no login)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from govtrust.disclosure.services import CONTACT_MAX, NAME_MAX, NOTE_MAX, TEXT_MAX


class ErrorReportForm(forms.Form):
    """纠错建议. Lengths are checked again by the service; the form's limits only give the browser a hint."""

    name = forms.CharField(label=_("姓名或单位"), max_length=NAME_MAX)
    contact = forms.CharField(
        label=_("联系方式"), max_length=CONTACT_MAX, help_text=_("电话或电子邮箱，仅供数据提供部门核实时使用，不公开")
    )
    text = forms.CharField(
        label=_("纠错内容"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("请说明记录中哪一项有误、正确的内容及依据"),
    )


class ErrorReportHandleForm(forms.Form):
    note = forms.CharField(label=_("处理说明"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}))
