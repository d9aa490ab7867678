"""Rectification orders: every transition and every forbidden one, deadlines across holidays, evidence files."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from govtrust.core import services as core_services
from govtrust.core.models import Notification
from govtrust.sanctions import services
from govtrust.sanctions.models import OrderStatus, RectificationEvidence, RectificationOrder, SanctionCase

from .conftest import make_record

D = datetime.date
PDF = b"%PDF-1.7\n%fake but signed like a pdf\n"


def issue(cast, people, capture, *, on: D | None = None) -> RectificationOrder:  # type: ignore[no-untyped-def]
    case = SanctionCase.objects.get(record=make_record(cast, capture))
    services.measure_decide(
        actor=people.officer,
        measure=case.measures.get(code="rectification"),
        decision="confirm",
        reason="须书面说明并整改",
        today=on,
    )
    return RectificationOrder.objects.get(case=case)


def pdf(name: str = "整改报告.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.mark.django_db
def test_confirming_rectification_issues_an_order_to_the_body(cast, people, django_capture_on_commit_callbacks):
    order = issue(cast, people, django_capture_on_commit_callbacks)
    assert order.status == OrderStatus.ISSUED and order.agency == cast.xw_edu and order.number.startswith("ZG")
    assert order.deadline_rule["n"] == 20 and order.deadline_rule["unit"] == "working_day"
    assert order.deadline_rule["provisional"] is True
    assert Notification.objects.filter(recipient=people.body, category="sanctions.order").exists()


@pytest.mark.django_db
def test_the_full_path_issued_explained_evidence_sent_back_evidence_accepted(
    cast, people, django_capture_on_commit_callbacks
):
    order = issue(cast, people, django_capture_on_commit_callbacks)
    services.order_submit_explanation(actor=people.body, order=order, text="合同管理疏漏，未按期付款")
    services.order_submit_evidence(actor=people.body, order=order, note="已付清", files=[pdf()])
    services.order_send_back(actor=people.officer, order=order, note="缺少付款凭证")
    order.refresh_from_db()
    assert order.status == OrderStatus.SENT_BACK
    services.order_submit_evidence(actor=people.body, order=order, note="补充凭证", files=[pdf("凭证.pdf")])
    services.order_accept(actor=people.officer, order=order, note="整改到位")
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED and order.rounds == 2
    assert list(RectificationEvidence.objects.filter(order=order).values_list("round", flat=True)) == [1, 2]
    steps = list(order.timeline.values_list("action", flat=True))
    assert steps == ["order_issued", "explained", "evidence", "sent_back", "evidence", "accepted"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "forbidden"),
    [
        (OrderStatus.ISSUED, ["evidence", "accept", "send_back"]),
        (OrderStatus.EXPLAINED, ["explain", "accept", "send_back"]),
        (OrderStatus.EVIDENCE_SUBMITTED, ["explain", "evidence"]),
        (OrderStatus.SENT_BACK, ["explain", "accept", "send_back"]),
        (OrderStatus.ACCEPTED, ["explain", "evidence", "accept", "send_back"]),
        (OrderStatus.WITHDRAWN, ["explain", "evidence", "accept", "send_back"]),
    ],
)
def test_every_forbidden_transition_is_refused(cast, people, django_capture_on_commit_callbacks, status, forbidden):
    order = issue(cast, people, django_capture_on_commit_callbacks)
    RectificationOrder.objects.filter(pk=order.pk).update(status=status)
    calls = {
        "explain": lambda: services.order_submit_explanation(actor=people.body, order=order, text="说明"),
        "evidence": lambda: services.order_submit_evidence(actor=people.body, order=order, note="n", files=[pdf()]),
        "accept": lambda: services.order_accept(actor=people.officer, order=order, note="ok"),
        "send_back": lambda: services.order_send_back(actor=people.officer, order=order, note="no"),
    }
    for name in forbidden:
        with pytest.raises(ValidationError):
            calls[name]()
    order.refresh_from_db()
    assert order.status == status


@pytest.mark.django_db
def test_only_the_body_responds_and_only_the_office_reviews(cast, people, django_capture_on_commit_callbacks):
    order = issue(cast, people, django_capture_on_commit_callbacks)
    for outsider in (people.officer, people.other_body, people.superior, cast.norole_user):
        with pytest.raises(PermissionDenied):
            services.order_submit_explanation(actor=outsider, order=order, text="代为说明")
    services.order_submit_explanation(actor=people.body, order=order, text="说明")
    services.order_submit_evidence(actor=people.body, order=order, note="n", files=[pdf()])
    for outsider in (people.body, people.superior, people.discipline):
        with pytest.raises(PermissionDenied):
            services.order_accept(actor=outsider, order=order, note="自己验收")


@pytest.mark.django_db
def test_a_send_back_needs_reasons_and_an_explanation_needs_text(cast, people, django_capture_on_commit_callbacks):
    order = issue(cast, people, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        services.order_submit_explanation(actor=people.body, order=order, text="   ")
    services.order_submit_explanation(actor=people.body, order=order, text="说明")
    services.order_submit_evidence(actor=people.body, order=order, note="n", files=[pdf()])
    with pytest.raises(ValidationError):
        services.order_send_back(actor=people.officer, order=order, note="")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "files",
    [
        [],
        [SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/octet-stream")],
        [SimpleUploadedFile("fake.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")],
        [SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf")],
        [pdf(f"{i}.pdf") for i in range(11)],
    ],
)
def test_bad_evidence_files_are_refused_and_nothing_is_stored(cast, people, django_capture_on_commit_callbacks, files):
    order = issue(cast, people, django_capture_on_commit_callbacks)
    services.order_submit_explanation(actor=people.body, order=order, text="说明")
    with pytest.raises(ValidationError) as error:
        services.order_submit_evidence(actor=people.body, order=order, note="n", files=files)
    assert "files" in error.value.message_dict
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPLAINED and not RectificationEvidence.objects.exists()


@pytest.mark.django_db
def test_an_evidence_file_is_kept_under_a_random_name_with_its_checksum(
    cast, people, django_capture_on_commit_callbacks
):
    import hashlib

    order = issue(cast, people, django_capture_on_commit_callbacks)
    services.order_submit_explanation(actor=people.body, order=order, text="说明")
    hostile = "../../<script>alert(1)</script>.pdf"
    services.order_submit_evidence(actor=people.body, order=order, note="'; DROP TABLE x; --", files=[pdf(hostile)])
    evidence = RectificationEvidence.objects.get(order=order)
    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    assert ".." not in evidence.file.name and "script" not in evidence.file.name
    assert evidence.original_name.endswith(".pdf")
    assert evidence.file.open("rb").read() == PDF


@pytest.mark.django_db
def test_the_deadline_counts_working_days_across_the_national_day_holiday(
    cast, people, django_capture_on_commit_callbacks
):
    order = issue(cast, people, django_capture_on_commit_callbacks, on=D(2026, 9, 28))
    # 9/29, 9/30, (10/1–10/7 off), 10/8, 10/9, 10/10 (make-up Saturday), then three full weeks → 10/30.
    assert (order.due_date, order.due_provisional) == (D(2026, 10, 30), False)


@pytest.mark.django_db
def test_the_deadline_counts_working_days_across_the_spring_festival(cast, people, django_capture_on_commit_callbacks):
    order = issue(cast, people, django_capture_on_commit_callbacks, on=D(2026, 2, 10))
    # 2/11–2/13, 2/14 (make-up), (2/15–2/23 off), 2/24–2/27, 2/28 (make-up), then 3/2 … 3/16.
    assert (order.due_date, order.due_provisional) == (D(2026, 3, 16), False)


@pytest.mark.django_db
def test_a_deadline_into_a_year_without_an_arrangement_is_provisional_and_recomputed_when_entered(
    cast, people, django_capture_on_commit_callbacks
):
    order = issue(cast, people, django_capture_on_commit_callbacks, on=D(2026, 12, 15))
    assert (order.due_date, order.due_provisional) == (D(2027, 1, 12), True)  # 1 Jan 2027 counted as a working day
    assert "2027" in order.due_basis
    with django_capture_on_commit_callbacks(execute=True):
        core_services.calendar_year_save(
            actor=cast.prov_user,
            year=2027,
            holidays=["2027-01-01", "2027-05-01", "2027-10-01", "2027-10-02", "2027-10-03"],
            workdays=[],
            basis="测试用安排",
        )
    order.refresh_from_db()
    assert (order.due_date, order.due_provisional) == (D(2027, 1, 13), False)
    assert order.timeline.filter(action="deadline_recomputed").count() == 1
