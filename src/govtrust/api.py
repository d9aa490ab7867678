"""Assembles each app's ninja router into the one public API (OpenAPI at /api/docs)."""

from __future__ import annotations

from ninja import NinjaAPI

from govtrust.registry.api import router as registry_router

api = NinjaAPI(title="GovTrust 政务诚信平台 API", version="1", urls_namespace="api")
api.add_router("/registry/", registry_router)
