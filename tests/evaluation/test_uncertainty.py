"""Monte Carlo rank intervals and Sobol indices: vectorised runs equal a run-by-run loop, seeds reproduce."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govtrust.evaluation.pipeline import PipelineError, build_tree, monte_carlo, normalise, rank_desc, score_tree
from govtrust.evaluation.pipeline import uncertainty as mc


def tree():
    return build_tree(
        [("a", "P", 1.0), ("b", "P", 2.0), ("c", "Q", 1.0), ("d", "Q", 1.0), ("e", "R", 1.0), ("f", "R", 0.5)],
        [("P", "S", 1.0), ("Q", "S", 2.0), ("S", "I", 1.0), ("R", "I", 1.0), ("I", None, 1.0)],
    )


def alternatives(raw: np.ndarray) -> list[np.ndarray]:
    ones = np.ones(raw.shape[1])
    return [
        normalise(raw, ones, "minmax", {"low": 1, "high": 100}),
        normalise(raw, ones, "zscore", {"mean": 100, "sd": 10}),
    ]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_vectorised_runs_give_exactly_the_ranks_of_a_run_by_run_loop(seed, with_gaps):
    rng = np.random.default_rng(seed)
    raw = rng.lognormal(size=(30, 6))
    if with_gaps:
        raw[rng.random(raw.shape) < 0.1] = np.nan
        raw[0, :] = rng.lognormal(size=6)  # keep every column's range defined
    alts = alternatives(raw)
    t = tree()
    plan = mc.design(t, runs=60, seed=seed, noise=0.3, normalisations=2, aggregations=2, weight_sets=20)
    fast = mc.evaluate(alts, t, ("arithmetic", "geometric"), plan, threshold=0.5, chunk=7)
    slow = mc.evaluate_loop([lambda a=a: a for a in alts], t, ("arithmetic", "geometric"), plan, threshold=0.5)
    assert np.array_equal(np.isnan(fast), np.isnan(slow))
    assert np.array_equal(fast[~np.isnan(fast)], slow[~np.isnan(slow)])


def test_the_harmonic_mean_is_vectorised_too():
    raw = np.random.default_rng(3).lognormal(size=(25, 6))
    alts = alternatives(raw)
    plan = mc.design(tree(), runs=40, seed=1, noise=0.2, normalisations=2, aggregations=2)
    fast = mc.evaluate(alts, tree(), ("arithmetic", "harmonic"), plan)
    slow = mc.evaluate_loop([lambda a=a: a for a in alts], tree(), ("arithmetic", "harmonic"), plan)
    assert np.array_equal(fast, slow)


def run_mc(seed: int, runs: int = 500):
    raw = np.random.default_rng(11).lognormal(size=(40, 6))
    alts = alternatives(raw)
    nominal = rank_desc(score_tree(alts[0], tree())[:, -1])
    return monte_carlo(alts, ["minmax", "zscore"], tree(), ("arithmetic", "geometric"), nominal, runs=runs, seed=seed)


def test_the_same_seed_gives_identical_results_and_another_seed_does_not():
    first, again, other = run_mc(7), run_mc(7), run_mc(8)
    assert np.array_equal(first.rank_q05, again.rank_q05)
    assert np.array_equal(first.rank_q95, again.rank_q95)
    assert np.array_equal(first.unit_sobol_total, again.unit_sobol_total, equal_nan=True)
    assert np.array_equal(first.sobol_first, again.sobol_first)
    assert not np.array_equal(first.mean_abs_shift, other.mean_abs_shift)


def test_runs_follow_saltellis_design_and_intervals_bracket_the_median():
    result = run_mc(3, runs=500)
    assert result.factors == ("weights", "normalisation", "aggregation")
    assert result.base_samples == 100 and result.runs == 500
    assert np.all(result.rank_q05 <= result.rank_median) and np.all(result.rank_median <= result.rank_q95)
    assert np.all(result.rank_q05 >= 1) and np.all(result.rank_q95 <= 40)
    assert result.unit_sobol_first.shape == (40, 3)
    assert np.isfinite(result.sobol_first).all() and np.isfinite(result.sobol_total).all()


def test_a_single_uncertain_input_explains_all_the_variance():
    raw = np.random.default_rng(11).lognormal(size=(40, 6))
    alts = alternatives(raw)[:1]
    nominal = rank_desc(score_tree(alts[0], tree())[:, -1])
    result = monte_carlo(alts, ["minmax"], tree(), ("arithmetic", "geometric"), nominal, runs=3000, seed=4, noise=0.0)
    assert result.factors == ("aggregation",)
    assert result.sobol_first[0] == pytest.approx(1.0, abs=0.1)
    assert result.sobol_total[0] == pytest.approx(1.0, abs=0.1)


def test_sobol_estimators_recover_the_indices_of_an_additive_model():
    rng = np.random.default_rng(0)
    n, d = 20000, 2
    a, b = rng.random((n, d)), rng.random((n, d))
    blocks = [a, b] + [np.where(np.arange(d) == i, b, a) for i in range(d)]
    x = np.vstack(blocks)
    y = (3 * x[:, 0] + 1 * x[:, 1])[:, None]  # variances 9/12 and 1/12 → S = 0.9, 0.1, no interaction
    first, total = mc.sobol(y, n, d)
    assert first[0] == pytest.approx([0.9, 0.1], abs=0.02)
    assert total[0] == pytest.approx([0.9, 0.1], abs=0.02)


def test_a_unit_whose_rank_never_moves_has_no_sobol_index_rather_than_a_made_up_one():
    y = np.column_stack([np.ones(50), np.arange(50.0)])
    first, total = mc.sobol(y, 10, 3)
    assert np.isnan(first[0]).all() and np.isnan(total[0]).all()
    assert not np.isnan(first[1]).any()


def test_geometric_mean_over_a_normalisation_with_zeros_is_refused_before_any_run():
    raw = np.random.default_rng(2).lognormal(size=(10, 6))
    alts = [normalise(raw, np.ones(6), "minmax", {"low": 0, "high": 100})]
    with pytest.raises(PipelineError, match="标准化方案 minmax\\(0–100\\) 产生了非正值"):
        monte_carlo(alts, ["minmax(0–100)"], tree(), ("arithmetic", "geometric"), np.arange(10.0), runs=100)


def test_without_any_uncertain_input_there_is_nothing_to_simulate():
    with pytest.raises(PipelineError, match="至少需要一个不确定输入"):
        mc.design(tree(), runs=100, seed=0, noise=0.0, normalisations=1, aggregations=1)


def test_too_few_runs_for_the_design_are_refused():
    with pytest.raises(PipelineError, match="模拟次数 5 太少"):
        mc.design(tree(), runs=5, seed=0, noise=0.2, normalisations=2, aggregations=2)


def test_copeland_is_not_offered_for_monte_carlo():
    raw = np.random.default_rng(2).lognormal(size=(10, 6))
    plan = mc.design(tree(), runs=20, seed=0, noise=0.2, normalisations=1, aggregations=1)
    with pytest.raises(PipelineError, match="不支持 copeland"):
        mc.evaluate(alternatives(raw)[:1], tree(), ("copeland",), plan)
