from django.urls import path

from govtrust.disclosure import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
]
