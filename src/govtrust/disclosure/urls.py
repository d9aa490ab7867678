from django.urls import path

from govtrust.disclosure import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("rankings/", views.rankings, name="rankings"),
    path("rankings/<str:number>/", views.ranking_detail, name="ranking_detail"),
]
