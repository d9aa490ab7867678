"""Aggregation (Handbook step 6, COINr `Aggregate`) and the small-set social-choice methods.

Compensatory means work on units × children with NaN for missing values; weights are renormalised over
the children a unit has. A unit whose share of available children is below `threshold` gets no score
(COINr `dat_thresh`). Non-compensatory methods (Copeland, Borda, Kemeny) compare units pairwise: an
indicator "votes" for the unit with the better value, with its weight; a tie gives each half the vote.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from .errors import PipelineError
from .tree import Tree

METHODS = ("arithmetic", "geometric", "harmonic", "copeland", "borda", "kemeny")
KEMENY_MAX_UNITS = 8


def _positive(values: np.ndarray, method: str, names: Sequence[str] | None) -> None:
    bad = np.argwhere(values <= 0)
    if bad.size:
        unit, col = bad[0]
        what = names[col] if names else str(col)
        raise PipelineError(
            f"{method} 平均要求全部取值为正，{what} 在第 {unit + 1} 个评价对象处为 {values[unit, col]:g}；"
            f"请改用取值为正的标准化（如 minmax 1–100）"
        )


def mean(
    values: np.ndarray,
    weights: np.ndarray,
    method: str = "arithmetic",
    threshold: float = 0.0,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    """Weighted arithmetic/geometric/harmonic mean across the columns, per row, skipping NaN."""
    mask = ~np.isnan(values)
    w = np.where(mask, weights, 0.0)
    wsum = w.sum(axis=1)
    x = np.where(mask, values, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "arithmetic":
            out = (w * np.where(mask, values, 0.0)).sum(axis=1) / wsum
        elif method == "geometric":
            _positive(np.where(mask, values, 1.0), "几何", names)
            out = np.exp((w * np.log(x)).sum(axis=1) / wsum)
        elif method == "harmonic":
            _positive(np.where(mask, values, 1.0), "调和", names)
            out = wsum / (w / x).sum(axis=1)
        else:
            raise PipelineError(f"未知的均值方法：{method}")
    share = mask.sum(axis=1) / values.shape[1]
    out[(share < threshold) | (wsum <= 0)] = np.nan
    return out


def outranking(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """units × units matrix: e[j, k] = weight of the columns where j beats k, plus half of those where they tie.

    Columns where either unit is missing do not vote."""
    n = values.shape[0]
    out = np.zeros((n, n))
    for c in range(values.shape[1]):
        col = values[:, c]
        ok = ~np.isnan(col)
        both = ok[:, None] & ok[None, :]
        beats = (col[:, None] > col[None, :]) & both
        ties = (col[:, None] == col[None, :]) & both
        out += weights[c] * (beats + 0.5 * ties)
    np.fill_diagonal(out, 0.0)
    return out


def copeland(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Copeland score: pairwise majorities won minus lost (Handbook p. 112; COINr `a_copeland`)."""
    e = outranking(values, weights)
    return np.sign(e - e.T).sum(axis=1)


def borda(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Borda count: per column, a unit gets as many points as units it beats (half per tie), times the
    column's weight. With voter profiles as columns this is the Handbook's Table 28 count."""
    return outranking(values, weights).sum(axis=1)


def condorcet_winner(values: np.ndarray, weights: np.ndarray) -> int | None:
    """Index of the unit that beats every other by weighted majority, or None (e.g. a cycle)."""
    e = outranking(values, weights)
    wins = (e > e.T).sum(axis=1)
    winners = np.flatnonzero(wins == values.shape[0] - 1)
    return int(winners[0]) if winners.size else None


def kemeny_score(matrix: np.ndarray, order: Sequence[int]) -> float:
    """Sum of the outranking support for every pair the order asserts (j before k → e[j, k])."""
    return float(sum(matrix[order[i], order[k]] for i in range(len(order)) for k in range(i + 1, len(order))))


def kemeny(values: np.ndarray, weights: np.ndarray) -> tuple[list[tuple[int, ...]], float]:
    """All orders with the highest Kemeny score (exhaustive: at most 8 units) and that score."""
    n = values.shape[0]
    if n > KEMENY_MAX_UNITS:
        raise PipelineError(f"Kemeny 方法需穷举全部排序，最多支持 {KEMENY_MAX_UNITS} 个评价对象，实有 {n} 个")
    e = outranking(values, weights)
    best: list[tuple[int, ...]] = []
    top = -np.inf
    for order in itertools.permutations(range(n)):
        s = kemeny_score(e, order)
        if s > top + 1e-12:
            best, top = [order], s
        elif abs(s - top) <= 1e-12:
            best.append(order)
    return best, float(top)


def aggregate(
    values: np.ndarray,
    weights: np.ndarray,
    method: str = "arithmetic",
    threshold: float = 0.0,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    """One aggregation step by name; non-compensatory methods give scores where higher is better."""
    if method in ("arithmetic", "geometric", "harmonic"):
        return mean(values, weights, method, threshold, names)
    share = (~np.isnan(values)).sum(axis=1) / values.shape[1]
    if method == "copeland":
        out = copeland(values, weights).astype(float)
    elif method == "borda":
        out = borda(values, weights)
    elif method == "kemeny":
        orders, _ = kemeny(values, weights)
        out = np.empty(values.shape[0])
        out[list(orders[0])] = np.arange(values.shape[0] - 1, -1, -1, dtype=float)
    else:
        raise PipelineError(f"未知的汇总方法：{method}（可选 {'、'.join(METHODS)}）")
    out[share < threshold] = np.nan
    return out


def score_tree(
    normalised: np.ndarray,
    tree: Tree,
    weights: dict[str, float] | None = None,
    method: str = "arithmetic",
    threshold: float = 0.0,
) -> np.ndarray:
    """Scores of every aggregate (units × len(tree.aggregates)), bottom-up; `weights` overrides the tree's."""
    w = dict(tree.weights)
    if weights:
        w.update(weights)
    col = {c: i for i, c in enumerate(tree.indicators)}
    out = np.full((normalised.shape[0], len(tree.aggregates)), np.nan)
    pos = {a: i for i, a in enumerate(tree.aggregates)}
    for a in tree.aggregates:
        kids = tree.children[a]
        if tree.over_indicators(a):
            block = normalised[:, [col[c] for c in kids]]
        else:
            block = out[:, [pos[c] for c in kids]]
        out[:, pos[a]] = aggregate(block, np.array([w[c] for c in kids]), method, threshold, list(kids))
    return out


def rank_desc(scores: np.ndarray) -> np.ndarray:
    """Rank 1 = highest, ties share the lowest rank number (R's rank(-x, ties='min')), NaN stays NaN.
    Works along the last axis, so a runs × units array is ranked run by run."""
    x = np.asarray(scores, dtype=float)
    flat = x.reshape(-1, x.shape[-1])
    order = np.argsort(-flat, axis=1, kind="stable")  # NaN sorts last
    s = np.take_along_axis(-flat, order, axis=1)
    n = flat.shape[1]
    idx = np.broadcast_to(np.arange(n), s.shape)
    new = np.ones(s.shape, dtype=bool)
    new[:, 1:] = s[:, 1:] != s[:, :-1]
    start = np.maximum.accumulate(np.where(new, idx, 0), axis=1)
    ranks = np.empty(s.shape)
    np.put_along_axis(ranks, order, start + 1.0, axis=1)
    ranks[np.isnan(flat)] = np.nan
    return ranks.reshape(x.shape)
