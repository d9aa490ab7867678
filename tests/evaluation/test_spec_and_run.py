"""Spec checking and whole runs: bad specs and bad data are refused with messages that name the culprit."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from govtrust.evaluation.pipeline import PipelineError, dataset_from_rows, parse_spec, result_rows, run

from . import asem


def small_spec(**method) -> dict:
    return {
        "unit_column": "unit",
        "indicators": [
            {"code": "clean", "parent": "P", "direction": 1},
            {"code": "overdue", "parent": "P", "direction": -1, "weight": 2},
            {"code": "satisfaction", "parent": "Q"},
        ],
        "aggregates": [{"code": "P", "parent": "I"}, {"code": "Q", "parent": "I"}, {"code": "I"}],
        "method": method,
    }


HEADER = ["unit", "clean", "overdue", "satisfaction"]
ROWS = [
    ["南京市", "90", "3", "80"],
    ["苏州市", "85", "1", "85"],
    ["无锡市", "70", "5", "75"],
    ["常州市", "60", "2", ""],
]


def test_a_small_run_scores_and_ranks_every_level():
    spec = parse_spec(small_spec())
    result = run(spec, dataset_from_rows(spec, HEADER, ROWS))
    p, p_rank = result.column("P")
    # 南京: clean (90-60)/30 = 100 → 100; overdue flipped (5-3)/4 = 50 → weight 2: (100 + 2·50)/3
    assert p[0] == pytest.approx(200 / 3)
    index, rank = result.column("I")
    assert rank.tolist() == [2.0, 1.0, 4.0, 3.0]
    # 常州 has no satisfaction value: Q is missing for it and the index uses P alone
    q, _ = result.column("Q")
    assert np.isnan(q[3]) and index[3] == p[3]


def test_the_threshold_removes_a_unit_with_too_little_data_from_the_ranking():
    spec = parse_spec(small_spec(aggregate={"method": "arithmetic", "threshold": 0.75}))
    result = run(spec, dataset_from_rows(spec, HEADER, ROWS))
    index, rank = result.column("I")
    assert np.isnan(index[3]) and np.isnan(rank[3])
    assert sorted(rank[:3].tolist()) == [1.0, 2.0, 3.0]


def test_result_rows_write_every_level_root_first_with_blank_for_missing():
    spec = parse_spec(small_spec(aggregate={"method": "arithmetic", "threshold": 0.75}))
    header, rows = result_rows(run(spec, dataset_from_rows(spec, HEADER, ROWS)))
    assert header == ["unit", "I_score", "I_rank", "Q_score", "Q_rank", "P_score", "P_rank"]
    assert rows[3][:5] == ["常州市", "", "", "", ""]


@pytest.mark.parametrize("method", ["copeland", "borda", "kemeny", "geometric", "harmonic"])
def test_every_aggregation_method_runs_through_the_tree(method):
    spec = parse_spec(small_spec(normalise={"method": "minmax", "low": 1, "high": 100}, aggregate=method))
    result = run(spec, dataset_from_rows(spec, HEADER, ROWS[:3]))
    assert not np.isnan(result.ranks).any()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s["indicators"][0].update(parent="X"), "clean 的上级 X 不是已定义的汇总项"),
        (lambda s: s["indicators"][0].update(direction=2), "指标 clean 的方向（direction）须为 1 或 -1"),
        (lambda s: s["indicators"][0].update(weight="heavy"), "指标 clean.weight 须为数值"),
        (lambda s: s["indicators"][0].update(colour="red"), "未知的设置项：colour"),
        (lambda s: s.update(method={"normalise": "softmax"}), "未知的标准化方法 softmax"),
        (lambda s: s.update(method={"aggregate": "median"}), "未知的汇总方法 'median'"),
        (lambda s: s.update(method={"impute": {"method": "mean", "by_group": True}}), "需要在规格中设置分组列"),
        (lambda s: s.update(method={"treat": {"winmax": -1}}), "winmax 须为非负整数"),
        (lambda s: s.update(method={"aggregate": {"method": "arithmetic", "threshold": 2}}), "threshold 须在 0 到 1"),
        (lambda s: s.update(uncertainty={"aggregations": ["copeland"]}), "不能取 'copeland'"),
        (lambda s: s.update(uncertainty={"runs": 0}), "uncertainty.runs 须为正整数"),
        (lambda s: s.update(indicators=[]), "至少定义一个指标"),
        (lambda s: s.update(seed=-1), "seed 须为非负整数"),
    ],
)
def test_a_bad_spec_is_refused_with_a_message_naming_the_entry(mutate, message):
    raw = copy.deepcopy(small_spec())
    mutate(raw)
    with pytest.raises(PipelineError, match=message):
        parse_spec(raw)


def test_a_spec_naming_an_indicator_the_data_does_not_have_is_refused():
    spec = parse_spec(small_spec())
    with pytest.raises(PipelineError, match="数据中缺少规格所需的列：overdue"):
        dataset_from_rows(spec, ["unit", "clean", "satisfaction"], [["a", "1", "2"]])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["南京市", "90", "3", "80"], ["南京市", "85", "1", "85"]], "评价对象 南京市 重复出现（第 3 行）"),
        ([["南京市", "九十", "3", "80"]], "第 2 行 clean 列的值 '九十' 不是数值"),
        ([["南京市", "inf", "3", "80"]], "不是有限数值"),
        ([["", "1", "3", "80"]], "第 2 行的评价对象代码（unit）为空"),
        ([["南京市", "1", "3"]], "第 2 行有 3 列，表头有 4 列"),
        ([], "数据没有任何评价对象"),
    ],
)
def test_bad_data_is_refused_with_the_row_and_column(rows, message):
    spec = parse_spec(small_spec())
    with pytest.raises(PipelineError, match=message):
        dataset_from_rows(spec, HEADER, rows)


def test_an_indicator_without_any_value_is_refused_by_name():
    spec = parse_spec(small_spec())
    rows = [[r[0], r[1], "", r[3]] for r in ROWS]
    with pytest.raises(PipelineError, match="指标 overdue 没有任何数据"):
        run(spec, dataset_from_rows(spec, HEADER, rows))


def test_a_constant_indicator_is_refused_at_normalisation():
    spec = parse_spec(small_spec())
    rows = [[r[0], "50", r[2], r[3]] for r in ROWS]
    with pytest.raises(PipelineError, match="指标 clean 的取值全部相同"):
        run(spec, dataset_from_rows(spec, HEADER, rows))


def test_a_geometric_mean_over_minmax_from_zero_is_refused_with_advice():
    spec = parse_spec(small_spec(aggregate="geometric"))
    with pytest.raises(PipelineError, match="请改用取值为正的标准化"):
        run(spec, dataset_from_rows(spec, HEADER, ROWS))


def test_hostile_unit_codes_are_data_not_code():
    spec = parse_spec(small_spec())
    rows = [["<script>alert(1)</script>", "1", "2", "3"], ["'; DROP TABLE units; --", "2", "1", "4"]]
    header, out = result_rows(run(spec, dataset_from_rows(spec, HEADER, rows)))
    assert [r[0] for r in out] == ["<script>alert(1)</script>", "'; DROP TABLE units; --"]


def test_the_asem_run_with_uncertainty_is_identical_when_repeated_with_the_same_seed():
    raw = asem.spec_mapping()
    raw["uncertainty"] = {"runs": 400}
    spec = parse_spec(raw)
    data = asem.dataset(spec)
    first, again = run(spec, data), run(spec, data)
    other = run(spec, data, seed=spec.seed + 1)
    assert result_rows(first) == result_rows(again)
    assert first.uncertainty is not None and other.uncertainty is not None
    assert np.array_equal(first.uncertainty.sobol_total, again.uncertainty.sobol_total)
    assert not np.array_equal(first.uncertainty.mean_abs_shift, other.uncertainty.mean_abs_shift)
    # the nominal ranking is the deterministic one: CHE first with or without uncertainty
    assert first.units[int(np.argmin(first.ranks[:, -1]))] == "CHE"
    assert first.uncertainty.nominal_rank.tolist() == first.ranks[:, -1].tolist()


def test_pca_and_equal_weights_are_available_from_the_spec():
    raw = asem.spec_mapping()
    raw["method"]["weights"] = "pca"
    spec = parse_spec(raw)
    result = run(spec, asem.dataset(spec))
    kids = spec.tree.children["Physical"]
    assert sum(result.weights[k] for k in kids) == pytest.approx(1)
    raw["method"]["weights"] = "equal"
    spec = parse_spec(raw)
    assert set(run(spec, asem.dataset(spec)).weights.values()) == {1.0}


def test_distance_to_the_asem_targets_is_capped_at_100_when_the_spec_says_so():
    raw = asem.spec_mapping()
    raw["method"]["normalise"] = {"method": "target", "cap": True}
    spec = parse_spec(raw)
    result = run(spec, asem.dataset(spec))
    normalised = result.stages["normalised"]
    assert np.nanmax(normalised) == 100.0 and np.nanmin(normalised) == 0.0
