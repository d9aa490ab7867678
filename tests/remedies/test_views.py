"""Console pages: filing with attachments, the 异议处理中 label in the archive, decisions, uploads, permissions."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from govtrust.records.models import CreditRecord
from govtrust.remedies.models import Attachment, Objection, ObjectionStatus

from .conftest import PDF, pdf

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def file_via_page(world, *files, claim="金额有误"):  # type: ignore[no-untyped-def]
    url = reverse("remedies:objection_new", kwargs={"number": world.record.number})
    return client_for(world.cast.xw_user).post(
        url, {"claim": claim, "requested_action": "correct", "attachments": list(files)}
    )


def test_a_body_files_and_its_archive_and_record_show_the_label_until_the_objection_is_decided(world):  # type: ignore[no-untyped-def]
    c = world.cast
    body = client_for(c.xw_user)
    archive = reverse("records:archive_agency", kwargs={"uscc": c.xw_edu.uscc})
    assert "异议处理中" not in body.get(archive).content.decode()
    page = body.get(reverse("remedies:my_records")).content.decode()
    assert world.record.number in page and "2027-01-16起可申请" in page
    response = file_via_page(world, pdf())
    o = Objection.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/remedies/objections/{o.number}/")
    assert "异议处理中" in body.get(archive).content.decode()
    detail = reverse("records:record_detail", kwargs={"number": world.record.number})
    assert "异议处理中" in client_for(c.city_user).get(detail).content.decode()
    officer = client_for(c.city_user)
    page = officer.get(reverse("remedies:objection_detail", kwargs={"number": o.number})).content.decode()
    assert "证明材料.pdf" in page and "受理" in page and "已提交" in page
    action = lambda name: reverse("remedies:objection_action", kwargs={"number": o.number, "action": name})  # noqa: E731
    officer.post(action("accept"))
    officer.post(action("decide"), {"outcome": "upheld", "reasons": "录入错误", "record_action": "correct",
                                    "content": "警告"})  # fmt: skip
    o.refresh_from_db()
    assert o.status == ObjectionStatus.UPHELD
    assert CreditRecord.objects.get(pk=world.record.pk).content == "警告"
    assert "异议处理中" not in body.get(archive).content.decode()
    timeline = body.get(reverse("remedies:objection_detail", kwargs={"number": o.number})).content.decode()
    assert "异议成立" in timeline and "处理中" in timeline


def test_hostile_strings_are_escaped_on_the_pages(world):  # type: ignore[no-untyped-def]
    hostile = "<script>alert(1)</script>'; DROP TABLE remedies_objection; --"
    file_via_page(world, pdf("<img src=x onerror=alert(1)>.pdf"), claim=hostile)
    o = Objection.objects.get()
    page = client_for(world.cast.city_user).get(reverse("remedies:objection_detail", kwargs={"number": o.number}))
    html = page.content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html
    assert Objection.objects.count() == 1


def test_an_oversized_upload_is_refused_with_a_clear_message_and_nothing_is_stored(world, settings):  # type: ignore[no-untyped-def]
    settings.GOVTRUST_EVIDENCE_MAX_BYTES = 1024
    response = file_via_page(world, pdf("大文件.pdf", PDF + b"0" * 2000))
    html = response.content.decode()
    assert response.status_code == 200 and "文件“大文件.pdf”过大" in html and "不能超过 1.0\xa0KB" in html
    assert not Objection.objects.exists() and not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("evil.exe", b"MZ\x90\x00" + b"\x00" * 40, "类型不被接受"),
        ("page.html", b"<html><script>alert(1)</script></html>", "类型不被接受"),
        ("fake.pdf", b"MZ\x90\x00" + b"\x00" * 40, "内容与扩展名不符"),
        ("image.svg", b"<svg onload=alert(1)>", "类型不被接受"),
        ("empty.pdf", b"", "空文件"),
    ],
)
def test_hostile_uploads_are_refused(world, name, content, message):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = file_via_page(world, SimpleUploadedFile(name, content, content_type="application/pdf"))
    assert message in response.content.decode()
    assert not Objection.objects.exists()


def test_attachments_are_served_only_to_those_who_may_see_the_objection(world):  # type: ignore[no-untyped-def]
    file_via_page(world, pdf())
    attachment = Attachment.objects.get()
    url = reverse("remedies:attachment", kwargs={"pk": attachment.pk})
    response = client_for(world.cast.city_user).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    assert client_for(world.cast.sz_user).get(url).status_code == 404


def test_outsiders_cannot_open_the_filing_page_or_see_the_objection(world):  # type: ignore[no-untyped-def]
    url = reverse("remedies:objection_new", kwargs={"number": world.record.number})
    assert client_for(world.cast.sz_user).get(url).status_code == 404  # not their record
    assert client_for(world.cast.city_user).get(url).status_code == 403  # no remedies.file
    file_via_page(world)
    o = Objection.objects.get()
    detail = reverse("remedies:objection_detail", kwargs={"number": o.number})
    assert client_for(world.cast.sz_user).get(detail).status_code == 404
    accept = reverse("remedies:objection_action", kwargs={"number": o.number, "action": "accept"})
    assert client_for(world.cast.xw_user).post(accept).status_code == 403  # the subject cannot accept
    assert Objection.objects.get().status == ObjectionStatus.FILED


def test_the_dashboard_counts_open_overdue_and_average_handling_time(world):  # type: ignore[no-untyped-def]
    from govtrust.remedies import services

    old = services.objection_file(actor=world.cast.xw_user, record=world.record, claim="x",
                                  today=datetime.date(2026, 11, 2))  # fmt: skip
    old = services.objection_accept(actor=world.cast.city_user, objection=old)
    services.objection_decide(actor=world.cast.city_user, objection=old, outcome="rejected", reasons="无误",
                              today=datetime.date(2026, 11, 5))  # fmt: skip
    page = client_for(world.cast.city_user).get(reverse("remedies:dashboard"))
    html = page.content.decode()
    assert page.status_code == 200 and "南京市发展和改革委员会" in html
    row = page.context["table"][0]
    assert row["objections"]["closed_on_time"] == 1 and row["objections"]["average_days"] == 3.0
    assert 'data-chart="remedies-chart"' in html and 'id="remedies-chart"' in html


def test_the_repair_notice_is_printable_for_the_record(world):  # type: ignore[no-untyped-def]
    url = reverse("remedies:repair_notice", kwargs={"number": world.record.number})
    html = client_for(world.cast.city_user).get(url).content.decode()
    assert "信用修复告知书" in html and "2027年1月16日起" in html and "不收取任何费用" in html
    assert client_for(world.cast.sz_user).get(url).status_code == 404


def test_the_repair_page_shows_when_the_record_becomes_eligible(world):  # type: ignore[no-untyped-def]
    url = reverse("remedies:repair_new", kwargs={"number": world.record.number})
    html = client_for(world.cast.xw_user).get(url).content.decode()
    assert "2027-01-16起方可申请" in html and "可申请日期：2027-01-16" in html and "pledge_text" not in html


def test_an_agent_is_registered_on_its_page(world):  # type: ignore[no-untyped-def]
    client = client_for(world.cast.xw_user)
    response = client.post(reverse("remedies:agent_list"), {"agent_username": "agent", "reference": "委托1号",
                                                            "valid_from": "2026-11-01"})  # fmt: skip
    assert response.status_code == 302
    page = client_for(world.agent).get(reverse("remedies:my_records")).content.decode()
    assert world.record.number in page and "南京市玄武区教育局" in page
    bad = client.post(reverse("remedies:agent_list"), {"agent_username": "nobody-here", "reference": "委托2号",
                                                       "valid_from": "2026-11-01"})  # fmt: skip
    assert "受托人账号不存在" in bad.content.decode()
