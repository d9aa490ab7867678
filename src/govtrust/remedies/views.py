"""Console pages for objections, repair requests, agent authorisations, the repair notice and the dashboard.

Reads go through `visible_to` (404 outside it); every write calls a service, which checks who may act.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govtrust.accounts.models import User, subject_hash_of
from govtrust.core import periods
from govtrust.core.audit import log_access
from govtrust.records.models import CreditRecord, RecordStatus, SubjectKind
from govtrust.records.policy import RecordClass
from govtrust.registry.forms import apply_service_errors
from govtrust.registry.models import Agency
from govtrust.registry.permissions import has_grant
from govtrust.remedies import forms, policy, services
from govtrust.remedies.models import (
    OBJECTION_OPEN,
    OBJECTION_PENDING_DECISION,
    AgentAuthorisation,
    Attachment,
    Objection,
    ObjectionStatus,
    RepairRequest,
    RepairStatus,
    Transition,
    records_under_objection,
)

DISCIPLINE = RecordClass.DISCIPLINE
PAGE_SIZE = 30
MY_RECORDS_MAX = 500


def _require(request: HttpRequest, action: str) -> None:
    if not has_grant(request.user, action):
        raise PermissionDenied


def _subject_record(request: HttpRequest, number: str) -> CreditRecord:
    """A record of a body the user may act for (its own, or one that authorised it); 404 otherwise."""
    bodies = services.subjects_for(request.user)
    return get_object_or_404(
        CreditRecord.objects.select_related("agency", "supplier"),
        number=number,
        subject_kind=SubjectKind.AGENCY,
        agency__in=bodies,
    )


def _filable_record(request: HttpRequest, number: str) -> CreditRecord:
    """A record about the user themself (civil servant or person, via SubjectAccount), or one of a body the user may
    act for (with `remedies.file`); 404 otherwise."""
    own = services.own_records(request.user).select_related("civil_servant", "person", "supplier").filter(number=number)
    record = own.first()
    if record is not None:
        return record
    _require(request, services.FILE)
    return _subject_record(request, number)


def _timeline(kind: str, pk: int) -> QuerySet[Transition]:
    return Transition.objects.filter(kind=kind, object_id=pk).order_by("at", "pk")


# --- the subject's side -----------------------------------------------------------------------------------------------
@login_required
def my_records(request: HttpRequest) -> HttpResponse:
    _require(request, services.FILE)
    bodies = services.subjects_for(request.user)
    records = list(
        CreditRecord.objects.filter(subject_kind=SubjectKind.AGENCY, agency__in=bodies)
        .exclude(status=RecordStatus.REVOKED)
        .select_related("agency", "supplier")
        .order_by("-decision_date", "-pk")[:MY_RECORDS_MAX]
    )
    open_ids = records_under_objection([r.pk for r in records])
    open_repairs = set(RepairRequest.objects.open().filter(record__in=records).values_list("record_id", flat=True))
    today = timezone.localdate()
    bars = services.repair_bars()
    rows = []
    for record in records:
        verdict = policy.repair_eligibility(
            record_class=record.record_class, severity=record.severity, sub_type=record.sub_type,
            status=record.status, is_dishonesty=record.is_dishonesty, covered=record.covered_by_id is not None,
            publicity_start=record.publicity_start, publicity_min_end=record.publicity_min_end, today=today,
            bars=bars, open_request=record.pk in open_repairs,
        )  # fmt: skip
        rows.append({"record": record, "under_objection": record.pk in open_ids, "eligibility": verdict})
    return render(request, "remedies/my_records.html", {"rows": rows, "bodies": bodies})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的信用记录: the records about the logged-in civil servant or person (through their verified identity link),
    with objection and repair status. Reading them is a read of personal data: one AccessLog row."""
    user: Any = request.user
    own = subject_hash_of(user) or ""
    linked = bool(own)
    records = list(
        services.own_records(user)
        .exclude(status=RecordStatus.REVOKED)
        .select_related("civil_servant", "person", "supplier")
        .order_by("-decision_date", "-pk")[:MY_RECORDS_MAX]
    )
    if linked:
        log_access(
            actor=user, subject_type="accounts.subjectaccount", subject_id=str(user.pk), subject_repr=str(user),
            purpose=_("本人查看本人的信用记录（异议、信用修复）"), detail={"records": [r.number for r in records]},
        )  # fmt: skip
    ids = [r.pk for r in records]
    open_ids = records_under_objection(ids)
    open_repairs = set(RepairRequest.objects.open().filter(record_id__in=ids).values_list("record_id", flat=True))
    today = timezone.localdate()
    bars = services.repair_bars()
    rows = [
        {
            "record": record,
            "under_objection": record.pk in open_ids,
            "eligibility": policy.repair_eligibility(
                record_class=record.record_class,
                severity=record.severity,
                sub_type=record.sub_type,
                status=record.status,
                is_dishonesty=record.is_dishonesty,
                covered=record.covered_by_id is not None,
                publicity_start=record.publicity_start,
                publicity_min_end=record.publicity_min_end,
                today=today,
                bars=bars,
                open_request=record.pk in open_repairs,
            ),  # fmt: skip
        }
        for record in records
    ]
    # By the person's hash, not by record: a case stays listed after it revoked its record.
    objections = Objection.objects.none()
    repairs = RepairRequest.objects.none()
    if own:
        objections = Objection.objects.filter(subject_hash=own).select_related("record", "routed_to")
        repairs = RepairRequest.objects.filter(subject_hash=own).select_related("record", "handled_by")
    return render(
        request,
        "remedies/mine.html",
        {
            "linked": linked,
            "rows": rows,
            "objections": objections.order_by("-filed_on", "-pk")[:50],
            "repairs": repairs.order_by("-filed_on", "-pk")[:50],
            "has_discipline": any(r.record_class == DISCIPLINE for r in records),
        },
    )


