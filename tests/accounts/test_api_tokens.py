from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from govtrust.accounts import services
from govtrust.accounts.models import ApiClient, ApiToken, RateLimitBucket
from govtrust.core.models import ObjectChange

WHOAMI = "/api/accounts/whoami"


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def api_client_obj(sysadmin, city_office):
    return services.api_client_create(
        actor=sysadmin,
        name="南京公共资源交易平台",
        agency=city_office,
        scopes=["screening.query", "opendata.read"],
        rate_limit_per_minute=3,
    )


@pytest.fixture
def issued(sysadmin, api_client_obj):
    return services.api_token_issue(actor=sysadmin, client=api_client_obj)


@pytest.mark.django_db
def test_a_token_is_shown_once_as_gt_prefix_secret_and_only_its_digest_is_stored(issued):
    plaintext, token = issued
    kind, prefix, secret = plaintext.split("_", 2)
    assert kind == "gt" and prefix == token.prefix and len(prefix) == 8 and len(secret) >= 40
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert plaintext not in json.dumps(row, default=str)
    assert secret not in json.dumps(row, default=str)
    assert len(row["token_hash"]) == 64
    # Grep the whole table and the audit trail as the database holds them.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        dump = repr(cursor.fetchall())
        cursor.execute("SELECT * FROM core_objectchange")
        dump += repr(cursor.fetchall())
    assert secret not in dump
    assert ObjectChange.objects.filter(object_type="accounts.apitoken").count() == 1


@pytest.mark.django_db
def test_a_valid_token_reaches_whoami(client, issued, api_client_obj):
    plaintext, token = issued
    response = client.get(WHOAMI, **bearer(plaintext))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "client": "南京公共资源交易平台",
        "scopes": ["opendata.read", "screening.query"],
        "rate_limit_per_minute": 3,
    }
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db
def test_last_use_is_written_at_most_once_a_minute(client, issued, django_assert_max_num_queries):
    plaintext, token = issued
    client.get(WHOAMI, **bearer(plaintext))
    token.refresh_from_db()
    first = token.last_used_at
    client.get(WHOAMI, **bearer(plaintext))
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get(WHOAMI, **bearer(plaintext))
    token.refresh_from_db()
    assert token.last_used_at > first


@pytest.mark.django_db
def test_a_token_request_costs_a_handful_of_queries(client, issued, django_assert_max_num_queries):
    plaintext, _token = issued
    client.get(WHOAMI, **bearer(plaintext))  # creates the bucket, writes last use
    # token lookup, bucket update, operation-log insert
    with django_assert_max_num_queries(3):
        assert client.get(WHOAMI, **bearer(plaintext)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers, message",
    [
        ({}, "缺少访问令牌"),
        ({"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"}, "格式错误"),
        ({"HTTP_AUTHORIZATION": "Bearer "}, "格式错误"),
        (bearer("gt_abcdefgh_not-a-real-secret"), "访问令牌无效"),
        (bearer("'; DROP TABLE accounts_apitoken; --"), "访问令牌无效"),
        (bearer("<script>alert(1)</script>"), "访问令牌无效"),
    ],
)
def test_missing_malformed_or_unknown_tokens_get_401_in_chinese(client, issued, headers, message):
    response = client.get(WHOAMI, **headers)
    assert response.status_code == 401
    assert message in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert ApiToken.objects.count() == 1


@pytest.mark.django_db
def test_a_token_with_the_right_prefix_but_a_wrong_secret_is_rejected(client, issued):
    plaintext, _token = issued
    tampered = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    response = client.get(WHOAMI, **bearer(tampered))
    assert response.status_code == 401
    assert response.json()["detail"] == "访问令牌无效。"


@pytest.mark.django_db
def test_a_revoked_token_gets_401(client, sysadmin, issued):
    plaintext, token = issued
    assert client.get(WHOAMI, **bearer(plaintext)).status_code == 200
    services.api_token_revoke(actor=sysadmin, token=token)
    response = client.get(WHOAMI, **bearer(plaintext))
    assert response.status_code == 401
    assert response.json()["detail"] == "访问令牌已被吊销。"


