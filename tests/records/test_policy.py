"""The period rules, pure: no database. Boundaries of each regime, and of each minimum and maximum."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from govtrust.records import policy

D = dt.date
CAT = policy.load_packaged()


def window(record_class: str = "penalty", severity: str = "general", sub_type: str = "", **kw):  # type: ignore[no-untyped-def]
    return policy.compute_window(CAT, record_class=record_class, severity=severity, sub_type=sub_type, **kw)


def test_every_class_has_exactly_one_national_rule_and_every_version_names_its_basis() -> None:
    for record_class in policy.RecordClass.values:
        assert [r for r in CAT.rules_for(record_class) if r.priority == 0]
    for rule in CAT.rules:
        for version in rule.versions:
            assert version.number and version.document, (rule.key, version.version)


@pytest.mark.parametrize(
    ("decision", "version", "min_end", "max_end", "provisional"),
    [
        (D(2023, 4, 30), "2019-527", D(2023, 7, 30), D(2024, 4, 30), False),
        (D(2023, 5, 1), "ndrc-58", D(2023, 8, 1), D(2024, 5, 1), True),
        (D(2026, 3, 31), "ndrc-58", D(2026, 6, 30), D(2027, 3, 31), True),
        (D(2026, 4, 1), "ndrc-36", D(2026, 7, 1), D(2027, 4, 1), False),
    ],
)
def test_a_general_penalty_takes_the_regime_of_its_decision_date(decision, version, min_end, max_end, provisional):  # type: ignore[no-untyped-def]
    w = window(decision_date=decision)
    assert (w.rule_version, w.start, w.min_end, w.max_end, w.provisional) == (
        version,
        decision,
        min_end,
        max_end,
        provisional,
    )


@pytest.mark.parametrize(
    ("decision", "version", "min_end", "max_end"),
    [
        (D(2023, 4, 30), "2019-527", D(2023, 10, 30), D(2026, 4, 30)),  # 527: 6 months / 3 years
        (D(2023, 5, 1), "ndrc-58", D(2024, 5, 1), D(2026, 5, 1)),  # Order 58: 1 year / 3 years
        (D(2026, 3, 31), "ndrc-58", D(2027, 3, 31), D(2029, 3, 31)),
        (D(2026, 4, 1), "ndrc-36", D(2027, 4, 1), D(2029, 4, 1)),
    ],
)
def test_a_serious_penalty_takes_the_regime_of_its_decision_date(decision, version, min_end, max_end):  # type: ignore[no-untyped-def]
    w = window(severity="serious", decision_date=decision)
    assert (w.rule_version, w.min_end, w.max_end) == (version, min_end, max_end)


def test_a_minor_penalty_under_527_is_treated_as_general_and_marked_provisional() -> None:
    w = window(severity="minor", decision_date=D(2022, 1, 10))
    assert (w.min_end, w.max_end, w.publish, w.provisional) == (D(2022, 4, 10), D(2023, 1, 10), True, True)


def test_a_minor_penalty_under_order_36_is_not_published_and_lasts_at_most_three_months() -> None:
    w = window(severity="minor", decision_date=D(2026, 4, 1))
    assert (w.min_end, w.max_end, w.publish, w.provisional) == (None, D(2026, 7, 1), False, False)


def test_a_period_ending_on_a_sunday_is_not_rolled_to_the_next_working_day() -> None:
    # 2026-03-08 + 1 year = 2027-03-08? pick a decision whose maximum ends on a Sunday: 2027-08-01 is a Sunday.
    w = window(decision_date=D(2026, 8, 1))
    assert w.max_end == D(2027, 8, 1) and w.max_end.weekday() == 6


def test_month_ends_follow_the_civil_code() -> None:
    w = window(decision_date=D(2026, 11, 30))  # + 3 months → February has no 30th: its last day
    assert w.min_end == D(2027, 2, 28)


@pytest.mark.parametrize("severity", ["general", "serious"])
@pytest.mark.parametrize("decision", [D(2023, 4, 30), D(2023, 5, 1), D(2026, 3, 31), D(2026, 4, 1)])
def test_the_last_day_of_each_minimum_and_maximum_and_the_day_after(severity, decision):  # type: ignore[no-untyped-def]
    w = window(severity=severity, decision_date=decision)
    day = dt.timedelta(days=1)
    assert w.min_end is not None and w.max_end is not None
    # Repair only from the day after the minimum's last day.
    assert not policy.can_repair_on(w.min_end, w.start, w.min_end)
    assert policy.can_repair_on(w.min_end, w.start, w.min_end + day)
    # Published through the maximum's last day, ended the day after.
    assert policy.in_window(w.start, w.max_end, w.max_end)
    assert not policy.in_window(w.start, w.max_end, w.max_end + day)
    assert policy.status_on(w.start, w.max_end, w.max_end) == "in_force"
    assert policy.status_on(w.start, w.max_end, w.max_end + day) == "publicity_ended"
    assert policy.status_on(w.start, w.max_end, w.start - day) == "received"
    assert policy.status_on(w.start, w.max_end, w.start) == "in_force"


@pytest.mark.parametrize(
    ("sub_type", "months"), [("warning", 6), ("demerit", 12), ("major_demerit", 18), ("demotion", 24), ("removal", 24)]
)
def test_discipline_periods_follow_article_8(sub_type, months):  # type: ignore[no-untyped-def]
    w = window("discipline", "", sub_type, decision_date=D(2024, 1, 15))
    expected = policy.add_duration(D(2024, 1, 15), policy.Duration(months, policy.PeriodUnit.MONTH))
    assert (w.rule_version, w.min_end, w.max_end, w.provisional) == ("2020-law", expected, expected, False)


def test_expulsion_has_no_period_and_discipline_before_the_law_uses_the_2007_regulation() -> None:
    w = window("discipline", "", "expulsion", decision_date=D(2024, 1, 15))
    assert (w.min_end, w.max_end) == (None, None)
    old = window("discipline", "", "warning", decision_date=D(2020, 6, 30))
    assert (old.rule_version, old.provisional, old.max_end) == ("2007-regulation", True, D(2020, 12, 30))
    assert window("discipline", "", "warning", decision_date=D(2020, 7, 1)).rule_version == "2020-law"


def test_a_defaulter_is_listed_two_years_extendable_one_to_three_when_serious() -> None:
    base = window("defaulter", "", "trigger_2", decision_date=D(2024, 3, 1))
    assert (base.min_end, base.max_end) == (None, D(2026, 3, 1))
    longer = window("defaulter", "serious", "trigger_2", decision_date=D(2024, 3, 1), extension_years=3)
    assert longer.max_end == D(2029, 3, 1)
    with pytest.raises(policy.PolicyError):
        window("defaulter", "serious", "trigger_2", decision_date=D(2024, 3, 1), extension_years=4)
    with pytest.raises(policy.PolicyError):
        window("defaulter", "general", "trigger_2", decision_date=D(2024, 3, 1), extension_years=1)


def test_refusing_with_ability_to_perform_has_no_automatic_end() -> None:
    w = window("defaulter", "", "trigger_1", decision_date=D(2024, 3, 1))
    assert w.max_end is None and policy.in_window(w.start, w.max_end, D(2099, 1, 1))


def test_statistics_fraud_lasts_a_year_with_early_removal_after_six_months_and_two_years_on_repeat() -> None:
    w = window("statistics_fraud", "", "", decision_date=D(2021, 3, 10))
    assert (w.rule_version, w.min_end, w.max_end) == ("2019-33", D(2021, 9, 10), D(2022, 3, 10))
    repeat = window("statistics_fraud", "", "repeat", decision_date=D(2021, 3, 10))
    assert (repeat.min_end, repeat.max_end, repeat.provisional) == (D(2023, 3, 10), D(2023, 3, 10), True)
    assert window("statistics_fraud", "", "", decision_date=D(2022, 5, 19)).rule_version == "order-35"


def test_commendations_have_no_window_limit() -> None:
    w = window("commendation", "", "integrity_model", decision_date=D(2024, 5, 1))
    assert (w.min_end, w.max_end) == (None, None)


def test_the_empty_jiangsu_slot_falls_through_to_the_national_rule() -> None:
    rule = CAT.rule("jiangsu.public_credit")
    assert rule.pending and rule.versions[0].values is None and rule.versions[0].provisional
    w = window(decision_date=D(2026, 4, 1))
    assert w.rule_key == "penalty.publicity"


def test_a_filled_jiangsu_slot_wins_inside_its_validity_dates_only() -> None:
    cat = policy.merge_overrides(
        CAT,
        [
            policy.OverrideData(
                rule_key="jiangsu.public_credit",
                version="2025-4",
                values={"penalty.general": {"min": {"n": 2, "unit": "month"}, "max": {"n": 6, "unit": "month"}}},
                basis="苏政规〔2025〕4号 第X条",
                effective_from=D(2026, 2, 1),
                effective_to=D(2031, 1, 31),
                provisional=False,
            )
        ],
    )
    inside = policy.compute_window(cat, record_class="penalty", severity="general", decision_date=D(2026, 2, 1))
    assert (inside.rule_key, inside.max_end) == ("jiangsu.public_credit", D(2026, 8, 1))
    before = policy.compute_window(cat, record_class="penalty", severity="general", decision_date=D(2026, 1, 31))
    assert before.rule_key == "penalty.publicity"
    serious = policy.compute_window(cat, record_class="penalty", severity="serious", decision_date=D(2026, 5, 1))
    assert serious.rule_key == "penalty.publicity"  # the slot has no value for 严重


def test_an_override_wins_over_the_packaged_version_for_its_dates() -> None:
    confirmed = {
        "general": {"min": {"n": 3, "unit": "month"}, "max": {"n": 1, "unit": "year"}},
        "serious": {"min": {"n": 1, "unit": "year"}, "max": {"n": 3, "unit": "year"}},
        "minor": {"min": None, "max": {"n": 3, "unit": "month"}, "publish": False},
    }
    cat = policy.merge_overrides(
        CAT,
        [
            policy.OverrideData(
                "penalty.publicity",
                "ndrc-58",
                confirmed,
                "国家发展改革委令第58号 第X条",
                D(2023, 5, 1),
                D(2026, 3, 31),
                False,
            )
        ],
    )
    w = policy.compute_window(cat, record_class="penalty", severity="general", decision_date=D(2024, 1, 1))
    assert (w.rule_version, w.provisional) == ("ndrc-58", False)
    version = cat.rule("penalty.publicity").version_on(D(2024, 1, 1))
    assert version is not None and version.overridden and version.articles.startswith("国家发展改革委令")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"record_class": "penalty", "severity": ""}, "severity"),
        ({"record_class": "penalty", "severity": "huge"}, "severity"),
        ({"record_class": "discipline", "severity": ""}, "sub_type"),
        ({"record_class": "gossip", "severity": ""}, "record_class"),
        ({"record_class": "penalty", "severity": "general", "sub_type": "warning"}, "sub_type"),
    ],
)
def test_it_refuses_an_incomplete_or_unknown_record_kind(kwargs, field):  # type: ignore[no-untyped-def]
    errors = policy.check_record_kind(kwargs["record_class"], kwargs["severity"], kwargs.get("sub_type", ""))
    assert field in errors
    with pytest.raises(policy.PolicyError):
        policy.compute_window(CAT, decision_date=D(2024, 1, 1), **kwargs)


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"general": {"min": {"n": 3, "unit": "month"}}},
        {"general": {"min": {"n": 0, "unit": "month"}, "max": None}},
        {"general": {"min": {"n": 2, "unit": "year"}, "max": {"n": 1, "unit": "year"}}},
        {"general": {"min": None, "max": {"n": 1, "unit": "fortnight"}}},
        {"general": {"min": None, "max": None, "publish": "yes"}},
        {"general": {"min": None, "max": None, "drop": "table"}},
        "'; DROP TABLE records; --",
    ],
)
def test_it_refuses_malformed_values(values) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(policy.PolicyError):
        policy.parse_values(values)


def test_values_survive_a_round_trip_through_json() -> None:
    values = CAT.rule("defaulter.listing").versions[1].values
    assert policy.parse_values(json.loads(json.dumps(policy.values_as_data(values)))) == values


def test_overlapping_packaged_versions_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = json.loads((policy.RULES_DIR / "penalty.json").read_text(encoding="utf-8"))
    data["versions"][0]["effective_to"] = "2023-05-01"
    with pytest.raises(policy.PolicyError):
        policy.parse_rule(data)


def test_document_numbers_compare_whatever_brackets_the_supplier_typed() -> None:
    assert policy.normalise_document_number(" 宁市监罚[2025] 12号") == "宁市监罚〔2025〕12号"
    assert policy.natural_key("宁市监罚【2025】12号", "X", "A:Y") == policy.natural_key(
        "宁市监罚〔2025〕12号", "X", "A:Y"
    )
