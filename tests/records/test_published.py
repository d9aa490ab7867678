"""`published()` returns only government bodies' dishonesty records inside their window, uncovered, in force."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from registry.builders import SYSTEM

from govtrust.records import services
from govtrust.records.models import CreditRecord, FaultToleranceRuling, RecordStatus
from govtrust.records.policy import DISHONESTY_CLASSES

from .conftest import record_kwargs

KINDS = {
    "penalty": {"severity": "general"},
    "penalty_minor": {"record_class": "penalty", "severity": "minor"},
    "discipline": {"record_class": "discipline", "severity": "", "sub_type": "warning"},
    "judgment": {"record_class": "judgment", "severity": "serious"},
    "defaulter": {"record_class": "defaulter", "severity": "", "sub_type": "trigger_1"},
    "commendation": {"record_class": "commendation", "severity": ""},
}

record_specs = st.lists(
    st.tuples(
        st.sampled_from(["xw_edu", "xw_gov", "servant", "person", "enterprise"]),
        st.sampled_from(sorted(KINDS)),
        st.integers(min_value=-1500, max_value=30),  # decision date offset from the day of the query
        st.sampled_from(["none", "revoke", "repair", "cover"]),
    ),
    min_size=1,
    max_size=12,
)


def _expected(record: CreditRecord, today: dt.date) -> bool:
    return (
        record.subject_kind == "agency"
        and record.record_class in DISHONESTY_CLASSES
        and record.status == RecordStatus.IN_FORCE
        and record.publish
        and record.covered_by_id is None
        and record.publicity_start <= today
        and (record.publicity_max_end is None or today <= record.publicity_max_end)
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=record_specs, query_offset=st.integers(min_value=-400, max_value=800))
def test_published_never_returns_a_personal_covered_repaired_revoked_or_out_of_window_record(cast, specs, query_offset):  # type: ignore[no-untyped-def]
    CreditRecord.objects.all().delete()
    FaultToleranceRuling.objects.all().delete()
    base = timezone.localdate()
    for n, (subject_name, kind, offset, fate) in enumerate(specs):
        extra = dict(KINDS[kind])
        subject = getattr(cast, subject_name)
        if subject_name == "servant" and extra.get("record_class") != "discipline":
            extra = dict(KINDS["discipline"])
        record = services.record_create(
            actor=SYSTEM,
            **record_kwargs(
                cast,
                subject=subject,
                document_number=f"文〔2026〕{n}号",
                decision_date=base + dt.timedelta(days=offset),
                **extra,
            ),  # fmt: skip
        )
        if fate == "revoke":
            services.record_revoke(actor=SYSTEM, record=record, reason="撤销")
        elif fate == "repair" and record.status == RecordStatus.IN_FORCE and record.is_dishonesty:
            services.record_repair(
                actor=SYSTEM, record=record, reason="修复", reference="R1", today=dt.date(2100, 1, 1)
            )
        elif fate == "cover" and record.subject_kind in ("agency", "civil_servant"):
            ruling = services.ruling_record(
                actor=SYSTEM, number=f"容〔2026〕{n}号", authority=cast.xw_discipline, decision_date=base,
                grounds="g", subject=record.subject, conduct_description="c", natural_keys=[record.natural_key],
            )  # fmt: skip
            services.ruling_check(actor=SYSTEM, ruling=ruling, accepted=True, reason="")
    today = base + dt.timedelta(days=query_offset)
    published = set(CreditRecord.objects.published(today).values_list("pk", flat=True))
    expected = {r.pk for r in CreditRecord.objects.all() if _expected(r, today)}
    assert published == expected
    assert not CreditRecord.objects.published(today).exclude(subject_kind="agency").exists()


def test_records_about_people_and_enterprises_are_never_published_even_when_in_force(cast):  # type: ignore[no-untyped-def]
    recent = timezone.localdate() - dt.timedelta(days=5)
    for n, subject in enumerate((cast.person, cast.enterprise)):
        services.record_create(
            actor=SYSTEM, **record_kwargs(cast, subject=subject, document_number=f"p{n}", decision_date=recent)
        )
    agency = services.record_create(actor=SYSTEM, **record_kwargs(cast, decision_date=recent))
    assert CreditRecord.objects.filter(status=RecordStatus.IN_FORCE).count() == 3
    assert list(CreditRecord.objects.published()) == [agency]
