"""Console pages for finding government bodies: search, the region tree, the xlsx export."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from govtrust.core.exports import write_xlsx, xlsx_response
from govtrust.core.models import Region
from govtrust.registry.models import Agency
from govtrust.registry.permissions import VIEW, has_grant
from govtrust.registry.search import (
    RegionNode,
    agency_search,
    classify_query,
    region_children,
    region_node,
    result_ordering,
    search_queryset,
)

EXPORT_MAX_ROWS = 50_000


def visible_agencies(request: HttpRequest) -> Any:
    """The bodies the user may see; a user with no grant to view bodies gets a 403, not an empty list."""
    if not has_grant(request.user, VIEW):
        raise PermissionDenied
    return Agency.objects.visible_to(request.user, VIEW)


def tree_roots(user: Any) -> list[Region]:
    """The regions the user's tree starts from: the whole province for an all-data scope, else the
    region of the user's own body (a credit office sees its region; other bodies see their own tree)."""
    if user.data_scope(VIEW) == "all":
        return list(Region.objects.filter(level=1).order_by("code"))
    agency = getattr(user, "agency", None)
    return [agency.region] if agency is not None else []


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@login_required
def agency_list(request: HttpRequest) -> HttpResponse:
    base = visible_agencies(request)
    query = request.GET.get("q", "")[:100]
    region_code = request.GET.get("region", "")[:12]
    user: Any = request.user
    agency = user.agency
    if not region_code and agency is not None and agency.is_credit_office:
        # Same rows as the credit office's scope, but a region filter pages off an index (see search.py).
        region_code = agency.region.code if user.data_scope(VIEW) == "unit_and_below" else ""
    result = agency_search(base, query=query, region_code=region_code, page=_page_number(request))
    context = {"result": result, "q": query.strip(), "region_code": region_code}
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "results":
        return render(request, "registry/agency_list.html#results", context)
    roots = [region_node(base, r) for r in tree_roots(request.user)]
    return render(request, "registry/agency_list.html", {**context, "roots": roots})


@login_required
def region_tree_children(request: HttpRequest, code: str) -> HttpResponse:
    region = get_object_or_404(Region, code=code)
    roots = {r.code for r in tree_roots(request.user)}
    if not roots.intersection(region.ancestor_codes()):
        raise Http404(_("无权查看该行政区划"))
    nodes: list[RegionNode] = region_children(visible_agencies(request), region)
    return render(request, "registry/agency_list.html#tree-nodes", {"nodes": nodes})


@login_required
def agency_export(request: HttpRequest) -> HttpResponse:
    """The current result set as xlsx (at most EXPORT_MAX_ROWS rows; the sheet says when it was cut)."""
    query = request.GET.get("q", "")[:100]
    qs, region, _unknown = search_queryset(
        visible_agencies(request), query=query, region_code=request.GET.get("region", "")[:12]
    )
    mode, _text = classify_query(query)
    rows = qs.select_related("region").order_by(*result_ordering(mode, region))[: EXPORT_MAX_ROWS + 1]
    headers = [_("名称"), _("统一社会信用代码"), _("代码状态"), _("行政区划代码"), _("行政区划"), _("层级"),
               _("机构类型"), _("状态")]  # fmt: skip
    content = write_xlsx(
        headers,
        (
            [
                agency.name,
                agency.uscc,
                agency.get_uscc_status_display(),
                agency.region.code,
                agency.region.name,
                agency.get_level_display(),
                agency.get_org_type_display(),
                agency.get_status_display(),
            ]  # fmt: skip
            for agency in rows.iterator(chunk_size=2000)
        ),
        sheet_title=_("政府部门"),
        widths={0: 40, 1: 22},
        max_rows=EXPORT_MAX_ROWS,
        truncated_note=_("结果超过 %(n)d 行，仅导出前 %(n)d 行，请缩小范围。") % {"n": EXPORT_MAX_ROWS},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(content, f"agencies-{stamp}.xlsx")
