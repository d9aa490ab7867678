"""Browser journey (Playwright, system Chromium): a supplying department uploads a real-format 双公示 file in
GBK, sees which row failed and why, and the valid record appears in the body's credit archive."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from records.formats_helpers import LEGAL_HEADERS, legal_row, write_csv

from govtrust.accounts.models import Role
from govtrust.accounts.services import user_create
from govtrust.core.validators import org_code_check_digit, uscc_check_digit
from govtrust.registry.services import agency_create

PASSWORD = "Xuanwu-Lake-2026!"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def uscc(region_code: str, n: int) -> str:
    org = f"MKT{n:05d}"
    first17 = f"11{region_code}{org}{org_code_check_digit(org)}"
    return first17 + uscc_check_digit(first17)


@pytest.fixture
def market(transactional_db):  # type: ignore[no-untyped-def]
    market = agency_create(actor=None, uscc=uscc("320100", 1), name="南京市市场监督管理局", region_code="320100")
    school = agency_create(actor=None, uscc=uscc("320102", 2), name="南京市玄武区教育局", region_code="320102")
    user_create(
        actor=None,
        username="nanjing_shichang",
        password=PASSWORD,
        agency=market,
        roles=[Role.objects.get(code="supplier")],
        display_name="市场监管局信息员",
    )
    return market, school


def test_a_supplier_uploads_a_gbk_penalty_file_and_sees_the_rejected_row(page: Page, live_server, market, tmp_path):
    authority, school = market
    bad_code = school.uscc[:-1] + ("0" if school.uscc[-1] != "0" else "1")
    rows = [
        legal_row(school.name, school.uscc, authority.uscc, 处罚决定日期="2026-06-02"),
        legal_row(school.name, bad_code, authority.uscc, 行政处罚决定书文号="宁市监罚〔2026〕13号"),
    ]
    path = write_csv(tmp_path / "双公示-行政处罚.csv", LEGAL_HEADERS, rows, encoding="gbk")

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "nanjing_shichang")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.locator("summary", has_text="信用记录").click()  # the menu group opens as a drop-down
    page.get_by_role("link", name="数据归集").click()
    expect(page).to_have_url(re.compile(r"/console/ingest/"))
    page.goto(f"{live_server.url}/console/ingest/upload/")
    page.select_option("select[name=kind]", "records.penalty_legal_person")
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="上传并校验").click()

    expect(page).to_have_url(re.compile(r"/console/ingest/batches/GJ-"))
    body = page.locator("main")
    expect(body).to_contain_text("校验码错误")  # the wrong check digit, named in Chinese
    expect(body).to_contain_text("行政相对人代码_1")  # …with the column it was in
    expect(body.locator("table.data")).to_contain_text("3")  # …and its row number in the file

    # The valid row became a record in the school's archive, with its publicity window.
    page.goto(f"{live_server.url}/console/records/?q=")
    expect(page.locator("main")).to_contain_text("宁市监罚〔2025〕12号")
