"""The pure rules: rule choice by date and priority, and repair eligibility."""

from __future__ import annotations

import datetime

from govtrust.remedies import policy


def test_the_zhejiang_rule_applies_until_the_jiangsu_slot_is_filled():  # type: ignore[no-untyped-def]
    rules = policy.load_packaged(policy.OBJECTION_RULE)
    chosen = policy.choose(rules, datetime.date(2026, 6, 1))
    assert (chosen.version, chosen.decide, chosen.extended, chosen.provisional) == ("zj-2017", 5, 20, True)
    filled = policy.merge(rules, [policy.Override("js-2025-4", {"decide": 3}, "第十条", False)])
    assert policy.choose(filled, datetime.date(2026, 6, 1)).version == "js-2025-4"
    assert policy.choose(filled, datetime.date(2026, 1, 31)).version == "zj-2017"  # before it took effect
    assert policy.choose(filled, datetime.date(2031, 2, 1)).version == "zj-2017"  # after it expired


def test_every_packaged_version_names_its_legal_basis():  # type: ignore[no-untyped-def]
    for key in (policy.OBJECTION_RULE, policy.REPAIR_RULE):
        for version in policy.load_packaged(key).versions:
            assert version.document and version.number
            assert version.provisional or version.values is None or version.articles


def _eligibility(**kw):  # type: ignore[no-untyped-def]
    data = {
        "record_class": "penalty", "severity": "general", "sub_type": "", "status": "in_force",
        "is_dishonesty": True, "covered": False, "publicity_start": datetime.date(2026, 4, 10),
        "publicity_min_end": datetime.date(2026, 7, 10), "today": datetime.date(2026, 7, 10),
        "bars": policy.load_packaged(policy.REPAIR_RULE).bars,
    }  # fmt: skip
    data.update(kw)
    return policy.repair_eligibility(**data)


def test_eligibility_starts_the_day_after_the_minimum():  # type: ignore[no-untyped-def]
    last_day = _eligibility()
    assert not last_day.eligible and last_day.eligible_from == datetime.date(2026, 7, 11)
    assert "2026-07-11起方可申请" in last_day.reasons[0]
    assert _eligibility(today=datetime.date(2026, 7, 11)).eligible
    assert _eligibility(publicity_min_end=None, today=datetime.date(2026, 4, 10)).eligible  # no minimum


def test_barred_and_pointless_cases_are_never_eligible():  # type: ignore[no-untyped-def]
    late = datetime.date(2030, 1, 1)
    assert _eligibility(record_class="discipline", severity="", sub_type="warning", today=late).barred
    assert _eligibility(record_class="statistics_fraud", severity="", sub_type="repeat", today=late).barred
    assert _eligibility(record_class="commendation", is_dishonesty=False, today=late).eligible_from is None
    for status in ("repaired", "revoked", "publicity_ended"):
        assert not _eligibility(status=status, today=late).eligible
    assert not _eligibility(covered=True, today=late).eligible
    assert not _eligibility(open_request=True, today=late).eligible
