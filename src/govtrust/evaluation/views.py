"""Console pages of the evaluation: dashboards (province overview, region drill-down), runs (create, detail,
re-run check, compare, publish, xlsx and print exports), frameworks and the alerts.

Reading needs `evaluation.view` (credit offices); running, publishing and editing frameworks
`evaluation.manage`; handling alerts `alert.manage` within the user's scope; rules `alert.manage` with
scope all (they cover the whole province).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govtrust.core.exports import add_sheet, open_book, xlsx_response
from govtrust.core.models import Region
from govtrust.evaluation import charts, services
from govtrust.evaluation.forms import AlertNoteForm, IndicatorForm, NewVersionForm, RuleForm, RunForm, UnpublishForm
from govtrust.evaluation.models import (
    Alert,
    AlertRule,
    AlertStatus,
    EvaluationRun,
    Framework,
    Indicator,
    RunStatus,
    Severity,
    UnitLevel,
)
from govtrust.registry.forms import apply_service_errors
from govtrust.registry.models import Agency, AgencyStatus
from govtrust.registry.permissions import has_grant

VIEW, MANAGE, ALERTS = "evaluation.view", "evaluation.manage", "alert.manage"
PAGE_SIZE = 30


def _require(request: HttpRequest, action: str) -> None:
    if not has_grant(request.user, action):
        raise PermissionDenied


def _runs_for(request: HttpRequest) -> Any:
    return EvaluationRun.objects.select_related("framework")


def _latest(level: str) -> EvaluationRun | None:
    """The latest published run of a level, else the latest finished one (staff see drafts too)."""
    done = EvaluationRun.objects.filter(unit_level=level, status=RunStatus.DONE, scope_region__isnull=True)
    return done.filter(published_at__isnull=False).order_by("-published_at").first() or done.first()


def _trend(level: str) -> tuple[list[str], dict[str, list[float | None]]]:
    """Index score per unit over periods: for each period its latest published (else latest) run."""
    per_period: dict[str, EvaluationRun] = {}
    for run in EvaluationRun.objects.filter(
        unit_level=level, status=RunStatus.DONE, scope_region__isnull=True
    ).order_by("published_at", "created_at"):  # later (and published) runs overwrite earlier ones
        per_period[run.period] = run
    periods = sorted(per_period)
    series: dict[str, list[float | None]] = defaultdict(lambda: [None] * len(periods))
    for k, period in enumerate(periods):
        for row in per_period[period].unit_rows():
            series[row["name"]][k] = row["score"]
    return periods, dict(series)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    city_run, county_run = _latest(UnitLevel.CITY), _latest(UnitLevel.COUNTY)
    city_rows = city_run.unit_rows() if city_run else []
    county_rows = county_run.unit_rows() if county_run else []
    periods, series = _trend(UnitLevel.CITY)
    open_alerts = Alert.objects.visible_to(request.user).exclude(status=AlertStatus.RESOLVED)
    cities = list(Region.objects.filter(level=2).order_by("code").values_list("code", "name"))
    by_city: dict[str, dict[str, int]] = defaultdict(dict)
    for city, severity, n in (
        open_alerts.filter(region__isnull=False).values_list("region__city_code", "severity").annotate(n=Count("pk"))
    ):
        by_city[severity][city] = n
    for city, severity, n in (
        open_alerts.filter(agency__isnull=False)
        .values_list("agency__region__city_code", "severity")
        .annotate(n=Count("pk"))
    ):
        by_city[severity][city] = by_city[severity].get(city, 0) + n
    counts = {sev: [by_city[sev].get(code, 0) for code, _n in cities] for sev in Severity.values if by_city.get(sev)}
    context = {
        "city_run": city_run,
        "county_run": county_run,
        "city_rows": city_rows,
        "county_rows": county_rows,
        "charts": {
            "tiles": charts.tile_map(city_rows),
            "city_ranks": charts.rank_intervals(city_rows),
            "county_ranks": charts.rank_intervals(county_rows),
            "trend": charts.trend(periods, series),
            "alerts": charts.alert_counts([name for _c, name in cities], counts),
        },
        "county_height": charts.chart_height(len(county_rows)),
        "city_height": charts.chart_height(len(city_rows)),
        "alert_totals": {s.label: open_alerts.filter(severity=s.value).count() for s in Severity},
        "has_trend": len(periods) > 0,
    }
    return render(request, "evaluation/overview.html", context)


@login_required
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    """Drill-down: a region's scores and rank history, its counties, its bodies (with their dishonesty
    records, linked to the credit archives) and its alerts."""
    _require(request, VIEW)
    region = get_object_or_404(Region, code=code, level__in=[2, 3])
    level = UnitLevel.CITY if region.level == 2 else UnitLevel.COUNTY
    history = []
    for run in EvaluationRun.objects.filter(
        unit_level=level, status=RunStatus.DONE, scope_region__isnull=True
    ).order_by("period", "created_at"):
        row = next((r for r in run.unit_rows() if r["code"] == code), None)
        if row is not None:
            history.append((run, row))
    latest = history[-1] if history else None
    dimensions = []
    if latest:
        run, row = latest
        res = run.results or {}
        names = res.get("aggregate_names", {})
        dimensions = [
            {"code": a, "name": names.get(a, a), "score": row["scores"][j], "rank": row["ranks"][j]}
            for j, a in enumerate(res.get("aggregates", []))
        ]
    children = []
    if region.level == 2:
        county_run = _latest(UnitLevel.COUNTY)
        ranks = {r["code"]: r for r in county_run.unit_rows()} if county_run else {}
        for child in Region.objects.filter(parent=region, kind="division").order_by("code"):
            children.append((child, ranks.get(child.code)))
    from govtrust.records.models import CreditRecord, SubjectKind

    bodies = Agency.objects.visible_to(request.user, VIEW).filter(status=AgencyStatus.ACTIVE).in_region(region)
    records = dict(
        CreditRecord.objects.dishonesty()
        .filter(subject_kind=SubjectKind.AGENCY, agency__in=bodies)
        .values_list("agency_id")
        .annotate(n=Count("pk"))
        .values_list("agency_id", "n")
    )
    body_rows = sorted(
        ((b, records.get(b.pk, 0)) for b in bodies.select_related("region")), key=lambda item: (-item[1], item[0].name)
    )
    page = Paginator(body_rows, PAGE_SIZE).get_page(request.GET.get("page"))
    alerts = Alert.objects.visible_to(request.user).filter(region=region).select_related("rule")[:50]
    trend = charts.trend([run.period for run, _row in history], {region.name: [row["score"] for _run, row in history]})
    return render(
        request,
        "evaluation/region.html",
        {
            "region": region,
            "history": history,
            "dimensions": dimensions,
            "children": children,
            "page": page,
            "alerts": alerts,
            "trend": trend,
            "may_see_records": has_grant(request.user, "records.view"),
        },
    )


# --- runs -----------------------------------------------------------------------------------------


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    page = Paginator(_runs_for(request), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "evaluation/run_list.html", {"page": page, "may_manage": has_grant(request.user, MANAGE)})


@login_required
def run_create(request: HttpRequest) -> HttpResponse:
    _require(request, MANAGE)
    form = RunForm(request.POST or None, initial={"framework": services.active_framework()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        runs = data["mc_runs"]
        try:
            run = services.evaluation_run_create(
                actor=request.user,
                framework=data["framework"],
                period=data["period"],
                unit_level=data["unit_level"],
                method=form.method(),
                uncertainty={"runs": runs} if runs else False,
                seed=data["seed"],
                title=data["title"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if run.job_public_id and run.status != RunStatus.DONE:
                return redirect("console:job", run.job_public_id)
            messages.success(request, _("评价%(n)s已完成") % {"n": run.number})
            return redirect("evaluation:run_detail", run.number)
    return render(request, "evaluation/run_create.html", {"form": form})


def _run(request: HttpRequest, number: str) -> EvaluationRun:
    return get_object_or_404(_runs_for(request), number=number)


def _sobol(run: EvaluationRun) -> list[dict[str, Any]]:
    unc = (run.results or {}).get("uncertainty") or {}
    labels = {"weights": _("权重"), "normalisation": _("标准化方法"), "aggregation": _("汇总方法")}
    return [
        {"factor": labels.get(f, f), "first": unc["sobol_first"][k], "total": unc["sobol_total"][k]}
        for k, f in enumerate(unc.get("factors", []))
    ]


@login_required
def run_detail(request: HttpRequest, number: str) -> HttpResponse:
    _require(request, VIEW)
    run = _run(request, number)
    rows = run.unit_rows()
    res = run.results or {}
    names = res.get("aggregate_names", {})
    columns = [(j, names.get(a, a)) for j, a in enumerate(res.get("aggregates", []))][::-1][1:]  # below the index
    for row in rows:
        row["cells"] = [row["scores"][j] for j, _name in columns]
    others = EvaluationRun.objects.filter(unit_level=run.unit_level, status=RunStatus.DONE).exclude(pk=run.pk)[:20]
    return render(
        request,
        "evaluation/run_detail.html",
        {
            "run": run,
            "rows": rows,
            "column_names": [name for _j, name in columns],
            "sobol": _sobol(run),
            "others": others,
            "link_regions": run.unit_level != UnitLevel.BODY,
            "chart": charts.rank_intervals(rows),
            "chart_height": charts.chart_height(len(rows)),
            "may_manage": has_grant(request.user, MANAGE),
            "unpublish_form": UnpublishForm(),
            "unc": res.get("uncertainty"),
        },
    )


@login_required
@require_POST
def run_rerun(request: HttpRequest, number: str) -> HttpResponse:
    _require(request, VIEW)
    run = _run(request, number)
    try:
        check = services.evaluation_run_rerun(actor=request.user, run=run)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("evaluation:run_detail", run.number)
    if check.identical and check.inputs_intact:
        messages.success(request, _("复算结果与原结果完全一致（SHA-256 %(h)s）") % {"h": check.computed_sha256})
    else:
        messages.error(
            request,
            _("复算结果与原结果不一致：原 %(a)s，复算 %(b)s") % {"a": check.stored_sha256, "b": check.computed_sha256},
        )
    return redirect("evaluation:run_detail", run.number)


@login_required
@require_POST
def run_publish(request: HttpRequest, number: str) -> HttpResponse:
    _require(request, MANAGE)
    run = _run(request, number)
    try:
        services.evaluation_run_publish(actor=request.user, run=run)
        messages.success(request, _("已在门户发布"))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("evaluation:run_detail", run.number)


@login_required
@require_POST
def run_unpublish(request: HttpRequest, number: str) -> HttpResponse:
    _require(request, MANAGE)
    run = _run(request, number)
    form = UnpublishForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("请填写撤回原因"))
        services.evaluation_run_unpublish(actor=request.user, run=run, reason=form.cleaned_data["reason"])
        messages.success(request, _("已从门户撤回"))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("evaluation:run_detail", run.number)


@login_required
def run_compare(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    before, after = _run(request, request.GET.get("a", "")), _run(request, request.GET.get("b", ""))
    try:
        comparison = services.evaluation_run_compare(before=before, after=after)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("evaluation:run_list")
    rows = [
        {"change": ch, "name": comparison.names.get(ch.unit, ch.unit), "down": -(ch.delta or 0)}
        for ch in comparison.changes
    ]
    return render(request, "evaluation/run_compare.html", {"c": comparison, "rows": rows})


def _export_rows(run: EvaluationRun) -> tuple[list[str], list[list[Any]]]:
    res = run.results or {}
    names = res.get("aggregate_names", {})
    aggs = res.get("aggregates", [])[::-1]
    header = [_("排名"), _("代码"), _("名称"), _("综合得分"), _("排名中位数"), _("5%分位排名"), _("95%分位排名")]
    for a in aggs[1:]:
        header += [f"{names.get(a, a)}" + _("得分"), f"{names.get(a, a)}" + _("排名")]
    index = {a: j for j, a in enumerate(res.get("aggregates", []))}
    rows = []
    for row in run.unit_rows():
        line = [row["rank"], row["code"], row["name"], row["score"], row["median"], row["q05"], row["q95"]]
        for a in aggs[1:]:
            line += [row["scores"][index[a]], row["ranks"][index[a]]]
        rows.append(line)
    return header, rows


@login_required
def run_export(request: HttpRequest, number: str) -> HttpResponse:
    """xlsx: the ranking with intervals and every level's scores, the input matrix, and the method."""
    _require(request, VIEW)
    run = _run(request, number)
    if run.status != RunStatus.DONE:
        raise PermissionDenied
    book, buffer = open_book()
    bold = book.add_format({"bold": True})
    header, rows = _export_rows(run)
    sheet = add_sheet(book, _("排名"))
    sheet.write_row(0, header, bold)
    for k, line in enumerate(rows, start=1):
        sheet.write_row(k, line)
    sheet.sheet.set_column(2, 2, 24)
    inputs = add_sheet(book, _("输入数据"))
    inputs.write_row(0, run.inputs["header"], bold)
    for k, line in enumerate(run.inputs["rows"], start=1):
        inputs.write_row(k, line)
    meta = add_sheet(book, _("方法与复现"))
    facts = [
        (_("评价编号"), run.number),
        (_("标题"), run.title),
        (_("指标体系版本"), f"{run.framework.name} {run.framework_version}"),
        (_("评价期间"), run.period),
        (_("随机种子"), str(run.seed)),
        (_("输入数据SHA-256"), run.inputs_sha256),
        (_("结果SHA-256"), run.results_sha256),
        (_("方法（规格JSON）"), services.policy.canonical_json(run.spec)),
    ]
    for k, (label, value) in enumerate(facts):
        meta.write_row(k, [label, value])
    meta.sheet.set_column(0, 0, 20)
    meta.sheet.set_column(1, 1, 80)
    book.close()
    return xlsx_response(buffer.getvalue(), f"evaluation-{run.number}.xlsx")


