import pytest


@pytest.mark.django_db
def test_portal_home_is_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "政务诚信信息公开" in response.content.decode()
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_console_requires_login(client):
    response = client.get("/console/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
