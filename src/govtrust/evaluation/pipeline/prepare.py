"""Denomination and imputation (COINr `Denominate`, `Impute`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import PipelineError


def denominate(data: np.ndarray, denominators: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Divide each indicator column by its denominator column (units × indicators, NaN = not denominated).

    A column of `denominators` that is entirely NaN leaves that indicator as it is; a zero denominator
    makes the value missing rather than infinite."""
    if data.shape != denominators.shape:
        raise PipelineError(f"分母矩阵形状 {denominators.shape} 与数据 {data.shape} 不一致")
    out = data.astype(float, copy=True)
    use = ~np.all(np.isnan(denominators), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = data[:, use] / denominators[:, use] * scale
    ratio[~np.isfinite(ratio)] = np.nan
    out[:, use] = ratio
    return out


def impute(data: np.ndarray, method: str = "mean", groups: Sequence[str] | None = None) -> np.ndarray:
    """Fill missing values with the indicator's mean or median, over all units or within each unit's group.

    A value stays missing when its whole group has none for that indicator (as COINr does): the
    aggregation's data-availability threshold then decides."""
    if method not in ("mean", "median"):
        raise PipelineError(f"未知的插补方法：{method}（可选 mean、median）")
    stat = np.nanmean if method == "mean" else np.nanmedian
    out = data.astype(float, copy=True)
    if groups is None:
        blocks = [np.arange(data.shape[0])]
    else:
        if len(groups) != data.shape[0]:
            raise PipelineError(f"分组列有 {len(groups)} 个值，数据有 {data.shape[0]} 个评价对象")
        labels = np.asarray(groups, dtype=object)
        blocks = [np.flatnonzero(labels == g) for g in dict.fromkeys(groups)]
    for rows in blocks:
        block = out[rows]
        missing = np.isnan(block)
        if not missing.any():
            continue
        has = ~np.all(missing, axis=0)
        fill = np.full(block.shape[1], np.nan)
        fill[has] = stat(block[:, has], axis=0)
        block[missing] = np.broadcast_to(fill, block.shape)[missing]
        out[rows] = block
    return out
