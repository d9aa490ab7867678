"""`GET /agencies?q=&region=&page=`: the body search of the console, for machines and scripts."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from govtrust.registry.models import Agency
from govtrust.registry.search import agency_search

router = Router(tags=["政府部门"])


class AgencyOut(Schema):
    uscc: str
    uscc_status: str
    name: str
    region_code: str
    region_name: str
    level: str
    org_type: str
    status: str
    is_credit_office: bool


class AgencyPageOut(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    items: list[AgencyOut]


@router.get("/agencies", response=AgencyPageOut, auth=django_auth, summary="查询政府部门")
def list_agencies(request: HttpRequest, q: str = "", region: str = "", page: int = 1) -> AgencyPageOut:
    """Name substring or USCC prefix in `q`, a region code in `region` (includes everything under it);
    20 per page, within the caller's data scope."""
    result = agency_search(Agency.objects.visible_to(request.user), query=q[:100], region_code=region[:12], page=page)
    if result.unknown_region:
        raise HttpError(404, _("未知的行政区划代码"))
    items = [
        AgencyOut(
            uscc=a.uscc,
            uscc_status=a.uscc_status,
            name=a.name,
            region_code=a.region.code,
            region_name=a.region.name,
            level=a.level,
            org_type=a.org_type,
            status=a.status,
            is_credit_office=a.is_credit_office,
        )
        for a in result.rows
    ]
    return AgencyPageOut(
        count=result.total, page=result.page, pages=result.pages, per_page=result.per_page, items=items
    )
