"""The public portal's URLs (namespace `portal`, mounted at the site root). The list is in docs/portal.md."""

from django.urls import path

from govtrust.disclosure import opendata, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("search/suggest/", views.suggestions, name="suggest"),
    path("bodies/<str:uscc>/", views.body, name="body"),
    path("records/", views.record_list, name="record_list"),
    path("records/<str:number>/", views.record, name="record"),
    path("records/<str:number>/error-report/", views.error_report, name="error_report"),
    path("lists/lawsuits-lost/", views.lawsuits_lost, name="lawsuits_lost"),
    path("lists/defaulters/", views.defaulters, name="defaulters"),
    path("regions/", views.regions, name="regions"),
    path("regions/<str:code>/", views.regions, name="region"),
    path("statistics/", views.statistics, name="statistics"),
    path("opendata/", views.opendata, name="opendata"),
    path("opendata/records.csv", opendata.records_csv, name="opendata_csv"),
    path("opendata/records.json", opendata.records_json, name="opendata_json"),
    path("rankings/", views.rankings, name="rankings"),
    path("rankings/<str:number>/", views.ranking_detail, name="ranking_detail"),
    path("rankings/<str:number>/spec.json", views.ranking_spec, name="ranking_spec"),
    path("rankings/<str:number>/data.csv", views.ranking_data, name="ranking_data"),
]
