"""纠错建议: anyone may report an error in a published record; it reaches the supplier and does not label the record."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from records.conftest import role
from registry.builders import make_user

from govtrust.core.models import Notification, ObjectChange
from govtrust.disclosure.models import ErrorReport, ErrorReportStatus
from govtrust.disclosure.services import error_report_handle
from govtrust.remedies.models import records_under_objection

from .portal_world import World
from .portal_world import cast as cast  # noqa: F401
from .portal_world import world as world  # noqa: F401

pytestmark = pytest.mark.django_db

GOOD = {"name": "张先生", "contact": "13900001111", "text": "罚款金额应为1万元，见复议决定书"}


def post(client: Client, number: str, data: dict[str, str], **extra: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("portal:error_report", kwargs={"number": number}), data, **extra)


def test_a_good_report_is_stored_routed_to_the_supplier_and_audited(client: Client, world: World) -> None:
    officer = make_user("city_officer", world.cast.nj_credit, role("city_credit_office"))
    response = post(client, world.penalty.number, GOOD)
    assert response.status_code == 302
    report = ErrorReport.objects.get()
    assert (report.record, report.supplier, report.status) == (
        world.penalty,
        world.cast.nj_credit,
        ErrorReportStatus.NEW,
    )
    assert report.ip_hash and "127.0.0.1" not in report.ip_hash
    note = Notification.objects.get(recipient=officer)
    assert world.penalty.number in note.title
    assert ObjectChange.objects.filter(object_type__contains="errorreport", action="create").exists()
    # Not an objection: the record carries no 异议处理中 label.
    assert records_under_objection([world.penalty.pk]) == set()
    page = client.get(response["Location"]).content.decode()
    assert "纠错建议已提交" in page and "异议处理中" not in page


@pytest.mark.parametrize("missing", ["name", "contact", "text"])
def test_a_report_missing_a_field_is_refused(client: Client, world: World, missing: str) -> None:
    data = {k: v for k, v in GOOD.items() if k != missing}
    response = post(client, world.penalty.number, data)
    assert response.status_code == 400
    assert not ErrorReport.objects.exists()


def test_an_oversized_report_is_refused(client: Client, world: World) -> None:
    for field, size in [("name", 51), ("contact", 101), ("text", 2001)]:
        response = post(client, world.penalty.number, {**GOOD, field: "长" * size})
        assert response.status_code == 400, field
    assert not ErrorReport.objects.exists()


def test_a_hostile_report_is_stored_as_typed_and_shown_escaped(client: Client, world: World) -> None:
    hostile = "<script>alert('x')</script>'; DROP TABLE disclosure_errorreport; --\u202e"
    officer = make_user("city_officer", world.cast.nj_credit, role("city_credit_office"))
    assert post(client, world.penalty.number, {**GOOD, "text": "bad\x00byte"}).status_code == 400  # NUL refused
    assert post(client, world.penalty.number, {**GOOD, "name": "<b>x</b>", "text": hostile}).status_code == 302
    report = ErrorReport.objects.get()
    assert report.text == hostile.replace("\u202e", "")  # a bidi override (format character) dropped, the rest kept
    client.force_login(officer)
    html = client.get(reverse("disclosure_errors:detail", kwargs={"pk": report.pk})).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<b>x</b>" not in html


def test_reports_from_one_address_are_rate_limited(client: Client, world: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GOVTRUST_ERROR_REPORTS_PER_HOUR = 3
    for _n in range(3):
        assert post(client, world.penalty.number, GOOD).status_code == 302
    response = post(client, world.penalty.number, GOOD)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "提交过于频繁" in response.content.decode()
    assert ErrorReport.objects.count() == 3
    # Another address has its own allowance.
    assert post(client, world.penalty.number, GOOD, REMOTE_ADDR="10.0.0.9").status_code == 302


def test_the_form_needs_a_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    assert post(client, world.penalty.number, GOOD).status_code == 403
    assert not ErrorReport.objects.exists()


def test_no_report_can_be_filed_on_an_unpublished_record(client: Client, world: World) -> None:
    for record in world.hidden.values():
        assert post(client, record.number, GOOD).status_code == 404
    assert post(client, "XY0000000000", GOOD).status_code == 404
    assert not ErrorReport.objects.exists()


def test_the_supplier_sees_and_handles_the_reports_on_its_records_only(client: Client, world: World) -> None:
    post(client, world.penalty.number, GOOD)
    report = ErrorReport.objects.get()
    officer = make_user("city_officer", world.cast.nj_credit, role("city_credit_office"))
    outsider = make_user("sz_officer", world.cast.sz_finance, role("supplier"))
    client.force_login(outsider)
    assert world.penalty.number not in client.get(reverse("disclosure_errors:list")).content.decode()
    assert client.get(reverse("disclosure_errors:detail", kwargs={"pk": report.pk})).status_code == 404
    client.force_login(officer)
    assert world.penalty.number in client.get(reverse("disclosure_errors:list")).content.decode()
    url = reverse("disclosure_errors:detail", kwargs={"pk": report.pk})
    assert client.post(url, {"note": ""}).status_code == 200  # a note is required
    response = client.post(url, {"note": "已核实，金额无误"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ErrorReportStatus.HANDLED and report.handled_by_name == "city_officer"
    with pytest.raises(Exception, match="已处理"):
        error_report_handle(actor=officer, report=report, note="again")


def test_a_user_without_records_view_cannot_open_the_console_list(client: Client, world: World) -> None:
    client.force_login(world.cast.norole_user)
    assert client.get(reverse("disclosure_errors:list")).status_code == 403
