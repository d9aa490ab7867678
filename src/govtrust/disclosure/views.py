"""The public portal (no login): search, body pages, record pages, lists, regions, statistics, open data.

Every record shown comes from `published.public_records()`; a record that is not published answers exactly like
one that does not exist (the same 404 page, from the same single query). Natural persons' data inside a record's
text is masked (`published.public_values`). Body names and USCCs are public (the registry of government bodies).
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from govtrust.accounts.request_info import client_ip
from govtrust.core.models import Region
from govtrust.core.validators import normalise_code
from govtrust.disclosure import published as pub
from govtrust.disclosure.portal_forms import ErrorReportForm
from govtrust.disclosure.portal_search import fuzzy_bodies, search_bodies, suggest
from govtrust.disclosure.services import RateLimited, error_report_submit
from govtrust.records.models import CreditRecord
from govtrust.records.policy import DISHONESTY_CLASSES, RecordClass, Severity
from govtrust.registry.models import Agency, AgencyStatus
from govtrust.registry.search import region_children

PAGE_SIZE = 20
MAX_PAGE = 10_000  # deeper pages are refused (use the open-data download): OFFSET cost grows with the page


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), MAX_PAGE))
    except ValueError:
        return 1


def _paginate(request: HttpRequest, qs: Any, per_page: int = PAGE_SIZE) -> Any:
    return Paginator(qs, per_page).get_page(_page_number(request))


def _stats_seconds() -> int:
    return int(getattr(settings, "GOVTRUST_PORTAL_STATS_CACHE_SECONDS", 0 if settings.TESTING else 300))


def _cached(key: str, compute: Any) -> Any:
    """Aggregates over every published record are cached for a few minutes (per day: the window moves daily)."""
    seconds = _stats_seconds()
    if seconds <= 0:
        return compute()
    full_key = f"portal:{key}:{timezone.localdate().isoformat()}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, seconds)
    return value


def _cities() -> list[tuple[str, str]]:
    return list(Region.objects.filter(level=2).order_by("code").values_list("code", "name"))


LIST_FIELDS = (
    "pk",
    "number",
    "record_class",
    "sub_type",
    "severity",
    "document_number",
    "authority_name",
    "decision_date",
    "publicity_max_end",
    "agency__name",
    "agency__uscc",
    "agency__region__name",
)


def _path_maker(name: str) -> Any:
    """`value → reverse(name, args=[value])` with one `reverse()` per page instead of one per row (a list page
    links every row's record and body: `reverse` was the largest single cost of rendering the table)."""
    marker = "PORTALARG0"
    head, _marker, tail = reverse(name, args=[marker]).partition(marker)
    return lambda value: f"{head}{quote(str(value), safe=RFC3986_SUBDELIMS + '~:@')}{tail}"


def _record_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Page rows for the list tables (`.values(*LIST_FIELDS)` dicts: no model instances for a read-only table),
    with their links, labels and the 异议处理中 label computed here rather than per row in the template."""
    from govtrust.remedies.models import records_under_objection

    under = records_under_objection([r["pk"] for r in records])
    record_url, body_url = _path_maker("portal:record"), _path_maker("portal:body")
    classes = {code: str(label) for code, label in RecordClass.choices}
    severities = {code: str(label) for code, label in Severity.choices}
    return [
        {
            **r,
            "url": record_url(r["number"]),
            "body_url": body_url(r["agency__uscc"]) if r["agency__uscc"] else "",
            "class_label": classes.get(r["record_class"], r["record_class"]),
            "severity_label": severities.get(r["severity"], r["severity"]),
            # ISO dates are the table's Y-m-d: no `|date` filter (Django's formatter) twice per row.
            "decision_day": r["decision_date"].isoformat() if r["decision_date"] else "",
            "max_end_day": r["publicity_max_end"].isoformat() if r["publicity_max_end"] else "",
            "under_objection": r["pk"] in under,
        }
        for r in records
    ]


def _list_qs(qs: QuerySet[CreditRecord]) -> Any:
    """The list tables' columns as dicts (`.values`), body and region joined."""
    return qs.values(*LIST_FIELDS)


def _page_by_ids(request: HttpRequest, qs: QuerySet[CreditRecord]) -> Any:
    """A page of `qs` (a `public_records()` query) in two steps: the count and the page's ids, then those rows.

    For one body's records the count and the ids come from the index alone (`creditrecord_agency_public` holds
    every column `published()` and the order read), so a body with thousands of records costs one index range,
    not a table read per record. The rows are then read by primary key only, exactly the ids the public query
    listed: with the `published()` conditions repeated, SQLite's planner (no statistics) walks the
    `(status, publicity_start)` index over every record in force instead of reading 20 rows by id.
    """
    page = _paginate(request, qs.values_list("pk", flat=True))
    ids = list(page.object_list)
    found = {r["pk"]: r for r in _list_qs(CreditRecord.objects.filter(pk__in=ids))}
    page.object_list = [found[pk] for pk in ids if pk in found]
    return page


# --- home and search ---------------------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """Portal home: the search box, what is published, and bodies per city as a chart."""
    active = Agency.objects.filter(status=AgencyStatus.ACTIVE)
    cities = _cities()

    def compute() -> dict[str, Any]:
        per_city = dict(
            active.values_list("region__city_code").annotate(n=Count("pk")).values_list("region__city_code", "n")
        )
        return {
            "agency_count": active.count(),
            "record_count": pub.public_records().count(),
            "per_city": per_city,
        }

    data = _cached("home", compute)
    chart = {
        "tooltip": {},
        "grid": {"left": 40, "right": 10, "bottom": 60, "top": 20},
        "xAxis": {"type": "category", "data": [name for _code, name in cities], "axisLabel": {"rotate": 40}},
        "yAxis": {"type": "value"},
        "series": [
            {"type": "bar", "name": _("政府部门数"), "data": [data["per_city"].get(code, 0) for code, _n in cities]}
        ],
    }
    context = {
        "agency_count": data["agency_count"],
        "record_count": data["record_count"],
        "city_count": len(cities),
        "county_count": Region.objects.filter(level=3).count(),
        "chart": chart,
    }
    return render(request, "disclosure/home.html", context)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Bodies by name or USCC; when nothing matches exactly, the closest names (typos, missing parts)."""
    query = (request.GET.get("q") or "").strip()[:60]
    region_code = (request.GET.get("region") or "").strip()[:12]
    result = search_bodies(query, region_code=region_code, page=_page_number(request), per_page=PAGE_SIZE)
    fuzzy = []
    if query and result.total == 0 and result.mode == "name" and not region_code:
        fuzzy = fuzzy_bodies(query, limit=10)
    counts = _published_counts([a.pk for a in result.rows] + [s.agency.pk for s in fuzzy])
    context = {
        "query": query,
        "region_code": region_code,
        "result": result,
        "rows": _body_rows(result.rows, counts),
        "fuzzy": _body_rows([s.agency for s in fuzzy], counts),
    }
    return render(request, "disclosure/search.html", context)


def _body_rows(agencies: list[Agency], counts: dict[int, int]) -> list[tuple[Agency, int, str]]:
    """(body, published records, its page's URL) for `_body_table.html`."""
    body_url = _path_maker("portal:body")
    return [(a, counts.get(a.pk, 0), body_url(a.uscc)) for a in agencies]


def _published_counts(agency_ids: list[int]) -> dict[int, int]:
    if not agency_ids:
        return {}
    rows = pub.public_records().filter(agency_id__in=agency_ids).values_list("agency_id").annotate(n=Count("pk"))
    return dict(rows.order_by().values_list("agency_id", "n"))


@require_GET
def suggestions(request: HttpRequest) -> HttpResponse:
    """htmx: the suggestion list under the search box."""
    query = (request.GET.get("q") or "").strip()
    return render(request, "disclosure/_suggestions.html", {"suggestions": suggest(query), "query": query[:60]})


# --- bodies and records ------------------------------------------------------------------------------------------


def _measures(agency: Agency) -> list[Any]:
    """Sanction measures in force against the body whose record is published (no measure names a hidden record)."""
    from govtrust.sanctions.queries import measures_in_force_for

    measures = measures_in_force_for(agency)
    if not measures:
        return []
    shown = set(
        pub.public_records()
        .filter(agency=agency, number__in=[m.record_number for m in measures])
        .values_list("number", flat=True)
    )
    return [m for m in measures if m.record_number in shown]


@require_GET
def body(request: HttpRequest, uscc: str) -> HttpResponse:
    """A government body's public page: its published records (with 异议处理中), and measures in force."""
    agency = Agency.objects.select_related("region", "parent").filter(uscc=normalise_code(uscc)[:18]).first()
    if agency is None:
        raise Http404
    records = pub.public_records().filter(agency=agency)
    try:
        flt = pub.parse_filter(request.GET)
    except pub.FilterError as error:
        flt, filter_error = pub.PublicFilter(), str(error)
    else:
        filter_error = ""
    records = pub.filter_public(records, pub.PublicFilter(record_class=flt.record_class, ordering=flt.ordering))
    page = _page_by_ids(request, records)
    context = {
        "agency": agency,
        "page": page,
        "rows": _record_rows(list(page.object_list)),
        "measures": _measures(agency),
        "classes": [(c, RecordClass(c).label) for c in sorted(DISHONESTY_CLASSES)],
        "record_class": flt.record_class,
        "filter_error": filter_error,
    }
    return render(request, "disclosure/body.html", context)


def _record_context(record: CreditRecord, form: ErrorReportForm) -> dict[str, Any]:
    from govtrust.remedies.models import records_under_objection

    names = pub.PersonNames()
    row = CreditRecord.objects.filter(pk=record.pk).values(*pub.PUBLIC_FIELDS).get()
    values = pub.public_values(row, names=names, objection_ids=records_under_objection([record.pk]))
    return {"record": record, "values": values, "form": form}


@require_GET
def record(request: HttpRequest, number: str) -> HttpResponse:
    """A published record; 404 for any other number (not found and not published look the same)."""
    found = pub.public_record(number)
    if found is None:
        raise Http404
    return render(request, "disclosure/record.html", _record_context(found, ErrorReportForm()))


@require_POST
def error_report(request: HttpRequest, number: str) -> HttpResponse:
    """The 纠错建议 form's target: stored and sent to the supplier; the record is not labelled."""
    found = pub.public_record(number)
    if found is None:
        raise Http404
    form = ErrorReportForm(request.POST)
    status, retry_after = 400, 0
    if form.is_valid():
        try:
            error_report_submit(
                record=found,
                name=form.cleaned_data["name"],
                contact=form.cleaned_data["contact"],
                text=form.cleaned_data["text"],
                ip=client_ip(request),
            )
        except RateLimited as limited:
            form.add_error(None, _("提交过于频繁，请 %(n)d 秒后再试。") % {"n": limited.retry_after})
            status, retry_after = 429, limited.retry_after
        except ValidationError as error:
            for field, errs in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("纠错建议已提交，数据提供部门将核实处理。谢谢您的监督！"))
            return redirect("portal:record", number=found.number)
    response = render(request, "disclosure/record.html", _record_context(found, form), status=status)
    if status == 429:
        response["Retry-After"] = str(retry_after)
    return response


# --- lists -------------------------------------------------------------------------------------------------------

LISTS = {
    "all": (_("政务失信记录"), None),
    "lawsuits": (_("行政机关败诉"), pub.lawsuits_lost),
    "defaulters": (_("拒不执行生效判决的政府部门"), pub.defaulters),
}


def _record_list(request: HttpRequest, kind: str) -> HttpResponse:
    title, narrow = LISTS[kind]
    qs = pub.public_records()
    if narrow is not None:
        qs = narrow(qs)
    try:
        flt = pub.parse_filter(request.GET)
        filter_error = ""
    except pub.FilterError as error:
        flt, filter_error = pub.PublicFilter(), str(error)
    qs = pub.filter_public(qs, flt)
    page = _paginate(request, _list_qs(qs))
    context = {
        "title": title,
        "kind": kind,
        "page": page,
        "rows": _record_rows(list(page.object_list)),
        "flt": flt,
        "filter_error": filter_error,
        "cities": _cities(),
        "classes": [(c, RecordClass(c).label) for c in sorted(DISHONESTY_CLASSES)] if kind == "all" else [],
    }
    return render(request, "disclosure/record_list.html", context, status=400 if filter_error else 200)


@require_GET
def record_list(request: HttpRequest) -> HttpResponse:
    return _record_list(request, "all")


@require_GET
def lawsuits_lost(request: HttpRequest) -> HttpResponse:
    return _record_list(request, "lawsuits")


@require_GET
def defaulters(request: HttpRequest) -> HttpResponse:
    return _record_list(request, "defaulters")


# --- regions -----------------------------------------------------------------------------------------------------


@require_GET
def regions(request: HttpRequest, code: str = "") -> HttpResponse:
    """Browse the region tree (province → cities → counties); each level lists its bodies with record counts."""
    if code:
        region = Region.objects.filter(code=code[:12]).first()
        if region is None:
            raise Http404
    else:
        region = Region.objects.filter(level=1).order_by("code").first()
        if region is None:
            raise Http404
    bodies = Agency.objects.all()
    children = region_children(bodies, region)
    record_counts = _cached(f"region-records:{region.code}", lambda: _records_per_child(region, children))
    result = search_bodies(
        request.GET.get("q", ""), region_code=region.code, page=_page_number(request), per_page=PAGE_SIZE
    )
    counts = _published_counts([a.pk for a in result.rows])
    context = {
        "region": region,
        "ancestors": list(
            Region.objects.filter(code__in=region.ancestor_codes()).exclude(pk=region.pk).order_by("level")
        ),
        "children": [(node, record_counts.get(node.region.code, 0)) for node in children],
        "result": result,
        "rows": _body_rows(result.rows, counts),
        "query": (request.GET.get("q") or "")[:60],
    }
    return render(request, "disclosure/regions.html", context)


def _records_per_child(region: Region, children: list[Any]) -> dict[str, int]:
    if not children:
        return {}
    field = Region._LEVEL_FIELDS[region.level + 1]
    rows = (
        pub.public_records()
        .filter(**{f"agency__region__{region.ancestor_field()}": region.code})
        .values_list(f"agency__region__{field}")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {code: n for code, n in rows if code}


# --- statistics --------------------------------------------------------------------------------------------------


def month_starts(today: datetime.date, count: int) -> list[datetime.date]:
    """The first days of the `count` calendar months ending with today's (chart buckets, not legal periods)."""
    index = today.year * 12 + today.month - 1
    return [datetime.date((i) // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def _statistics_data() -> dict[str, Any]:
    records = pub.public_records()
    by_city = dict(records.values_list("agency__region__city_code").annotate(n=Count("pk")).order_by())
    by_class = dict(records.values_list("record_class").annotate(n=Count("pk")).order_by())
    today = timezone.localdate()
    first = month_starts(today, 24)[0]
    months = (
        records.filter(decision_date__gte=first)
        .annotate(month=TruncMonth("decision_date"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_month: dict[str, int] = {}
    for month, n in months:
        key = month.strftime("%Y-%m") if isinstance(month, datetime.date) else str(month)[:7]
        by_month[key] = by_month.get(key, 0) + n
    return {"by_city": by_city, "by_class": by_class, "by_month": by_month, "first": first, "total": records.count()}


@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """Published records by city, by class and by month (charts, each with its table for screen readers)."""
    data = _cached("statistics", _statistics_data)
    cities = _cities()
    city_rows = [(name, data["by_city"].get(code, 0)) for code, name in cities]
    class_rows = [(RecordClass(c).label, data["by_class"].get(c, 0)) for c in sorted(DISHONESTY_CLASSES)]
    months = [d.strftime("%Y-%m") for d in month_starts(timezone.localdate(), 24)]
    month_rows = [(m, data["by_month"].get(m, 0)) for m in months]
    bar = {"tooltip": {}, "grid": {"left": 50, "right": 10, "bottom": 70, "top": 20}, "yAxis": {"type": "value"}}
    context = {
        "total": data["total"],
        "city_rows": city_rows,
        "class_rows": class_rows,
        "month_rows": month_rows,
        "chart_city": {
            **bar,
            "xAxis": {"type": "category", "data": [n for n, _c in city_rows], "axisLabel": {"rotate": 40}},
            "series": [{"type": "bar", "name": _("公开记录数"), "data": [c for _n, c in city_rows]}],
        },
        "chart_class": {
            "tooltip": {"trigger": "item"},
            "series": [
                {
                    "type": "pie",
                    "radius": ["35%", "65%"],
                    "name": _("记录类别"),
                    "data": [{"name": str(n), "value": c} for n, c in class_rows if c],
                }
            ],
        },
        "chart_month": {
            **bar,
            "xAxis": {"type": "category", "data": months, "axisLabel": {"rotate": 40}},
            "series": [{"type": "line", "name": _("公开记录数"), "data": [c for _m, c in month_rows]}],
        },
    }
    return render(request, "disclosure/statistics.html", context)


# --- open data page ---------------------------------------------------------------------------------------------


@require_GET
def opendata(request: HttpRequest) -> HttpResponse:
    """What open data there is, its fields, licence and limits, and the download links."""
    from govtrust.disclosure.opendata import CSV_COLUMNS

    return render(
        request,
        "disclosure/opendata.html",
        {
            "columns": CSV_COLUMNS,
            "cities": _cities(),
            "classes": [(c, RecordClass(c).label) for c in sorted(DISHONESTY_CLASSES)],
        },
    )


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


def _published_run(number: str) -> Any:
    from govtrust.evaluation.models import EvaluationRun, UnitLevel

    return get_object_or_404(
        EvaluationRun.objects.published().filter(unit_level__in=[UnitLevel.CITY, UnitLevel.COUNTY]), number=number
    )


def ranking_spec(request: HttpRequest, number: str) -> HttpResponse:
    """A published run's method as the spec file of `govtrust evaluate` (anyone can reproduce the ranking)."""
    from govtrust.evaluation import policy

    run = _published_run(number)
    response = HttpResponse(policy.canonical_json(run.spec), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{run.number}-spec.json"'
    return response


def ranking_data(request: HttpRequest, number: str) -> HttpResponse:
    """A published run's input matrix as the data file of `govtrust evaluate` (values as stored: floats in full
    precision, so the command recomputes the published scores exactly)."""
    import csv
    import io

    run = _published_run(number)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(run.inputs["header"])
    for row in run.inputs["rows"]:
        writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{run.number}-data.csv"'
    return response


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
