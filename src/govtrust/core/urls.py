from django.urls import path

from govtrust.core import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
]
