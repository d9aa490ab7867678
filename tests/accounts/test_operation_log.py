from __future__ import annotations

import time
import uuid

import pytest

from govtrust.accounts import services
from govtrust.accounts.models import OperationLog

from .conftest import PASSWORD


@pytest.mark.django_db
def test_a_console_write_is_logged_with_user_business_type_status_and_duration(client, sysadmin):
    client.force_login(sysadmin)
    started = time.perf_counter()
    response = client.post(
        "/accounts/api-clients/new/",
        {"name": "招标平台", "scopes": ["screening.query"], "rate_limit_per_minute": "30"},
        REMOTE_ADDR="10.9.8.7",
    )
    wall_ms = (time.perf_counter() - started) * 1000
    assert response.status_code == 302
    entry = OperationLog.objects.get()
    assert (entry.user_pk, entry.user_name) == (sysadmin.pk, "sysadmin")
    assert entry.business_type == "accounts.api_client_create"
    assert (entry.method, entry.path, entry.status_code, entry.success) == (
        "POST",
        "/accounts/api-clients/new/",
        302,
        True,
    )
    assert 0 <= entry.duration_ms <= wall_ms + 1
    assert entry.request_id == uuid.UUID(response["X-Request-ID"])
    assert entry.ip == "10.9.8.7"


@pytest.mark.django_db
def test_a_failed_write_is_logged_as_unsuccessful(client, city_user):
    client.force_login(city_user)  # no api_client.manage
    response = client.post("/accounts/api-clients/new/", {"name": "x"})
    assert response.status_code == 403
    entry = OperationLog.objects.get()
    assert (entry.status_code, entry.success, entry.user_name) == (403, False, "nanjing")


@pytest.mark.django_db
def test_page_views_are_not_logged_but_api_reads_are(client, sysadmin):
    client.force_login(sysadmin)
    client.get("/accounts/api-clients/")
    client.get("/")
    assert not OperationLog.objects.exists()
    api_client = services.api_client_create(actor=sysadmin, name="开放数据用户", scopes=["opendata.read"])
    plaintext, _ = services.api_token_issue(actor=sysadmin, client=api_client)
    client.logout()
    OperationLog.objects.all().delete()
    client.get("/api/accounts/whoami?id_number=320102199001011234", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    entry = OperationLog.objects.get()
    assert (entry.method, entry.status_code, entry.business_type) == ("GET", 200, "api.whoami")
    assert (entry.user_pk, entry.user_name, entry.api_client_pk) == (None, "api:开放数据用户", api_client.pk)
    # Query strings can carry ID numbers: only the path is kept.
    assert entry.path == "/api/accounts/whoami"
    assert not OperationLog.objects.filter(path__contains="320102").exists()


@pytest.mark.django_db
def test_a_rejected_api_call_is_logged_with_its_status(client):
    client.get("/api/accounts/whoami", HTTP_AUTHORIZATION="Bearer gt_nothere1_nope")
    entry = OperationLog.objects.get()
    assert (entry.status_code, entry.success, entry.user_name) == (401, False, "")


@pytest.mark.django_db
def test_login_and_logout_posts_name_the_user(client, city_user):
    client.post("/accounts/login/", {"username": "nanjing", "password": PASSWORD})
    client.post("/accounts/logout/")
    rows = list(OperationLog.objects.order_by("id").values_list("business_type", "user_name"))
    assert rows == [("accounts.login", "nanjing"), ("accounts.logout", "nanjing")]


@pytest.mark.django_db
def test_a_post_to_an_unknown_url_is_still_logged(client):
    client.post("/no/such/page/", {"a": "<script>"})
    entry = OperationLog.objects.get()
    assert (entry.status_code, entry.business_type, entry.path) == (404, "", "/no/such/page/")


@pytest.mark.django_db
def test_a_token_call_from_a_logged_in_browser_is_logged_as_the_client(client, sysadmin):
    # The token authenticated the call, so the client acted, whoever's session cookie came along.
    api_client = services.api_client_create(actor=sysadmin, name="开放数据用户", scopes=["opendata.read"])
    plaintext, _ = services.api_token_issue(actor=sysadmin, client=api_client)
    client.force_login(sysadmin)
    client.get("/api/accounts/whoami", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    entry = OperationLog.objects.get()
    assert (entry.user_pk, entry.user_name, entry.api_client_pk) == (None, "api:开放数据用户", api_client.pk)
