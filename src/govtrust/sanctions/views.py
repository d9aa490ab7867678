"""Console pages: sanction cases, rectification orders, referrals, the on-time/overdue dashboard, incentives.

Reading needs `sanctions.view` over the body (404 outside the scope); each write is checked again by its
service (`may_decide`, `may_respond`, `may_record_referral`), so a forged POST is refused there too.
"""

from __future__ import annotations

import mimetypes
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from govtrust.core import uploads
from govtrust.core.exports import write_xlsx, xlsx_response
from govtrust.core.masking import mask_name
from govtrust.core.validators import normalise_code
from govtrust.registry.models import Agency
from govtrust.registry.permissions import has_grant
from govtrust.sanctions import policy, services
from govtrust.sanctions.forms import (
    CaseFilterForm,
    DecisionForm,
    EvidenceForm,
    ExplanationForm,
    MitigationForm,
    OrderFilterForm,
    OutcomeForm,
    ReviewForm,
)
from govtrust.sanctions.models import (
    BODY_TURN_STATUSES,
    Incentive,
    Measure,
    OrderStatus,
    RectificationEvidence,
    RectificationOrder,
    Referral,
    SanctionCase,
)

VIEW = services.VIEW
PAGE_SIZE = 30
EXPORT_MAX_ROWS = 100_000


def _require(request: HttpRequest, action: str) -> None:
    if not has_grant(request.user, action):
        raise PermissionDenied


