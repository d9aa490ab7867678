"""Assembles each app's ninja router into the one public API (OpenAPI at /api/docs)."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="GovTrust 政务诚信平台 API", version="1", urls_namespace="api")

from govtrust.core.api import router as core_router  # noqa: E402

api.add_router("/core", core_router)
