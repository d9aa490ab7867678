"""Browser journey (Playwright, system Chromium), no login: a member of the public types a body's name with a typo,
picks the suggestion, reads the body's page, opens a record (people named in it masked) and sends an error report."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from govtrust.core.validators import id_check_digit, org_code_check_digit, uscc_check_digit
from govtrust.disclosure.models import ErrorReport
from govtrust.records.services import record_create
from govtrust.registry.services import agency_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def uscc(region_code: str, n: int) -> str:
    org = f"PTL{n:05d}"
    first17 = f"11{region_code}{org}{org_code_check_digit(org)}"
    return first17 + uscc_check_digit(first17)


@pytest.fixture
def portal_world(transactional_db):  # type: ignore[no-untyped-def]
    office = agency_create(actor=None, uscc=uscc("320100", 1), name="南京市发展和改革委员会", region_code="320100",
                           is_credit_office=True)  # fmt: skip
    school = agency_create(actor=None, uscc=uscc("320102", 2), name="南京市玄武区教育局", region_code="320102")
    agency_create(actor=None, uscc=uscc("320102", 3), name="南京市玄武区财政局", region_code="320102")
    id_first17 = "32990019800101123"
    record = record_create(
        actor=None, subject=school, record_class="penalty", severity="general", document_number="宁发改罚〔2026〕88号",
        authority_name="南京市发展和改革委员会", authority_uscc=office.uscc,
        decision_date=timezone.localdate() - datetime.timedelta(days=30),
        facts=f"法定代表人：王建国，身份证号{id_first17}{id_check_digit(id_first17)}，未按期报送价格监测数据",
        basis="《价格法》第三十四条", content="警告", supplier=office, source="console",
    )  # fmt: skip
    return school, record


def test_the_public_finds_a_body_reads_its_record_and_reports_an_error(page: Page, live_server, portal_world) -> None:
    school, record = portal_world
    page.goto(f"{live_server.url}/")
    expect(page.locator("h1")).to_contain_text("政务诚信信息公开")

    page.fill("#portal-q", "南京玄武区教肓局")  # 市 left out, 肓 for 育
    suggestion = page.locator("#portal-suggestions a", has_text="南京市玄武区教育局")
    expect(suggestion).to_be_visible()
    suggestion.click()

    expect(page).to_have_url(re.compile(rf"/bodies/{school.uscc}/$"))
    expect(page.locator("h1")).to_have_text("南京市玄武区教育局")
    page.get_by_role("link", name=record.number).click()

    expect(page).to_have_url(re.compile(rf"/records/{record.number}/$"))
    main = page.locator("main")
    expect(main).to_contain_text("宁发改罚〔2026〕88号")
    expect(main).to_contain_text("王*国")
    expect(main).not_to_contain_text("王建国")
    expect(main).to_contain_text("329900********")

    page.fill("#id_name", "李女士")
    page.fill("#id_contact", "lee@example.com")
    page.fill("#id_text", "罚款决定已被复议撤销")
    page.get_by_role("button", name="提交纠错建议").click()
    expect(page.locator(".messages")).to_contain_text("纠错建议已提交")
    assert ErrorReport.objects.filter(record=record).count() == 1


def test_the_portal_fits_a_phone_screen(page: Page, live_server, portal_world) -> None:
    school, record = portal_world
    page.set_viewport_size({"width": 375, "height": 740})
    for path in ("/", f"/bodies/{school.uscc}/", f"/records/{record.number}/", "/statistics/"):
        page.goto(f"{live_server.url}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (path, overflow)
