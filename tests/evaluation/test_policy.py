"""Pure rules of evaluation/policy.py at their boundaries: periods, rule parameters, threshold, change against
the previous period, robust z-score against peers, overdue counts, rank changes, digests."""

from __future__ import annotations

import math

import pytest

from govtrust.evaluation import policy
from govtrust.evaluation.policy import Period


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025", Period("year", 2025)),
        ("2025Q1", Period("quarter", 2025, 1)),
        ("2025q4", Period("quarter", 2025, 4)),
        ("2025-03", Period("month", 2025, 3)),
        (" 2025 ", Period("year", 2025)),
        ("2025Q5", None),
        ("2025-13", None),
        ("2025-00", None),
        ("25", None),
        ("", None),
        ("1989", None),
        ("2025-3", None),
        ("二〇二五", None),
    ],
)
def test_periods_parse_only_the_three_documented_forms(text, expected):
    assert policy.parse_period(text) == expected


def test_the_previous_period_crosses_year_boundaries():
    assert str(Period("year", 2025).previous()) == "2024"
    assert str(Period("quarter", 2025, 1).previous()) == "2024Q4"
    assert str(Period("month", 2025, 1).previous()) == "2024-12"
    assert str(Period("month", 2025, 7).previous()) == "2025-06"


@pytest.mark.parametrize(
    ("op", "value", "limit", "breached"),
    [
        (">=", 120.0, 120.0, True),
        (">", 120.0, 120.0, False),
        (">", 120.0001, 120.0, True),
        ("<=", 60.0, 60.0, True),
        ("<", 60.0, 60.0, False),
        ("<", 59.99, 60.0, True),
    ],
)
def test_a_threshold_fires_exactly_at_its_limit_only_for_inclusive_operators(op, value, limit, breached):
    assert policy.threshold_breached(value, op=op, limit=limit) is breached


@pytest.mark.parametrize(
    ("current", "previous", "direction", "kwargs", "breached"),
    [
        (90.0, 100.0, 1, {"pct": 10}, True),  # exactly −10 % for "more is better": fires
        (90.01, 100.0, 1, {"pct": 10}, False),  # just under 10 %
        (110.0, 100.0, 1, {"pct": 10}, False),  # an improvement never fires …
        (110.0, 100.0, 1, {"pct": 10, "either": True}, True),  # … unless either direction is asked for
        (110.0, 100.0, -1, {"pct": 10}, True),  # for "less is better" a rise is worse
        (5.0, 0.0, -1, {"pct": 10}, False),  # relative change from zero is undefined
        (5.0, 0.0, -1, {"abs": 5}, True),  # but an absolute one fires at the limit
        (4.99, 0.0, -1, {"abs": 5}, False),
        (100.0, 100.0, 1, {"pct": 0.0001, "either": True}, False),  # no change never fires
        (-12.0, -10.0, 1, {"pct": 20}, True),  # relative to |previous|
    ],
)
def test_a_change_fires_at_its_relative_or_absolute_limit_in_the_worse_direction(
    current, previous, direction, kwargs, breached
):
    pct, abs_ = kwargs.get("pct"), kwargs.get("abs")
    assert (
        policy.change_breached(
            current, previous, direction=direction, pct=pct, abs_=abs_, either=kwargs.get("either", False)
        )
        is breached
    )


def test_the_robust_z_score_uses_median_and_mad_scaled_by_0_6745():
    values = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0, "e": 100.0}
    z = policy.robust_z(values)  # median 3, |x−3| = 2,1,0,1,97 → MAD 1
    assert z["c"] == 0 and z["a"] == pytest.approx(-2 * 0.6745) and z["e"] == pytest.approx(97 * 0.6745)


def test_a_unit_exactly_at_the_z_limit_is_flagged_and_one_just_inside_is_not():
    six = {"a": 0.0, "b": 1.0, "c": 1.0, "d": 3.0, "e": 3.0, "f": 4.0}  # median 2, MAD 1: z(a) = −2·0.6745
    assert policy.robust_z(six)["a"] == pytest.approx(-2 * 0.6745)
    assert "a" in policy.peer_anomalies(six, direction=1, z=2 * 0.6745)
    assert "a" not in policy.peer_anomalies(six, direction=1, z=2 * 0.6745 + 1e-9)


