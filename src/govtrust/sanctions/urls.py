from django.urls import path

from govtrust.sanctions import views

app_name = "sanctions"

urlpatterns = [
    path("sanctions/", views.case_list, name="case_list"),
    path("sanctions/export.xlsx", views.case_export, name="case_export"),
    path("sanctions/dashboard/", views.dashboard, name="dashboard"),
    path("sanctions/dashboard/export.xlsx", views.dashboard_export, name="dashboard_export"),
    path("sanctions/incentives/", views.incentive_list, name="incentive_list"),
    path("sanctions/orders/", views.order_list, name="order_list"),
    path("sanctions/orders/<str:number>/", views.order_detail, name="order_detail"),
    path("sanctions/orders/<str:number>/explain/", views.order_explain, name="order_explain"),
    path("sanctions/orders/<str:number>/evidence/", views.order_evidence, name="order_evidence"),
    path("sanctions/orders/<str:number>/evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("sanctions/orders/<str:number>/review/", views.order_review, name="order_review"),
    path("sanctions/referrals/", views.referral_list, name="referral_list"),
    path("sanctions/referrals/inbox/", views.referral_inbox, name="referral_inbox"),
    path("sanctions/referrals/<str:number>/", views.referral_detail, name="referral_detail"),
    path("sanctions/referrals/<str:number>/action/", views.referral_action, name="referral_action"),
    path("sanctions/<str:number>/", views.case_detail, name="case_detail"),
    path("sanctions/<str:number>/mitigation/", views.case_mitigation, name="case_mitigation"),
    path("sanctions/<str:number>/measures/<int:pk>/decide/", views.measure_decide, name="measure_decide"),
]
