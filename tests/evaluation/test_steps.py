"""Each pipeline step on hand-built data, plus properties that must hold for any data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from govtrust.evaluation.pipeline import (
    PipelineError,
    aggregate,
    build_tree,
    copeland,
    correlation_flags,
    cronbach_alpha,
    data_availability,
    denominate,
    impute,
    kurtosis,
    mean,
    normalise,
    pca_weights,
    rank_desc,
    score_tree,
    skewness,
    treat,
)

NAN = np.nan
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def moments_skew_kurt(x: np.ndarray) -> tuple[float, float]:
    """Excel's SKEW and KURT written from their textbook formulas (a second route to the same numbers)."""
    n = x.size
    s = x.std(ddof=1)
    z = (x - x.mean()) / s
    skew = n / ((n - 1) * (n - 2)) * np.sum(z**3)
    kurt = n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * np.sum(z**4) - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))
    return float(skew), float(kurt)


# --- skewness, kurtosis, treatment -------------------------------------------------------------------


def test_skewness_and_kurtosis_are_excels_skew_and_kurt():
    x = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 100])
    skew, kurt = moments_skew_kurt(x)
    assert skewness(x) == pytest.approx(skew, rel=1e-12)
    assert kurtosis(x) == pytest.approx(kurt, rel=1e-12)


@given(arrays(float, st.integers(5, 40), elements=finite))
def test_skewness_and_kurtosis_agree_with_the_textbook_formulas_for_any_data(x):
    if x.std() < 1e-3 * (1 + np.abs(x).max()):
        return
    skew, kurt = moments_skew_kurt(x)
    assert skewness(x) == pytest.approx(skew, rel=1e-6, abs=1e-9)
    assert kurtosis(x) == pytest.approx(kurt, rel=1e-6, abs=1e-9)


def test_skewness_ignores_missing_values():
    assert skewness(np.array([1.0, 2, NAN, 3, 10])) == skewness(np.array([1.0, 2, 3, 10]))


def test_a_single_outlier_is_winsorised_to_the_next_value():
    x = np.r_[np.arange(1.0, 21.0), 500.0][:, None]
    out, report = treat(x, ["x"], winmax=5)
    assert report[0].method == "winsorised" and (report[0].low, report[0].high) == (0, 1)
    assert out[-1, 0] == 20.0
    assert np.array_equal(out[:-1, 0], x[:-1, 0])


def test_an_indicator_within_the_thresholds_is_left_alone():
    x = np.arange(1.0, 30.0)[:, None]
    out, report = treat(x, ["x"])
    assert report[0].method == "none"
    assert np.array_equal(out, x)


def test_an_indicator_with_fewer_than_four_values_is_left_untreated_and_reported_as_skipped():
    x = np.array([[1.0], [2.0], [NAN], [NAN], [300.0]])
    out, report = treat(x, ["稀疏"])
    assert report[0].method == "skipped"
    assert np.array_equal(out, x, equal_nan=True)


@settings(max_examples=60)
@given(arrays(float, st.integers(8, 60), elements=st.floats(0, 1e4)), st.integers(0, 8))
def test_treatment_keeps_the_order_of_the_units_and_winsorising_stays_within_the_original_range(x, winmax):
    if np.unique(x).size < 4:
        return
    out, report = treat(x[:, None], ["x"], winmax=winmax)
    y = out[:, 0]
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(y[order]) >= -1e-12)  # never reverses two units
    if report[0].method == "winsorised":
        assert x.min() <= y.min() and y.max() <= x.max()
        assert report[0].low + report[0].high <= max(winmax, 1) + np.count_nonzero(x == x.max()) - 1 + np.count_nonzero(
            x == x.min()
        )


# --- denomination and imputation ----------------------------------------------------------------------


def test_denomination_divides_by_the_named_denominator_and_leaves_the_others():
    data = np.array([[10.0, 5.0], [20.0, 6.0]])
    dens = np.array([[2.0, NAN], [0.0, NAN]])
    out = denominate(data, dens)
    assert out[0, 0] == 5.0
    assert math.isnan(out[1, 0])  # divided by zero → missing, not infinite
    assert out[:, 1].tolist() == [5.0, 6.0]


