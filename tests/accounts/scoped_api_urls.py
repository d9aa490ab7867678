"""A second real NinjaAPI with one scoped endpoint, so the 403 "missing scope" path runs end to end.

Used with @pytest.mark.urls; the platform's own API stays mounted beside it.
"""

from django.http import HttpRequest
from django.urls import include, path
from ninja import NinjaAPI

from govtrust.accounts.api_auth import ApiTokenAuth, install_api_error_handlers

scoped_api = NinjaAPI(urls_namespace="scoped_test_api", docs_url=None)
install_api_error_handlers(scoped_api)


@scoped_api.get("/bodies", auth=ApiTokenAuth("registry.read"))
def bodies(request: HttpRequest) -> dict:
    return {"client": request.auth.name}  # type: ignore[attr-defined]


urlpatterns = [
    path("api/scoped/", scoped_api.urls),
    path("", include("govtrust.urls")),
]
