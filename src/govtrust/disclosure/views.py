from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from govtrust.core.models import Region
from govtrust.registry.models import Agency, AgencyStatus


def home(request: HttpRequest) -> HttpResponse:
    """Public portal home: what the platform covers, with bodies per city as a chart."""
    active = Agency.objects.filter(status=AgencyStatus.ACTIVE)
    per_city = dict(
        active.values_list("region__city_code").annotate(n=Count("pk")).values_list("region__city_code", "n")
    )
    cities = list(Region.objects.filter(level=2).values_list("code", "name"))
    chart = {
        "tooltip": {},
        "grid": {"left": 40, "right": 10, "bottom": 60, "top": 20},
        "xAxis": {"type": "category", "data": [name for _code, name in cities], "axisLabel": {"rotate": 40}},
        "yAxis": {"type": "value"},
        "series": [{"type": "bar", "name": _("政府部门数"), "data": [per_city.get(code, 0) for code, _n in cities]}],
    }
    context = {
        "agency_count": active.count(),
        "city_count": len(cities),
        "county_count": Region.objects.filter(level=3).count(),
        "chart": chart,
    }
    return render(request, "disclosure/home.html", context)


def rankings(request: HttpRequest) -> HttpResponse:
    """Published government-integrity rankings: the latest of the 13 cities and of the 95 counties, each
    unit with its rank interval, and every earlier published run."""
    from govtrust.evaluation import charts
    from govtrust.evaluation.models import EvaluationRun, UnitLevel

    published = EvaluationRun.objects.published().filter(unit_level__in=[UnitLevel.CITY, UnitLevel.COUNTY])
    latest = []
    for level in (UnitLevel.CITY, UnitLevel.COUNTY):
        run = published.filter(unit_level=level, scope_region__isnull=True).order_by("-published_at").first()
        if run is not None:
            rows = run.unit_rows()
            latest.append(
                {
                    "run": run,
                    "rows": rows,
                    "chart": charts.rank_intervals(rows),
                    "height": charts.chart_height(len(rows)),
                    "chart_id": f"chart-rank-{level}",
                }
            )
    return render(request, "disclosure/rankings.html", {"latest": latest, "runs": published.order_by("-published_at")})


def ranking_detail(request: HttpRequest, number: str) -> HttpResponse:
    from govtrust.evaluation import charts
    from govtrust.evaluation.models import EvaluationRun, UnitLevel

    run = get_object_or_404(
        EvaluationRun.objects.published().filter(unit_level__in=[UnitLevel.CITY, UnitLevel.COUNTY]), number=number
    )
    rows = run.unit_rows()
    item = {
        "run": run,
        "rows": rows,
        "chart": charts.rank_intervals(rows),
        "height": charts.chart_height(len(rows)),
        "chart_id": "chart-rank",
    }
    return render(request, "disclosure/rankings.html", {"latest": [item], "runs": [], "single": True})
