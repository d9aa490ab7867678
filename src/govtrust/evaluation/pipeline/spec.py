"""The method specification of a run: the indicator tree plus each step's choices (docs/evaluation.md).

`parse_spec` takes the mapping read from a JSON or TOML file and checks everything up front, so a bad
spec fails before any data is touched, with a message that names the offending entry."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .aggregate import METHODS as AGG_METHODS
from .errors import PipelineError
from .normalise import METHODS as NORM_METHODS
from .tree import Tree, build_tree
from .uncertainty import MC_METHODS


@dataclass(frozen=True)
class Indicator:
    code: str
    parent: str
    weight: float = 1.0
    direction: int = 1
    denominator: str | None = None
    target: float | None = None
    lower: float | None = None
    upper: float | None = None
    name: str = ""


@dataclass(frozen=True)
class Aggregate:
    code: str
    parent: str | None = None
    weight: float = 1.0
    name: str = ""


@dataclass(frozen=True)
class Normalisation:
    method: str = "minmax"
    params: Mapping[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        extra = ",".join(f"{k}={v:g}" for k, v in sorted(self.params.items()))
        return f"{self.method}({extra})" if extra else self.method


@dataclass(frozen=True)
class Uncertainty:
    runs: int = 1000
    weight_noise: float = 0.25
    weight_sets: int = 100
    normalisations: tuple[Normalisation, ...] = (
        Normalisation("minmax", {"low": 1.0, "high": 100.0}),
        Normalisation("zscore", {"mean": 100.0, "sd": 10.0}),
    )
    aggregations: tuple[str, ...] = ("arithmetic", "geometric")


@dataclass(frozen=True)
class Spec:
    indicators: tuple[Indicator, ...]
    aggregates: tuple[Aggregate, ...]
    tree: Tree
    version: str = ""
    unit_column: str = "unit"
    name_column: str | None = None
    group_column: str | None = None
    seed: int = 0
    denominate: bool = True
    impute: str | None = None
    impute_by_group: bool = False
    treat: bool = True
    winmax: int | None = 5
    skew_threshold: float = 2.0
    kurt_threshold: float = 3.5
    normalisation: Normalisation = Normalisation()
    weights: str = "explicit"
    aggregation: str = "arithmetic"
    threshold: float = 0.0
    uncertainty: Uncertainty | None = None


def _num(value: Any, where: str, *, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PipelineError(f"{where} 须为数值，实为 {value!r}")
    return float(value)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PipelineError(f"{where} 须为非空文本，实为 {value!r}")
    return value.strip()


def _known(section: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise PipelineError(f"{where} 含有未知的设置项：{'、'.join(unknown)}")


def _normalisation(raw: Any, where: str) -> Normalisation:
    if isinstance(raw, str):
        raw = {"method": raw}
    if not isinstance(raw, Mapping):
        raise PipelineError(f"{where} 须为方法名或表")
    method = _text(raw.get("method", "minmax"), f"{where}.method")
    if method not in NORM_METHODS:
        raise PipelineError(f"{where}：未知的标准化方法 {method}（可选 {'、'.join(NORM_METHODS)}）")
    allowed = {"minmax": {"low", "high"}, "zscore": {"mean", "sd"}, "target": {"cap"}, "goalposts": {"scale"}}
    _known({k: v for k, v in raw.items() if k != "method"}, allowed.get(method, set()), where)
    params: dict[str, float] = {}
    for k, v in raw.items():
        if k == "cap" and isinstance(v, bool):
            params[k] = 1.0 if v else 0.0
        elif k != "method":
            params[k] = float(_num(v, f"{where}.{k}") or 0.0)
    if method == "minmax" and params.get("low", 0.0) >= params.get("high", 100.0):
        raise PipelineError(f"{where}：minmax 的 low 须小于 high")
    if method == "zscore" and params.get("sd", 1.0) <= 0:
        raise PipelineError(f"{where}：zscore 的 sd 须为正数")
    return Normalisation(method, params)


def parse_spec(raw: Mapping[str, Any]) -> Spec:
    """Check and convert a spec mapping (see docs/evaluation.md for every key)."""
    if not isinstance(raw, Mapping):
        raise PipelineError("规格须为表（JSON 对象或 TOML 表）")
    _known(
        raw,
        {
            "version",
            "unit_column",
            "name_column",
            "group_column",
            "seed",
            "indicators",
            "aggregates",
            "method",
            "uncertainty",
        },
        "规格",
    )
    inds_raw = raw.get("indicators")
    if not isinstance(inds_raw, list) or not inds_raw:
        raise PipelineError("规格须至少定义一个指标（indicators）")
    aggs_raw = raw.get("aggregates")
    if not isinstance(aggs_raw, list) or not aggs_raw:
        raise PipelineError("规格须至少定义一个汇总项（aggregates），其中一个没有上级（parent）")
    indicators = []
    for k, item in enumerate(inds_raw):
        where = f"indicators[{k}]"
        if not isinstance(item, Mapping):
            raise PipelineError(f"{where} 须为表")
        _known(item, {"code", "name", "parent", "weight", "direction", "denominator", "target", "goalposts"}, where)
        code = _text(item.get("code"), f"{where}.code")
        where = f"指标 {code}"
        direction = item.get("direction", 1)
        if direction not in (1, -1) or isinstance(direction, bool):
            raise PipelineError(f"{where} 的方向（direction）须为 1 或 -1，实为 {direction!r}")
        lower = upper = None
        if "goalposts" in item:
            gp = item["goalposts"]
            if not isinstance(gp, list) or len(gp) != 2:
                raise PipelineError(f"{where} 的 goalposts 须为 [下限, 上限]")
            lower, upper = _num(gp[0], f"{where}.goalposts"), _num(gp[1], f"{where}.goalposts")
        den = item.get("denominator")
        indicators.append(
            Indicator(
                code=code,
                parent=_text(item.get("parent"), f"{where}.parent"),
                weight=_num(item.get("weight", 1.0), f"{where}.weight") or 0.0,
                direction=int(direction),
                denominator=_text(den, f"{where}.denominator") if den not in (None, "") else None,
                target=_num(item.get("target"), f"{where}.target", allow_none=True),
                lower=lower,
                upper=upper,
                name=str(item.get("name", "")),
            )
        )
    aggregates = []
    for k, item in enumerate(aggs_raw):
        where = f"aggregates[{k}]"
        if not isinstance(item, Mapping):
            raise PipelineError(f"{where} 须为表")
        _known(item, {"code", "name", "parent", "weight"}, where)
        code = _text(item.get("code"), f"{where}.code")
        par = item.get("parent")
        aggregates.append(
            Aggregate(
                code=code,
                parent=_text(par, f"汇总项 {code}.parent") if par not in (None, "") else None,
                weight=_num(item.get("weight", 1.0), f"汇总项 {code}.weight") or 0.0,
                name=str(item.get("name", "")),
            )
        )
    tree = build_tree(
        [(i.code, i.parent, i.weight) for i in indicators], [(a.code, a.parent, a.weight) for a in aggregates]
    )
    method = raw.get("method", {})
    if not isinstance(method, Mapping):
        raise PipelineError("method 须为表")
    _known(method, {"denominate", "impute", "treat", "normalise", "weights", "aggregate"}, "method")
    kwargs: dict[str, Any] = {}
    kwargs["denominate"] = bool(method.get("denominate", True))
    imp = method.get("impute")
    if imp not in (None, False, "none"):
        imp = {"method": imp} if isinstance(imp, str) else imp
        if not isinstance(imp, Mapping):
            raise PipelineError("method.impute 须为 mean、median 或表")
        _known(imp, {"method", "by_group"}, "method.impute")
        kwargs["impute"] = imp.get("method", "mean")
        if kwargs["impute"] not in ("mean", "median"):
            raise PipelineError(f"method.impute：未知的插补方法 {kwargs['impute']}（可选 mean、median）")
        kwargs["impute_by_group"] = bool(imp.get("by_group", False))
        if kwargs["impute_by_group"] and not raw.get("group_column"):
            raise PipelineError("按组插补需要在规格中设置分组列（group_column）")
    treat = method.get("treat", True)
    if treat is False or treat == "none":
        kwargs["treat"] = False
    else:
        treat = {} if treat is True else treat
        if not isinstance(treat, Mapping):
            raise PipelineError("method.treat 须为 true、false 或表")
        _known(treat, {"winmax", "skew", "kurt"}, "method.treat")
        wm = treat.get("winmax", 5)
        if wm == "auto":
            kwargs["winmax"] = None
        elif isinstance(wm, int) and not isinstance(wm, bool) and wm >= 0:
            kwargs["winmax"] = wm
        else:
            raise PipelineError(f'method.treat.winmax 须为非负整数或 "auto"，实为 {wm!r}')
        kwargs["skew_threshold"] = _num(treat.get("skew", 2.0), "method.treat.skew")
        kwargs["kurt_threshold"] = _num(treat.get("kurt", 3.5), "method.treat.kurt")
    kwargs["normalisation"] = _normalisation(method.get("normalise", "minmax"), "method.normalise")
    weights = method.get("weights", "explicit")
    if weights not in ("explicit", "equal", "pca"):
        raise PipelineError(f"method.weights 须为 explicit、equal 或 pca，实为 {weights!r}")
    kwargs["weights"] = weights
    agg = method.get("aggregate", "arithmetic")
    agg = {"method": agg} if isinstance(agg, str) else agg
    if not isinstance(agg, Mapping):
        raise PipelineError("method.aggregate 须为方法名或表")
    _known(agg, {"method", "threshold"}, "method.aggregate")
    if agg.get("method", "arithmetic") not in AGG_METHODS:
        raise PipelineError(f"method.aggregate：未知的汇总方法 {agg.get('method')!r}（可选 {'、'.join(AGG_METHODS)}）")
    kwargs["aggregation"] = agg.get("method", "arithmetic")
    thr = _num(agg.get("threshold", 0.0), "method.aggregate.threshold") or 0.0
    if not 0 <= thr <= 1:
        raise PipelineError(f"method.aggregate.threshold 须在 0 到 1 之间，实为 {thr}")
    kwargs["threshold"] = thr
    unc = raw.get("uncertainty")
    if unc not in (None, False):
        unc = {} if unc is True else unc
        if not isinstance(unc, Mapping):
            raise PipelineError("uncertainty 须为 true、false 或表")
        _known(unc, {"runs", "weight_noise", "weight_sets", "normalisations", "aggregations"}, "uncertainty")
        default = Uncertainty()
        runs = unc.get("runs", default.runs)
        if not isinstance(runs, int) or isinstance(runs, bool) or runs < 1:
            raise PipelineError(f"uncertainty.runs 须为正整数，实为 {runs!r}")
        noise = _num(unc.get("weight_noise", default.weight_noise), "uncertainty.weight_noise") or 0.0
        if not 0 <= noise < 1:
            raise PipelineError(f"uncertainty.weight_noise 须在 [0, 1) 之间，实为 {noise}")
        sets = unc.get("weight_sets", default.weight_sets)
        if not isinstance(sets, int) or isinstance(sets, bool) or sets < 1:
            raise PipelineError(f"uncertainty.weight_sets 须为正整数，实为 {sets!r}")
        norms = default.normalisations
        if "normalisations" in unc:
            if not isinstance(unc["normalisations"], list) or not unc["normalisations"]:
                raise PipelineError("uncertainty.normalisations 须为非空列表")
            norms = tuple(
                _normalisation(n, f"uncertainty.normalisations[{k}]") for k, n in enumerate(unc["normalisations"])
            )
        aggs = tuple(unc.get("aggregations", default.aggregations))
        for a in aggs:
            if a not in MC_METHODS:
                raise PipelineError(f"uncertainty.aggregations 只能取 {'、'.join(MC_METHODS)}，不能取 {a!r}")
        if not aggs:
            raise PipelineError("uncertainty.aggregations 须为非空列表")
        kwargs["uncertainty"] = Uncertainty(int(runs), noise, int(sets), norms, aggs)
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise PipelineError(f"seed 须为非负整数，实为 {seed!r}")
    return Spec(
        indicators=tuple(indicators),
        aggregates=tuple(aggregates),
        tree=tree,
        version=str(raw.get("version", "")),
        unit_column=_text(raw.get("unit_column", "unit"), "unit_column"),
        name_column=raw.get("name_column") or None,
        group_column=raw.get("group_column") or None,
        seed=seed,
        **kwargs,
    )