@pytest.mark.django_db
def test_an_expired_token_gets_401(client, sysadmin, api_client_obj):
    plaintext, token = services.api_token_issue(
        actor=sysadmin, client=api_client_obj, expires_at=timezone.now() + timedelta(days=1)
    )
    assert client.get(WHOAMI, **bearer(plaintext)).status_code == 200
    # A day later (we move the expiry instead of the clock).
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(WHOAMI, **bearer(plaintext))
    assert response.status_code == 401
    assert response.json()["detail"] == "访问令牌已过期。"


@pytest.mark.django_db
def test_a_token_cannot_be_issued_already_expired(sysadmin, api_client_obj):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.api_token_issue(actor=sysadmin, client=api_client_obj, expires_at=timezone.now())
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_deactivated_client_gets_401(client, sysadmin, issued, api_client_obj):
    plaintext, _token = issued
    services.api_client_update(actor=sysadmin, client=api_client_obj, active=False)
    response = client.get(WHOAMI, **bearer(plaintext))
    assert response.status_code == 401
    assert response.json()["detail"] == "接口客户端已停用。"


@pytest.mark.django_db
@pytest.mark.urls(__name__.rsplit(".", 1)[0] + ".scoped_api_urls")
def test_a_client_without_the_scope_gets_403_and_with_it_200(client, sysadmin, issued, api_client_obj):
    plaintext, _token = issued
    response = client.get("/api/scoped/bodies", **bearer(plaintext))
    assert response.status_code == 403
    assert response.json()["detail"] == "该客户端无权调用此接口（需要授权范围 registry.read）。"
    services.api_client_update(actor=sysadmin, client=api_client_obj, scopes=["registry.read"])
    response = client.get("/api/scoped/bodies", **bearer(plaintext))
    assert response.status_code == 200
    assert response.json() == {"client": "南京公共资源交易平台"}


@pytest.mark.django_db
def test_over_the_rate_limit_gets_429_with_retry_after_then_is_allowed_after_refill(client, issued, api_client_obj):
    plaintext, _token = issued
    for _ in range(3):
        assert client.get(WHOAMI, **bearer(plaintext)).status_code == 200
    response = client.get(WHOAMI, **bearer(plaintext))
    assert response.status_code == 429
    assert response["Retry-After"] == "20"  # 3 per minute: one token every 20 s
    assert response.json()["detail"] == "请求过于频繁，请 20 秒后再试。"
    # Twenty seconds pass: we move the bucket's clock back instead of sleeping.
    bucket = RateLimitBucket.objects.get(key=f"api_client:{api_client_obj.pk}")
    RateLimitBucket.objects.filter(pk=bucket.pk).update(updated_at=bucket.updated_at - 20.5)
    assert client.get(WHOAMI, **bearer(plaintext)).status_code == 200
    assert client.get(WHOAMI, **bearer(plaintext)).status_code == 429


@pytest.mark.django_db
def test_two_tokens_of_one_client_share_its_rate_limit(client, sysadmin, issued, api_client_obj):
    first, _ = issued
    second, _ = services.api_token_issue(actor=sysadmin, client=api_client_obj)
    codes = [client.get(WHOAMI, **bearer(t)).status_code for t in [first, second, first, second]]
    assert codes == [200, 200, 200, 429]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"name": " "}, "name"),
        ({"name": "x", "scopes": ["registry.read", "root.everything"]}, None),
        ({"name": "x", "scopes": "registry.read"}, None),
        ({"name": "x", "rate_limit_per_minute": 0}, "rate_limit_per_minute"),
    ],
)
def test_api_client_create_rejects_bad_input(sysadmin, kwargs, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        services.api_client_create(actor=sysadmin, **kwargs)
    if field:
        assert field in excinfo.value.error_dict
    assert not ApiClient.objects.exists()


@pytest.mark.django_db
def test_api_client_names_are_unique(sysadmin, api_client_obj):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.api_client_create(actor=sysadmin, name="南京公共资源交易平台")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_http_request_against_the_live_server(live_server, sysadmin, city_office):
    client = services.api_client_create(actor=sysadmin, name="开放数据用户", scopes=["opendata.read"])
    plaintext, _token = services.api_token_issue(actor=sysadmin, client=client)
    request = urllib.request.Request(live_server.url + WHOAMI, headers={"Authorization": f"Bearer {plaintext}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {
            "client": "开放数据用户",
            "scopes": ["opendata.read"],
            "rate_limit_per_minute": 60,
        }
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(live_server.url + WHOAMI, timeout=10)
    assert excinfo.value.code == 401
    assert "缺少访问令牌" in json.loads(excinfo.value.read())["detail"]
