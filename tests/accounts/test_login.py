from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from govtrust.accounts import services
from govtrust.accounts.models import LoginLog
from govtrust.accounts.policy import LoginThrottle, locked_until

from .conftest import PASSWORD

LOGIN = "/accounts/login/"
RULE = LoginThrottle(limit=5, window=timedelta(minutes=15), lockout=timedelta(minutes=15))
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def post_login(client, username, password, ip="10.1.2.3"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, HTTP_USER_AGENT="pytest")


def age_login_log(minutes: int) -> None:
    """Move every login-log row into the past: the time we control for the lockout window."""
    for row in LoginLog.objects.all():
        LoginLog.objects.filter(pk=row.pk).update(time=row.time - timedelta(minutes=minutes))


# --- the rule, with times we choose -------------------------------------------------------------


def failures(*minutes: int) -> list[tuple[datetime, str]]:
    return [(T0 + timedelta(minutes=m), "failed") for m in sorted(minutes, reverse=True)]


def test_five_failures_within_the_window_lock_until_fifteen_minutes_after_the_last():
    assert locked_until(failures(0, 1, 2, 3, 14), rule=RULE) == T0 + timedelta(minutes=29)


def test_four_failures_do_not_lock():
    assert locked_until(failures(0, 1, 2, 3), rule=RULE) is None


def test_five_failures_spread_over_more_than_the_window_do_not_lock():
    assert locked_until(failures(0, 4, 8, 12, 16), rule=RULE) is None


def test_a_successful_login_resets_the_count():
    events = failures(10, 11, 12, 13) + [(T0 + timedelta(minutes=9), "login")] + failures(0, 1)
    assert locked_until(events, rule=RULE) is None
    events = failures(10, 11, 12, 13) + [(T0 + timedelta(minutes=9), "unlocked")] + failures(0, 1)
    assert locked_until(events, rule=RULE) is None


# --- the login page and authenticate() --------------------------------------------------------


@pytest.mark.django_db
def test_a_successful_login_is_logged_with_ip_and_user_agent(client, city_user):
    response = post_login(client, "nanjing", PASSWORD)
    assert response.status_code == 302
    entry = LoginLog.objects.get()
    assert (entry.event, entry.success, entry.user_pk) == ("login", True, city_user.pk)
    assert (entry.ip, entry.user_agent, entry.username) == ("10.1.2.3", "pytest", "nanjing")


@pytest.mark.django_db
def test_a_wrong_password_is_logged_as_a_failure_with_the_reason(client, city_user):
    response = post_login(client, "nanjing", "wrong-password")
    assert response.status_code == 200
    entry = LoginLog.objects.get()
    assert (entry.event, entry.success, entry.user_pk, entry.reason) == ("failed", False, city_user.pk, "密码错误")


@pytest.mark.django_db
def test_an_unknown_hostile_username_is_logged_as_typed_and_escaped_in_the_admin(client, admin_client):
    post_login(client, "<script>alert(1)</script>", "x")
    entry = LoginLog.objects.get(event="failed")
    assert entry.username == "<script>alert(1)</script>" and entry.user_pk is None
    assert entry.reason == "用户名不存在"
    page = admin_client.get("/admin/accounts/loginlog/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


@pytest.mark.django_db
def test_logout_is_logged(client, city_user):
    post_login(client, "nanjing", PASSWORD)
    client.post("/accounts/logout/")
    assert list(LoginLog.objects.order_by("id").values_list("event", flat=True)) == ["login", "logout"]


@pytest.mark.django_db
def test_after_five_failures_even_the_right_password_is_refused_with_a_chinese_message(client, city_user):
    for _ in range(5):
        post_login(client, "nanjing", "wrong-password")
    response = post_login(client, "nanjing", PASSWORD)
    assert response.status_code == 200
    assert "登录失败次数过多，该账号已暂时锁定，请 15 分钟后再试。" in response.content.decode()
    assert "_auth_user_id" not in client.session
    last = LoginLog.objects.order_by("-id").first()
    assert (last.event, last.success) == ("refused", False)
    assert "锁定" in last.reason


@pytest.mark.django_db
def test_the_lockout_counts_the_username_case_insensitively(client, city_user):
    for name in ["nanjing", "NanJing", " NANJING", "nanjing", "Nanjing"]:
        post_login(client, name, "wrong-password")
    assert authenticate(username="nanjing", password=PASSWORD) is None


@pytest.mark.django_db
def test_authenticate_without_a_request_is_throttled_too(city_user):
    for _ in range(5):
        assert authenticate(username="nanjing", password="wrong-password") is None
    assert authenticate(username="nanjing", password=PASSWORD) is None
    assert LoginLog.objects.filter(event="refused").count() == 1
    assert LoginLog.objects.filter(event="failed").count() == 5


@pytest.mark.django_db
def test_refused_attempts_do_not_extend_the_lockout(client, city_user):
    for _ in range(5):
        post_login(client, "nanjing", "wrong-password")
    age_login_log(10)
    for _ in range(10):
        post_login(client, "nanjing", "wrong-password")  # refused, not counted
    age_login_log(6)
    response = post_login(client, "nanjing", PASSWORD)
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_lockout_ends_after_the_lockout_period(client, city_user):
    for _ in range(5):
        post_login(client, "nanjing", "wrong-password")
    age_login_log(14)
    assert post_login(client, "nanjing", PASSWORD).status_code == 200  # 1 minute left
    age_login_log(2)
    assert post_login(client, "nanjing", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_locked_username_does_not_lock_other_users(client, city_user, sysadmin):
    for _ in range(5):
        post_login(client, "nanjing", "wrong-password", ip="10.0.0.1")
    assert post_login(client, "sysadmin", PASSWORD, ip="10.0.0.2").status_code == 302


@pytest.mark.django_db
def test_an_operator_can_lift_a_lockout(client, city_user, sysadmin):
    for _ in range(5):
        post_login(client, "nanjing", "wrong-password")
    assert authenticate(username="nanjing", password=PASSWORD) is None
    services.login_unlock(actor=sysadmin, username="NanJing")
    assert authenticate(username="nanjing", password=PASSWORD) == city_user


@pytest.mark.django_db
def test_one_address_guessing_many_usernames_is_capped(client, city_user, settings):
    settings.GOVTRUST_LOGIN_IP_FAILURE_LIMIT = 8
    for i in range(8):
        post_login(client, f"guess{i}", "wrong-password", ip="203.0.113.7")
    response = post_login(client, "nanjing", PASSWORD, ip="203.0.113.7")
    assert "该地址登录失败次数过多" in response.content.decode()
    assert post_login(client, "nanjing", PASSWORD, ip="203.0.113.8").status_code == 302


@pytest.mark.django_db
def test_the_admin_login_is_throttled_and_says_why(client, city_user):
    city_user.is_staff = True
    city_user.save()
    for _ in range(5):
        client.post("/admin/login/", {"username": "nanjing", "password": "bad"})
    response = client.post("/admin/login/", {"username": "nanjing", "password": PASSWORD})
    assert "该账号已暂时锁定" in response.content.decode()


@pytest.mark.django_db
def test_x_forwarded_for_is_ignored_unless_we_run_a_proxy(city_user, settings):
    from govtrust.accounts.request_info import client_ip

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1")
    assert client_ip(request) == "10.0.0.5"
    settings.GOVTRUST_TRUSTED_PROXIES = 1
    assert client_ip(request) == "198.51.100.1"
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="<script>")
    assert client_ip(request) is None
