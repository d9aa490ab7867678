"""Console pages for bidders' credit pledges (信用承诺): list, register, check (fulfilled / breached /
withdrawn), export. Every read goes through `Pledge.objects.visible_to(user, "pledge.manage")`. The bidder
credit query (enterprise credit report) is the disclosure console's page, linked from the detail page:
screening sits below disclosure and does not import it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core.exports import write_xlsx, xlsx_response
from govtrust.registry.forms import apply_service_errors
from govtrust.registry.permissions import has_grant
from govtrust.screening import pledge_policy
from govtrust.screening.models import Pledge, PledgeKindChoice, PledgeStatus
from govtrust.screening.pledge_services import (
    DOCUMENT_NUMBER_MAX,
    MANAGE,
    pledge_breach,
    pledge_fulfil,
    pledge_record,
    pledge_withdraw,
)

PAGE_SIZE = 30
EXPORT_MAX_ROWS = 100_000


def _require(request: HttpRequest) -> None:
    if not has_grant(request.user, MANAGE):
        raise PermissionDenied


class PledgeFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("名称或统一社会信用代码"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=gettext_lazy("状态"), required=False, choices=[("", gettext_lazy("全部")), *PledgeStatus.choices]
    )
    overdue = forms.BooleanField(label=gettext_lazy("仅逾期未核查"), required=False)


def _filtered(request: HttpRequest) -> tuple[PledgeFilter, QuerySet[Pledge]]:
    form = PledgeFilter(request.GET or None)
    qs = Pledge.objects.visible_to(request.user, MANAGE)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            term = data["q"].strip()
            qs = qs.filter(Q(name__icontains=term) | Q(uscc=term.upper()))
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["overdue"]:
            qs = qs.filter(status=PledgeStatus.PLEDGED, due_on__lt=timezone.localdate())
    return form, qs.order_by("-pledged_on", "-pk")


@login_required
def pledge_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    form, qs = _filtered(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "screening/pledges/list.html",
        {"form": form, "page": page, "query": query.urlencode(), "today": timezone.localdate()},
    )


class PledgeForm(forms.Form):
    uscc = forms.CharField(label=gettext_lazy("统一社会信用代码"), max_length=30)
    name = forms.CharField(label=gettext_lazy("承诺主体名称"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("承诺类型"), choices=PledgeKindChoice.choices)
    platform = forms.CharField(label=gettext_lazy("交易平台"), max_length=100, required=False)
    tender_ref = forms.CharField(label=gettext_lazy("项目编号／标段"), max_length=100, required=False)
    text = forms.CharField(label=gettext_lazy("承诺内容"), max_length=5000, widget=forms.Textarea({"rows": 5}))
    pledged_on = forms.DateField(label=gettext_lazy("承诺日期"), widget=forms.DateInput({"type": "date"}))
    due_on = forms.DateField(label=gettext_lazy("履行核查日期"), widget=forms.DateInput({"type": "date"}))


@login_required
def pledge_new(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = PledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pledge = pledge_record(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("信用承诺已登记：%(number)s") % {"number": pledge.number})
            return redirect("screening:pledge_detail", pk=pledge.pk)
    return render(request, "screening/pledges/form.html", {"form": form, "kinds": pledge_policy.KINDS.values()})


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("核查结论"),
        choices=[
            (PledgeStatus.FULFILLED, gettext_lazy("已履行")),
            (PledgeStatus.BREACHED, gettext_lazy("违反承诺")),
            (PledgeStatus.WITHDRAWN, gettext_lazy("已撤回")),
        ],
    )
    note = forms.CharField(
        label=gettext_lazy("核查说明／违诺原因／撤回原因"), max_length=2000, required=False,
        widget=forms.Textarea({"rows": 3}),
    )  # fmt: skip
    evidence_ref = forms.CharField(label=gettext_lazy("证据材料编号（违反承诺时必填）"), max_length=200, required=False)
    document_number = forms.CharField(
        label=gettext_lazy("违约认定决定书文号（违反承诺时必填）"), max_length=DOCUMENT_NUMBER_MAX, required=False,
        help_text=gettext_lazy("违反承诺将以您所在单位的名义记入该企业的违约信用记录"),
    )  # fmt: skip
    breached_on = forms.DateField(
        label=gettext_lazy("违诺日期（违反承诺时填写，默认今天）"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip


@login_required
def pledge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    pledge = get_object_or_404(
        Pledge.objects.visible_to(request.user, MANAGE).select_related("enterprise", "breach_record"), pk=pk
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["outcome"] == PledgeStatus.FULFILLED:
                pledge_fulfil(actor=request.user, pledge=pledge, note=data["note"])
            elif data["outcome"] == PledgeStatus.BREACHED:
                pledge_breach(
                    actor=request.user, pledge=pledge, reason=data["note"], evidence_ref=data["evidence_ref"],
                    document_number=data["document_number"], breached_on=data["breached_on"],
                )  # fmt: skip
            else:
                pledge_withdraw(actor=request.user, pledge=pledge, reason=data["note"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("核查结论已保存"))
            return redirect("screening:pledge_detail", pk=pledge.pk)
    kind = pledge_policy.KINDS.get(pledge.kind)
    overdue = pledge.status == PledgeStatus.PLEDGED and pledge.due_on < timezone.localdate()
    return render(
        request,
        "screening/pledges/detail.html",
        {"p": pledge, "form": form, "kind": kind, "overdue": overdue},
    )


EXPORT_HEADERS = [
    gettext_lazy("承诺编号"),
    gettext_lazy("统一社会信用代码"),
    gettext_lazy("承诺主体名称"),
    gettext_lazy("承诺类型"),
    gettext_lazy("交易平台"),
    gettext_lazy("项目编号／标段"),
    gettext_lazy("承诺内容"),
    gettext_lazy("承诺日期"),
    gettext_lazy("履行核查日期"),
    gettext_lazy("状态"),
    gettext_lazy("核查说明／违诺原因"),
    gettext_lazy("证据材料编号"),
    gettext_lazy("核查人"),
    gettext_lazy("核查时间"),
]


@login_required
def pledge_export(request: HttpRequest) -> HttpResponse:
    _require(request)
    _form, qs = _filtered(request)
    kinds = dict(PledgeKindChoice.choices)
    statuses = dict(PledgeStatus.choices)

    def rows() -> Any:
        for p in qs[:EXPORT_MAX_ROWS].iterator(chunk_size=2000):
            yield [
                p.number, p.uscc, p.name, str(kinds.get(p.kind, p.kind)), p.platform, p.tender_ref, p.text,
                p.pledged_on, p.due_on, str(statuses.get(p.status, p.status)), p.outcome_note, p.evidence_ref,
                p.decided_by, p.decided_at,
            ]  # fmt: skip

    content = write_xlsx(EXPORT_HEADERS, rows(), sheet_title=_("信用承诺"), widths={2: 30, 6: 50})
    return xlsx_response(content, f"pledges-{timezone.localdate():%Y%m%d}.xlsx")
