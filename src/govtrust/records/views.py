"""Console pages: record search, record detail, the credit archives (信用档案), rulings and the rule catalog.

Every read goes through `visible_to` (404 outside the user's scope). Archives and records of natural persons
(civil servants, persons) ask for a purpose from a fixed list first and write an AccessLog row per read;
their ID numbers are only ever shown masked.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core.audit import log_access
from govtrust.core.exports import write_xlsx, xlsx_response
from govtrust.core.masking import mask_name
from govtrust.core.validators import normalise_code
from govtrust.records import catalog, policy, services
from govtrust.records.forms import ACCESS_PURPOSES, PurposeForm, RecordFilterForm, RulingCheckForm, RulingForm, lines
from govtrust.records.models import (
    CreditRecord,
    CreditRecordVersion,
    FaultToleranceRuling,
    RulingStatus,
    SubjectKind,
)
from govtrust.registry.forms import apply_service_errors
from govtrust.registry.models import Agency, CivilServant, Person
from govtrust.registry.permissions import has_grant

VIEW = "records.view"
CHANGE = "records.change"
MANAGE_RULINGS = "fault_tolerance.manage"
PAGE_SIZE = 30
EXPORT_MAX_ROWS = 100_000
PURPOSE_LABELS = dict(ACCESS_PURPOSES)


def _require(request: HttpRequest, action: str) -> None:
    if not has_grant(request.user, action):
        raise PermissionDenied


def _display_name(record: CreditRecord) -> str:
    return mask_name(record.subject_name) if record.is_personal else record.subject_name


def _records(request: HttpRequest) -> QuerySet[CreditRecord]:
    return (
        CreditRecord.objects.visible_to(request.user, VIEW)
        .select_related("supplier", "covered_by")
        .order_by("-decision_date", "-pk")
    )


def _filtered(request: HttpRequest) -> tuple[RecordFilterForm, QuerySet[CreditRecord]]:
    form = RecordFilterForm(request.GET or None)
    qs = _records(request)
    if form.is_valid():
        data = form.cleaned_data
        if data["record_class"]:
            qs = qs.filter(record_class=data["record_class"])
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["supplier"]:
            qs = qs.filter(supplier__uscc=normalise_code(data["supplier"]))
        if data["subject"]:
            # Names of natural persons are not searchable here: that would reveal who has a record.
            qs = qs.filter(subject_name__contains=data["subject"].strip()).exclude(
                subject_kind__in=[SubjectKind.CIVIL_SERVANT, SubjectKind.PERSON]
            )
        if data["date_from"]:
            qs = qs.filter(decision_date__gte=data["date_from"])
        if data["date_to"]:
            qs = qs.filter(decision_date__lte=data["date_to"])
    return form, qs


@login_required
def record_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    form, qs = _filtered(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(record, _display_name(record)) for record in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "records/record_list.html", {"form": form, "page": page, "rows": rows, "query": query.urlencode()}
    )


EXPORT_HEADERS = [
    gettext_lazy("记录编号"),
    gettext_lazy("主体类型"),
    gettext_lazy("主体名称"),
    gettext_lazy("类别"),
    gettext_lazy("子类"),
    gettext_lazy("严重程度"),
    gettext_lazy("决定书文号"),
    gettext_lazy("决定机关"),
    gettext_lazy("决定机关统一社会信用代码"),
    gettext_lazy("决定日期"),
    gettext_lazy("行为发生日期"),
    gettext_lazy("事实"),
    gettext_lazy("依据"),
    gettext_lazy("内容"),
    gettext_lazy("罚款金额（万元）"),
    gettext_lazy("没收金额（万元）"),
    gettext_lazy("状态"),
    gettext_lazy("公示起始日"),
    gettext_lazy("最短公示期届满日"),
    gettext_lazy("最长公示期届满日"),
    gettext_lazy("规则"),
    gettext_lazy("规则版本"),
    gettext_lazy("规则暂定"),
    gettext_lazy("容错认定"),
    gettext_lazy("数据提供部门"),
    gettext_lazy("批次号"),
    gettext_lazy("来源行号"),
    gettext_lazy("来源"),
    gettext_lazy("版本"),
]


def _export_rows(records: Any) -> Any:
    for count, record in enumerate(records, start=1):
        if count > EXPORT_MAX_ROWS:
            yield [_("结果超过 %(n)d 行，仅导出前 %(n)d 行，请缩小范围。") % {"n": EXPORT_MAX_ROWS}]
            return
        yield [
            record.number, record.get_subject_kind_display(), _display_name(record), record.get_record_class_display(),
            policy.sub_type_label(record.record_class, record.sub_type), record.get_severity_display(),
            record.document_number, record.authority_name, record.authority_uscc, record.decision_date,
            record.conduct_date, record.facts, record.basis, record.content, record.amount_fine,
            record.amount_confiscated, record.get_status_display(), record.publicity_start, record.publicity_min_end,
            record.publicity_max_end, record.rule_key, record.rule_version, _("是") if record.rule_provisional else "",
            record.covered_by.number if record.covered_by else "", record.supplier.name, record.batch_number,
            record.source_row, record.get_source_display(), record.version,
        ]  # fmt: skip


def _export(name: str, records: Any) -> HttpResponse:
    headers = [str(h) for h in EXPORT_HEADERS]
    content = write_xlsx(headers, _export_rows(records.iterator(chunk_size=2000)), sheet_title=_("信用记录"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(content, f"{name}-{stamp}.xlsx")


@login_required
def record_export(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    _form, qs = _filtered(request)
    return _export("credit-records", qs)


def _purpose(request: HttpRequest) -> str | None:
    purpose = request.GET.get("purpose", "")
    return purpose if purpose in PURPOSE_LABELS else None


def _purpose_page(request: HttpRequest, title: str) -> HttpResponse:
    return render(request, "records/purpose.html", {"form": PurposeForm(), "title": title})


def _log_personal_read(request: HttpRequest, subject: Any, purpose: str, what: str) -> None:
    log_access(
        actor=request.user,
        subject=subject,
        subject_repr=mask_name(subject.name),
        purpose=str(PURPOSE_LABELS[purpose]),
        detail={"page": what, "purpose_code": purpose},
    )


@login_required
def record_detail(request: HttpRequest, number: str) -> HttpResponse:
    _require(request, VIEW)
    record = get_object_or_404(_records(request), number=number)
    if record.is_personal:
        purpose = _purpose(request)
        if purpose is None:
            return _purpose_page(request, _("查看信用记录 %(n)s") % {"n": record.number})
        _log_personal_read(request, record.subject, purpose, f"record:{record.number}")
    context = {
        "record": record,
        "display_name": _display_name(record),
        "versions": record.versions.order_by("-version"),
        "can_repair": policy.can_repair_on(record.publicity_min_end, record.publicity_start, services._today()),
        "repair_from": policy.repair_allowed_from(record.publicity_min_end, record.publicity_start),
        "sub_type_label": policy.sub_type_label(record.record_class, record.sub_type),
        "archive_url": _archive_url(record),
    }
    return render(request, "records/record_detail.html", context)


def _archive_url(record: CreditRecord) -> str:
    if record.subject_kind == SubjectKind.AGENCY and record.agency:
        return reverse("records:archive_agency", kwargs={"uscc": record.agency.uscc})
    if record.subject_kind == SubjectKind.CIVIL_SERVANT:
        return reverse("records:archive_person", kwargs={"kind": "civil-servant", "pk": record.civil_servant_id})
    if record.subject_kind == SubjectKind.PERSON:
        return reverse("records:archive_person", kwargs={"kind": "person", "pk": record.person_id})
    return ""


def _archive_records(request: HttpRequest, **subject: Any) -> QuerySet[CreditRecord]:
    return (
        _records(request)
        .filter(**subject)
        .prefetch_related(Prefetch("versions", queryset=CreditRecordVersion.objects.order_by("-version")))
    )


def _archive_context(records: QuerySet[CreditRecord]) -> dict[str, Any]:
    items = list(records[:500])
    return {
        "records": [(r, _display_name(r)) for r in items],
        "truncated": len(items) == 500,
        "dishonesty_count": sum(1 for r in items if r.is_dishonesty and r.status == "in_force" and not r.covered_by_id),
        "rulings": sorted({r.covered_by for r in items if r.covered_by}, key=lambda x: x.number),
    }


@login_required
def archive_agency(request: HttpRequest, uscc: str) -> HttpResponse:
    _require(request, VIEW)
    agency = get_object_or_404(Agency.objects.visible_to(request.user, VIEW), uscc=uscc)
    records = _archive_records(request, agency=agency)
    rulings = FaultToleranceRuling.objects.filter(subject_agency=agency).exclude(status=RulingStatus.REJECTED)
    context = {
        "subject_name": agency.name,
        "subject_code": agency.uscc,
        "agency": agency,
        "export_url": reverse("records:archive_agency_export", kwargs={"uscc": agency.uscc}),
        **_archive_context(records),
        "subject_rulings": rulings,
    }
    return render(request, "records/archive.html", context)


@login_required
def archive_agency_export(request: HttpRequest, uscc: str) -> HttpResponse:
    _require(request, VIEW)
    agency = get_object_or_404(Agency.objects.visible_to(request.user, VIEW), uscc=uscc)
    return _export(f"archive-{agency.uscc}", _records(request).filter(agency=agency))


def _person_subject(request: HttpRequest, kind: str, pk: int) -> tuple[Any, dict[str, Any]]:
    if kind == "civil-servant":
        servant = get_object_or_404(CivilServant.objects.visible_to(request.user, VIEW), pk=pk)
        return servant, {"civil_servant": servant}
    if kind == "person":
        person = get_object_or_404(Person.objects.visible_to(request.user, VIEW), pk=pk)
        return person, {"person": person}
    raise Http404


@login_required
def archive_person(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    _require(request, VIEW)
    subject, lookup = _person_subject(request, kind, pk)
    purpose = _purpose(request)
    if purpose is None:
        return _purpose_page(request, _("查看个人信用档案"))
    _log_personal_read(request, subject, purpose, "archive")
    rulings = (
        FaultToleranceRuling.objects.filter(subject_civil_servant=subject).exclude(status=RulingStatus.REJECTED)
        if kind == "civil-servant"
        else FaultToleranceRuling.objects.none()
    )
    context = {
        "subject_name": mask_name(subject.name),
        "subject_code": subject.id_number_masked,
        "purpose": purpose,
        "purpose_label": PURPOSE_LABELS[purpose],
        "export_url": reverse("records:archive_person_export", kwargs={"kind": kind, "pk": pk}) + f"?purpose={purpose}",
        **_archive_context(_archive_records(request, **lookup)),
        "subject_rulings": rulings,
        "personal": True,
    }
    return render(request, "records/archive.html", context)


@login_required
def archive_person_export(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    _require(request, VIEW)
    subject, lookup = _person_subject(request, kind, pk)
    purpose = _purpose(request)
    if purpose is None:
        return _purpose_page(request, _("导出个人信用档案"))
    _log_personal_read(request, subject, purpose, "archive_export")
    return _export(f"archive-{kind}-{pk}", _records(request).filter(**lookup))


# --- rules -----------------------------------------------------------------------------------------------------------
@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    rules = []
    for rule in catalog.current_catalog().rules:
        versions = []
        for version in sorted(rule.versions, key=lambda v: (v.effective_from is not None, v.effective_from)):
            values = None
            if version.values is not None:
                values = [
                    {
                        "key": key,
                        "min": spec.min.text() if spec.min else "—",
                        "max": spec.max.text() if spec.max else _("不设期限"),
                        "publish": spec.publish,
                        "provisional": spec.provisional,
                        "extension": spec.extension_years,
                        "note": spec.note,
                    }
                    for key, spec in version.values.items()
                ]
            versions.append({"version": version, "values": values})
        labels = [str(policy.RecordClass(c).label) for c in rule.record_classes]
        rules.append({"rule": rule, "versions": versions, "classes": "、".join(labels)})
    return render(request, "records/rule_list.html", {"rules": rules})


# --- fault tolerance -------------------------------------------------------------------------------------------------
@login_required
def ruling_list(request: HttpRequest) -> HttpResponse:
    _require(request, MANAGE_RULINGS)
    qs = FaultToleranceRuling.objects.visible_to(request.user, MANAGE_RULINGS).select_related(
        "authority", "subject_agency", "subject_civil_servant"
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "records/ruling_list.html", {"page": page, "can_create": True, "review": False})


@login_required
def ruling_review(request: HttpRequest) -> HttpResponse:
    """The credit office's queue: rulings about subjects in its records.change scope."""
    _require(request, CHANGE)
    qs = FaultToleranceRuling.objects.visible_to(request.user, CHANGE).select_related(
        "authority", "subject_agency", "subject_civil_servant"
    )
    page = Paginator(qs.order_by("status", "-decision_date", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "records/ruling_list.html", {"page": page, "can_create": False, "review": True})


def _ruling_subject(request: HttpRequest, kind: str, code: str) -> Agency | CivilServant | None:
    code = normalise_code(code)
    if kind == "agency":
        return Agency.objects.visible_to(request.user, MANAGE_RULINGS).filter(uscc=code).first()
    return CivilServant.objects.visible_to(request.user, MANAGE_RULINGS).with_id_number(code).first()


@login_required
def ruling_create(request: HttpRequest) -> HttpResponse:
    _require(request, MANAGE_RULINGS)
    authority = getattr(request.user, "agency", None)
    if authority is None:
        raise PermissionDenied
    form = RulingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        subject = _ruling_subject(request, data["subject_kind"], data["subject_code"])
        if subject is None:
            form.add_error("subject_code", _("在您的权限范围内找不到该对象"))
        else:
            try:
                ruling = services.ruling_record(
                    actor=request.user,
                    number=data["number"],
                    authority=authority,
                    decision_date=data["decision_date"],
                    grounds=data["grounds"],
                    subject=subject,
                    conduct_description=data["conduct_description"],
                    document_numbers=lines(data["document_numbers"]),
                    natural_keys=lines(data["natural_keys"]),
                    conduct_from=data["conduct_from"],
                    conduct_to=data["conduct_to"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("已登记容错纠错认定，待信用主管部门核对"))
                return redirect("records:ruling_detail", pk=ruling.pk)
    return render(request, "records/ruling_form.html", {"form": form, "authority": authority})


def _visible_ruling(request: HttpRequest, pk: int) -> FaultToleranceRuling:
    user = request.user
    for action in (MANAGE_RULINGS, CHANGE):
        ruling = FaultToleranceRuling.objects.visible_to(user, action).filter(pk=pk).first()
        if ruling is not None:
            return ruling
    raise Http404


def _may_check(request: HttpRequest, ruling: FaultToleranceRuling) -> bool:
    """Credit offices check rulings about subjects in their records.change scope; never their own entries."""
    user: Any = request.user
    agency = getattr(user, "agency", None)
    is_credit_office = user.is_superuser or (agency is not None and agency.is_credit_office)
    return (
        ruling.status == RulingStatus.RECORDED
        and is_credit_office
        and ruling.entered_by_id != user.pk
        and FaultToleranceRuling.objects.visible_to(user, CHANGE).filter(pk=ruling.pk).exists()
    )


@login_required
def ruling_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ruling = _visible_ruling(request, pk)
    may_check = _may_check(request, ruling)
    form = RulingCheckForm(request.POST or None)
    if request.method == "POST":
        if not may_check:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.ruling_check(
                    actor=request.user,
                    ruling=ruling,
                    accepted=form.cleaned_data["decision"] == "accept",
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("已核对"))
                return redirect("records:ruling_detail", pk=ruling.pk)
    covered = CreditRecord.objects.visible_to(request.user, VIEW).filter(covered_by=ruling).order_by("-decision_date")
    subject = ruling.subject
    context = {
        "ruling": ruling,
        "subject_name": subject.name if ruling.subject_kind == SubjectKind.AGENCY else mask_name(subject.name),
        "covered": [(r, _display_name(r)) for r in covered[:200]],
        "may_check": may_check,
        "form": form,
    }
    return render(request, "records/ruling_detail.html", context)
