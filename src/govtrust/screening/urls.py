from django.urls import path

from govtrust.screening import pledge_views, views

app_name = "screening"

urlpatterns = [
    path("screening/", views.supervision, name="supervision"),
    path("screening/export.xlsx", views.supervision_export, name="export"),
    path("screening/queue/", views.review_queue, name="queue"),
    path("screening/<int:pk>/", views.screening_detail, name="detail"),
]

urlpatterns += [
    path("screening/pledges/", pledge_views.pledge_list, name="pledges"),
    path("screening/pledges/new/", pledge_views.pledge_new, name="pledge_new"),
    path("screening/pledges/export.xlsx", pledge_views.pledge_export, name="pledge_export"),
    path("screening/pledges/<int:pk>/", pledge_views.pledge_detail, name="pledge_detail"),
]
