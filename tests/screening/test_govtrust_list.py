"""The GOVTRUST list follows the platform's own dishonesty records in force."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from records.conftest import Cast, cast, record_kwargs  # noqa: F401  (the records cast fixture)
from registry.builders import SYSTEM

from govtrust.records import services as records
from govtrust.screening.models import WatchlistEntry
from govtrust.screening.services import Subject, govtrust_list_sync, screen_subjects


def recent(cast: Cast, subject):  # type: ignore[no-untyped-def]  # noqa: F811
    """A penalty decided a few days ago: in force today."""
    return record_kwargs(cast, subject=subject, decision_date=timezone.localdate() - datetime.timedelta(days=5))


def decision(**subject: str) -> str:
    return screen_subjects([Subject(**subject)])[0].result.decision


@pytest.mark.django_db
def test_a_record_in_force_puts_its_subject_on_the_list_and_revocation_takes_it_off(cast: Cast):  # noqa: F811
    record = records.record_create(actor=SYSTEM, **recent(cast, cast.enterprise))
    assert record.status == "in_force"
    assert govtrust_list_sync(actor=SYSTEM)["added"] == 1
    assert decision(uscc=cast.enterprise.uscc) == "intercept"
    assert decision(name=cast.enterprise.name) == "review"
    records.record_revoke(actor=SYSTEM, record=record, reason="决定已撤销")
    assert govtrust_list_sync(actor=SYSTEM)["removed"] == 1
    assert decision(uscc=cast.enterprise.uscc) == "pass"


@pytest.mark.django_db
def test_a_persons_record_is_matched_by_id_number_only(cast: Cast):  # noqa: F811
    from registry.builders import make_id

    records.record_create(actor=SYSTEM, **recent(cast, cast.person))
    govtrust_list_sync(actor=SYSTEM)
    entry = WatchlistEntry.objects.get(watchlist__code="GOVTRUST")
    assert entry.subject_type == "person" and entry.id_number_hash == cast.person.id_number_hash
    assert decision(name=cast.person.name, id_number=make_id(2)) == "intercept"
    assert decision(name=cast.person.name) == "pass"


@pytest.mark.django_db
def test_the_records_events_keep_the_list_in_step(cast: Cast, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        record = records.record_create(actor=SYSTEM, **recent(cast, cast.enterprise))
    assert WatchlistEntry.objects.filter(watchlist__code="GOVTRUST", active=True, source_ref=record.number).exists()
    with django_capture_on_commit_callbacks(execute=True):
        records.record_revoke(actor=SYSTEM, record=record, reason="决定已撤销")
    assert not WatchlistEntry.objects.filter(watchlist__code="GOVTRUST", active=True).exists()
