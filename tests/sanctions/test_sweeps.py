"""Daily steps: reminders before the deadline, escalation when overdue, one digest per office per day."""

from __future__ import annotations

import datetime

import pytest

from govtrust.core.models import Notification
from govtrust.sanctions import services
from govtrust.sanctions.models import RectificationOrder, SanctionCase
from govtrust.sanctions.sweeps import sanctions_deadlines, sanctions_digest

from .conftest import make_record

D = datetime.date
ISSUED = D(2026, 9, 28)  # due 2026-10-30 (20 working days across the National Day holiday)


def order(cast, people, capture) -> RectificationOrder:  # type: ignore[no-untyped-def]
    case = SanctionCase.objects.get(record=make_record(cast, capture))
    services.measure_decide(
        actor=people.officer,
        measure=case.measures.get(code="rectification"),
        decision="confirm",
        reason="整改",
        today=ISSUED,
    )
    return RectificationOrder.objects.get(case=case)


def inbox(user, category: str) -> int:  # type: ignore[no-untyped-def]
    return Notification.objects.filter(recipient=user, category=category).count()


@pytest.mark.django_db
def test_a_reminder_goes_out_once_within_three_working_days_of_the_deadline(
    cast, people, django_capture_on_commit_callbacks
):
    o = order(cast, people, django_capture_on_commit_callbacks)
    assert o.due_date == D(2026, 10, 30)
    assert sanctions_deadlines(D(2026, 10, 26))["reminded"] == 0  # 4 working days left
    assert sanctions_deadlines(D(2026, 10, 27))["reminded"] == 1  # 3 left
    assert sanctions_deadlines(D(2026, 10, 28))["reminded"] == 0  # already reminded for this deadline
    assert inbox(people.body, "sanctions.deadline") == 1


@pytest.mark.django_db
def test_the_last_day_is_not_overdue_and_the_next_day_escalates_to_the_superior_body_once(
    cast, people, django_capture_on_commit_callbacks
):
    o = order(cast, people, django_capture_on_commit_callbacks)
    assert sanctions_deadlines(D(2026, 10, 30))["overdue"] == 0
    assert sanctions_deadlines(D(2026, 10, 31))["overdue"] == 1
    assert sanctions_deadlines(D(2026, 11, 2))["overdue"] == 0
    o.refresh_from_db()
    assert (o.escalated_to, o.escalated_on) == (cast.xw_gov, D(2026, 10, 31))
    assert inbox(people.superior, "sanctions.escalation") == 1
    assert inbox(people.officer, "sanctions.escalation") == 1
    assert inbox(people.body, "sanctions.deadline") == 2  # the reminder on the last day, then the overdue notice
    assert o.timeline.filter(action="escalated").count() == 1


@pytest.mark.django_db
def test_an_order_waiting_for_the_offices_review_is_not_the_bodys_delay(
    cast, people, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    o = order(cast, people, django_capture_on_commit_callbacks)
    services.order_submit_explanation(actor=people.body, order=o, text="说明")
    services.order_submit_evidence(
        actor=people.body, order=o, note="已整改", files=[SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")]
    )
    assert sanctions_deadlines(D(2026, 11, 5))["overdue"] == 0


@pytest.mark.django_db
def test_a_body_without_a_superior_escalates_to_the_credit_office(cast, people, django_capture_on_commit_callbacks):
    o = order(cast, people, django_capture_on_commit_callbacks)
    RectificationOrder.objects.filter(pk=o.pk).update(agency=cast.xw_gov)  # 区政府 has no parent body
    sanctions_deadlines(D(2026, 11, 2))
    o.refresh_from_db()
    assert o.escalated_to is None and o.escalated_on == D(2026, 11, 2)
    assert inbox(people.officer, "sanctions.escalation") == 1


@pytest.mark.django_db
def test_the_digest_is_one_message_per_office_per_day(cast, people, django_capture_on_commit_callbacks):
    order(cast, people, django_capture_on_commit_callbacks)
    first = sanctions_digest(D(2026, 11, 2))
    again = sanctions_digest(D(2026, 11, 2))
    assert first["digests"] == 2  # the city office (南京) and the provincial office both cover 玄武区
    assert again["digests"] == 0
    digest = Notification.objects.get(recipient=people.officer, category="sanctions.digest")
    assert "超期未整改：1件" in digest.body
    assert not Notification.objects.filter(recipient=people.body, category="sanctions.digest").exists()
    assert sanctions_digest(D(2026, 11, 3))["digests"] == 2  # the next day: a new digest


@pytest.mark.django_db
def test_no_digest_when_nothing_is_overdue_or_pending(cast, people):
    assert sanctions_digest(D(2026, 11, 2))["digests"] == 0
