"""Normalisation (COINr `Normalise`, Handbook step 5). Every function takes units × indicators with NaN for
missing values and `directions` (+1 more is better, −1 less is better) and returns the same shape, higher
always better."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import PipelineError

METHODS = ("minmax", "zscore", "rank", "percentile", "target", "goalposts")


def _check_spread(data: np.ndarray, codes: list[str] | None, method: str) -> None:
    spread = np.nanmax(data, axis=0) - np.nanmin(data, axis=0)
    flat = np.flatnonzero(~(spread > 0))
    if flat.size:
        name = codes[flat[0]] if codes else str(flat[0])
        raise PipelineError(f"指标 {name} 的取值全部相同或全部缺失，无法用 {method} 标准化")


def minmax(
    data: np.ndarray, directions: np.ndarray, low: float = 0.0, high: float = 100.0, codes: list[str] | None = None
) -> np.ndarray:
    """(x − min)/(max − min) · (high − low) + low, after flipping the sign of indicators with direction −1."""
    _check_spread(data, codes, "minmax")
    x = data * directions
    lo, hi = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
    return (x - lo) / (hi - lo) * (high - low) + low


def zscore(
    data: np.ndarray, directions: np.ndarray, mean: float = 0.0, sd: float = 1.0, codes: list[str] | None = None
) -> np.ndarray:
    """(x − mean)/sd (sample sd, n − 1) · sd' + mean', sign-flipped for direction −1."""
    _check_spread(data, codes, "zscore")
    x = data * directions
    return (x - np.nanmean(x, axis=0)) / np.nanstd(x, axis=0, ddof=1) * sd + mean


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ascending ranks 1..n per column, ties averaged, NaN kept NaN."""
    out = np.full(x.shape, np.nan)
    for j in range(x.shape[1]):
        col = x[:, j]
        ok = np.flatnonzero(~np.isnan(col))
        v = col[ok]
        order = np.argsort(v, kind="stable")
        sv = v[order]
        ranks = np.empty(v.size)
        # each run of equal values gets the mean of the positions it spans
        starts = np.flatnonzero(np.r_[True, sv[1:] != sv[:-1]])
        ends = np.r_[starts[1:], sv.size]
        for s, e in zip(starts, ends, strict=True):
            ranks[order[s:e]] = (s + e + 1) / 2
        out[ok, j] = ranks
    return out


def rank(data: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Rank 1 for the worst value up to n for the best (ties share the average rank)."""
    return _average_ranks(data * directions)


def percentile_rank(data: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """100 · rank / n (n = units with a value): the Handbook's percentile (Table 15: 15th of 23 → 65.2)."""
    x = data * directions
    return _average_ranks(x) / np.count_nonzero(~np.isnan(x), axis=0) * 100


def distance_to_target(
    data: np.ndarray, directions: np.ndarray, targets: np.ndarray, cap: bool = True, codes: list[str] | None = None
) -> np.ndarray:
    """Progress from the worst value to the target, 0–100: (x − worst)/(target − worst) · 100, capped at 100
    when the target is passed (COINr `n_dist2targ` with `cap_max`)."""
    x = data * directions
    t = targets * directions
    worst = np.nanmin(x, axis=0)
    gap = t - worst
    bad = np.flatnonzero(~(gap > 0))
    if bad.size:
        name = codes[bad[0]] if codes else str(bad[0])
        raise PipelineError(f"指标 {name} 的目标值未设置或不优于最差值，无法计算距目标距离")
    out = (x - worst) / gap * 100
    return np.minimum(out, 100) if cap else out


def goalposts(
    data: np.ndarray,
    directions: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    scale: float = 100.0,
    codes: list[str] | None = None,
) -> np.ndarray:
    """(x − lower)/(upper − lower) · scale clipped to [0, scale]; for direction −1 the goalposts swap, so
    `upper` is still the value that scores `scale` (COINr `n_goalposts`)."""
    width = upper - lower
    bad = np.flatnonzero(~(width != 0))
    if bad.size:
        name = codes[bad[0]] if codes else str(bad[0])
        raise PipelineError(f"指标 {name} 的上下限未设置或相等")
    best = np.where(directions > 0, upper, lower)
    worst = np.where(directions > 0, lower, upper)
    return np.clip((data - worst) / (best - worst), 0, 1) * scale


def normalise(
    data: np.ndarray,
    directions: np.ndarray,
    method: str,
    params: Mapping[str, Any] | None = None,
    *,
    targets: np.ndarray | None = None,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    codes: list[str] | None = None,
) -> np.ndarray:
    """Dispatch by name: minmax (low, high), zscore (mean, sd), rank, percentile, target (cap), goalposts (scale)."""
    p = dict(params or {})
    if method == "minmax":
        return minmax(data, directions, float(p.get("low", 0)), float(p.get("high", 100)), codes)
    if method == "zscore":
        return zscore(data, directions, float(p.get("mean", 0)), float(p.get("sd", 1)), codes)
    if method == "rank":
        return rank(data, directions)
    if method == "percentile":
        return percentile_rank(data, directions)
    if method == "target":
        if targets is None:
            raise PipelineError("距目标距离标准化需要每个指标的目标值（target）")
        return distance_to_target(data, directions, targets, bool(p.get("cap", True)), codes)
    if method == "goalposts":
        if lower is None or upper is None:
            raise PipelineError("目标区间标准化需要每个指标的上下限（goalposts）")
        return goalposts(data, directions, lower, upper, float(p.get("scale", 100)), codes)
    raise PipelineError(f"未知的标准化方法：{method}（可选 {'、'.join(METHODS)}）")