@login_required
def run_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The run as a PDF (ranking with rank intervals, sensitivity, reproducibility digests)."""
    from govtrust.evaluation.reports import run_pdf as build

    _require(request, VIEW)
    run = _run(request, number)
    if run.status != RunStatus.DONE:
        raise PermissionDenied
    response = HttpResponse(build(run, sobol=_sobol(run)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="evaluation-{run.number}.pdf"'
    return response


@login_required
def run_print(request: HttpRequest, number: str) -> HttpResponse:
    """Print-friendly HTML page of the run (the PDF is `run_pdf`)."""
    _require(request, VIEW)
    run = _run(request, number)
    return render(
        request,
        "evaluation/run_print.html",
        {
            "run": run,
            "rows": run.unit_rows(),
            "sobol": _sobol(run),
            "now": timezone.now(),
        },
    )


# --- frameworks -----------------------------------------------------------------------------------


@login_required
def framework_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    return render(request, "evaluation/framework_list.html", {"frameworks": Framework.objects.all()})


@login_required
def framework_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, VIEW)
    framework = get_object_or_404(Framework, pk=pk)
    nodes = list(framework.nodes.select_related("parent").order_by("position", "pk"))
    depth: dict[int, int] = {}
    for node in nodes:
        depth[node.pk] = depth[node.parent_id] + 1 if node.parent_id else 0
    may_manage = has_grant(request.user, MANAGE)
    return render(
        request,
        "evaluation/framework_detail.html",
        {
            "framework": framework,
            "rows": [(n, depth[n.pk]) for n in nodes],
            "may_manage": may_manage,
            "version_form": NewVersionForm(),
            "problems": services.framework_tree_errors(framework),
        },
    )


@login_required
@require_POST
def framework_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, MANAGE)
    source = get_object_or_404(Framework, pk=pk)
    form = NewVersionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("请填写版本号"))
        draft = services.framework_new_version(actor=request.user, source=source, version=form.cleaned_data["version"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("evaluation:framework_detail", source.pk)
    messages.success(request, _("已创建草稿版本%(v)s") % {"v": draft.version})
    return redirect("evaluation:framework_detail", draft.pk)


@login_required
@require_POST
def framework_activate(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, MANAGE)
    framework = get_object_or_404(Framework, pk=pk)
    try:
        services.framework_activate(actor=request.user, framework=framework)
        messages.success(request, _("已启用版本%(v)s") % {"v": framework.version})
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("evaluation:framework_detail", framework.pk)


@login_required
@require_POST
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, MANAGE)
    indicator = get_object_or_404(Indicator.objects.select_related("framework"), pk=pk)
    form = IndicatorForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("权重或方向不正确"))
        services.indicator_change(
            actor=request.user,
            indicator=indicator,
            weight=form.cleaned_data["weight"],
            direction=form.cleaned_data["direction"],
        )
        messages.success(request, _("已保存%(c)s") % {"c": indicator.code})
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("evaluation:framework_detail", indicator.framework_id)


# --- alerts ---------------------------------------------------------------------------------------


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    qs = Alert.objects.visible_to(request.user).select_related("rule")
    status = request.GET.get("status", "open")
    if status in AlertStatus.values:
        qs = qs.filter(status=status)
    severity = request.GET.get("severity", "")
    if severity in Severity.values:
        qs = qs.filter(severity=severity)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/alert_list.html",
        {
            "page": page,
            "status": status,
            "severity": severity,
            "statuses": AlertStatus.choices,
            "severities": Severity.choices,
        },
    )


def _alert(request: HttpRequest, pk: int, action: str = VIEW) -> Alert:
    return get_object_or_404(Alert.objects.visible_to(request.user, action).select_related("rule"), pk=pk)


@login_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, VIEW)
    alert = _alert(request, pk)
    may_handle = (
        has_grant(request.user, ALERTS) and Alert.objects.visible_to(request.user, ALERTS).filter(pk=pk).exists()
    )
    return render(
        request, "evaluation/alert_detail.html", {"alert": alert, "form": AlertNoteForm(), "may_handle": may_handle}
    )


@login_required
@require_POST
def alert_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _require(request, ALERTS)
    alert = _alert(request, pk, ALERTS)
    form = AlertNoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if action == "acknowledge":
            services.alert_acknowledge(actor=request.user, alert=alert, note=note)
        elif action == "resolve":
            services.alert_resolve(actor=request.user, alert=alert, note=note)
        else:
            raise PermissionDenied
        messages.success(request, _("预警状态已更新"))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("evaluation:alert_detail", alert.pk)


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    _require(request, ALERTS)
    may_create = request.user.data_scope(ALERTS) == "all"  # type: ignore[union-attr]
    form = RuleForm(request.POST or None)
    if request.method == "POST":
        if not may_create:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.alert_rule_create(
                    actor=request.user,
                    code=data["code"],
                    name=data["name"],
                    kind=data["kind"],
                    unit_level=data["unit_level"],
                    indicator_code=data["indicator_code"],
                    params=data["params"],
                    severity=data["severity"],
                    basis=data["basis"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("预警规则已创建"))
                return redirect("evaluation:rule_list")
    return render(
        request,
        "evaluation/rule_list.html",
        {
            "rules": AlertRule.objects.annotate(n=Count("alerts")),
            "form": form,
            "may_create": may_create,
            "today": datetime.date.today(),
        },
    )
