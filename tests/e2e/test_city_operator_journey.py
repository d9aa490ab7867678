"""Browser journey (Playwright, system Chromium): a city credit-office operator logs in, searches the
bodies and sees only those of their own city — in the list, in the region tree and by direct URL."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from govtrust.accounts.models import Role
from govtrust.accounts.services import user_create
from govtrust.core.models import Region
from govtrust.core.validators import org_code_check_digit, uscc_check_digit
from govtrust.registry.services import agency_create

PASSWORD = "Qinhuai-River-2026!"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def uscc(region_code: str, n: int) -> str:
    org = f"E2E{n:05d}"
    first17 = f"11{region_code}{org}{org_code_check_digit(org)}"
    return first17 + uscc_check_digit(first17)


@pytest.fixture
def nanjing_operator(transactional_db):  # type: ignore[no-untyped-def]
    def body(name: str, region: str, n: int, **kw):  # type: ignore[no-untyped-def]
        return agency_create(actor=None, uscc=uscc(region, n), name=name, region_code=region, **kw)

    credit_office = body("南京市发展和改革委员会", "320100", 1, is_credit_office=True)
    body("南京市财政局", "320100", 2)
    body("南京市江宁区财政局", "320115", 3)
    body("南京市玄武区教育局", "320102", 4)
    suzhou = body("苏州市财政局", "320500", 5)
    body("苏州市吴江区财政局", "320509", 6)
    user_create(
        actor=None,
        username="nanjing_xinyong",
        password=PASSWORD,
        agency=credit_office,
        roles=[Role.objects.get(code="city_credit_office")],
        display_name="市信用办操作员",
    )
    return suzhou


def test_a_city_operator_finds_bodies_of_their_city_only(page: Page, live_server, nanjing_operator) -> None:
    page.goto(f"{live_server.url}/console/agencies/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))  # the console needs a login

    page.fill("#id_username", "nanjing_xinyong")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="政府部门查询")).to_be_visible()

    page.fill("#agency-q", "财政")
    page.get_by_role("button", name="查询").click()
    results = page.locator("#results")
    expect(results).to_contain_text("共 2 个政府部门")
    expect(results).to_contain_text("南京市财政局")
    expect(results).to_contain_text("南京市江宁区财政局")
    expect(results).not_to_contain_text("苏州市")

    # The region tree starts at the operator's city; Suzhou is not offered.
    tree = page.locator(".region-tree")
    expect(tree).to_contain_text("南京市")
    expect(tree).not_to_contain_text("苏州市")
    tree.get_by_role("button", name=re.compile("展开 南京市")).click()
    expect(tree).to_contain_text("江宁区")
    tree.get_by_role("link", name="江宁区").click()
    expect(results).to_contain_text("共 1 个政府部门")
    expect(results).to_contain_text("南京市江宁区财政局")

    # A Suzhou body is out of scope even by its direct URL.
    response = page.goto(f"{live_server.url}/console/agencies/{nanjing_operator.uscc}/")
    assert response is not None and response.status == 404

    page.goto(f"{live_server.url}/console/agencies/?q=苏州")
    expect(page.locator("#results")).to_contain_text("没有符合条件的政府部门")
    assert Region.objects.filter(code="320500").exists()  # the data is there; the scope hides it
