from django.contrib.auth import views as auth_views
from django.urls import path

from govtrust.accounts import views
from govtrust.accounts.forms import LoginForm

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api-clients/", views.api_client_list, name="api_client_list"),
    path("api-clients/new/", views.api_client_create, name="api_client_create"),
    path("api-clients/<int:pk>/", views.api_client_detail, name="api_client_detail"),
    path("api-clients/<int:pk>/tokens/", views.api_token_issue, name="api_token_issue"),
    path("api-clients/<int:pk>/tokens/<int:token_pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
