"""The interface is Chinese by default and English on request (the language switch sets a cookie)."""

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_the_portal_is_chinese_by_default_and_english_after_switching(client):
    assert "政务诚信信息公开" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "政务诚信信息公开" not in page


@pytest.mark.django_db
def test_the_login_page_is_translated(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/accounts/login/").content.decode()
    assert "登录" not in page.split("<footer")[0]


@pytest.mark.django_db
def test_an_english_browser_still_gets_chinese_until_the_user_switches(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in page
