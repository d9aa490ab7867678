"""Weights: explicit (from the framework), equal, or derived from principal components."""

from __future__ import annotations

import numpy as np

from .errors import PipelineError
from .tree import Tree


def equal_weights(tree: Tree) -> dict[str, float]:
    """Every node weighs 1 within its parent."""
    return {node: 1.0 for node in tree.nodes}


def pca_weights(normalised: np.ndarray, tree: Tree) -> dict[str, float]:
    """Indicator weights from the first principal component of each group's correlation matrix: the squared
    loadings, which sum to 1 within the group (Handbook §6.1, with one factor); aggregates keep their weights.

    Uses complete cases; a group with a constant indicator, fewer than 3 complete units or a single indicator
    keeps equal weights for that group only if it has one indicator, and is refused otherwise."""
    out = dict(tree.weights)
    col = {c: i for i, c in enumerate(tree.indicators)}
    for a in tree.aggregates:
        if not tree.over_indicators(a):
            continue
        kids = tree.children[a]
        if len(kids) == 1:
            out[kids[0]] = 1.0
            continue
        block = normalised[:, [col[c] for c in kids]]
        block = block[~np.isnan(block).any(axis=1)]
        if block.shape[0] < 3:
            raise PipelineError(f"汇总项 {a} 的完整观测少于 3 个，无法用主成分法确定权重")
        sd = block.std(axis=0, ddof=1)
        if np.any(sd == 0):
            raise PipelineError(f"汇总项 {a} 下有取值全部相同的指标，无法用主成分法确定权重")
        corr = np.corrcoef(block, rowvar=False)
        vals, vecs = np.linalg.eigh(corr)
        loadings = vecs[:, -1] * np.sqrt(vals[-1])
        sq = loadings**2
        for c, w in zip(kids, sq / sq.sum(), strict=True):
            out[c] = float(w)
    return out


def noisy_weights(base: np.ndarray, noise: float, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` perturbed copies of `base`: w · (1 + U(−noise, noise)) (COINr `get_noisy_weights`)."""
    if not 0 <= noise < 1:
        raise PipelineError(f"权重扰动幅度须在 [0, 1) 之间，实为 {noise}")
    return base[None, :] * (1 + rng.uniform(-noise, noise, size=(count, base.size)))
