from django.urls import path

from govtrust.records import views, views_coverage

app_name = "records"

urlpatterns = [
    path("records/", views.record_list, name="record_list"),
    path("records/export.xlsx", views.record_export, name="record_export"),
    path("records/rules/", views.rule_list, name="rule_list"),
    path("records/coverage/", views_coverage.coverage_page, name="coverage"),
    path("records/coverage/export.xlsx", views_coverage.coverage_export, name="coverage_export"),
    path("records/<str:number>/", views.record_detail, name="record_detail"),
    path("archive/agency/<str:uscc>/", views.archive_agency, name="archive_agency"),
    path("archive/agency/<str:uscc>/export.xlsx", views.archive_agency_export, name="archive_agency_export"),
    path("archive/person/<str:kind>/<int:pk>/", views.archive_person, name="archive_person"),
    path("archive/person/<str:kind>/<int:pk>/export.xlsx", views.archive_person_export, name="archive_person_export"),
    path("fault-tolerance/", views.ruling_list, name="ruling_list"),
    path("fault-tolerance/review/", views.ruling_review, name="ruling_review"),
    path("fault-tolerance/new/", views.ruling_create, name="ruling_create"),
    path("fault-tolerance/<int:pk>/", views.ruling_detail, name="ruling_detail"),
]
