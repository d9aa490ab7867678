from django.urls import path

from govtrust.registry import views_search

app_name = "registry"

urlpatterns = [
    path("agencies/", views_search.agency_list, name="agency_list"),
    path("agencies/export.xlsx", views_search.agency_export, name="agency_export"),
    path("agencies/regions/<str:code>/children/", views_search.region_tree_children, name="region_children"),
    path("agencies/<str:uscc>/", views_search.agency_detail, name="agency_detail"),
]
