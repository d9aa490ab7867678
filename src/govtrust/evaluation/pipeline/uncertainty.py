"""Uncertainty and sensitivity analysis (Handbook step 7, COINr `get_sensitivity`), vectorised across runs.

Uncertain inputs ("factors"), each drawn as one uniform number per run:
- `weights`: the number picks one of `weight_sets` perturbed copies of every node's weight (w · (1 ± noise));
- `normalisation`: it picks one of the alternative normalised data sets;
- `aggregation`: it picks one of the aggregation methods (arithmetic or geometric by default), used at
  every level, as COINr does.
The runs follow Saltelli's design — base matrices A and B (N × d) and, for each factor i, A with column i
taken from B — so N·(d + 2) runs give both the rank intervals (all runs) and the first-order (Saltelli 2010)
and total (Jansen 1999) Sobol indices. The output analysed is each unit's rank of the root and, as one
figure for the whole ranking, the mean absolute shift of the ranks from the nominal ranks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .aggregate import rank_desc, score_tree
from .errors import PipelineError
from .tree import Tree
from .weights import noisy_weights

MC_METHODS = ("arithmetic", "geometric", "harmonic")


@dataclass(frozen=True)
class Design:
    """The Saltelli sample: per run, the chosen weight set, normalisation and aggregation (as indices)."""

    factors: tuple[str, ...]
    base_samples: int
    weight_set: np.ndarray
    normalisation: np.ndarray
    aggregation: np.ndarray
    weight_matrix: np.ndarray  # weight_sets × nodes

    @property
    def runs(self) -> int:
        return int(self.weight_set.size)


@dataclass(frozen=True)
class UncertaintyResult:
    factors: tuple[str, ...]
    runs: int
    base_samples: int
    nominal_rank: np.ndarray
    rank_median: np.ndarray
    rank_q05: np.ndarray
    rank_q95: np.ndarray
    rank_mean: np.ndarray
    mean_abs_shift: np.ndarray  # per run
    sobol_first: np.ndarray  # per factor, for the mean absolute rank shift
    sobol_total: np.ndarray
    unit_sobol_first: np.ndarray  # units × factors, for each unit's rank
    unit_sobol_total: np.ndarray


def design(
    tree: Tree,
    *,
    runs: int,
    seed: int,
    noise: float,
    normalisations: int,
    aggregations: int,
    weight_sets: int = 100,
) -> Design:
    """Draw the runs. The same seed gives the same design, hence the same results."""
    factors = tuple(
        name
        for name, active in (
            ("weights", noise > 0),
            ("normalisation", normalisations > 1),
            ("aggregation", aggregations > 1),
        )
        if active
    )
    d = len(factors)
    if d == 0:
        raise PipelineError("不确定性分析至少需要一个不确定输入：权重扰动、多种标准化或多种汇总方法")
    n = runs // (d + 2)
    if n < 2:
        raise PipelineError(f"模拟次数 {runs} 太少：{d} 个不确定输入至少需要 {2 * (d + 2)} 次")
    rng = np.random.default_rng(seed)
    a, b = rng.random((n, d)), rng.random((n, d))
    blocks = [a, b]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    u = np.vstack(blocks)
    base = np.array([tree.weights[c] for c in tree.nodes])
    wm = noisy_weights(base, noise, weight_sets, rng) if noise > 0 else base[None, :]

    def pick(name: str, count: int) -> np.ndarray:
        if name not in factors:
            return np.zeros(u.shape[0], dtype=np.intp)
        return np.minimum((u[:, factors.index(name)] * count).astype(np.intp), count - 1)

    return Design(
        factors,
        n,
        pick("weights", wm.shape[0]),
        pick("normalisation", normalisations),
        pick("aggregation", aggregations),
        wm,
    )


def _transform(x: np.ndarray, method: str) -> np.ndarray:
    if method == "geometric":
        return np.log(x)
    if method == "harmonic":
        return 1.0 / x
    return x


def _combine(num: np.ndarray, den: np.ndarray, method: str) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "geometric":
            return np.exp(num / den)
        if method == "harmonic":
            return den / num
        return num / den


def root_scores(
    data: np.ndarray, tree: Tree, weights: np.ndarray, method: str, threshold: float = 0.0, chunk: int = 250
) -> np.ndarray:
    """Root score of every run at once: `weights` is runs × nodes (tree.nodes order); returns runs × units.

    Values are kept units × runs per aggregate: a group over indicators is one small matrix product of its
    columns with every run's weights, a group over aggregates a weighted sum of its children's arrays. The
    transform of the data (log for geometric, reciprocal for harmonic) is done once, not once per run."""
    runs, units = weights.shape[0], data.shape[0]
    n_ind = len(tree.indicators)
    ind_pos = {c: i for i, c in enumerate(tree.indicators)}
    agg_pos = {a: i for i, a in enumerate(tree.aggregates)}
    mask = ~np.isnan(data)
    t0 = np.where(mask, _transform(np.where(mask, data, 1.0), method), 0.0)
    m0 = mask.astype(float)
    out = np.empty((runs, units))
    for s in range(0, runs, chunk):
        w = weights[s : s + chunk]
        k = w.shape[0]
        values: dict[str, np.ndarray] = {}
        for a in tree.aggregates:
            kids = tree.children[a]
            share: np.ndarray | float = 1.0
            if tree.over_indicators(a):
                idx = [ind_pos[c] for c in kids]
                wk = w[:, idx].T  # children × runs
                num = t0[:, idx] @ wk
                if mask[:, idx].all():
                    den = np.broadcast_to(wk.sum(axis=0), (units, k))
                else:
                    den = m0[:, idx] @ wk
                    share = mask[:, idx].mean(axis=1)[:, None]
            else:
                num = np.zeros((units, k))
                den = np.zeros((units, k))
                count = np.zeros((units, k))
                partial = False
                for c in kids:
                    v = values[c]
                    wc = w[:, n_ind + agg_pos[c]]
                    ok = ~np.isnan(v)
                    if ok.all():
                        num += _transform(v, method) * wc
                        den += wc
                        count += 1.0
                    else:
                        partial = True
                        num += np.where(ok, _transform(np.where(ok, v, 1.0), method), 0.0) * wc
                        den += ok * wc
                        count += ok
                if partial:
                    share = count / len(kids)
            value = _combine(num, den, method)
            bad = ~(den > 0)
            if not isinstance(share, float):
                bad = bad | (share < threshold)
            if bad.any():
                value = np.where(bad, np.nan, value)
            values[a] = value
        out[s : s + k] = values[tree.root].T
    return out


def _check_positive(alternatives: Sequence[np.ndarray], names: Sequence[str], methods: Sequence[str]) -> None:
    needs = [m for m in methods if m in ("geometric", "harmonic")]
    if not needs:
        return
    for alt, name in zip(alternatives, names, strict=True):
        if np.nanmin(alt) <= 0:
            raise PipelineError(
                f"不确定性分析包含{('几何' if 'geometric' in needs else '调和')}平均，但标准化方案 {name} "
                f"产生了非正值（最小 {np.nanmin(alt):g}）；请改用取值为正的方案，如 minmax 1–100"
            )


def evaluate(
    alternatives: Sequence[np.ndarray],
    tree: Tree,
    methods: Sequence[str],
    plan: Design,
    threshold: float = 0.0,
    chunk: int = 250,
) -> np.ndarray:
    """Ranks of every unit in every run (runs × units), vectorised: runs sharing a normalisation and an
    aggregation method are evaluated together, `chunk` at a time to bound memory."""
    for m in methods:
        if m not in MC_METHODS:
            raise PipelineError(f"不确定性分析只支持 {'、'.join(MC_METHODS)} 汇总，不支持 {m}")
    scores = np.empty((plan.runs, alternatives[0].shape[0]))
    for ni, alt in enumerate(alternatives):
        for mi, method in enumerate(methods):
            idx = np.flatnonzero((plan.normalisation == ni) & (plan.aggregation == mi))
            if idx.size:
                w = plan.weight_matrix[plan.weight_set[idx]]
                scores[idx] = root_scores(alt, tree, w, method, threshold, chunk)
    return rank_desc(scores)


def evaluate_loop(
    normalisers: Sequence[Callable[[], np.ndarray]],
    tree: Tree,
    methods: Sequence[str],
    plan: Design,
    threshold: float = 0.0,
    runs: int | None = None,
) -> np.ndarray:
    """The straightforward baseline: each run normalises, aggregates the tree and ranks on its own
    (the first `runs` runs only, if given). Same results as `evaluate`."""
    count = plan.runs if runs is None else min(runs, plan.runs)
    out = []
    for k in range(count):
        data = normalisers[plan.normalisation[k]]()
        w = dict(zip(tree.nodes, plan.weight_matrix[plan.weight_set[k]].tolist(), strict=True))
        scores = score_tree(data, tree, w, methods[plan.aggregation[k]], threshold)
        out.append(rank_desc(scores[:, -1]))
    return np.array(out)


def sobol(y: np.ndarray, base_samples: int, factors: int) -> tuple[np.ndarray, np.ndarray]:
    """First-order (Saltelli 2010) and total (Jansen) indices from outputs in design order
    [A, B, AB_1 … AB_d]; `y` is runs × outputs, results are outputs × factors (NaN where the output never varies)."""
    n = base_samples
    # Centring on the mean of A and B leaves the indices unchanged in expectation but removes the
    # estimator's dependence on the output's level (as SALib does).
    y = y - np.mean(y[: 2 * n], axis=0)
    f_a, f_b = y[:n], y[n : 2 * n]
    var = np.var(np.vstack([f_a, f_b]), axis=0)
    first = np.empty((y.shape[1], factors))
    total = np.empty((y.shape[1], factors))
    with np.errstate(invalid="ignore", divide="ignore"):
        for i in range(factors):
            f_ab = y[(2 + i) * n : (3 + i) * n]
            first[:, i] = np.mean(f_b * (f_ab - f_a), axis=0) / var
            total[:, i] = 0.5 * np.mean((f_a - f_ab) ** 2, axis=0) / var
    first[var == 0] = np.nan
    total[var == 0] = np.nan
    return first, total


def analyse(ranks: np.ndarray, nominal: np.ndarray, plan: Design) -> UncertaintyResult:
    """Rank intervals over all runs and Sobol indices from the run-by-unit ranks."""
    q05, med, q95 = np.quantile(ranks, [0.05, 0.5, 0.95], axis=0)
    shift = np.nanmean(np.abs(ranks - nominal[None, :]), axis=1)
    d = len(plan.factors)
    s1, st = sobol(shift[:, None], plan.base_samples, d)
    u1, ut = sobol(ranks, plan.base_samples, d)
    return UncertaintyResult(
        factors=plan.factors,
        runs=plan.runs,
        base_samples=plan.base_samples,
        nominal_rank=nominal,
        rank_median=med,
        rank_q05=q05,
        rank_q95=q95,
        rank_mean=ranks.mean(axis=0),
        mean_abs_shift=shift,
        sobol_first=s1[0],
        sobol_total=st[0],
        unit_sobol_first=u1,
        unit_sobol_total=ut,
    )


def monte_carlo(
    alternatives: Sequence[np.ndarray],
    alternative_names: Sequence[str],
    tree: Tree,
    methods: Sequence[str],
    nominal: np.ndarray,
    *,
    runs: int = 1000,
    seed: int = 0,
    noise: float = 0.25,
    threshold: float = 0.0,
    weight_sets: int = 100,
) -> UncertaintyResult:
    """Draw the design, evaluate every run (vectorised) and analyse; `nominal` are the nominal root ranks."""
    if not alternatives:
        raise PipelineError("不确定性分析至少需要一种标准化方案")
    _check_positive(alternatives, alternative_names, methods)
    plan = design(
        tree,
        runs=runs,
        seed=seed,
        noise=noise,
        normalisations=len(alternatives),
        aggregations=len(methods),
        weight_sets=weight_sets,
    )
    return analyse(evaluate(alternatives, tree, methods, plan, threshold), nominal, plan)
