from django.urls import path

from govtrust.registry import views, views_search

app_name = "registry"

urlpatterns = [
    path("agencies/", views_search.agency_list, name="agency_list"),
    path("agencies/export.xlsx", views_search.agency_export, name="agency_export"),
    path("agencies/regions/<str:code>/children/", views_search.region_tree_children, name="region_children"),
    path("agencies/new/", views.agency_create, name="agency_create"),
    path("agencies/<str:uscc>/", views.agency_detail, name="agency_detail"),
    path("agencies/<str:uscc>/edit/", views.agency_edit, name="agency_edit"),
    path("agencies/<str:uscc>/leaders/new/", views.leader_add, name="leader_add"),
    path("agencies/<str:uscc>/leaders/<int:pk>/end/", views.leader_end, name="leader_end"),
    path("agencies/<str:uscc>/civil-servants/new/", views.civil_servant_create, name="civil_servant_create"),
    path("civil-servants/<int:pk>/edit/", views.civil_servant_edit, name="civil_servant_edit"),
    path("persons/new/", views.person_create, name="person_create"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
]
