"""Browser journey (Playwright, system Chromium): a body files an objection against its record, the archive and the
public portal show 异议处理中, the supplying department accepts and upholds it, the record is corrected and the label
is gone from both."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from govtrust.accounts.models import Role
from govtrust.accounts.services import user_create
from govtrust.core.validators import org_code_check_digit, uscc_check_digit
from govtrust.records.services import record_create
from govtrust.registry.services import agency_create

PASSWORD = "Zijin-Mountain-2026!"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def uscc(region_code: str, n: int) -> str:
    org = f"ABJ{n:05d}"
    first17 = f"11{region_code}{org}{org_code_check_digit(org)}"
    return first17 + uscc_check_digit(first17)


@pytest.fixture
def objection_world(transactional_db, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    office = agency_create(actor=None, uscc=uscc("320100", 1), name="南京市发展和改革委员会", region_code="320100",
                           is_credit_office=True)  # fmt: skip
    school = agency_create(actor=None, uscc=uscc("320102", 2), name="南京市玄武区教育局", region_code="320102")
    user_create(actor=None, username="xw_jiaoyu", password=PASSWORD, agency=school,
                roles=[Role.objects.get(code="recorded_body")], display_name="教育局信用联络员")  # fmt: skip
    user_create(actor=None, username="nj_xinyong", password=PASSWORD, agency=office,
                roles=[Role.objects.get(code="city_credit_office")], display_name="市信用办操作员")  # fmt: skip
    record = record_create(
        actor=None, subject=school, record_class="penalty", severity="general", document_number="宁发改罚〔2026〕21号",
        authority_name="南京市发展和改革委员会", authority_uscc=office.uscc, decision_date=datetime.date(2026, 10, 15),
        facts="未按期报送价格监测数据", basis="《价格法》第三十四条", content="警告，罚款2万元", supplier=office,
        source="console",
    )  # fmt: skip
    evidence = tmp_path / "缴款凭证.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    return school, record, evidence


def login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/console/"))


def test_a_body_objects_the_supplier_upholds_and_the_label_goes(page: Page, live_server, objection_world) -> None:
    school, record, evidence = objection_world
    base = live_server.url
    archive = f"{base}/console/archive/agency/{school.uscc}/"
    public_body = f"{base}/bodies/{school.uscc}/"
    public_record = f"{base}/records/{record.number}/"

    login(page, base, "xw_jiaoyu")
    page.locator("summary", has_text="异议与修复").click()
    page.get_by_role("link", name="本单位记录").click()
    row = page.locator("table.my-records tr", has_text=record.number)
    expect(row).to_contain_text("2027-01-16起可申请")
    row.get_by_role("link", name="提出异议").click()
    page.fill("#id_claim", "罚款已减为1万元，见复议决定书")
    page.set_input_files("#id_attachments", str(evidence))
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator("main")).to_contain_text("异议已提交")
    expect(page.locator("main")).to_contain_text("缴款凭证.pdf")

    page.goto(archive)
    expect(page.locator("table.records tr", has_text=record.number)).to_contain_text("异议处理中")

    # The public portal, with nobody logged in, shows the label on the body's page and on the record's page.
    page.context.clear_cookies()
    page.goto(public_body)
    expect(page.locator("table.public-records tr", has_text=record.number)).to_contain_text("异议处理中")
    page.goto(public_record)
    expect(page.locator("h1")).to_contain_text("异议处理中")

    login(page, base, "nj_xinyong")
    page.goto(f"{base}/console/remedies/objections/")
    page.get_by_role("link", name=re.compile(r"^YY2026")).click()
    page.get_by_role("button", name="受理").click()
    expect(page.locator("h1")).to_contain_text("处理中")
    form = page.locator("form.decide")
    form.locator("#id_outcome").select_option("upheld")
    form.locator("#id_reasons").fill("经核实，罚款金额已由复议决定变更")
    form.locator("#id_record_action").select_option("correct")
    form.locator("#id_content").fill("警告，罚款1万元")
    form.get_by_role("button", name="提交决定").click()
    expect(page.locator("h1")).to_contain_text("异议成立")
    expect(page.locator(".timeline")).to_contain_text("异议成立")

    page.goto(archive)
    row = page.locator("table.records tr", has_text=record.number)
    expect(row).not_to_contain_text("异议处理中")
    expect(row).to_contain_text("v1")  # the previous version is kept in the history
    page.goto(f"{base}/console/records/{record.number}/")
    expect(page.locator("main")).to_contain_text("警告，罚款1万元")

    # The public pages show the corrected record without the label.
    page.context.clear_cookies()
    page.goto(public_body)
    row = page.locator("table.public-records tr", has_text=record.number)
    expect(row).to_be_visible()
    expect(row).not_to_contain_text("异议处理中")
    page.goto(public_record)
    expect(page.locator("h1")).not_to_contain_text("异议处理中")
    expect(page.locator("main")).to_contain_text("警告，罚款1万元")
