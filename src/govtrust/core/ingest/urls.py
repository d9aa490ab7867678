from django.urls import path

from govtrust.core.ingest import views

app_name = "ingest"

urlpatterns = [
    path("", views.batch_list, name="batch_list"),
    path("upload/", views.upload, name="upload"),
    path("templates/<str:kind>.xlsx", views.template, name="template"),
    path("batches/<str:number>/", views.batch_detail, name="batch"),
    path("batches/<str:number>/status/", views.batch_status, name="batch_status"),
    path("batches/<str:number>/errors.xlsx", views.error_report, name="error_report"),
]
