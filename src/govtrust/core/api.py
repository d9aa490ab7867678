"""core's API: region children for tree pickers. Mounted by govtrust/api.py: `api.add_router("/core", router)`."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from govtrust.core.models import Region

router = Router(tags=["core"])


class RegionOut(Schema):
    code: str
    name: str
    level: int
    kind: str
    has_children: bool


@router.get("/regions", response=list[RegionOut], summary="下级行政区划")
def region_children(request: HttpRequest, parent: str = "") -> list[Region]:
    """Children of `parent` (a region code), or the top-level regions when it is omitted. GB/T 2260 codes are
    public data, so this needs no personal-data access log."""
    if parent:
        regions = Region.objects.filter(parent=get_object_or_404(Region, code=parent))
    else:
        regions = Region.objects.filter(parent__isnull=True)
    children = Region.objects.filter(parent=OuterRef("pk"))
    return list(regions.annotate(has_children=Exists(children)).order_by("code"))