def test_imputation_by_group_uses_the_group_mean_and_leaves_an_empty_group_missing():
    data = np.array([[1.0, NAN], [3.0, 7.0], [NAN, 9.0], [10.0, NAN], [NAN, NAN]])
    groups = ["甲", "甲", "甲", "乙", "乙"]
    out = impute(data, "mean", groups)
    assert out[2, 0] == 2.0 and out[0, 1] == 8.0
    assert out[4, 0] == 10.0
    assert math.isnan(out[3, 1]) and math.isnan(out[4, 1])


def test_imputation_overall_with_the_median():
    out = impute(np.array([[1.0], [2.0], [100.0], [NAN]]), "median")
    assert out[3, 0] == 2.0


def test_an_unknown_imputation_method_is_refused():
    with pytest.raises(PipelineError, match="未知的插补方法：mode"):
        impute(np.ones((3, 1)), "mode")


# --- normalisation ------------------------------------------------------------------------------------


def test_minmax_maps_best_to_high_and_flips_negative_directions():
    data = np.array([[1.0, 1.0], [3.0, 3.0], [5.0, 5.0]])
    out = normalise(data, np.array([1.0, -1.0]), "minmax", {"low": 0, "high": 100})
    assert out[:, 0].tolist() == [0, 50, 100]
    assert out[:, 1].tolist() == [100, 50, 0]


def test_zscore_has_the_requested_mean_and_sample_sd():
    x = np.array([[2.0], [4.0], [4.0], [4.0], [5.0], [5.0], [7.0], [9.0]])
    out = normalise(x, np.array([1.0]), "zscore", {"mean": 100, "sd": 10})
    assert out.mean() == pytest.approx(100)
    assert out.std(ddof=1) == pytest.approx(10)


def test_percentile_rank_of_the_15th_of_23_is_65_2_as_in_the_handbook():
    x = np.arange(23.0)[:, None]
    out = normalise(x, np.array([1.0]), "percentile")
    assert round(out[14, 0], 1) == 65.2
    ranks = normalise(np.array([[3.0], [1.0], [3.0]]), np.array([1.0]), "rank")
    assert ranks[:, 0].tolist() == [2.5, 1.0, 2.5]


def test_distance_to_target_is_capped_at_the_target():
    x = np.array([[0.0], [5.0], [20.0]])
    out = normalise(x, np.array([1.0]), "target", targets=np.array([10.0]))
    assert out[:, 0].tolist() == [0.0, 50.0, 100.0]


def test_goalposts_clip_to_the_scale_and_swap_for_negative_direction():
    x = np.array([[-5.0, 0.0], [5.0, 5.0], [50.0, 10.0]])
    out = normalise(x, np.array([1.0, -1.0]), "goalposts", lower=np.array([0.0, 0.0]), upper=np.array([10.0, 10.0]))
    assert out[:, 0].tolist() == [0.0, 50.0, 100.0]
    assert out[:, 1].tolist() == [100.0, 50.0, 0.0]


def test_a_zero_variance_indicator_cannot_be_normalised_and_the_message_names_it():
    data = np.array([[1.0, 7.0], [2.0, 7.0], [3.0, 7.0]])
    for method in ("minmax", "zscore"):
        with pytest.raises(PipelineError, match="指标 常数 的取值全部相同"):
            normalise(data, np.array([1.0, 1.0]), method, codes=["正常", "常数"])


@given(arrays(float, (12, 3), elements=st.floats(-1e4, 1e4)))
def test_minmax_stays_within_its_bounds_and_keeps_the_order(x):
    spread = x.max(axis=0) - x.min(axis=0)
    if np.any(spread < 1e-6):
        return
    out = normalise(x, np.ones(3), "minmax", {"low": 1, "high": 100})
    assert out.min() >= 1 - 1e-9 and out.max() <= 100 + 1e-9
    for j in range(3):
        assert np.all(np.diff(out[np.argsort(x[:, j], kind="stable"), j]) >= -1e-9)


# --- aggregation -------------------------------------------------------------------------------------


