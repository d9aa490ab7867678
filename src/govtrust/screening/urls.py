from django.urls import path

from govtrust.screening import views

app_name = "screening"

urlpatterns = [
    path("screening/", views.supervision, name="supervision"),
    path("screening/export.xlsx", views.supervision_export, name="export"),
    path("screening/queue/", views.review_queue, name="queue"),
    path("screening/<int:pk>/", views.screening_detail, name="detail"),
]
