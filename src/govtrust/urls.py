from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from govtrust.api import api

admin.site.site_header = _("政务诚信平台 · 运维管理")
admin.site.site_title = _("政务诚信平台运维管理")
admin.site.index_title = _("运维管理")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("govtrust.accounts.urls")),
    path("console/ingest/", include("govtrust.core.ingest.urls")),
    path("console/", include("govtrust.core.urls")),
    path("console/", include("govtrust.registry.urls")),
    path("console/", include("govtrust.records.urls")),
    path("console/", include("govtrust.remedies.urls")),
    path("console/", include("govtrust.sanctions.urls")),
    path("console/", include("govtrust.screening.urls")),
    path("console/", include("govtrust.disclosure.urls_errors")),
    path("console/evaluation/", include("govtrust.evaluation.urls")),
    path("console/", include("govtrust.disclosure.urls_console")),
    path("verify/", include("govtrust.disclosure.urls_verify")),
    path("", include("govtrust.disclosure.urls")),
]
