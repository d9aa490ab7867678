from django.urls import path

from govtrust.disclosure import views_queries as views

app_name = "queries"

urlpatterns = [
    path("personnel-queries/", views.personnel, name="personnel"),
    path("personnel-queries/single/", views.personnel_single, name="personnel_single"),
    path("personnel-queries/upload/", views.personnel_upload, name="personnel_upload"),
    path("personnel-queries/template.xlsx", views.personnel_template, name="personnel_template"),
    path("personnel-queries/<str:number>/", views.personnel_result, name="personnel_result"),
    path("personnel-queries/<str:number>/export.xlsx", views.personnel_export, name="personnel_export"),
    path("personnel-queries/<str:number>/<int:row>/report/", views.personnel_report, name="personnel_report"),
    path("honours/", views.honours, name="honours"),
    path("credit-reports/", views.credit_reports, name="reports"),
    path("my-queries/", views.my_queries, name="my_queries"),
    path("subject-accounts/", views.subject_accounts, name="subject_accounts"),
    path("subject-accounts/<int:pk>/unlink/", views.subject_account_unlink, name="subject_account_unlink"),
]
