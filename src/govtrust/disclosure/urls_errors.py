"""Console pages for error reports (纠错建议) sent to a supplier (namespace `disclosure_errors`, under /console/)."""

from django.urls import path

from govtrust.disclosure import views_errors

app_name = "disclosure_errors"

urlpatterns = [
    path("error-reports/", views_errors.error_report_list, name="list"),
    path("error-reports/<int:pk>/", views_errors.error_report_detail, name="detail"),
]