def test_anomalies_point_the_worse_way_for_each_direction():
    values = {"a": 10.0, "b": 11.0, "c": 12.0, "d": 13.0, "e": 14.0, "hi": 40.0, "lo": -20.0}
    assert set(policy.peer_anomalies(values, direction=1, z=3.5)) == {"lo"}
    assert set(policy.peer_anomalies(values, direction=-1, z=3.5)) == {"hi"}


def test_no_unit_is_flagged_when_mad_is_zero_or_there_are_too_few_peers():
    assert policy.robust_z({"a": 5.0, "b": 5.0, "c": 5.0, "d": 9.0}) == {}
    assert policy.peer_anomalies({"a": 5.0, "b": 5.0, "c": 5.0, "d": 5.0, "e": 100.0}, direction=-1) == {}
    four = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 1000.0}
    assert policy.peer_anomalies(four, direction=-1, min_peers=5) == {}
    assert "d" in policy.peer_anomalies(four, direction=-1, min_peers=4)


@pytest.mark.parametrize(("count", "limit", "breached"), [(0, 1, False), (1, 1, True), (4, 5, False), (5, 5, True)])
def test_an_overdue_count_fires_at_its_limit(count, limit, breached):
    assert policy.overdue_breached(count, limit=limit) is breached


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("threshold", {"op": "=", "value": 1}),
        ("threshold", {"op": ">", "value": "1"}),
        ("threshold", {"op": ">", "value": math.inf}),
        ("threshold", {"op": ">", "value": True}),
        ("change", {}),
        ("change", {"pct": 0}),
        ("change", {"abs": -1}),
        ("peer_anomaly", {"z": 0}),
        ("peer_anomaly", {"min_peers": 2}),
        ("overdue", {"limit": 0, "source": "x"}),
        ("overdue", {"limit": 1}),
        ("overdue", {"limit": 1.5, "source": "x"}),
        ("rumour", {}),
        ("threshold", ["op", ">"]),
    ],
)
def test_nonsensical_rule_parameters_are_refused_with_a_message(kind, params):
    with pytest.raises(policy.RuleParamError):
        policy.check_rule_params(kind, params)


def test_rule_parameters_are_normalised():
    assert policy.check_rule_params("threshold", {"op": ">=", "value": 3}) == {"op": ">=", "value": 3.0}
    assert policy.check_rule_params("peer_anomaly", {}) == {"z": 3.5, "min_peers": 5}
    assert policy.check_rule_params("change", {"pct": 20}) == {"either": False, "pct": 20.0}


def test_rank_changes_cover_units_of_either_run_biggest_moves_first():
    changes = policy.rank_changes({"a": 1, "b": 2, "c": 3, "gone": 4}, {"a": 3, "b": 1, "c": 2, "new": 4})
    assert [(c.unit, c.delta) for c in changes] == [("a", -2), ("b", 1), ("c", 1), ("gone", None), ("new", None)]


def test_the_digest_is_stable_across_key_order_and_refuses_nan():
    assert policy.digest({"b": [1.5, None], "a": "南京"}) == policy.digest({"a": "南京", "b": [1.5, None]})
    assert policy.digest({"a": 0.1 + 0.2}) != policy.digest({"a": 0.3})
    with pytest.raises(ValueError):
        policy.digest({"a": math.nan})


def test_the_subtree_keeps_only_indicators_of_the_unit_with_data_and_their_ancestors():
    nodes = [
        policy.Node("index", "指数", "aggregate", None, 1),
        policy.Node("p1", "甲", "aggregate", "index", 1),
        policy.Node("p2", "乙", "aggregate", "index", 1),
        policy.Node("x", "x", "indicator", "p1", 1, 1, "region"),
        policy.Node("y", "y", "indicator", "p2", 1, 1, "region"),
        policy.Node("z", "z", "indicator", "p2", 1, 1, "body"),
    ]
    assert [n.code for n in policy.subtree_for(nodes, "region", {"x"})] == ["index", "p1", "x"]
    assert [n.code for n in policy.subtree_for(nodes, "body", {"x", "y", "z"})] == ["index", "p2", "z"]
    assert policy.subtree_for(nodes, "region", set()) == []