def _case(request: HttpRequest, number: str) -> SanctionCase:
    case = (
        SanctionCase.objects.visible_to(request.user, VIEW)
        .select_related("agency", "record")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise Http404
    return case


def _cases(request: HttpRequest) -> tuple[CaseFilterForm, QuerySet[SanctionCase]]:
    form = CaseFilterForm(request.GET or None)
    qs = SanctionCase.objects.visible_to(request.user, VIEW).select_related("agency", "record")
    if form.is_valid():
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["agency"]:
            qs = qs.filter(agency__name__contains=form.cleaned_data["agency"].strip())
    return form, qs.order_by("-created_at", "-pk")


def _query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    form, qs = _cases(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "sanctions/case_list.html", {"form": form, "page": page, "query": _query(request)})


CASE_HEADERS = [
    gettext_lazy("案件编号"),
    gettext_lazy("失信主体"),
    gettext_lazy("统一社会信用代码"),
    gettext_lazy("信用记录"),
    gettext_lazy("建议日期"),
    gettext_lazy("状态"),
    gettext_lazy("措施"),
]


@login_required
def case_export(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    _form, qs = _cases(request)
    cat = policy.catalog()

    def rows() -> Any:
        for case in qs.prefetch_related("measures").iterator(chunk_size=500):
            measures = "；".join(
                f"{cat.measures[m.applied_code or m.code].label}（{m.get_status_display()}）"
                for m in case.measures.all()
            )
            yield [
                case.number,
                case.agency.name,
                case.agency.uscc,
                case.record.number,
                case.proposed_on,
                case.get_status_display(),
                measures,
            ]

    content = write_xlsx(
        [str(h) for h in CASE_HEADERS],
        rows(),
        sheet_title=_("失信惩戒案件"),
        max_rows=EXPORT_MAX_ROWS,
        truncated_note=_("结果超过 %(n)d 行，仅导出前 %(n)d 行，请缩小范围。") % {"n": EXPORT_MAX_ROWS},
    )
    return xlsx_response(content, "sanctions.xlsx")


@login_required
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    case = _case(request, number)
    may_decide = services.may_decide(request.user, case.agency)
    cat = policy.catalog()
    measures = [(m, cat.measures.get(m.code), cat.measures.get(m.applied_code)) for m in case.measures.all()]
    context = {
        "case": case,
        "record": case.record,
        "measures": measures,
        "may_decide": may_decide and case.status == "pending",
        "decision_form": DecisionForm(),
        "mitigation_form": MitigationForm(),
        "mitigation_labels": [str(policy.MitigationGround(g).label) for g in case.mitigation_grounds],
        "mitigation_basis": cat.mitigation_basis,
        "orders": case.orders.all(),
        "referrals": case.referrals.all(),
        "timeline": case.timeline.all(),
    }
    return render(request, "sanctions/case_detail.html", context)


@login_required
@require_POST
def case_mitigation(request: HttpRequest, number: str) -> HttpResponse:
    case = _case(request, number)
    form = MitigationForm(request.POST)
    if form.is_valid():
        try:
            services.case_record_mitigation(
                actor=request.user, case=case, grounds=form.cleaned_data["grounds"], note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("已登记从轻或免于惩戒情形"))
    else:
        messages.error(request, _("请选择情形并填写说明"))
    return redirect("sanctions:case_detail", number=case.number)


@login_required
@require_POST
def measure_decide(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    case = _case(request, number)
    measure = Measure.objects.filter(case=case, pk=pk).first()
    if measure is None:
        raise Http404
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        department = None
        if data["department_uscc"]:
            department = Agency.objects.filter(uscc=normalise_code(data["department_uscc"])).first()
            if department is None:
                messages.error(request, _("找不到该统一社会信用代码对应的部门"))
                return redirect("sanctions:case_detail", number=case.number)
        try:
            services.measure_decide(
                actor=request.user,
                measure=measure,
                decision=data["decision"],
                reason=data["reason"],
                new_code=data["new_code"],
                mitigated=data["mitigated"],
                department=department,
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("已作出决定"))
    else:
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("sanctions:case_detail", number=case.number)


# --- rectification orders --------------------------------------------------------------------------------------------
def _order(request: HttpRequest, number: str) -> RectificationOrder:
    order = (
        RectificationOrder.objects.visible_to(request.user, VIEW)
        .select_related("agency", "case__record", "escalated_to")
        .filter(number=number)
        .first()
    )
    if order is None:
        raise Http404
    return order


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    form = OrderFilterForm(request.GET or None)
    qs = RectificationOrder.objects.visible_to(request.user, VIEW).select_related("agency", "case")
    if form.is_valid():
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["overdue"]:
            qs = qs.filter(status__in=BODY_TURN_STATUSES, due_date__lt=timezone.localdate())
    page = Paginator(qs.order_by("due_date", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(o, o.is_open and o.status in BODY_TURN_STATUSES and o.due_date < today) for o in page.object_list]
    return render(
        request, "sanctions/order_list.html", {"form": form, "page": page, "rows": rows, "query": _query(request)}
    )


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _order(request, number)
    user = request.user
    may_respond = services.may_respond(user, order.agency)
    may_review = services.may_decide(user, order.agency)
    today = timezone.localdate()
    context = {
        "order": order,
        "overdue": order.status in BODY_TURN_STATUSES and order.due_date < today,
        "may_explain": may_respond and order.status == OrderStatus.ISSUED,
        "may_evidence": may_respond and order.status in (OrderStatus.EXPLAINED, OrderStatus.SENT_BACK),
        "may_review": may_review and order.status == OrderStatus.EVIDENCE_SUBMITTED,
        "explanation_form": ExplanationForm(),
        "evidence_form": EvidenceForm(),
        "review_form": ReviewForm(),
        "evidence": order.evidence.all(),
        "timeline": order.timeline.all(),
        "max_mb": uploads.max_bytes() // (1024 * 1024),
        "max_files": uploads.MAX_FILES,
    }
    return render(request, "sanctions/order_detail.html", context)


def _done(request: HttpRequest, order: RectificationOrder, ok: str) -> HttpResponse:
    messages.success(request, ok)
    return redirect("sanctions:order_detail", number=order.number)


def _failed(request: HttpRequest, order: RectificationOrder, error: ValidationError | str) -> HttpResponse:
    messages.error(request, "；".join(error.messages) if isinstance(error, ValidationError) else error)
    return redirect("sanctions:order_detail", number=order.number)


@login_required
@require_POST
def order_explain(request: HttpRequest, number: str) -> HttpResponse:
    order = _order(request, number)
    form = ExplanationForm(request.POST)
    if not form.is_valid():
        return _failed(request, order, _("请填写书面说明"))
    try:
        services.order_submit_explanation(actor=request.user, order=order, text=form.cleaned_data["text"])
    except ValidationError as error:
        return _failed(request, order, error)
    return _done(request, order, _("已提交书面说明"))


@login_required
@require_POST
def order_evidence(request: HttpRequest, number: str) -> HttpResponse:
    order = _order(request, number)
    form = EvidenceForm(request.POST)
    if not form.is_valid():
        return _failed(request, order, _("请填写整改情况"))
    try:
        services.order_submit_evidence(
            actor=request.user, order=order, note=form.cleaned_data["note"], files=request.FILES.getlist("files")
        )
    except ValidationError as error:
        return _failed(request, order, error)
    return _done(request, order, _("已提交整改材料"))


@login_required
@require_POST
def order_review(request: HttpRequest, number: str) -> HttpResponse:
    order = _order(request, number)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _failed(request, order, _("请选择审核结论"))
    data = form.cleaned_data
    try:
        if data["verdict"] == "accept":
            services.order_accept(actor=request.user, order=order, note=data["note"])
        else:
            services.order_send_back(actor=request.user, order=order, note=data["note"])
    except ValidationError as error:
        return _failed(request, order, error)
    return _done(request, order, _("已审核"))


@login_required
def evidence_download(request: HttpRequest, number: str, pk: int) -> FileResponse:
    order = _order(request, number)
    evidence = RectificationEvidence.objects.filter(order=order, pk=pk).first()
    if evidence is None:
        raise Http404
    content_type = mimetypes.guess_type(evidence.original_name)[0] or "application/octet-stream"
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=Path(evidence.original_name).name,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- referrals -------------------------------------------------------------------------------------------------------
def _referrals(request: HttpRequest) -> QuerySet[Referral]:
    user = request.user
    ids = set(Referral.objects.visible_to(user, VIEW).values_list("pk", flat=True))
    ids |= set(
        Referral.objects.filter(department__in=Agency.objects.visible_to(user, services.RECORD_REFERRAL)).values_list(
            "pk", flat=True
        )
    )
    return Referral.objects.filter(pk__in=ids).select_related("agency", "department", "case")


def _referral(request: HttpRequest, number: str) -> Referral:
    referral = _referrals(request).filter(number=number).first()
    if referral is None:
        raise Http404
    return referral


@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    qs = Referral.objects.visible_to(request.user, VIEW).select_related("agency", "department", "case")
    page = Paginator(qs.order_by("-sent_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "sanctions/referral_list.html", {"page": page, "inbox": False, "masked": _masked(page)})


@login_required
def referral_inbox(request: HttpRequest) -> HttpResponse:
    _require(request, services.RECORD_REFERRAL)
    departments = Agency.objects.visible_to(request.user, services.RECORD_REFERRAL)
    qs = Referral.objects.filter(department__in=departments).select_related("agency", "department", "case")
    page = Paginator(qs.order_by("status", "due_date", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "sanctions/referral_list.html", {"page": page, "inbox": True, "masked": _masked(page)})


def _masked(page: Any) -> dict[int, str]:
    # A leader is a natural person: lists show the name masked; the detail page shows it to those handling it.
    return {r.pk: mask_name(r.leader_name) if r.leader_name else "" for r in page.object_list}


@login_required
def referral_detail(request: HttpRequest, number: str) -> HttpResponse:
    referral = _referral(request, number)
    may_record = services.may_record_referral(request.user, referral)
    context = {
        "referral": referral,
        "may_receive": may_record and referral.status == "sent",
        "may_conclude": may_record and referral.is_open,
        "form": OutcomeForm(),
        "timeline": referral.timeline.all(),
    }
    return render(request, "sanctions/referral_detail.html", context)


@login_required
@require_POST
def referral_action(request: HttpRequest, number: str) -> HttpResponse:
    referral = _referral(request, number)
    try:
        if request.POST.get("action") == "receive":
            services.referral_receive(actor=request.user, referral=referral)
            messages.success(request, _("已接收"))
        else:
            form = OutcomeForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("请完整填写处理结果"))
            data = form.cleaned_data
            services.referral_record_outcome(
                actor=request.user,
                referral=referral,
                outcome=data["outcome"],
                text=data["text"],
                reference=data["reference"],
                outcome_date=data["outcome_date"],
            )
            messages.success(request, _("已反馈处理结果"))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return redirect("sanctions:referral_detail", number=referral.number)


# --- dashboard ------------------------------------------------------------------------------------------------------
def dashboard_rows(user: Any, today: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """On-time/overdue counts per body (rectification orders) and per receiving department (referrals)."""
    keys = [str(t) for t in policy.Timeliness.values]
    per_body: dict[int, dict[str, Any]] = defaultdict(lambda: {k: 0 for k in keys})
    orders = (
        RectificationOrder.objects.visible_to(user, VIEW)
        .exclude(status=OrderStatus.WITHDRAWN)
        .values_list("agency_id", "agency__name", "status", "due_date", "evidence_submitted_on")
    )
    for agency_id, name, status, due, submitted in orders:
        # The body's part ends when it submits the evidence that is (to be) reviewed.
        done_on = submitted if status in (OrderStatus.EVIDENCE_SUBMITTED, OrderStatus.ACCEPTED) else None
        row = per_body[agency_id]
        row["name"] = name
        row[policy.timeliness(due=due, done_on=done_on, today=today)] += 1
    per_dept: dict[int, dict[str, Any]] = defaultdict(lambda: {k: 0 for k in keys})
    referrals = (
        Referral.objects.visible_to(user, VIEW)
        .exclude(status="withdrawn")
        .values_list("department_id", "department__name", "due_date", "concluded_on")
    )
    for dept_id, name, due, concluded in referrals:
        row = per_dept[dept_id]
        row["name"] = name
        row[policy.timeliness(due=due, done_on=concluded, today=today)] += 1
    body_rows = sorted(per_body.values(), key=lambda r: (-r["open_overdue"], -r["done_late"], r["name"]))
    dept_rows = sorted(per_dept.values(), key=lambda r: (-r["open_overdue"], r["name"]))
    return body_rows, dept_rows


def _chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    top = rows[:20]
    colours = {"done_on_time": "#3a7d44", "open_on_time": "#6c9bd2", "done_late": "#e0a030", "open_overdue": "#c0392b"}
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "grid": {"left": 160, "right": 20},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": [r["name"] for r in top], "inverse": True},
        "series": [
            {
                "name": str(policy.Timeliness(k).label),
                "type": "bar",
                "stack": "n",
                "color": colours[k],
                "data": [r[k] for r in top],
            }
            for k in ("done_on_time", "open_on_time", "done_late", "open_overdue")
        ],
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    body_rows, dept_rows = dashboard_rows(request.user, timezone.localdate())
    return render(
        request,
        "sanctions/dashboard.html",
        {"body_rows": body_rows, "dept_rows": dept_rows, "chart": _chart(body_rows)},
    )


@login_required
def dashboard_export(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    body_rows, dept_rows = dashboard_rows(request.user, timezone.localdate())
    labels = [str(policy.Timeliness(k).label) for k in policy.Timeliness.values]
    rows = [[_("限期整改"), r["name"], *[r[k] for k in policy.Timeliness.values]] for r in body_rows]
    rows += [[_("移送追责"), r["name"], *[r[k] for k in policy.Timeliness.values]] for r in dept_rows]
    content = write_xlsx([_("事项"), _("单位"), *labels], rows, sheet_title=_("按期办理情况"), widths={1: 40})
    return xlsx_response(content, "sanctions-timeliness.xlsx")


# --- incentives -----------------------------------------------------------------------------------------------------
@login_required
def incentive_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    cat = policy.catalog()
    qs = Incentive.objects.visible_to(request.user, VIEW).select_related("record", "agency", "civil_servant")
    page = Paginator(qs.order_by("-granted_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        (
            inc,
            inc.agency.name if inc.agency else mask_name(inc.civil_servant.name if inc.civil_servant else ""),
            cat.incentives.get(inc.code),
        )
        for inc in page.object_list
    ]
    return render(
        request,
        "sanctions/incentive_list.html",
        {"page": page, "rows": rows, "catalog": list(cat.incentives.values()), "measures": list(cat.measures.values())},
    )