def test_weighted_means_of_a_small_example():
    v = np.array([[1.0, 4.0], [2.0, 2.0]])
    w = np.array([1.0, 1.0])
    assert mean(v, w, "arithmetic").tolist() == [2.5, 2.0]
    assert mean(v, w, "geometric")[0] == pytest.approx(2.0)
    assert mean(v, w, "harmonic")[0] == pytest.approx(1.6)
    assert mean(v, np.array([3.0, 1.0]), "arithmetic")[0] == 1.75


@given(arrays(float, (6, 4), elements=st.floats(0.01, 1e3)), arrays(float, 4, elements=st.floats(0.1, 5)))
def test_harmonic_never_exceeds_geometric_which_never_exceeds_arithmetic(values, weights):
    a = mean(values, weights, "arithmetic")
    g = mean(values, weights, "geometric")
    h = mean(values, weights, "harmonic")
    assert np.all(h <= g * (1 + 1e-9)) and np.all(g <= a * (1 + 1e-9))
    assert np.all(values.min(axis=1) * (1 - 1e-9) <= h) and np.all(a <= values.max(axis=1) * (1 + 1e-9))


def test_missing_children_are_skipped_and_the_threshold_drops_units_with_too_little_data():
    v = np.array([[10.0, NAN, NAN], [10.0, 20.0, NAN], [10.0, 20.0, 30.0]])
    out = mean(v, np.ones(3), "arithmetic", threshold=0.5)
    assert math.isnan(out[0])  # 1 of 3 < 50 %
    assert out[1:].tolist() == [15.0, 20.0]


def test_a_negative_value_under_the_geometric_mean_is_refused_with_its_place():
    with pytest.raises(PipelineError, match="几何 平均要求全部取值为正，乙 在第 2 个评价对象处为 -3"):
        mean(np.array([[1.0, 2.0], [4.0, -3.0]]), np.ones(2), "geometric", names=["甲", "乙"])


def test_copeland_scores_wins_minus_losses_and_sum_to_zero():
    v = np.array([[3.0, 3.0, 3.0], [2.0, 2.0, 2.0], [1.0, 1.0, 4.0]])
    out = copeland(v, np.ones(3))
    assert out.tolist() == [2, 0, -2]
    assert aggregate(v, np.ones(3), "copeland").sum() == 0


def test_kemeny_is_refused_beyond_eight_units():
    with pytest.raises(PipelineError, match="最多支持 8 个评价对象"):
        aggregate(np.random.default_rng(0).random((9, 3)), np.ones(3), "kemeny")


def test_ranks_put_the_highest_first_share_ties_and_keep_missing_missing():
    assert rank_desc(np.array([5.0, 9.0, 5.0, NAN, 1.0])).tolist()[:3] == [2.0, 1.0, 2.0]
    r = rank_desc(np.array([5.0, 9.0, 5.0, NAN, 1.0]))
    assert math.isnan(r[3]) and r[4] == 4.0
    assert rank_desc(np.array([[1.0, 2.0], [2.0, 1.0]])).tolist() == [[2.0, 1.0], [1.0, 2.0]]


def small_tree():
    return build_tree(
        [("a", "P", 1.0), ("b", "P", 3.0), ("c", "Q", 1.0), ("d", "Q", 1.0)],
        [("P", "I", 1.0), ("Q", "I", 1.0), ("I", None, 1.0)],
    )


def test_scores_are_computed_at_every_level_of_the_tree():
    tree = small_tree()
    data = np.array([[0.0, 100.0, 50.0, 50.0], [100.0, 0.0, 0.0, 100.0]])
    scores = score_tree(data, tree)
    assert tree.aggregates == ("P", "Q", "I")
    assert scores.tolist() == [[75.0, 50.0, 62.5], [25.0, 50.0, 37.5]]


