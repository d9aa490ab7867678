"""Accounts API: `GET /whoami` so that a machine caller (and our tests) can check a token end to end.

Mounted by govtrust/api.py at /api/accounts/.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from govtrust.accounts.api_auth import ApiTokenAuth

router = Router(tags=["accounts"])


class WhoAmI(Schema):
    client: str
    scopes: list[str]
    rate_limit_per_minute: int


@router.get("/whoami", response=WhoAmI, auth=ApiTokenAuth(None), url_name="whoami")
def whoami(request: HttpRequest) -> WhoAmI:
    client = request.auth  # type: ignore[attr-defined]
    return WhoAmI(client=client.name, scopes=client.scopes, rate_limit_per_minute=client.rate_limit_per_minute)
