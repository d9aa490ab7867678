from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
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
