"""Registry JSON API (mounted at /api/registry/): read, create and change government bodies.

Authentication is the module-level `auth` list, so API-token auth can be swapped in or added without
touching the endpoints. Whatever an auth class returns becomes `request.auth`, the acting principal:
it must offer `is_authenticated`, `agency` and `data_scope(action)` like a User, because data scope is
applied to it exactly as in the console.

Errors: 400 with Chinese messages keyed by field (`{"detail": …, "errors": {"uscc": ["…"]}}`),
409 for a code that is already registered, 403 without the grant or outside the scope, 404 for a body
the caller cannot see.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from govtrust.core.validators import normalise_code
from govtrust.registry import services
from govtrust.registry.models import Agency, AgencyStatus, AgencyType
from govtrust.registry.permissions import CHANGE, VIEW, has_grant, in_scope, is_out_of_scope_error, require_in_scope
from govtrust.registry.search import agency_search

auth: list[Any] = [django_auth]

router = Router(auth=auth, tags=["registry"])


class AgencyOut(Schema):
    uscc: str
    uscc_status: str
    name: str
    org_type: str
    level: str
    status: str
    is_credit_office: bool
    region_code: str
    region_name: str
    parent_uscc: str | None
    warnings: list[str]


# Text fields default to "" so that a missing field is reported by the service in Chinese, not by pydantic.
class AgencyIn(Schema):
    uscc: str = ""
    name: str = ""
    region_code: str = ""
    parent_uscc: str | None = None
    level: str | None = None
    org_type: str = AgencyType.ORGAN
    is_credit_office: bool = False
    status: str = AgencyStatus.ACTIVE


class AgencyPatch(Schema):
    uscc: str | None = None
    name: str | None = None
    region_code: str | None = None
    parent_uscc: str | None = None  # an explicit null detaches the body from its parent
    level: str | None = None
    org_type: str | None = None
    is_credit_office: bool | None = None
    status: str | None = None


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


def _principal(request: HttpRequest) -> Any:
    return getattr(request, "auth", None) or request.user


def _out(agency: Agency) -> dict[str, Any]:
    warnings = [_("统一社会信用代码校验位不符，系已登记的历史代码")] if agency.is_legacy_code else []
    return {
        "uscc": agency.uscc,
        "uscc_status": agency.uscc_status,
        "name": agency.name,
        "org_type": agency.org_type,
        "level": agency.level,
        "status": agency.status,
        "is_credit_office": agency.is_credit_office,
        "region_code": agency.region.code,
        "region_name": agency.region.name,
        "parent_uscc": agency.parent.uscc if agency.parent else None,
        "warnings": warnings,
    }


def _error(error: ValidationError) -> Status[dict[str, Any]]:
    errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    if is_out_of_scope_error(error):
        return Status(403, {"detail": _("超出您的数据权限范围"), "errors": errors})
    if services.is_duplicate_error(error):
        return Status(409, {"detail": _("统一社会信用代码已登记"), "errors": errors})
    return Status(400, {"detail": _("输入有误"), "errors": errors})


def _forbidden() -> Status[dict[str, Any]]:
    return Status(403, {"detail": _("您没有修改主体名录的权限"), "errors": {}})


def _not_found() -> Status[dict[str, Any]]:
    return Status(404, {"detail": _("未找到该单位，或不在您的数据权限范围内"), "errors": {}})


def _visible(principal: Any, uscc: str) -> Agency | None:
    return (
        Agency.objects.visible_to(principal, VIEW)
        .select_related("region", "parent")
        .filter(uscc=normalise_code(uscc))
        .first()
    )


@router.get("/agencies/{uscc}", response={200: AgencyOut, 404: ErrorOut})
def agency_get(request: HttpRequest, uscc: str) -> Any:
    agency = _visible(_principal(request), uscc)
    return Status(200, _out(agency)) if agency else _not_found()


@router.post("/agencies", response={201: AgencyOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut})
def agency_post(request: HttpRequest, payload: AgencyIn) -> Any:
    principal = _principal(request)
    if not has_grant(principal, CHANGE):
        return _forbidden()
    try:
        with transaction.atomic():
            agency = services.agency_create(actor=principal, **payload.model_dump())
            require_in_scope(principal, agency)
    except ValidationError as error:
        return _error(error)
    return Status(201, _out(agency))


@router.patch("/agencies/{uscc}", response={200: AgencyOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def agency_patch(request: HttpRequest, uscc: str, payload: AgencyPatch) -> Any:
    principal = _principal(request)
    agency = _visible(principal, uscc)
    if agency is None:
        return _not_found()
    if not in_scope(principal, agency, CHANGE):
        return _forbidden()
    changes = payload.model_dump(exclude_unset=True)
    nulls = {f: [_("不能为空")] for f, v in changes.items() if v is None and f != "parent_uscc"}
    if nulls:
        return Status(400, {"detail": _("输入有误"), "errors": nulls})
    try:
        with transaction.atomic():
            services.agency_update(actor=principal, agency=agency, **changes)
            require_in_scope(principal, agency)
    except ValidationError as error:
        return _error(error)
    agency.refresh_from_db()
    return Status(200, _out(agency))


# --- search (the console's body search, for machines and scripts) -----------------------------


class AgencyListItem(Schema):
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
    items: list[AgencyListItem]


@router.get("/agencies", response=AgencyPageOut, summary="查询政府部门")
def list_agencies(request: HttpRequest, q: str = "", region: str = "", page: int = 1) -> AgencyPageOut:
    """Name substring or USCC prefix in `q`, a region code in `region` (includes everything under it);
    20 per page, within the caller's data scope."""
    result = agency_search(
        Agency.objects.visible_to(_principal(request), VIEW), query=q[:100], region_code=region[:12], page=page
    )
    if result.unknown_region:
        raise HttpError(404, _("未知的行政区划代码"))
    items = [
        AgencyListItem(
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
