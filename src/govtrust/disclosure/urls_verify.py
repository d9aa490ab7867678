"""The public report verification page (no login): /verify/ and /verify/<number>/ (the QR code's target)."""

from django.urls import path

from govtrust.disclosure import views_queries as views

app_name = "verify"

urlpatterns = [
    path("", views.verify, name="home"),
    path("lookup/", views.verify_number_lookup, name="lookup"),
    path("<str:number>/", views.verify, name="number"),
]
