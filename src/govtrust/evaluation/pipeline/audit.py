"""Statistical audit (Handbook step 4, COINr `get_corr`, `get_corr_flags`, `get_cronbach`, `get_data_avail`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import PipelineError
from .tree import Tree


def correlation(data: np.ndarray) -> np.ndarray:
    """Pearson correlations between columns over the pairs of units that have both values (NaN if < 3 pairs
    or a column is constant over them)."""
    k = data.shape[1]
    out = np.eye(k)
    ok = ~np.isnan(data)
    for i in range(k):
        for j in range(i + 1, k):
            both = ok[:, i] & ok[:, j]
            r = np.nan
            if both.sum() >= 3:
                x, y = data[both, i], data[both, j]
                dx, dy = x - x.mean(), y - y.mean()
                den = np.sqrt((dx**2).sum() * (dy**2).sum())
                if den > 0:
                    r = float((dx * dy).sum() / den)
            out[i, j] = out[j, i] = r
    return out


@dataclass(frozen=True)
class CorrelationFlag:
    first: str
    second: str
    r: float
    kind: str  # "collinear" (|r| >= high) or "negative" (r <= low, same parent)


def correlation_flags(data: np.ndarray, tree: Tree, high: float = 0.9, low: float = -0.4) -> list[CorrelationFlag]:
    """Pairs of indicators under the same parent that are near-collinear (|r| >= high: double counting) or
    negatively correlated (r <= low: they offset each other in a compensatory mean)."""
    r = correlation(data)
    col = {c: i for i, c in enumerate(tree.indicators)}
    flags: list[CorrelationFlag] = []
    for a in tree.aggregates:
        if not tree.over_indicators(a):
            continue
        kids = tree.children[a]
        for i, first in enumerate(kids):
            for second in kids[i + 1 :]:
                v = r[col[first], col[second]]
                if np.isnan(v):
                    continue
                if abs(v) >= high:
                    flags.append(CorrelationFlag(first, second, float(v), "collinear"))
                elif v <= low:
                    flags.append(CorrelationFlag(first, second, float(v), "negative"))
    return flags


def cronbach_alpha(data: np.ndarray, standardised: bool = False) -> float:
    """Cronbach's alpha of the columns over complete cases: raw k/(k−1)·(1 − Σvar_i/var_total), or
    standardised k·r̄/(1 + (k−1)·r̄) from the mean inter-item correlation (Handbook Table 11)."""
    x = data[~np.isnan(data).any(axis=1)]
    k = x.shape[1]
    if k < 2:
        raise PipelineError("Cronbach α 至少需要 2 个指标")
    if x.shape[0] < 3:
        raise PipelineError("Cronbach α 至少需要 3 个完整观测")
    if standardised:
        r = np.corrcoef(x, rowvar=False)
        rbar = (r.sum() - k) / (k * (k - 1))
        return float(k * rbar / (1 + (k - 1) * rbar))
    total = x.sum(axis=1).var(ddof=1)
    if total == 0:
        raise PipelineError("Cronbach α 无法计算：总分方差为零")
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total))


@dataclass(frozen=True)
class Availability:
    per_unit: np.ndarray  # share of indicators available, per unit
    per_indicator: np.ndarray  # share of units with a value, per indicator
    per_unit_aggregate: np.ndarray  # units × aggregates-over-indicators share


def data_availability(data: np.ndarray, tree: Tree) -> Availability:
    ok = ~np.isnan(data)
    groups = [a for a in tree.aggregates if tree.over_indicators(a)]
    g = tree.membership(groups, tree.indicators)
    return Availability(ok.mean(axis=1), ok.mean(axis=0), (ok @ g) / g.sum(axis=0))
