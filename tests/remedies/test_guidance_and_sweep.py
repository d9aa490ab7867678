"""Repair guidance when a record comes into force (idempotent), and the daily deadline reminders."""

from __future__ import annotations

import datetime

import pytest
from records.conftest import role
from registry.builders import SYSTEM, add_agency, make_uscc, make_user

from govtrust.core.models import Notification, OutboxEvent
from govtrust.core.sweep import discover, registered_steps
from govtrust.records import services as record_services
from govtrust.remedies import services
from govtrust.remedies.subscribers import guidance_for_record
from govtrust.remedies.sweeps import remedies_deadlines

from .conftest import RECENT, make_record

pytestmark = pytest.mark.django_db


def test_a_record_in_force_sends_repair_guidance_to_the_body_and_the_notice_to_the_authority(
    cast, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    authority = add_agency(501, "南京市市场监督管理局", cast.nj_credit.region)
    assert authority.uscc == make_uscc(501, area="320100")  # the authority USCC of record_kwargs
    officer = make_user("market", authority, role("supplier"))
    with django_capture_on_commit_callbacks(execute=True):
        record = make_record(cast)
    guidance = Notification.objects.get(recipient=cast.xw_user, category="remedies.guidance")
    assert record.number in guidance.body and "2027-01-16起可申请信用修复" in guidance.body
    notice = Notification.objects.get(recipient=officer, category="remedies.guidance")
    assert "两书同达" in notice.title and notice.link.endswith(f"/remedies/records/{record.number}/repair-notice/")
    # Delivered again (at-least-once): nothing new.
    event = OutboxEvent.objects.get(name="record.in_force", payload__record_id=record.pk)
    guidance_for_record(event)
    assert Notification.objects.filter(category="remedies.guidance").count() == 2


def test_a_batch_in_force_sends_one_message_per_body(cast, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    drafts = []
    for i in range(3):
        data = {k: v for k, v in make_kwargs(cast, i).items() if k not in ("supplier", "source")}
        drafts.append(record_services.RecordDraft(**data))
    with django_capture_on_commit_callbacks(execute=True):
        record_services.record_bulk_create(actor=SYSTEM, drafts=drafts, supplier=cast.nj_credit, batch_number="B1",
                                           source="import")  # fmt: skip
    messages = Notification.objects.filter(recipient=cast.xw_user, category="remedies.guidance")
    assert messages.count() == 1 and "3条" in messages.get().title


def make_kwargs(cast, i):  # type: ignore[no-untyped-def]
    from records.conftest import record_kwargs

    return record_kwargs(cast, document_number=f"批量〔2026〕{i}号", decision_date=RECENT)


def test_the_deadline_step_reminds_once_then_reports_overdue_once(world):  # type: ignore[no-untyped-def]
    discover()
    assert "remedies.deadlines" in {s.name for s in registered_steps()}
    o = services.objection_file(actor=world.cast.xw_user, record=world.record, claim="有误",
                                today=datetime.date(2026, 11, 2))  # fmt: skip
    assert o.due_on == datetime.date(2026, 11, 9)
    assert remedies_deadlines(datetime.date(2026, 11, 4)) == {"reminded": 0, "overdue": 0}
    assert remedies_deadlines(datetime.date(2026, 11, 6)) == {"reminded": 1, "overdue": 0}  # next working day is due
    assert remedies_deadlines(datetime.date(2026, 11, 6)) == {"reminded": 0, "overdue": 0}
    assert remedies_deadlines(datetime.date(2026, 11, 10)) == {"reminded": 0, "overdue": 1}
    assert remedies_deadlines(datetime.date(2026, 11, 11)) == {"reminded": 0, "overdue": 0}
    overdue = Notification.objects.get(recipient=world.cast.city_user, category="remedies.overdue")
    assert o.number in overdue.title
    assert Notification.objects.filter(recipient=world.cast.xw_user, category="remedies.overdue").exists()
    # An extended deadline gets reminders of its own.
    o = services.objection_accept(actor=world.cast.city_user, objection=o, today=datetime.date(2026, 11, 3))
    services.objection_extend(actor=world.cast.city_user, objection=o, reason="r", approval_reference="a",
                              approver="b", today=datetime.date(2026, 11, 3))  # fmt: skip
    assert remedies_deadlines(datetime.date(2026, 12, 1)) == {"reminded": 0, "overdue": 1}


@pytest.mark.django_db
def test_an_overdue_objection_is_a_line_of_the_offices_daily_digest(world):  # type: ignore[no-untyped-def]
    from govtrust.sanctions.sweeps import sanctions_digest

    services.objection_file(actor=world.cast.xw_user, record=world.record, claim="有误",
                            today=datetime.date(2026, 11, 2))  # fmt: skip
    assert sanctions_digest(datetime.date(2026, 11, 9))["digests"] == 0  # due today: not overdue yet
    assert sanctions_digest(datetime.date(2026, 11, 10))["digests"] >= 1
    digest = Notification.objects.filter(recipient=world.cast.city_user, category="sanctions.digest").get()
    assert "异议超期未办结：1件" in digest.body and "信用修复申请超期未办结：0件" in digest.body