@login_required
def objection_new(request: HttpRequest, number: str) -> HttpResponse:
    record = _filable_record(request, number)
    form = forms.ObjectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            objection = services.objection_file(
                actor=request.user, record=record, claim=form.cleaned_data["claim"],
                requested_action=form.cleaned_data["requested_action"],
                attachments=form.cleaned_data["attachments"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("异议已提交，记录已标注“异议处理中”。"))
            return redirect("remedies:objection_detail", number=objection.number)
    return render(
        request,
        "remedies/objection_new.html",
        {"form": form, "record": record, "discipline": record.record_class == DISCIPLINE},
    )


@login_required
def repair_new(request: HttpRequest, number: str) -> HttpResponse:
    record = _filable_record(request, number)
    verdict = services.eligibility(record)
    personal = record.subject_kind != SubjectKind.AGENCY
    initial = {"pledge_text": services.pledge_template(record.subject_name, personal=personal)}
    form = forms.RepairForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            repair = services.repair_file(
                actor=request.user, record=record, corrective_actions=data["corrective_actions"],
                obligations_performed=data["obligations_performed"], pledge_text=data["pledge_text"],
                pledge_confirmed=data["pledge_confirmed"], pledge_file=data["pledge_file"], evidence=data["evidence"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("信用修复申请已提交。"))
            return redirect("remedies:repair_detail", number=repair.number)
    return render(request, "remedies/repair_new.html", {"form": form, "record": record, "eligibility": verdict})


# --- objections -------------------------------------------------------------------------------------------------------
@login_required
def objection_list(request: HttpRequest) -> HttpResponse:
    _require(request, services.VIEW)
    qs = Objection.objects.visible_to(request.user).select_related("record", "subject", "routed_to")
    state = request.GET.get("state", "open")
    if state == "open":
        qs = qs.filter(status__in=OBJECTION_OPEN)
    page = Paginator(qs.order_by("-filed_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "remedies/objection_list.html", {"page": page, "state": state, "today": timezone.localdate()}
    )


def _objection(request: HttpRequest, number: str) -> Objection:
    return get_object_or_404(
        Objection.objects.visible_to(request.user).select_related("record", "subject", "routed_to", "filed_by"),
        number=number,
    )


def _objection_abilities(user: Any, o: Objection) -> dict[str, bool]:
    handler = services.can_handle(user, o.routed_to, o.subject, subject_hash=o.subject_hash)
    subject_side = services.may_act_for(user, o)
    reviewer = o.status == ObjectionStatus.REVIEW_REQUESTED
    if reviewer:
        try:
            services._may_review(user, o)
        except PermissionDenied:
            reviewer = False
    return {
        "accept": handler and o.status == ObjectionStatus.FILED,
        "extend": handler and o.status == ObjectionStatus.ACCEPTED and bool(o.extended_days),
        "decide": handler and o.status in (ObjectionStatus.ACCEPTED, ObjectionStatus.EXTENDED),
        "withdraw": subject_side and o.status in OBJECTION_PENDING_DECISION,
        "request_review": subject_side and o.status in (ObjectionStatus.REJECTED, ObjectionStatus.PARTLY_UPHELD),
        "review": reviewer,
    }


@login_required
def objection_detail(request: HttpRequest, number: str) -> HttpResponse:
    o = _objection(request, number)
    context = {
        "o": o,
        "record": o.record,
        "attachments": o.attachments.all(),
        "timeline": _timeline(Transition.Kind.OBJECTION, o.pk),
        "can": _objection_abilities(request.user, o),
        "discipline": o.record.record_class == DISCIPLINE,
        "today": timezone.localdate(),
        "extend_form": forms.ExtendForm(),
        "decide_form": forms.DecideForm(),
        "review_request_form": forms.ReasonsForm(),
        "review_form": forms.ReviewForm(),
    }
    return render(request, "remedies/objection_detail.html", context)


@login_required
@require_POST
def objection_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    o = _objection(request, number)
    user = request.user
    form: Any = None
    try:
        if action == "accept":
            services.objection_accept(actor=user, objection=o)
        elif action == "extend":
            form = forms.ExtendForm(request.POST)
            if form.is_valid():
                services.objection_extend(actor=user, objection=o, **form.cleaned_data)
        elif action == "decide":
            form = forms.DecideForm(request.POST)
            if form.is_valid():
                d = form.cleaned_data
                services.objection_decide(actor=user, objection=o, outcome=d["outcome"], reasons=d["reasons"],
                                          record_action=d["record_action"], changes=form.changes())  # fmt: skip
        elif action == "withdraw":
            services.objection_withdraw(actor=user, objection=o, reason=request.POST.get("reasons", ""))
        elif action == "request_review":
            form = forms.ReasonsForm(request.POST)
            if form.is_valid():
                services.objection_request_review(actor=user, objection=o, reasons=form.cleaned_data["reasons"])
        elif action == "review":
            form = forms.ReviewForm(request.POST)
            if form.is_valid():
                d = form.cleaned_data
                services.objection_review(actor=user, objection=o, outcome=d["outcome"], reasons=d["reasons"],
                                          record_action=d["record_action"], changes=form.changes())  # fmt: skip
        else:
            raise Http404
    except PermissionDenied:
        raise
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("remedies:objection_detail", number=number)
    if form is not None and not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[field].label if field in form.fields else ''} {error}".strip())
    else:
        messages.success(request, _("已办理。"))
    return redirect("remedies:objection_detail", number=number)


# --- repairs ----------------------------------------------------------------------------------------------------------
@login_required
def repair_list(request: HttpRequest) -> HttpResponse:
    _require(request, services.VIEW)
    qs = RepairRequest.objects.visible_to(request.user).select_related("record", "subject", "handled_by")
    state = request.GET.get("state", "open")
    if state == "open":
        qs = qs.open()
    page = Paginator(qs.order_by("-filed_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "remedies/repair_list.html", {"page": page, "state": state, "today": timezone.localdate()})


def _repair(request: HttpRequest, number: str) -> RepairRequest:
    return get_object_or_404(
        RepairRequest.objects.visible_to(request.user).select_related("record", "subject", "handled_by", "filed_by"),
        number=number,
    )


@login_required
def repair_detail(request: HttpRequest, number: str) -> HttpResponse:
    r = _repair(request, number)
    handler = services.can_handle(request.user, r.handled_by, r.subject, subject_hash=r.subject_hash)
    subject_side = services.may_act_for(request.user, r)
    can = {
        "accept": handler and r.status == RepairStatus.SUBMITTED,
        "decide": handler and r.status == RepairStatus.ACCEPTED,
        "withdraw": subject_side and r.is_open,
    }
    context = {
        "r": r,
        "record": r.record,
        "attachments": r.attachments.all(),
        "timeline": _timeline(Transition.Kind.REPAIR, r.pk),
        "can": can,
        "today": timezone.localdate(),
        "decide_form": forms.RepairDecideForm(),
    }
    return render(request, "remedies/repair_detail.html", context)


@login_required
@require_POST
def repair_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    r = _repair(request, number)
    form: Any = None
    try:
        if action == "accept":
            services.repair_accept(actor=request.user, repair=r)
        elif action == "decide":
            form = forms.RepairDecideForm(request.POST)
            if form.is_valid():
                d = form.cleaned_data
                services.repair_decide(actor=request.user, repair=r, approve=d["approve"] == "yes",
                                       reasons=d["reasons"], reference=d["reference"])  # fmt: skip
        elif action == "withdraw":
            services.repair_withdraw(actor=request.user, repair=r)
        else:
            raise Http404
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("remedies:repair_detail", number=number)
    if form is not None and not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, _("已办理。"))
    return redirect("remedies:repair_detail", number=number)


# --- attachments ------------------------------------------------------------------------------------------------------
@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(Attachment, pk=pk)
    if attachment.objection_id is not None:
        visible = Objection.objects.visible_to(request.user).filter(pk=attachment.objection_id).exists()
    else:
        visible = RepairRequest.objects.visible_to(request.user).filter(pk=attachment.repair_id or 0).exists()
    if not visible:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
        content_type=attachment.content_type,
    )  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- repair notice (信用修复告知书, 两书同达) ----------------------------------------------------------------------
@login_required
def repair_notice(request: HttpRequest, number: str) -> HttpResponse:
    """A printable notice the deciding authority may deliver with its decision. Visible to the authority's users,
    the supplier and anyone who may view the record."""
    record = get_object_or_404(CreditRecord.objects.select_related("agency"), number=number)
    user: Any = request.user
    own_authority = bool(user.agency_id) and user.agency.uscc == record.authority_uscc
    if not own_authority and not CreditRecord.objects.visible_to(user).filter(pk=record.pk).exists():
        raise Http404
    if record.subject_kind != SubjectKind.AGENCY:
        raise Http404
    verdict = services.eligibility(record)
    return render(
        request,
        "remedies/repair_notice.html",
        {"record": record, "eligibility": verdict, "conditions": policy.conditions(), "today": timezone.localdate()},
    )


# --- agent authorisations ---------------------------------------------------------------------------------------------
@login_required
def agent_list(request: HttpRequest) -> HttpResponse:
    _require(request, services.FILE)
    user: Any = request.user
    form = forms.AgentForm(request.POST or None, initial={"valid_from": timezone.localdate()})
    if request.method == "POST" and form.is_valid() and user.agency is not None:
        d = form.cleaned_data
        agent = User.objects.filter(username=d["agent_username"].strip()).first()
        try:
            services.agent_authorisation_grant(
                actor=user, principal=user.agency, agent=agent, reference=d["reference"], valid_from=d["valid_from"],
                valid_until=d["valid_until"], note=d["note"],
            )  # fmt: skip
        except ValidationError as exc:
            apply_service_errors(form, exc)
            if "agent" in getattr(exc, "message_dict", {}):
                form.add_error("agent_username", exc.message_dict["agent"])
        else:
            messages.success(request, _("委托已登记。"))
            return redirect("remedies:agent_list")
    granted = AgentAuthorisation.objects.filter(principal_id=user.agency_id).select_related("agent")
    received = AgentAuthorisation.objects.filter(agent=user).select_related("principal")
    return render(request, "remedies/agent_list.html", {"form": form, "granted": granted, "received": received,
                                                          "today": timezone.localdate()})  # fmt: skip


@login_required
@require_POST
def agent_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    authorisation = get_object_or_404(AgentAuthorisation, pk=pk, principal_id=user.agency_id)
    try:
        services.agent_authorisation_revoke(actor=user, authorisation=authorisation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("remedies:agent_list")


# --- dashboard --------------------------------------------------------------------------------------------------------
def _stats(rows: list[dict[str, Any]], today: datetime.date, open_statuses: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"open": 0, "open_overdue": 0, "closed_on_time": 0, "closed_late": 0, "days": []}
    for row in rows:
        if row["status"] in open_statuses:
            s["open"] += 1
            if today > row["due_on"]:
                s["open_overdue"] += 1
        elif row["decided_on"] is not None:
            if row["decided_on"] <= row["due_on"]:
                s["closed_on_time"] += 1
            else:
                s["closed_late"] += 1
            s["days"].append(periods.working_days_between(row["filed_on"], row["decided_on"]))
    days = s.pop("days")
    s["open_on_time"] = s["open"] - s["open_overdue"]
    s["average_days"] = round(sum(days) / len(days), 1) if days else None
    return s


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Per department: open, on time, overdue, average handling time in working days (objections and repairs)."""
    _require(request, services.VIEW)
    today = timezone.localdate()
    since = today - datetime.timedelta(days=365)
    agencies = Agency.objects.visible_to(request.user, services.VIEW)
    fields = ("status", "filed_on", "due_on", "decided_on")
    objection_rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in Objection.objects.filter(routed_to__in=agencies, filed_on__gte=since).values("routed_to", *fields):
        objection_rows[row["routed_to"]].append(row)
    repair_rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in RepairRequest.objects.filter(handled_by__in=agencies, filed_on__gte=since).values("handled_by", *fields):
        repair_rows[row["handled_by"]].append(row)
    names = dict(Agency.objects.filter(pk__in=set(objection_rows) | set(repair_rows)).values_list("pk", "name"))
    table: list[dict[str, Any]] = []
    for pk in sorted(names, key=lambda p: names[p]):
        table.append(
            {
                "name": names[pk],
                "objections": _stats(objection_rows.get(pk, []), today, OBJECTION_PENDING_DECISION),
                "repairs": _stats(repair_rows.get(pk, []), today, (RepairStatus.SUBMITTED, RepairStatus.ACCEPTED)),
            }
        )
    series_keys = [
        ("closed_on_time", _("按时办结")),
        ("closed_late", _("超期办结")),
        ("open_on_time", _("办理中（未超期）")),
        ("open_overdue", _("办理中（已超期）")),
    ]
    chart = {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [str(label) for _k, label in series_keys]},
        "xAxis": {
            "type": "category",
            "data": [row["name"] for row in table],
            "axisLabel": {"interval": 0, "rotate": 30},
        },
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": str(label),
                "type": "bar",
                "stack": "all",
                "data": [row["objections"][key] + row["repairs"][key] for row in table],
            }
            for key, label in series_keys
        ],
    }
    return render(request, "remedies/dashboard.html", {"table": table, "chart": chart, "since": since, "today": today})
