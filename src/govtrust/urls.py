from django.conf.urls.i18n import i18n_patterns  # noqa: F401  (kept for future localised URLs)
from django.contrib import admin
from django.urls import include, path

from govtrust.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("govtrust.accounts.urls")),
    path("console/", include("govtrust.core.urls")),
    path("console/", include("govtrust.registry.urls")),
    path("", include("govtrust.disclosure.urls")),
]
