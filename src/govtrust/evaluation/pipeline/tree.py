"""The indicator tree: indicators (leaves) grouped into aggregates up to one root (e.g. the index)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import PipelineError


@dataclass(frozen=True)
class Tree:
    """`indicators` in column order; `aggregates` ordered so that every aggregate comes after its children;
    `parent` maps every node but the root to its parent; `weights` every node to its weight in its parent."""

    indicators: tuple[str, ...]
    aggregates: tuple[str, ...]
    parent: Mapping[str, str]
    weights: Mapping[str, float]
    children: Mapping[str, tuple[str, ...]] = field(init=False)

    def __post_init__(self) -> None:
        kids: dict[str, list[str]] = {a: [] for a in self.aggregates}
        for node in (*self.indicators, *self.aggregates):
            if node in self.parent:
                kids[self.parent[node]].append(node)
        object.__setattr__(self, "children", {a: tuple(c) for a, c in kids.items()})

    @property
    def root(self) -> str:
        return self.aggregates[-1]

    @property
    def nodes(self) -> tuple[str, ...]:
        return (*self.indicators, *self.aggregates)

    def over_indicators(self, aggregate: str) -> bool:
        return self.children[aggregate][0] in self._indicator_set

    @property
    def _indicator_set(self) -> frozenset[str]:
        return frozenset(self.indicators)

    def membership(self, aggregates: Sequence[str], children: Sequence[str]) -> np.ndarray:
        """0/1 matrix children × aggregates."""
        pos = {c: i for i, c in enumerate(children)}
        g = np.zeros((len(children), len(aggregates)))
        for j, a in enumerate(aggregates):
            for c in self.children[a]:
                g[pos[c], j] = 1.0
        return g

    def heights(self) -> list[list[str]]:
        """Aggregates grouped by height (1 = over indicators), lowest first."""
        height: dict[str, int] = {i: 0 for i in self.indicators}
        for a in self.aggregates:
            height[a] = 1 + max(height[c] for c in self.children[a])
        out: list[list[str]] = [[] for _ in range(max(height[a] for a in self.aggregates))]
        for a in self.aggregates:
            out[height[a] - 1].append(a)
        return out


def build_tree(
    indicators: Sequence[tuple[str, str, float]], aggregates: Sequence[tuple[str, str | None, float]]
) -> Tree:
    """Build and check a tree from (code, parent, weight) triples; the one aggregate without parent is the root.

    Errors: duplicate codes, a parent that is not an aggregate, no root or several, a cycle, an aggregate
    without children, an aggregate mixing indicators and aggregates as children, a negative weight."""
    codes = [c for c, _, _ in indicators] + [c for c, _, _ in aggregates]
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise PipelineError(f"代码 {code} 重复出现")
        seen.add(code)
    agg_codes = {c for c, _, _ in aggregates}
    parent: dict[str, str] = {}
    weights: dict[str, float] = {}
    for code, par, w in (*indicators, *aggregates):
        if not np.isfinite(w) or w < 0:
            raise PipelineError(f"{code} 的权重 {w} 无效（须为非负数）")
        weights[code] = float(w)
        if par is None or par == "":
            continue
        if par not in agg_codes:
            raise PipelineError(f"{code} 的上级 {par} 不是已定义的汇总项")
        parent[code] = par
    for code, _, _ in indicators:
        if code not in parent:
            raise PipelineError(f"指标 {code} 没有上级汇总项")
    roots = [c for c, p, _ in aggregates if not p]
    if len(roots) != 1:
        raise PipelineError(f"指标体系须有且仅有一个顶层汇总项，实有 {len(roots)} 个：{'、'.join(roots)}")
    kids: dict[str, list[str]] = {c: [] for c, _, _ in aggregates}
    for child, par in parent.items():
        kids[par].append(child)
    ind_set = {c for c, _, _ in indicators}
    for a, ch in kids.items():
        if not ch:
            raise PipelineError(f"汇总项 {a} 没有下级")
    for a, ch in kids.items():
        mixed = {c in ind_set for c in ch}
        if len(mixed) > 1:
            raise PipelineError(f"汇总项 {a} 的下级混合了指标和汇总项，须分层")
        if sum(weights[c] for c in ch) <= 0:
            raise PipelineError(f"汇总项 {a} 的下级权重之和为零")
    # order aggregates children-first (also detects cycles: they never become ready)
    order: list[str] = []
    done = set(ind_set)
    pending = [c for c, _, _ in aggregates]
    while pending:
        ready = [a for a in pending if all(c in done for c in kids[a])]
        if not ready:
            raise PipelineError(f"指标体系存在循环：{'、'.join(pending)}")
        ready_set = set(ready)
        order.extend(a for a in pending if a in ready_set and a != roots[0])
        done |= ready_set
        pending = [a for a in pending if a not in ready_set]
    order.append(roots[0])
    return Tree(tuple(c for c, _, _ in indicators), tuple(order), parent, weights)
