from __future__ import annotations

import pytest

from govtrust.accounts import services
from govtrust.accounts.models import ApiClient, ApiToken, Role

from .conftest import make_user

LIST = "/accounts/api-clients/"


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_users_without_api_client_manage_get_403(client, city_user):
    client.force_login(city_user)
    assert client.get(LIST).status_code == 403


@pytest.mark.django_db
def test_an_operator_creates_a_client_issues_a_token_sees_it_once_and_revokes_it(client, sysadmin, city_office):
    client.force_login(sysadmin)
    response = client.post(
        "/accounts/api-clients/new/",
        {"name": "南京招标平台", "agency": city_office.pk, "scopes": ["screening.query"], "rate_limit_per_minute": 20},
    )
    api_client = ApiClient.objects.get()
    assert response["Location"] == f"/accounts/api-clients/{api_client.pk}/"
    assert (api_client.agency, api_client.scopes, api_client.rate_limit_per_minute) == (
        city_office,
        ["screening.query"],
        20,
    )
    assert "南京招标平台" in client.get(LIST).content.decode()

    response = client.post(f"/accounts/api-clients/{api_client.pk}/tokens/", {"valid_days": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get()
    plaintext = response.context["plaintext"]
    assert plaintext.startswith(f"gt_{token.prefix}_") and plaintext in response.content.decode()
    assert token.expires_at is not None
    # Shown once: the detail page afterwards has the prefix only.
    page = client.get(f"/accounts/api-clients/{api_client.pk}/").content.decode()
    assert f"gt_{token.prefix}_…" in page and plaintext not in page

    response = client.post(f"/accounts/api-clients/{api_client.pk}/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/accounts/whoami", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 401


@pytest.mark.django_db
def test_the_create_form_shows_errors_and_stores_nothing(client, sysadmin):
    client.force_login(sysadmin)
    services.api_client_create(actor=sysadmin, name="已有平台")
    response = client.post(
        "/accounts/api-clients/new/", {"name": "已有平台", "scopes": ["root.all"], "rate_limit_per_minute": "-1"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"scopes", "rate_limit_per_minute"}
    response = client.post("/accounts/api-clients/new/", {"name": "已有平台", "rate_limit_per_minute": "5"})
    assert "已存在" in response.content.decode()
    assert ApiClient.objects.count() == 1


@pytest.mark.django_db
def test_issue_and_revoke_only_accept_post(client, sysadmin):
    client.force_login(sysadmin)
    api_client = services.api_client_create(actor=sysadmin, name="平台")
    assert client.get(f"/accounts/api-clients/{api_client.pk}/tokens/").status_code == 405
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_an_operator_scoped_to_their_unit_sees_only_their_bodys_clients(
    client, sysadmin, city_office, provincial_office
):
    services.role_update_grants(
        actor=sysadmin, role=Role.objects.get(code="supplier"), grants={"api_client.manage": "unit"}
    )
    operator = make_user("city-ops", city_office, "supplier")
    own = services.api_client_create(actor=sysadmin, name="本市平台", agency=city_office)
    other = services.api_client_create(actor=sysadmin, name="省级平台", agency=provincial_office)
    client.force_login(operator)
    page = client.get(LIST).content.decode()
    assert "本市平台" in page and "省级平台" not in page
    assert client.get(f"/accounts/api-clients/{own.pk}/").status_code == 200
    assert client.get(f"/accounts/api-clients/{other.pk}/").status_code == 404
    assert client.post(f"/accounts/api-clients/{other.pk}/tokens/", {"valid_days": ""}).status_code == 404
    assert not ApiToken.objects.exists()
