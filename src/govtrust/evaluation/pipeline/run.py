"""One evaluation run: spec + data → every stage, scores and ranks at every level, audit, uncertainty."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .aggregate import rank_desc, score_tree
from .audit import Availability, CorrelationFlag, correlation_flags, cronbach_alpha, data_availability
from .errors import PipelineError
from .normalise import normalise
from .prepare import denominate, impute
from .spec import Normalisation, Spec
from .treat import Treatment, treat
from .uncertainty import UncertaintyResult, monte_carlo
from .weights import equal_weights, pca_weights

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "—"})


@dataclass(frozen=True)
class Dataset:
    """Units (rows) × the spec's indicators (columns, in spec order); denominators aligned to the indicators
    (NaN column = not denominated); optional group label per unit."""

    units: tuple[str, ...]
    values: np.ndarray
    denominators: np.ndarray
    groups: tuple[str, ...] | None = None
    names: tuple[str, ...] | None = None


def _number(cell: object, column: str, row: int) -> float:
    if cell is None:
        return math.nan
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell)
    text = str(cell).strip()
    if text.lower() in MISSING:
        return math.nan
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        raise PipelineError(f"第 {row} 行 {column} 列的值 {text[:40]!r} 不是数值") from None
    if not math.isfinite(value):
        raise PipelineError(f"第 {row} 行 {column} 列的值 {text[:40]!r} 不是有限数值")
    return value


def dataset_from_rows(spec: Spec, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Dataset:
    """Build a Dataset from a table (e.g. a CSV read with csv.reader). Row numbers in messages count the
    header as row 1. Errors: a column the spec names is missing, duplicate units, a non-numeric cell."""
    pos: dict[str, int] = {}
    for k, name in enumerate(header):
        name = str(name).strip()
        if name in pos:
            raise PipelineError(f"数据中的列 {name} 重复")
        pos[name] = k
    needed = [spec.unit_column] + [i.code for i in spec.indicators]
    if spec.denominate:
        needed += [i.denominator for i in spec.indicators if i.denominator]
    if spec.group_column and spec.impute_by_group:
        needed.append(spec.group_column)
    missing = [c for c in dict.fromkeys(needed) if c not in pos]
    if missing:
        raise PipelineError(f"数据中缺少规格所需的列：{'、'.join(missing)}")
    if not rows:
        raise PipelineError("数据没有任何评价对象（行）")
    units: list[str] = []
    seen: set[str] = set()
    for r, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise PipelineError(f"第 {r} 行有 {len(row)} 列，表头有 {len(header)} 列")
        unit = str(row[pos[spec.unit_column]]).strip()
        if not unit:
            raise PipelineError(f"第 {r} 行的评价对象代码（{spec.unit_column}）为空")
        if unit in seen:
            raise PipelineError(f"评价对象 {unit} 重复出现（第 {r} 行）")
        seen.add(unit)
        units.append(unit)
    values = np.array(
        [[_number(row[pos[i.code]], i.code, r) for i in spec.indicators] for r, row in enumerate(rows, start=2)]
    ).reshape(len(rows), len(spec.indicators))
    dens = np.full(values.shape, np.nan)
    if spec.denominate:
        for j, ind in enumerate(spec.indicators):
            if ind.denominator:
                col = ind.denominator
                dens[:, j] = [_number(row[pos[col]], col, r) for r, row in enumerate(rows, start=2)]
    groups = None
    if spec.group_column and spec.group_column in pos:
        groups = tuple(str(row[pos[spec.group_column]]).strip() for row in rows)
    names = None
    if spec.name_column and spec.name_column in pos:
        names = tuple(str(row[pos[spec.name_column]]).strip() for row in rows)
    return Dataset(tuple(units), values, dens, groups, names)


@dataclass(frozen=True)
class Audit:
    availability: Availability
    flags: list[CorrelationFlag]
    alpha: dict[str, float]  # per aggregate over indicators (standardised), NaN where it cannot be computed


@dataclass(frozen=True)
class Result:
    spec: Spec
    units: tuple[str, ...]
    stages: dict[str, np.ndarray]  # raw, denominated, imputed, treated, normalised (units × indicators)
    treatments: list[Treatment]
    weights: dict[str, float]
    scores: np.ndarray  # units × aggregates (spec.tree.aggregates order, root last)
    ranks: np.ndarray
    audit: Audit
    uncertainty: UncertaintyResult | None

    def column(self, code: str) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ranks) of one aggregate."""
        j = self.spec.tree.aggregates.index(code)
        return self.scores[:, j], self.ranks[:, j]


