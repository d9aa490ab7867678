"""Console: the error reports (纠错建议) on records a user's body (or bodies below it) supplied; mark handled."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from govtrust.disclosure.models import ErrorReportStatus
from govtrust.disclosure.portal_forms import ErrorReportHandleForm
from govtrust.disclosure.services import HANDLE_ACTION, error_report_handle, error_reports_visible_to
from govtrust.registry.permissions import has_grant


def _require(request: HttpRequest) -> None:
    if not has_grant(request.user, HANDLE_ACTION):
        raise PermissionDenied


@login_required
def error_report_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    status = request.GET.get("status", ErrorReportStatus.NEW)
    qs = error_reports_visible_to(request.user).select_related("record", "supplier")
    if status in ErrorReportStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "disclosure/error_report_list.html",
        {"page": page, "status": status, "statuses": ErrorReportStatus.choices},
    )


@login_required
def error_report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    report = get_object_or_404(error_reports_visible_to(request.user).select_related("record", "supplier"), pk=pk)
    form = ErrorReportHandleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            error_report_handle(actor=request.user, report=report, note=form.cleaned_data["note"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("已标记为已处理"))
            return redirect("disclosure_errors:detail", pk=report.pk)
    return render(request, "disclosure/error_report_detail.html", {"report": report, "form": form})
