"""Supervision console (招标投标自动比对监督): interceptions by platform, region and list over time, the
人工复核 queue with override and reason, and xlsx exports. Every read goes through
`Screening.objects.visible_to(user)`: a city or county credit office sees the platforms of its area only.
Persons' ID numbers are only ever shown masked (only the mask and a keyed hash are stored).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core.exports import write_xlsx, xlsx_response
from govtrust.registry.forms import apply_service_errors
from govtrust.registry.permissions import has_grant
from govtrust.screening.models import Decision, Screening, Watchlist
from govtrust.screening.services import screening_override

VIEW = "screening.view"
REVIEW = "screening.review"
PAGE_SIZE = 30
MAX_DAYS = 366
EXPORT_MAX_ROWS = 100_000
FLAGGED = (Decision.INTERCEPT, Decision.REVIEW)


def _require(request: HttpRequest, action: str) -> None:
    if not has_grant(request.user, action):
        raise PermissionDenied


class FilterForm(forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("起始日期"), required=False, widget=forms.DateInput({"type": "date"})
    )
    date_to = forms.DateField(label=gettext_lazy("截止日期"), required=False, widget=forms.DateInput({"type": "date"}))
    platform = forms.CharField(label=gettext_lazy("调用平台"), required=False, max_length=100)
    list_code = forms.ChoiceField(label=gettext_lazy("命中名单"), required=False)
    decision = forms.ChoiceField(
        label=gettext_lazy("比对结论"), required=False, choices=[("", gettext_lazy("全部")), *Decision.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lists = Watchlist.objects.order_by("code").values_list("code", "name")
        choices = [("", _("全部")), *((c, f"{c} {n}") for c, n in lists)]
        self.fields["list_code"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        last = data.get("date_to") or today
        first = data.get("date_from") or last - datetime.timedelta(days=29)
        if first > last:
            raise forms.ValidationError(_("起始日期不能晚于截止日期"))
        if (last - first).days >= MAX_DAYS:
            raise forms.ValidationError(_("一次最多查看%(n)d天") % {"n": MAX_DAYS})
        data["first"], data["last"] = first, last
        return data


def _day_bounds(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, zone)
    return start, datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, zone)


def _filtered(request: HttpRequest) -> tuple[FilterForm, QuerySet[Screening] | None]:
    form = FilterForm(request.GET or {})
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    start, end = _day_bounds(data["first"], data["last"])
    qs = Screening.objects.visible_to(request.user, VIEW).filter(created_at__gte=start, created_at__lt=end)
    if data["platform"]:
        qs = qs.filter(platform=data["platform"].strip())
    if data["list_code"]:
        qs = qs.filter(list_code=data["list_code"])
    if data["decision"]:
        qs = qs.filter(decision=data["decision"])
    return form, qs


def _client_regions(pks: set[int]) -> dict[int, str]:
    from govtrust.accounts.models import ApiClient

    rows = ApiClient.objects.filter(pk__in=pks).values_list("pk", "agency__region__name")
    return {pk: region or "" for pk, region in rows}


def _counts(qs: QuerySet[Screening], field: str) -> dict[Any, int]:
    return dict(qs.values_list(field).annotate(n=Count("pk")).order_by().values_list(field, "n"))


def _charts(qs: QuerySet[Screening], first: datetime.date, last: datetime.date) -> dict[str, Any]:
    flagged = qs.filter(decision__in=FLAGGED)
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    per_day: dict[tuple[datetime.date, str], int] = {}
    for day, decision, n in (
        flagged.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values_list("day", "decision")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        per_day[(day, decision)] = n
    labels = {Decision.INTERCEPT: _("拦截"), Decision.REVIEW: _("人工复核")}
    over_time = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 10, "bottom": 30, "top": 40},
        "xAxis": {"type": "category", "data": [d.isoformat() for d in days]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {"type": "bar", "stack": "flagged", "name": str(labels[d]),
             "data": [per_day.get((day, d), 0) for day in days]}
            for d in FLAGGED
        ],
    }  # fmt: skip
    by_platform: Counter[str] = Counter(_counts(flagged, "platform"))
    by_client = _counts(flagged, "api_client_pk")
    regions = _client_regions({pk for pk in by_client if pk is not None})
    by_region: Counter[str] = Counter()
    for pk, n in by_client.items():
        by_region[regions.get(pk, "") if pk is not None else ""] += n
    by_list: Counter[str] = Counter(_counts(flagged, "list_code"))

    def bars(counts: Counter[str], blank: str) -> dict[str, Any]:
        items = counts.most_common(30)
        return {
            "tooltip": {},
            "grid": {"left": 40, "right": 10, "bottom": 80, "top": 20},
            "xAxis": {"type": "category", "data": [k or blank for k, _n in items], "axisLabel": {"rotate": 30}},
            "yAxis": {"type": "value", "minInterval": 1},
            "series": [{"type": "bar", "name": _("拦截及复核数"), "data": [n for _k, n in items]}],
        }

    return {
        "over_time": over_time,
        "by_platform": bars(by_platform, _("（文件比对）")),
        "by_region": bars(by_region, _("（未登记地区）")),
        "by_list": bars(by_list, "—"),
    }


@login_required
def supervision(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    form, qs = _filtered(request)
    context: dict[str, Any] = {"form": form}
    if qs is not None:
        data = form.cleaned_data
        totals = _counts(qs, "decision")
        context.update(
            charts=_charts(qs, data["first"], data["last"]),
            totals={d: totals.get(d, 0) for d in Decision.values},
            pending=qs.filter(decision=Decision.REVIEW, override_decision="").count(),
            query=request.GET.urlencode(),
        )
    return render(request, "screening/supervision.html", context)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """人工复核队列: name-only matches (and contested interceptions) waiting for a reviewer's decision."""
    _require(request, VIEW)
    show = request.GET.get("show", "pending")
    qs = Screening.objects.visible_to(request.user, VIEW).filter(decision__in=FLAGGED)
    if show == "pending":
        qs = qs.filter(decision=Decision.REVIEW, override_decision="")
    elif show == "done":
        qs = qs.exclude(override_decision="")
    page = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "screening/queue.html", {"page": page, "show": show, "query": f"show={show}"})


class OverrideForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("复核结论"), choices=Decision.choices)
    reason = forms.CharField(label=gettext_lazy("复核理由"), max_length=2000, widget=forms.Textarea({"rows": 3}))


@login_required
def screening_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, VIEW)
    screening = get_object_or_404(Screening.objects.visible_to(request.user, VIEW), pk=pk)
    may_review = Screening.objects.visible_to(request.user, REVIEW).filter(pk=pk).exists()
    form = OverrideForm(request.POST or None, initial={"decision": screening.decision})
    if request.method == "POST":
        if not may_review:
            raise PermissionDenied
        if form.is_valid():
            try:
                screening_override(
                    actor=request.user,
                    screening=screening,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("复核结论已保存"))
                return redirect("screening:detail", pk=screening.pk)
    hits = [
        {**hit, "features": [(k, f.get("score"), f.get("detail")) for k, f in (hit.get("explanation") or {}).items()]}
        for hit in screening.hits or []
    ]
    return render(
        request, "screening/detail.html", {"s": screening, "hits": hits, "form": form, "may_review": may_review}
    )


EXPORT_HEADERS = [
    gettext_lazy("比对时间"),
    gettext_lazy("调用平台"),
    gettext_lazy("地区"),
    gettext_lazy("渠道"),
    gettext_lazy("请求编号"),
    gettext_lazy("调用方编号"),
    gettext_lazy("名称／姓名"),
    gettext_lazy("统一社会信用代码"),
    gettext_lazy("证件号码（脱敏）"),
    gettext_lazy("比对结论"),
    gettext_lazy("得分"),
    gettext_lazy("命中名单"),
    gettext_lazy("命中条目"),
    gettext_lazy("说明"),
    gettext_lazy("复核结论"),
    gettext_lazy("复核理由"),
    gettext_lazy("复核人"),
    gettext_lazy("复核时间"),
    gettext_lazy("规则版本"),
]


@login_required
def supervision_export(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    form, qs = _filtered(request)
    if qs is None:
        return supervision(request)
    qs = qs.order_by("-created_at", "-pk")[:EXPORT_MAX_ROWS]
    regions: dict[int, str] = defaultdict(str)
    clients = {pk for pk in qs.values_list("api_client_pk", flat=True) if pk is not None}
    regions.update(_client_regions(clients))
    labels = dict(Decision.choices)
    zone = timezone.get_current_timezone()

    def rows() -> Any:
        for s in qs.iterator(chunk_size=2000):
            best = (s.hits or [{}])[0]
            explanation = "；".join(
                str(f.get("detail", "")) for f in (best.get("explanation") or {}).values() if f.get("detail")
            )
            yield [
                s.created_at.astimezone(zone).replace(tzinfo=None),
                s.platform,
                regions[s.api_client_pk] if s.api_client_pk is not None else "",
                s.channel,
                s.request_id,
                s.ref,
                s.subject_name,
                s.subject_uscc,
                s.subject_id_masked,
                str(labels.get(s.decision, s.decision)),
                s.score,
                s.list_code,
                f"{best.get('name', '')} {best.get('uscc', '')}".strip(),
                explanation,
                str(labels.get(s.override_decision, "")) if s.override_decision else "",
                s.override_reason,
                s.overridden_by,
                s.overridden_at.astimezone(zone).replace(tzinfo=None) if s.overridden_at else None,
                s.rules_version,
            ]

    content = write_xlsx(EXPORT_HEADERS, rows(), sheet_title=_("自动比对记录"), widths={1: 20, 6: 30, 13: 50})
    data = form.cleaned_data
    return xlsx_response(content, f"screenings-{data['first']:%Y%m%d}-{data['last']:%Y%m%d}.xlsx")
