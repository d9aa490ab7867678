from django.urls import path

from govtrust.evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("regions/<str:code>/", views.region_detail, name="region_detail"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/new/", views.run_create, name="run_create"),
    path("runs/compare/", views.run_compare, name="run_compare"),
    path("runs/<str:number>/", views.run_detail, name="run_detail"),
    path("runs/<str:number>/rerun/", views.run_rerun, name="run_rerun"),
    path("runs/<str:number>/publish/", views.run_publish, name="run_publish"),
    path("runs/<str:number>/unpublish/", views.run_unpublish, name="run_unpublish"),
    path("runs/<str:number>/export.xlsx", views.run_export, name="run_export"),
    path("runs/<str:number>/print/", views.run_print, name="run_print"),
    path("runs/<str:number>/export.pdf", views.run_pdf, name="run_pdf"),
    path("frameworks/", views.framework_list, name="framework_list"),
    path("frameworks/<int:pk>/", views.framework_detail, name="framework_detail"),
    path("frameworks/<int:pk>/new-version/", views.framework_new_version, name="framework_new_version"),
    path("frameworks/<int:pk>/activate/", views.framework_activate, name="framework_activate"),
    path("indicators/<int:pk>/", views.indicator_edit, name="indicator_edit"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/<str:action>/", views.alert_transition, name="alert_transition"),
    path("rules/", views.rule_list, name="rule_list"),
]
