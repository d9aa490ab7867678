"""Console pages for personnel credit queries, the honours check, credit reports and "queries about me",
and the public report verification page.

Permissions are checked here and again in `services_queries` (a forged POST is refused there too).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from govtrust.accounts import services as accounts_services
from govtrust.accounts.models import SubjectAccount
from govtrust.core.exports import write_xlsx, xlsx_response
from govtrust.core.validators import normalise_code
from govtrust.disclosure import queries, reports
from govtrust.disclosure import services_queries as services
from govtrust.disclosure.models import PersonnelQuery, QueryPurpose
from govtrust.registry.models import Agency, Enterprise
from govtrust.registry.permissions import has_grant


def register_navigation() -> None:
    from govtrust.core.navigation import SYSTEM, MenuItem, register_menu_item

    group = ("personnel", gettext_lazy("信用查询"))
    register_menu_item(
        MenuItem(gettext_lazy("人员信用查询"), "queries:personnel", action=services.RUN, order=60, group=group)
    )
    register_menu_item(
        MenuItem(gettext_lazy("评优评先核查"), "queries:honours", action=services.HONOURS, order=61, group=group)
    )
    register_menu_item(
        MenuItem(gettext_lazy("信用报告"), "queries:reports", action=services.RECORDS_VIEW, order=62, group=group)
    )
    register_menu_item(MenuItem(gettext_lazy("查询我的记录"), "queries:my_queries", order=90))
    register_menu_item(
        MenuItem(
            gettext_lazy("本人身份关联"),
            "queries:subject_accounts",
            action=services.USER_MANAGE,
            order=91,
            group=SYSTEM,
        )
    )


def _require(request: HttpRequest, action: str) -> None:
    if not has_grant(request.user, action):
        raise PermissionDenied


def _pdf_response(pdf: bytes, number: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename=\"{number}.pdf\"; filename*=UTF-8''{quote(number)}.pdf"
    response["Cache-Control"] = "no-store"
    return response


# --- personnel queries --------------------------------------------------------------------------


class CandidateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=queries.NAME_MAX)
    id_number = forms.CharField(label=gettext_lazy("身份证号码"), max_length=30)
    purpose = forms.ChoiceField(label=gettext_lazy("用途"), choices=QueryPurpose.choices)
    authorisation_ref = forms.CharField(
        label=gettext_lazy("授权书编号"),
        max_length=queries.AUTH_REF_MAX,
        help_text=gettext_lazy("被查询人签署的书面授权书的编号"),
    )


class BatchForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("候选人名单（.xlsx）"))


@login_required
def personnel(request: HttpRequest) -> HttpResponse:
    _require(request, services.RUN)
    page = Paginator(services.personnel_queries_of(request.user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "disclosure/console/personnel.html",
        {
            "form": CandidateForm(),
            "batch_form": BatchForm(),
            "page": page,
            "max_rows": queries.BATCH_MAX_ROWS,
            "purposes": [label for _c, label in QueryPurpose.choices],
        },
    )


@login_required
@require_POST
def personnel_single(request: HttpRequest) -> HttpResponse:
    _require(request, services.RUN)
    form = CandidateForm(request.POST)
    if form.is_valid():
        candidate, problems = queries.check_candidate(1, **form.cleaned_data)
        for p in problems:
            form.add_error(p.field if p.field in form.fields else None, p.message)
        if candidate is not None:
            query = services.personnel_query_run(actor=request.user, candidates=[candidate])
            return redirect("queries:personnel_result", number=query.number)
    page = Paginator(services.personnel_queries_of(request.user), 30).get_page(1)
    context = {"form": form, "batch_form": BatchForm(), "page": page, "max_rows": queries.BATCH_MAX_ROWS}
    return render(request, "disclosure/console/personnel.html", context, status=400)


@login_required
@require_POST
def personnel_upload(request: HttpRequest) -> HttpResponse:
    _require(request, services.RUN)
    form = BatchForm(request.POST, request.FILES)
    error = ""
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            candidates, problems = queries.read_candidates_xlsx(upload)
        except queries.RefusedBatch as exc:
            error = str(exc)
        else:
            if candidates:
                query = services.personnel_query_run(
                    actor=request.user,
                    candidates=candidates,
                    channel=PersonnelQuery.Channel.FILE,
                    file_name=upload.name,
                    bad_rows=problems,
                )
                return redirect("queries:personnel_result", number=query.number)
            page = Paginator(services.personnel_queries_of(request.user), 30).get_page(1)
            return render(
                request,
                "disclosure/console/personnel.html",
                {
                    "form": CandidateForm(),
                    "batch_form": form,
                    "page": page,
                    "max_rows": queries.BATCH_MAX_ROWS,
                    "bad_rows": problems,
                    "error": _("文件中没有可查询的行，未进行查询"),
                },
                status=400,
            )
    if error:
        form.add_error("file", error)
    page = Paginator(services.personnel_queries_of(request.user), 30).get_page(1)
    context = {"form": CandidateForm(), "batch_form": form, "page": page, "max_rows": queries.BATCH_MAX_ROWS}
    return render(request, "disclosure/console/personnel.html", context, status=400)


@login_required
def personnel_template(request: HttpRequest) -> HttpResponse:
    _require(request, services.RUN)
    sample = [["张三", "", str(QueryPurpose.RECRUITMENT.label), "SQ2026-001"]]
    return xlsx_response(
        write_xlsx(queries.TEMPLATE_HEADERS, sample, sheet_title=_("候选人"), widths={0: 14, 1: 22, 2: 14, 3: 20}),
        "候选人名单模板.xlsx",
    )


def _own_query(request: HttpRequest, number: str) -> PersonnelQuery:
    _require(request, services.RUN)
    query = services.personnel_queries_of(request.user).filter(number=number).first()
    if query is None:
        raise Http404
    return query


@login_required
def personnel_result(request: HttpRequest, number: str) -> HttpResponse:
    query = _own_query(request, number)
    results = services.personnel_results_read(actor=request.user, query=query, purpose=_("查看人员信用查询结果"))
    rows = [(r, queries.Verdict.label(r.verdict)) for r in results]
    return render(request, "disclosure/console/personnel_result.html", {"query": query, "rows": rows})


@login_required
def personnel_export(request: HttpRequest, number: str) -> HttpResponse:
    query = _own_query(request, number)
    results = services.personnel_results_read(actor=request.user, query=query, purpose=_("导出人员信用查询结果"))
    headers = [
        _("行号"),
        _("姓名"),
        _("身份证号码（脱敏）"),
        _("用途"),
        _("授权书编号"),
        _("结论"),
        _("记录编号"),
        _("类别"),
        _("严重程度"),
        _("决定书文号"),
        _("决定机关"),
        _("决定日期"),
        _("名单命中"),
    ]
    rows: list[list[Any]] = []
    for r in results:
        base = [r.row, r.name, r.id_number_masked, r.get_purpose_display(), r.authorisation_ref]
        hits = "；".join(
            f"{h.get('list_name') or h.get('list')} {h.get('case_number', '')}".strip() for h in r.list_hits
        )
        verdict = queries.Verdict.label(r.verdict)
        if not r.records:
            rows.append([*base, verdict, "", "", "", "", "", "", hits])
        for rec in r.records:
            rows.append(
                [
                    *base,
                    verdict,
                    rec["number"],
                    rec["class_label"],
                    rec["severity_label"],
                    rec["document_number"],
                    rec["authority_name"],
                    rec["decision_date"],
                    hits,
                ]
            )
    content = write_xlsx(headers, rows, sheet_title=_("查询结果"), widths={1: 12, 2: 20, 6: 20, 9: 24, 10: 24})
    return xlsx_response(content, f"人员信用查询结果-{query.number}.xlsx")


@login_required
@require_POST
def personnel_report(request: HttpRequest, number: str, row: int) -> HttpResponse:
    query = _own_query(request, number)
    result = query.results.filter(row=row).first()
    if result is None:
        raise Http404
    report, pdf = services.credit_report_for_candidate(
        actor=request.user, candidate=services.result_candidate(result), reference=query.number
    )
    return _pdf_response(pdf, report.number)


# --- the honours check --------------------------------------------------------------------------


class HonoursPersonForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=queries.NAME_MAX)
    id_number = forms.CharField(label=gettext_lazy("身份证号码"), max_length=30)
    authorisation_ref = forms.CharField(label=gettext_lazy("授权书编号"), max_length=queries.AUTH_REF_MAX)


@login_required
def honours(request: HttpRequest) -> HttpResponse:
    _require(request, services.HONOURS)
    context: dict[str, Any] = {"person_form": HonoursPersonForm(), "uscc": request.GET.get("uscc", "")}
    status = 200
    if context["uscc"]:
        agency = (
            Agency.objects.visible_to(request.user, services.HONOURS)
            .filter(uscc=normalise_code(context["uscc"]))
            .first()
        )
        if agency is None:
            context["agency_error"] = _("您的数据权限范围内没有此统一社会信用代码的政府部门")
            status = 404
        else:
            context["agency"] = agency
            context["verdict"] = services.honours_check_agency(actor=request.user, agency=agency)
    if request.method == "POST":
        form = HonoursPersonForm(request.POST)
        context["person_form"] = form
        if form.is_valid():
            try:
                servant, verdict = services.honours_check_civil_servant(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for e in errors:
                        form.add_error(field if field in form.fields else None, e)
                status = 400
            else:
                context["servant"] = servant
                context["verdict"] = verdict
        else:
            status = 400
    return render(request, "disclosure/console/honours.html", context, status=status)


# --- credit reports -----------------------------------------------------------------------------


@login_required
def credit_reports(request: HttpRequest) -> HttpResponse:
    _require(request, services.RECORDS_VIEW)
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        code = normalise_code(request.POST.get("uscc", ""))
        if kind == "agency":
            agency = Agency.objects.visible_to(request.user, services.RECORDS_VIEW).filter(uscc=code).first()
            if agency is not None:
                report, pdf = services.credit_report_for_agency(actor=request.user, agency=agency)
                return _pdf_response(pdf, report.number)
        elif kind == "enterprise":
            enterprise = Enterprise.objects.visible_to(request.user, services.RECORDS_VIEW).filter(uscc=code).first()
            if enterprise is not None:
                report, pdf = services.credit_report_for_enterprise(actor=request.user, enterprise=enterprise)
                return _pdf_response(pdf, report.number)
        messages.error(request, _("您的数据权限范围内没有此统一社会信用代码的主体"))
        return render(request, "disclosure/console/reports.html", {"kind": kind, "uscc": code}, status=404)
    return render(request, "disclosure/console/reports.html", {"kind": "agency", "uscc": ""})


# --- the person concerned -----------------------------------------------------------------------


@login_required
def my_queries(request: HttpRequest) -> HttpResponse:
    servants, person = services.persons_for(request.user)
    page = Paginator(services.my_queries(request.user), 30).get_page(request.GET.get("page"))
    linked = hasattr(request.user, "subject_account")
    return render(
        request,
        "disclosure/console/my_queries.html",
        {"page": page, "linked": linked, "servants": servants, "person": person},
    )


class SubjectAccountForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("用户名"), max_length=150)
    id_number = forms.CharField(label=gettext_lazy("本人身份证号码（已当面核验证件）"), max_length=30)


@login_required
def subject_accounts(request: HttpRequest) -> HttpResponse:
    _require(request, services.USER_MANAGE)
    form = SubjectAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = get_user_model().objects.filter(username=form.cleaned_data["username"].strip()).first()
        if user is None:
            form.add_error("username", _("用户不存在"))
        else:
            try:
                accounts_services.subject_account_link(
                    actor=request.user, user=user, id_number=form.cleaned_data["id_number"]
                )
            except ValidationError as exc:
                for e in exc.message_dict.get("id_number", []):
                    form.add_error("id_number", e)
            else:
                messages.success(request, _("已关联本人身份"))
                return redirect("queries:subject_accounts")
    page = Paginator(SubjectAccount.objects.select_related("user").order_by("-verified_at"), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "disclosure/console/subject_accounts.html", {"form": form, "page": page})


@login_required
@require_POST
def subject_account_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, services.USER_MANAGE)
    account = SubjectAccount.objects.select_related("user").filter(pk=pk).first()
    if account is None:
        raise Http404
    try:
        accounts_services.subject_account_unlink(actor=request.user, user=account.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已解除本人身份关联"))
    return redirect("queries:subject_accounts")


# --- public verification ------------------------------------------------------------------------


class VerifyUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("报告PDF文件"))


def verify(request: HttpRequest, number: str = "") -> HttpResponse:
    """Anyone: enter a number (or scan the QR code) or upload the PDF; the answer never shows personal data."""
    context: dict[str, Any] = {"form": VerifyUploadForm(), "number": number or request.GET.get("number", "")}
    status = 200
    if request.method == "POST":
        form = VerifyUploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > settings.GOVTRUST_REPORT_UPLOAD_MAX_BYTES:
                form.add_error(
                    "file", _("文件过大（上限%(mb)d MB）") % {"mb": settings.GOVTRUST_REPORT_UPLOAD_MAX_BYTES // 2**20}
                )
                status = 400
            else:
                data = upload.read()
                if not reports.is_pdf(data):
                    form.add_error("file", _("不是PDF文件"))
                    status = 400
                else:
                    context["result"] = reports.verify_pdf(data)
        else:
            status = 400
    elif context["number"]:
        context["result"] = reports.verify_number(context["number"])
    return render(request, "disclosure/verify/verify.html", context, status=status)


def verify_number_lookup(request: HttpRequest) -> HttpResponse:
    number = (request.GET.get("number") or "").strip().upper()
    if number:
        return redirect("verify:number", number=number) if reports.NUMBER_RE.match(number) else verify(request)
    return redirect("verify:home")
