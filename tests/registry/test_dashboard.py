"""The console home shows each user the figures of their own data scope."""

import re


def _figure(html: str, label: str) -> int:
    match = re.search(r'<div class="n">([\d,]+)</div>' + label, html)
    assert match, label
    return int(match.group(1).replace(",", ""))


def test_the_home_page_counts_only_the_bodies_in_the_users_scope(client, cast):
    client.force_login(cast.city_user)
    html = client.get("/console/").content.decode()
    from govtrust.registry.models import Agency

    assert _figure(html, "可查看的政府部门") == Agency.objects.visible_to(cast.city_user).count()
    assert _figure(html, "可查看的政府部门") < len(cast.bodies())

    client.force_login(cast.admin)
    assert _figure(client.get("/console/").content.decode(), "可查看的政府部门") == len(cast.bodies())


def test_a_user_without_a_role_sees_no_registry_figures(client, cast):
    client.force_login(cast.norole_user)
    html = client.get("/console/").content.decode()
    assert "可查看的政府部门" not in html
    assert "未读消息" in html
