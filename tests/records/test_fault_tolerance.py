"""容错纠错: a checked ruling covers a record whether it arrives before the record or after it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from registry.builders import SYSTEM

from govtrust.core.models import OutboxEvent
from govtrust.records import services
from govtrust.records.models import CreditRecord, RulingStatus
from govtrust.records.services import RecordDraft

from .conftest import record_kwargs

TODAY = timezone.localdate()
RECENT = TODAY - dt.timedelta(days=20)


def ruling(cast, **kw):  # type: ignore[no-untyped-def]
    data = {
        "actor": cast.discipline_user,
        "number": "玄纪容〔2026〕1号",
        "authority": cast.xw_discipline,
        "decision_date": TODAY - dt.timedelta(days=1),
        "grounds": "为推动改革先行先试，未谋取私利，已主动挽回损失",
        "subject": cast.xw_edu,
        "conduct_description": "延期支付工程款",
        "document_numbers": ["宁市监罚[2025]12号"],
    }
    data.update(kw)
    return services.ruling_record(**data)


def test_a_ruling_checked_after_the_record_covers_it_and_emits_record_covered(cast):  # type: ignore[no-untyped-def]
    record = services.record_create(actor=SYSTEM, **record_kwargs(cast, decision_date=RECENT))
    other = services.record_create(
        actor=SYSTEM, **record_kwargs(cast, document_number="宁罚〔2026〕2号", decision_date=RECENT)
    )
    assert CreditRecord.objects.published().count() == 2
    r = ruling(cast)
    assert r.status == RulingStatus.RECORDED
    record.refresh_from_db()
    assert record.covered_by is None  # not before the credit office's check
    services.ruling_check(actor=cast.city_user, ruling=r, accepted=True, reason="")
    record.refresh_from_db()
    other.refresh_from_db()
    assert record.covered_by == r and other.covered_by is None
    assert list(CreditRecord.objects.published()) == [other]
    assert list(CreditRecord.objects.dishonesty()) == [other]
    [event] = OutboxEvent.objects.filter(name="record.covered")
    assert event.payload["record_id"] == record.pk and event.payload["ruling_id"] == r.pk


def test_a_ruling_in_effect_before_the_record_covers_it_at_creation_single_and_bulk(cast):  # type: ignore[no-untyped-def]
    r = ruling(cast, document_numbers=[], conduct_from=dt.date(2025, 1, 1), conduct_to=dt.date(2025, 12, 31))
    services.ruling_check(actor=cast.city_user, ruling=r, accepted=True, reason="符合容错情形")
    single = services.record_create(
        actor=SYSTEM, **record_kwargs(cast, decision_date=RECENT, conduct_date=dt.date(2025, 6, 1))
    )
    assert single.covered_by == r
    data = record_kwargs(
        cast, document_number="宁罚〔2026〕7号", decision_date=RECENT, conduct_date=dt.date(2025, 7, 1)
    )
    data.pop("supplier"), data.pop("source")
    outside = dict(data, document_number="宁罚〔2026〕8号", conduct_date=dt.date(2024, 7, 1))
    result = services.record_bulk_create(
        actor=SYSTEM,
        drafts=[RecordDraft(**data), RecordDraft(**outside)],
        supplier=cast.nj_credit,
        batch_number="B-FT",
        source="import",
    )
    assert result.created == 2 and result.covered == 1
    assert CreditRecord.objects.get(document_number="宁罚〔2026〕7号").covered_by == r
    assert CreditRecord.objects.get(document_number="宁罚〔2026〕8号").covered_by is None


def test_a_rejected_or_unchecked_ruling_covers_nothing(cast):  # type: ignore[no-untyped-def]
    r = ruling(cast)
    record = services.record_create(actor=SYSTEM, **record_kwargs(cast, decision_date=RECENT))
    assert record.covered_by is None
    with pytest.raises(ValidationError):
        services.ruling_check(actor=cast.city_user, ruling=r, accepted=False, reason="")
    services.ruling_check(actor=cast.city_user, ruling=r, accepted=False, reason="不符合容错条件")
    record.refresh_from_db()
    r.refresh_from_db()
    assert r.status == RulingStatus.REJECTED and record.covered_by is None
    with pytest.raises(ValidationError):
        services.ruling_check(actor=cast.city_user, ruling=r, accepted=True, reason="")


def test_a_ruling_about_one_subject_never_covers_another_subjects_record(cast):  # type: ignore[no-untyped-def]
    r = ruling(cast, subject=cast.xw_gov)
    services.ruling_check(actor=cast.city_user, ruling=r, accepted=True, reason="")
    record = services.record_create(actor=SYSTEM, **record_kwargs(cast, decision_date=RECENT))
    assert record.covered_by is None


def test_a_ruling_may_cover_a_civil_servants_discipline_record(cast):  # type: ignore[no-untyped-def]
    record = services.record_create(
        actor=SYSTEM,
        **record_kwargs(
            cast, subject=cast.servant, record_class="discipline", severity="", sub_type="warning", decision_date=RECENT
        ),  # fmt: skip
    )
    r = ruling(cast, subject=cast.servant, document_numbers=[], natural_keys=[record.natural_key])
    services.ruling_check(actor=cast.city_user, ruling=r, accepted=True, reason="")
    record.refresh_from_db()
    assert record.covered_by == r


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"number": ""}, "number"),
        ({"grounds": " "}, "grounds"),
        ({"document_numbers": [], "natural_keys": []}, "document_numbers"),
        ({"subject": None}, "subject"),
        ({"decision_date": TODAY + dt.timedelta(days=1)}, "decision_date"),
        ({"conduct_from": dt.date(2025, 2, 1), "conduct_to": dt.date(2025, 1, 1)}, "conduct_to"),
    ],
)
def test_it_refuses_an_incomplete_ruling(cast, kw, field):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        ruling(cast, **kw)
    assert field in info.value.message_dict


def test_a_ruling_number_is_registered_once(cast):  # type: ignore[no-untyped-def]
    ruling(cast)
    with pytest.raises(ValidationError) as info:
        ruling(cast)
    assert "number" in info.value.message_dict
