"""Commendation records give incentives from the catalog; the queries other apps call."""

from __future__ import annotations

import pytest

from govtrust.core import events
from govtrust.core.models import OutboxEvent
from govtrust.records import services as record_services
from govtrust.sanctions import queries
from govtrust.sanctions.models import Incentive

from .conftest import make_record


def commendation(cast, capture, **kw):  # type: ignore[no-untyped-def]
    return make_record(
        cast,
        capture,
        record_class="commendation",
        severity="",
        sub_type="integrity_model",
        document_number="宁政表〔2026〕1号",
        **kw,
    )


@pytest.mark.django_db
def test_a_commendation_in_force_gives_the_catalogs_incentives_once(cast, django_capture_on_commit_callbacks):
    record = commendation(cast, django_capture_on_commit_callbacks)
    event = OutboxEvent.objects.get(name="record.in_force", payload__record_id=record.pk)
    OutboxEvent.objects.filter(pk=event.pk).update(delivered_at=None, claimed_at=None)
    events.deliver(event.pk)
    assert sorted(i.code for i in queries.incentives_for(cast.xw_edu)) == [
        "honours_priority",
        "pilot_priority",
        "simplified_procedure",
    ]
    assert Incentive.objects.count() == 3


@pytest.mark.django_db
def test_a_civil_servants_commendation_gives_only_the_incentives_for_persons(cast, django_capture_on_commit_callbacks):
    commendation(cast, django_capture_on_commit_callbacks, subject=cast.servant)
    assert [i.code for i in queries.incentives_for(cast.servant)] == ["honours_priority"]
    assert queries.measures_in_force(cast.servant) == []


@pytest.mark.django_db
def test_a_revoked_commendation_lifts_its_incentives(cast, django_capture_on_commit_callbacks):
    record = commendation(cast, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        record_services.record_revoke(actor=cast.prov_user, record=record, reason="表彰已撤销")
    assert queries.incentives_for(cast.xw_edu) == []
    assert set(Incentive.objects.values_list("status", flat=True)) == {"lifted"}
