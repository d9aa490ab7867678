"""Outlier treatment: COINr's rule (R/treat.R: `Treat`, `winsorise`, `log_CT`, `check_SkewKurt`).

An indicator fails when |skewness| >= skew_thresh AND kurtosis >= kurt_thresh (bias-corrected sample
statistics, e1071 type 2 = Excel SKEW/KURT). A failing indicator is winsorised one step at a time on the
side its *current* skewness points to: the current extreme value(s) take the next value in. Stop when it
passes or when `winmax` points have been treated. If it still fails, winsorisation is dropped and
`log(x - min + 0.01 (max - min))` is applied to the untreated values instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import PipelineError


def _centred(v: np.ndarray) -> np.ndarray:
    d = v - v.mean()
    # Both statistics are scale-free; rescale only extreme magnitudes, whose powers would under/overflow
    # (ordinary data keeps COINr's arithmetic exactly).
    top = float(np.max(np.abs(d))) if d.size else 0.0
    if top and not 1e-60 < top < 1e60:
        d = d / top
    return d


def skewness(x: np.ndarray) -> float:
    """Bias-corrected sample skewness of the non-missing values (e1071 type 2)."""
    v = x[~np.isnan(x)]
    n = v.size
    if n < 3:
        raise PipelineError(f"计算偏度至少需要 3 个非缺失值，实有 {n} 个")
    d = _centred(v)
    m2 = float(np.sum(d**2))
    if m2 == 0.0:
        return 0.0
    y = math.sqrt(n) * float(np.sum(d**3)) / m2**1.5
    return y * math.sqrt(n * (n - 1)) / (n - 2)


def kurtosis(x: np.ndarray) -> float:
    """Bias-corrected sample excess kurtosis of the non-missing values (e1071 type 2)."""
    v = x[~np.isnan(x)]
    n = v.size
    if n < 4:
        raise PipelineError(f"计算峰度至少需要 4 个非缺失值，实有 {n} 个")
    d = _centred(v)
    m2 = float(np.sum(d**2))
    if m2 == 0.0:
        return 0.0
    r = n * float(np.sum(d**4)) / m2**2
    return ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))


def passes(x: np.ndarray, skew_thresh: float = 2.0, kurt_thresh: float = 3.5) -> bool:
    return abs(skewness(x)) < skew_thresh or kurtosis(x) < kurt_thresh


@dataclass(frozen=True)
class Treatment:
    """What happened to one indicator: `method` is "none", "winsorised", "log" or "skipped" (fewer than
    4 values: skewness and kurtosis are undefined)."""

    indicator: str
    method: str
    low: int = 0
    high: int = 0
    skew_before: float = 0.0
    kurt_before: float = 0.0


def winsorise(
    x: np.ndarray, winmax: int, skew_thresh: float = 2.0, kurt_thresh: float = 3.5
) -> tuple[np.ndarray, int, int, bool]:
    """COINr `winsorise`: returns (values, points treated low, points treated high, passes now)."""
    x = x.copy()
    ok = ~np.isnan(x)
    low_idx: np.ndarray = np.zeros(0, dtype=np.intp)
    high_idx: np.ndarray = np.zeros(0, dtype=np.intp)
    passing = passes(x, skew_thresh, kurt_thresh)
    # COINr counts the points set by the *latest* step on each side (ties included): after k steps on one
    # side the k most extreme points all hold the (k+1)-th value, so they are exactly the current extremes.
    while not passing and low_idx.size + high_idx.size < winmax:
        values = x[ok]
        if skewness(x) >= 0:
            top = values.max()
            high_idx = np.flatnonzero(ok & (x == top))
            rest = values[values != top]
            if rest.size == 0:
                break
            x[high_idx] = rest.max()
        else:
            bottom = values.min()
            low_idx = np.flatnonzero(ok & (x == bottom))
            rest = values[values != bottom]
            if rest.size == 0:
                break
            x[low_idx] = rest.min()
        passing = passes(x, skew_thresh, kurt_thresh)
    return x, int(low_idx.size), int(high_idx.size), passing


def log_transform(x: np.ndarray) -> np.ndarray:
    """COINr `log_CT`: log(x - min + 0.01 (max - min)); keeps the order, defined for any sign."""
    lo, hi = np.nanmin(x), np.nanmax(x)
    return np.log(x - lo + 0.01 * (hi - lo))


def treat(
    data: np.ndarray,
    codes: list[str],
    *,
    winmax: int | None = 5,
    skew_thresh: float = 2.0,
    kurt_thresh: float = 3.5,
) -> tuple[np.ndarray, list[Treatment]]:
    """Treat each column of `data` (units × indicators) by COINr's rule. `winmax=None` means
    ceil(10 % of the units), COINr 0.6's default."""
    out = data.astype(float, copy=True)
    if winmax is None:
        winmax = math.ceil(0.1 * data.shape[0])
    report: list[Treatment] = []
    for j, code in enumerate(codes):
        col = out[:, j]
        if np.count_nonzero(~np.isnan(col)) < 4:
            # kurtosis needs 4 values; with fewer there is no outlier to speak of, so leave it as it is
            report.append(Treatment(code, "skipped"))
            continue
        sk, kt = skewness(col), kurtosis(col)
        if abs(sk) < skew_thresh or kt < kurt_thresh:
            report.append(Treatment(code, "none", skew_before=sk, kurt_before=kt))
            continue
        treated, low, high, ok = winsorise(col, winmax, skew_thresh, kurt_thresh)
        if ok:
            out[:, j] = treated
            report.append(Treatment(code, "winsorised", low, high, sk, kt))
        else:
            out[:, j] = log_transform(col)
            report.append(Treatment(code, "log", skew_before=sk, kurt_before=kt))
    return out, report