def _normalise(spec: Spec, data: np.ndarray, norm: Normalisation) -> np.ndarray:
    inds = spec.indicators

    def arr(attr: str) -> np.ndarray:
        return np.array([math.nan if getattr(i, attr) is None else getattr(i, attr) for i in inds], dtype=float)

    return normalise(
        data,
        np.array([i.direction for i in inds], dtype=float),
        norm.method,
        norm.params,
        targets=arr("target"),
        lower=arr("lower"),
        upper=arr("upper"),
        codes=[i.code for i in inds],
    )


def _audit(spec: Spec, normalised: np.ndarray) -> Audit:
    tree = spec.tree
    col = {c: i for i, c in enumerate(tree.indicators)}
    alpha: dict[str, float] = {}
    for a in tree.aggregates:
        if tree.over_indicators(a) and len(tree.children[a]) >= 2:
            try:
                alpha[a] = cronbach_alpha(normalised[:, [col[c] for c in tree.children[a]]], standardised=True)
            except PipelineError:
                alpha[a] = math.nan
    return Audit(data_availability(normalised, tree), correlation_flags(normalised, tree), alpha)


def run(spec: Spec, data: Dataset, *, seed: int | None = None, uncertainty: bool = True) -> Result:
    """Run every step of the spec on the data. `seed` overrides the spec's; the same spec, data and seed
    always give identical results."""
    tree = spec.tree
    codes = [i.code for i in spec.indicators]
    if data.values.shape != (len(data.units), len(codes)):
        raise PipelineError(f"数据形状 {data.values.shape} 与规格的 {len(codes)} 个指标不一致")
    empty = np.flatnonzero(np.all(np.isnan(data.values), axis=0))
    if empty.size:
        raise PipelineError(f"指标 {'、'.join(codes[j] for j in empty)} 没有任何数据")
    if len(data.units) < 2:
        raise PipelineError("至少需要 2 个评价对象才能排名")
    stages: dict[str, np.ndarray] = {"raw": data.values}
    x = denominate(data.values, data.denominators) if spec.denominate else data.values
    stages["denominated"] = x
    if spec.impute:
        if spec.impute_by_group and data.groups is None:
            raise PipelineError("按组插补需要分组列，但数据中没有")
        x = impute(x, spec.impute, data.groups if spec.impute_by_group else None)
    stages["imputed"] = x
    treatments: list[Treatment] = []
    if spec.treat:
        x, treatments = treat(
            x, codes, winmax=spec.winmax, skew_thresh=spec.skew_threshold, kurt_thresh=spec.kurt_threshold
        )
    stages["treated"] = x
    normalised = _normalise(spec, x, spec.normalisation)
    stages["normalised"] = normalised
    if spec.weights == "equal":
        weights = equal_weights(tree)
    elif spec.weights == "pca":
        weights = pca_weights(normalised, tree)
    else:
        weights = dict(tree.weights)
    scores = score_tree(normalised, tree, weights, spec.aggregation, spec.threshold)
    ranks = rank_desc(scores.T).T
    unc = None
    if uncertainty and spec.uncertainty is not None:
        u = spec.uncertainty
        alts = [_normalise(spec, x, n) for n in u.normalisations]
        tree_w = type(tree)(tree.indicators, tree.aggregates, tree.parent, weights)
        unc = monte_carlo(
            alts,
            [n.label for n in u.normalisations],
            tree_w,
            u.aggregations,
            ranks[:, -1],
            runs=u.runs,
            seed=spec.seed if seed is None else seed,
            noise=u.weight_noise,
            threshold=spec.threshold,
            weight_sets=u.weight_sets,
        )
    return Result(spec, data.units, stages, treatments, weights, scores, ranks, _audit(spec, normalised), unc)


def result_rows(result: Result) -> tuple[list[str], list[list[str]]]:
    """The CSV table of a result: unit, (name), then score and rank of every aggregate, root first, then the
    root's rank interval when uncertainty was run. Scores keep full precision (repr of the float)."""
    tree = result.spec.tree
    order = list(reversed(tree.aggregates))
    header = ["unit"]
    for a in order:
        header += [f"{a}_score", f"{a}_rank"]
    unc: Mapping[str, np.ndarray] = {}
    if result.uncertainty is not None:
        u = result.uncertainty
        unc = {"rank_median": u.rank_median, "rank_q05": u.rank_q05, "rank_q95": u.rank_q95}
        header += list(unc)

    def fmt(v: float, integer: bool = False) -> str:
        if math.isnan(v):
            return ""
        return str(int(v)) if integer and float(v).is_integer() else repr(float(v))

    rows = []
    for k, unit in enumerate(result.units):
        row = [unit]
        for a in order:
            j = tree.aggregates.index(a)
            row += [fmt(result.scores[k, j]), fmt(result.ranks[k, j], True)]
        row += [fmt(arr[k], True) for arr in unc.values()]
        rows.append(row)
    return header, rows