@pytest.mark.parametrize(
    ("indicators", "aggregates", "message"),
    [
        ([("a", "X", 1.0)], [("I", None, 1.0)], "a 的上级 X 不是已定义的汇总项"),
        ([("a", "I", 1.0)], [("I", None, 1.0), ("J", None, 1.0)], "有且仅有一个顶层汇总项"),
        ([("a", "I", 1.0), ("a", "I", 1.0)], [("I", None, 1.0)], "代码 a 重复出现"),
        ([("a", "I", -1.0)], [("I", None, 1.0)], "a 的权重 -1.0 无效"),
        ([("a", "X", 1.0)], [("X", "I", 1.0), ("P", "Q", 1.0), ("Q", "P", 1.0), ("I", None, 1.0)], "存在循环"),
        ([("a", "P", 1.0), ("b", "I", 1.0)], [("P", "I", 1.0), ("I", None, 1.0)], "混合了指标和汇总项"),
        ([("a", "I", 1.0)], [("P", "I", 1.0), ("I", None, 1.0)], "汇总项 P 没有下级"),
    ],
)
def test_a_malformed_tree_is_refused_with_a_clear_message(indicators, aggregates, message):
    with pytest.raises(PipelineError, match=message):
        build_tree(indicators, aggregates)


# --- weights and audit -------------------------------------------------------------------------------


def test_pca_weights_sum_to_one_within_each_group_and_favour_the_common_factor():
    rng = np.random.default_rng(5)
    f = rng.normal(size=200)
    data = np.column_stack(
        [
            f + 0.1 * rng.normal(size=200),
            f + 0.1 * rng.normal(size=200),
            rng.normal(size=200),
            rng.normal(size=200),
            rng.normal(size=200),
        ]
    )
    tree = build_tree(
        [("a", "P", 1), ("b", "P", 1), ("c", "P", 1), ("d", "Q", 1), ("e", "Q", 1)],
        [("P", "I", 1), ("Q", "I", 1), ("I", None, 1)],
    )
    w = pca_weights(data, tree)
    assert w["a"] + w["b"] + w["c"] == pytest.approx(1)
    assert w["d"] + w["e"] == pytest.approx(1)
    assert w["a"] > 0.4 and w["b"] > 0.4 and w["c"] < 0.1


def test_cronbach_alpha_raw_and_standardised_of_a_hand_computed_example():
    x = np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 4.0], [3.0, 4.0, 4.0], [4.0, 5.0, 6.0]])
    k = 3
    item_var = x.var(axis=0, ddof=1).sum()  # 1.6667 + 2.25 + 1.5833 = 5.5
    total_var = x.sum(axis=1).var(ddof=1)  # totals 6, 8, 11, 15 → 46/3
    assert cronbach_alpha(x) == pytest.approx(k / (k - 1) * (1 - item_var / total_var))
    assert cronbach_alpha(x) == pytest.approx(1.5 * (1 - 5.5 / (46 / 3)))
    r = np.corrcoef(x, rowvar=False)
    rbar = (r[0, 1] + r[0, 2] + r[1, 2]) / 3
    assert cronbach_alpha(x, standardised=True) == pytest.approx(3 * rbar / (1 + 2 * rbar))


def test_correlation_flags_mark_collinear_and_negative_pairs_within_a_group():
    rng = np.random.default_rng(1)
    f = rng.normal(size=100)
    data = np.column_stack([f, f + 0.01 * rng.normal(size=100), -f + 0.5 * rng.normal(size=100), rng.normal(size=100)])
    tree = small_tree()
    flags = {(fl.first, fl.second): fl.kind for fl in correlation_flags(data, tree)}
    assert flags == {("a", "b"): "collinear"}
    tree2 = build_tree(
        [("a", "P", 1), ("b", "Q", 1), ("c", "P", 1), ("d", "Q", 1)], [("P", "I", 1), ("Q", "I", 1), ("I", None, 1)]
    )
    flags2 = {(fl.first, fl.second): fl.kind for fl in correlation_flags(data, tree2)}
    assert flags2 == {("a", "c"): "negative"}


def test_data_availability_per_unit_per_indicator_and_per_group():
    data = np.array([[1.0, NAN, 1.0, 1.0], [NAN, NAN, 1.0, NAN]])
    avail = data_availability(data, small_tree())
    assert avail.per_unit.tolist() == [0.75, 0.25]
    assert avail.per_indicator.tolist() == [0.5, 0.0, 1.0, 0.5]
    assert avail.per_unit_aggregate.tolist() == [[0.5, 1.0], [0.0, 0.5]]
