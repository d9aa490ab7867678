"""Assembles each app's ninja router into the one public API (OpenAPI at /api/docs)."""

from __future__ import annotations

from ninja import NinjaAPI

from govtrust.registry.api_search import router as agency_search_router

api = NinjaAPI(title="GovTrust 政务诚信平台 API", version="1", urls_namespace="api")
api.add_router("/", agency_search_router)
