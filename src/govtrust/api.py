"""Assembles each app's ninja router into the one public API (OpenAPI at /api/docs)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from govtrust.accounts.api import router as accounts_router
from govtrust.accounts.api_auth import install_api_error_handlers
from govtrust.core.api import router as core_router
from govtrust.disclosure.api import router as opendata_router
from govtrust.disclosure.api_queries import router as credit_queries_router
from govtrust.evaluation.api import router as evaluation_router
from govtrust.records.api import router as records_router
from govtrust.records.api_feed import router as records_feed_router
from govtrust.registry.api import router as registry_router
from govtrust.screening.api import router as screening_router

api = NinjaAPI(title="GovTrust 政务诚信平台 API", version="1", urls_namespace="api")
install_api_error_handlers(api)


@api.exception_handler(NinjaValidationError)
def request_validation_failed(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """Malformed or wrongly typed input: say in Chinese which field is wrong, keep ninja's details."""
    fields = []
    for error in exc.errors:
        location = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "payload"))
        fields.append({"field": location, "message": error.get("msg", ""), "type": error.get("type", "")})
    return api.create_response(request, {"detail": _("请求参数不符合要求"), "errors": fields}, status=422)


api.add_router("/core", core_router)
api.add_router("/registry/", registry_router)
api.add_router("/accounts/", accounts_router)
api.add_router("/records/feed/", records_feed_router)
api.add_router("/records/", records_router)
api.add_router("/screening/", screening_router)
api.add_router("/opendata/", opendata_router)
api.add_router("/evaluation/", evaluation_router)
api.add_router("/credit-queries/", credit_queries_router)
