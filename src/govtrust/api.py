"""Assembles each app's ninja router into the one public API (OpenAPI at /api/docs)."""

from __future__ import annotations

from ninja import NinjaAPI

from govtrust.accounts.api import router as accounts_router
from govtrust.accounts.api_auth import install_api_error_handlers

api = NinjaAPI(title="GovTrust 政务诚信平台 API", version="1", urls_namespace="api")
install_api_error_handlers(api)

api.add_router("/accounts/", accounts_router)
