from django.urls import path

from govtrust.remedies import views

app_name = "remedies"

urlpatterns = [
    path("remedies/records/", views.my_records, name="my_records"),
    path("remedies/mine/", views.mine, name="mine"),
    path("remedies/records/<str:number>/objection/", views.objection_new, name="objection_new"),
    path("remedies/records/<str:number>/repair/", views.repair_new, name="repair_new"),
    path("remedies/records/<str:number>/repair-notice/", views.repair_notice, name="repair_notice"),
    path("remedies/objections/", views.objection_list, name="objection_list"),
    path("remedies/objections/<str:number>/", views.objection_detail, name="objection_detail"),
    path("remedies/objections/<str:number>/<str:action>/", views.objection_action, name="objection_action"),
    path("remedies/repairs/", views.repair_list, name="repair_list"),
    path("remedies/repairs/<str:number>/", views.repair_detail, name="repair_detail"),
    path("remedies/repairs/<str:number>/<str:action>/", views.repair_action, name="repair_action"),
    path("remedies/attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("remedies/agents/", views.agent_list, name="agent_list"),
    path("remedies/agents/<int:pk>/revoke/", views.agent_revoke, name="agent_revoke"),
    path("remedies/dashboard/", views.dashboard, name="dashboard"),
]
