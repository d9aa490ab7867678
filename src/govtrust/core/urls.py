from django.urls import path

from govtrust.core import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/verify/", views.audit_verify, name="audit-verify"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.notification_read, name="notification-read"),
    path("inbox/read-all/", views.notification_read_all, name="notification-read-all"),
    path("jobs/<uuid:public_id>/", views.job_detail, name="job"),
    path("jobs/<uuid:public_id>/progress/", views.job_progress, name="job-progress"),
    path("jobs/<uuid:public_id>/status.json", views.job_status, name="job-status"),
]
