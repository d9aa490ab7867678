"""Console page `/console/records/coverage/`: coverage and timeliness of every supplier (全覆盖), and its xlsx.

Credit offices only: `records.view` with scope all or unit_and_below; the suppliers shown are the bodies in
that scope (further narrowed by the region filter). The numbers come from `records.coverage`.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core.exports import write_xlsx, xlsx_response
from govtrust.records import coverage
from govtrust.records.policy import RecordClass

VIEW = "records.view"
MAX_MONTHS = 36
SORTS = {
    "late": lambda r: (-r.total.max_late, -r.total.median_late, r.agency.name),
    "on_time": lambda r: (r.total.on_time_share if r.total.on_time_share is not None else 2, r.agency.name),
    "rejected": lambda r: (-(r.total.rejected_rate or 0), r.agency.name),
    "records": lambda r: (-r.total.records, r.agency.name),
    "name": lambda r: (r.agency.name,),
}


def _month(text: str) -> datetime.date:
    return datetime.datetime.strptime(text, "%Y-%m").date()


class CoverageFilterForm(forms.Form):
    month_from = forms.CharField(label=gettext_lazy("起始月份"), required=False,
                                 widget=forms.TextInput(attrs={"type": "month"}))  # fmt: skip
    month_to = forms.CharField(label=gettext_lazy("截止月份"), required=False,
                               widget=forms.TextInput(attrs={"type": "month"}))  # fmt: skip
    region = forms.CharField(label=gettext_lazy("行政区划代码"), required=False, max_length=12)
    record_class = forms.ChoiceField(
        label=gettext_lazy("记录类别"), required=False, choices=[("", "—"), *RecordClass.choices]
    )
    sort = forms.ChoiceField(
        label=gettext_lazy("排序"),
        required=False,
        choices=[
            ("late", gettext_lazy("最迟天数")),
            ("on_time", gettext_lazy("按时率")),
            ("rejected", gettext_lazy("错误行比例")),
            ("records", gettext_lazy("记录数")),
            ("name", gettext_lazy("单位名称")),
        ],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate().replace(day=1)
        try:
            last = _month(data["month_to"]) if data.get("month_to") else today
            first = _month(data["month_from"]) if data.get("month_from") else last
        except ValueError:
            raise forms.ValidationError(_("月份格式应为YYYY-MM")) from None
        if first > last:
            raise forms.ValidationError(_("起始月份不能晚于截止月份"))
        if len(coverage.months_between(first, last)) > MAX_MONTHS:
            raise forms.ValidationError(_("一次最多查看%(n)d个月") % {"n": MAX_MONTHS})
        data["first"], data["last"] = first, last
        region = (data.get("region") or "").strip()
        if region and not region.isdigit():
            self.add_error("region", _("行政区划代码应为数字"))
        data["region"] = region
        return data


def _require_credit_office(request: HttpRequest) -> None:
    user: Any = request.user
    scope = user.data_scope(VIEW) if user.is_authenticated else None
    if scope not in ("all", "unit_and_below"):
        raise PermissionDenied


def _report(request: HttpRequest) -> tuple[CoverageFilterForm, coverage.Coverage | None]:
    _require_credit_office(request)
    form = CoverageFilterForm(request.GET or {})
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    suppliers = coverage.suppliers_in_scope(request.user, data["region"])
    report = coverage.coverage(suppliers, data["first"], data["last"], record_class=data["record_class"] or "")
    report.rows.sort(key=SORTS[data.get("sort") or "late"])
    return form, report


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _class_label(code: str) -> str:
    return str(RecordClass(code).label) if code in RecordClass.values else code


def _charts(report: coverage.Coverage) -> dict[str, Any]:
    months = [m.strftime("%Y-%m") for m in report.months]
    classes = sorted({k for by in report.by_month_class.values() for k in by})
    per_month = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 10, "bottom": 30, "top": 40},
        "xAxis": {"type": "category", "data": months},
        "yAxis": {"type": "value"},
        "series": [
            {"type": "bar", "stack": "records", "name": _class_label(k),
             "data": [report.by_month_class.get(m, {}).get(k, 0) for m in report.months]}
            for k in classes
        ],
    }  # fmt: skip
    sent = [r for r in report.rows if r.total.records]
    on_time = {
        "tooltip": {},
        "grid": {"left": 40, "right": 10, "bottom": 80, "top": 20},
        "xAxis": {"type": "category", "data": [r.agency.name for r in sent], "axisLabel": {"rotate": 40}},
        "yAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "series": [{"type": "bar", "name": _("按时率"),
                    "data": [round((r.total.on_time_share or 0) * 100, 1) for r in sent]}],
    }  # fmt: skip
    return {"per_month": per_month, "on_time": on_time}


@login_required
def coverage_page(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    context: dict[str, Any] = {"form": form, "report": report}
    if report is not None:
        context["charts"] = _charts(report)
        context["rows"] = [
            {
                "row": r,
                "classes": "、".join(f"{_class_label(k)} {n}" for k, n in sorted(r.total.by_class.items())),
                "on_time": _pct(r.total.on_time_share),
                "rejected": _pct(r.total.rejected_rate),
                "missing": [m.strftime("%Y-%m") for m in r.missing],
            }
            for r in report.rows
        ]
        context["rules"] = coverage.deadline_rules()
        context["query"] = request.GET.urlencode()
    return render(request, "records/coverage.html", context)


@login_required
def coverage_export(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    if report is None:
        return coverage_page(request)
    headers = [_("报送单位"), _("统一社会信用代码"), _("行政区划"), _("月份"), _("是否报送"), _("记录数"),
               _("各类别记录数"), _("按时数"), _("按时率"), _("迟报天数中位数"), _("最迟天数"), _("导入批次数"),
               _("导入总行数"), _("错误行数"), _("错误行比例")]  # fmt: skip

    def rows() -> Any:
        for r in report.rows:
            for month in report.months:
                cell = r.months.get(month) or coverage.Cell()
                expected_missing = month in r.missing
                yield [
                    r.agency.name,
                    r.agency.uscc,
                    r.agency.region.name,
                    month.strftime("%Y-%m"),
                    _("未报送") if expected_missing else (_("已报送") if cell.reported else "—"),
                    cell.records,
                    "、".join(f"{_class_label(k)} {n}" for k, n in sorted(cell.by_class.items())),
                    cell.on_time,
                    _pct(cell.on_time_share),
                    cell.median_late,
                    cell.max_late,
                    cell.batches,
                    cell.rows_total,
                    cell.rows_rejected,
                    _pct(cell.rejected_rate),
                ]

    content = write_xlsx(headers, rows(), sheet_title=_("报送情况"), widths={0: 30, 1: 22, 6: 30})
    name = f"coverage-{report.first:%Y%m}-{report.last:%Y%m}.xlsx"
    return xlsx_response(content, name)
