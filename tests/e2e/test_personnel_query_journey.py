"""Browser journey (Playwright, system Chromium): an HR officer uploads a batch of candidates, reads the results,
downloads a signed report, and the public verification page says it is authentic — and that a tampered copy is
altered; then the civil servant concerned logs in and sees the query about him."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from govtrust.accounts.models import Role
from govtrust.accounts.services import subject_account_link, user_create
from govtrust.core.validators import id_check_digit, org_code_check_digit, uscc_check_digit
from govtrust.records.services import record_create
from govtrust.registry.services import agency_create, civil_servant_create

PASSWORD = "Zijin-Mountain-2026!"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def uscc(region_code: str, n: int) -> str:
    org = f"ABP{n:05d}"
    first17 = f"11{region_code}{org}{org_code_check_digit(org)}"
    return first17 + uscc_check_digit(first17)


def id_number(n: int) -> str:
    first17 = f"329900198001{n:02d}0{n:02d}"
    return first17 + id_check_digit(first17)


@pytest.fixture
def hr_world(transactional_db, tmp_path):  # type: ignore[no-untyped-def]
    import datetime

    from disclosure.helpers import candidates_xlsx
    from django.utils import timezone

    province = agency_create(actor=None, uscc=uscc("320000", 1), name="江苏省发展和改革委员会", region_code="320000",
                             is_credit_office=True)  # fmt: skip
    district = agency_create(actor=None, uscc=uscc("320102", 2), name="南京市玄武区人民政府", region_code="320102")
    school = agency_create(actor=None, uscc=uscc("320102", 3), name="南京市玄武区教育局", region_code="320102",
                           parent_uscc=district.uscc)  # fmt: skip
    admin = user_create(actor=None, username="js_admin", password=PASSWORD, agency=province,
                        roles=[Role.objects.get(code="provincial_credit_office")])  # fmt: skip
    user_create(actor=None, username="xw_hr", password=PASSWORD, agency=district,
                roles=[Role.objects.get(code="hr_department")], display_name="区委组织部干部")  # fmt: skip
    servant_user = user_create(actor=None, username="zhang_sf", password=PASSWORD, agency=school,
                               display_name="张三丰")  # fmt: skip
    servant = civil_servant_create(actor=None, agency=school, name="张三丰", id_number=id_number(1), position="科员")
    subject_account_link(actor=admin, user=servant_user, id_number=id_number(1))
    record = record_create(
        actor=None, subject=servant, record_class="discipline", sub_type="warning", severity="",
        document_number="玄纪处〔2026〕3号", authority_name="中共南京市玄武区纪律检查委员会",
        authority_uscc=uscc("320102", 9), decision_date=timezone.localdate() - datetime.timedelta(days=10),
        facts="违反工作纪律", basis="《公职人员政务处分法》", content="警告处分", supplier=province, source="console",
    )  # fmt: skip
    batch = tmp_path / "候选人名单.xlsx"
    batch.write_bytes(candidates_xlsx([
        ["张三丰", id_number(1), "提拔任用", "SQ-2026-018"],
        ["王小明", id_number(2), "公务员录用", "SQ-2026-019"],
        ["错号码", id_number(3)[:17] + ("0" if id_number(3)[17] != "0" else "1"), "调任", "SQ-2026-020"],
    ]))  # fmt: skip
    return record, batch


def login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/console/"))


def test_hr_batch_query_report_verification_and_the_subject_sees_it(page: Page, live_server, hr_world, tmp_path):  # type: ignore[no-untyped-def]
    record, batch = hr_world
    base = live_server.url

    login(page, base, "xw_hr")
    page.locator("summary", has_text="信用查询").click()
    page.get_by_role("link", name="人员信用查询").click()
    page.set_input_files("#id_file", str(batch))
    page.get_by_role("button", name="上传并查询").click()
    expect(page.locator("h1")).to_contain_text("查询结果")
    expect(page.locator("table.bad-rows")).to_contain_text("校验")
    row = page.locator("table.results tr", has_text="张三丰")
    expect(row).to_contain_text(record.number)
    expect(row).to_contain_text("有有效期内的失信记录")
    expect(page.locator("table.results tr", has_text="王小明")).to_contain_text("无有效期内的失信信息")

    with page.expect_download() as download_info:
        row.get_by_role("button", name="出具报告").click()
    report = tmp_path / "report.pdf"
    download_info.value.save_as(report)
    data = report.read_bytes()
    assert data.startswith(b"%PDF-")

    page.context.clear_cookies()
    page.goto(f"{base}/verify/")
    page.set_input_files("#id_file", str(report))
    page.get_by_role("button", name="核验文件").click()
    expect(page.locator(".verify-result .status")).to_have_text("真实有效")
    expect(page.locator(".verify-result")).to_contain_text("张*丰")

    tampered = tmp_path / "tampered.pdf"
    middle = len(data) // 2
    tampered.write_bytes(data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :])
    page.set_input_files("#id_file", str(tampered))
    page.get_by_role("button", name="核验文件").click()
    expect(page.locator(".verify-result .status")).to_have_text("已被篡改")

    login(page, base, "zhang_sf")
    page.get_by_role("link", name="查询我的记录").click()
    table = page.locator("table.my-queries")
    expect(table).to_contain_text("南京市玄武区人民政府")
    expect(table).to_contain_text("提拔任用")
    expect(table).to_contain_text("SQ-2026-018")
    expect(table).to_contain_text("出具信用报告")
    expect(table).not_to_contain_text("SQ-2026-019")  # another candidate's query is not his
